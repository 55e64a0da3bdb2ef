"""Journey 3 and 5 (DESIGN.md §5) as the procedures issue checks them: a patient on apixaban
with platelets of 60 ×10⁹/L (3 days old) and a chemotherapy cycle 10 days before the planned
date; a clinician plans a celiac plexus neurolysis; the safety panel shows the apixaban stop
date, the platelets against the threshold and the nadir warning; recording the procedure is
refused until every check passes or is overridden; recording it schedules the follow-ups and
their reminders."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from clinic.reminders.models import Reminder
from procedures.models import FollowUp, PlanStatus, ProcedurePlan
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import give_authenticator, screenshot, sign_in, watch_csp
from tests.patients.helpers import add_lab, add_medication, add_oncology_event, make_patient


def test_a_clinician_plans_checks_and_records_a_celiac_plexus_neurolysis(new_page: Any) -> None:
    clinician = make_user(Role.CLINICIAN, username="amara", first_name="Amara", last_name="Diallo")
    give_authenticator(clinician)
    today = timezone.localdate()
    patient = make_patient(by=clinician, given_name="Rosa", family_name="Marquez")
    add_medication(patient, "Apixaban", "5", started_on=today - dt.timedelta(days=200))
    add_lab(patient, "platelets", "60", taken_at=timezone.now() - dt.timedelta(days=3))
    add_oncology_event(patient, occurred_on=today - dt.timedelta(days=10), cycle_number=2)

    page = new_page()
    violations = watch_csp(page)
    sign_in(page, "amara", PASSWORD)
    page.goto(f"/patients/{patient.code}/")
    page.get_by_role("link", name="Plan a procedure").click()

    # The plan: a definitive neurolysis without a diagnostic block, with the reason.
    form = page.locator("form")
    form.locator("#id_procedure_type").select_option(label="Celiac plexus neurolysis")
    form.locator("#id_stage").select_option("definitive")
    form.locator("#id_stage_override_reason").fill(
        "Tumour encases the plexus on CT; too frail for a separate diagnostic block"
    )
    form.locator("#id_target").fill("Celiac plexus")
    form.locator("#id_level").fill("L1")
    form.locator("#id_laterality").select_option("bilateral")
    form.locator("#id_indication").fill("Visceral upper abdominal pain, pancreatic cancer")
    form.locator("#id_planned_date").fill(today.isoformat())
    form.locator("#id_operator").select_option(label="Amara Diallo")
    form.locator("#id_imaging_guidance").select_option("ct")
    form.locator("#id_infection_screen").select_option("none")
    page.get_by_label("Consent recorded").check()
    form.locator("#id_consent_date").fill(today.isoformat())
    screenshot(page, "procedure-plan-form")
    page.get_by_role("button", name="Propose").click()

    expect(page.get_by_text("The procedure is proposed.")).to_be_visible()
    panel = page.locator("#safety")
    last_day = (today - dt.timedelta(days=6)).strftime("%A %-d %b %Y")
    expect(panel.get_by_test_id("stop-by")).to_contain_text(f"Last dose on or before {last_day}")
    expect(panel.locator("[data-check='platelets']")).to_contain_text(
        "Platelets 60 ×10⁹/L are below the minimum of 75"
    )
    expect(panel.locator("[data-check='platelets']")).to_contain_text("3 days before")
    expect(panel.locator("[data-check='nadir']")).to_contain_text("10 days after chemotherapy")
    expect(panel.locator("[data-check='nadir']")).to_contain_text("warn")
    screenshot(page, "procedure-safety-panel")

    # Approved urgently (flagged) and scheduled for today.
    page.get_by_role("link", name="Approve urgently").click()
    page.locator("#id_reason").fill("Admitted with uncontrolled pain; the meeting is in 9 days")
    page.get_by_role("button", name="Approve urgently").click()
    expect(page.get_by_test_id("urgent-flag")).to_be_visible()
    page.get_by_role("link", name="Schedule").click()
    page.locator("#id_scheduled_date").fill(today.isoformat())
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("Scheduled")

    # Recording is refused while checks are open.
    page.get_by_role("link", name="Record the procedure").click()
    page.get_by_role("button", name="Record as performed").click()
    expect(page.get_by_test_id("record-refused")).to_contain_text(
        "neither passed nor were overridden"
    )
    screenshot(page, "procedure-record-refused")
    plan = ProcedurePlan.objects.get()
    assert plan.status == PlanStatus.SCHEDULED

    # Each open check is overridden with a reason, in the panel.
    page.get_by_role("link", name="Cancel").click()
    reasons = {
        "anticoagulant:apixaban": "Last dose taken 6 days ago per patient; record updated later",
        "platelets": "One pool of platelets transfused before the block",
        "inr": "Not on warfarin; INR taken this morning, result pending",
        "anc": "ANC 1.8 this morning per oncology",
        "nadir": "Oncology agrees to proceed",
    }
    for code, reason in reasons.items():
        row = page.locator(f"#safety [data-check='{code}']")
        row.get_by_placeholder("Reason").fill(reason)
        row.get_by_role("button", name="Override").click()
        expect(page.locator(f"#safety [data-check='{code}']")).to_contain_text(reason)
    expect(page.get_by_test_id("safety-clear")).to_be_visible()
    screenshot(page, "procedure-safety-overridden")

    page.get_by_role("link", name="Record the procedure").click()
    page.locator("#id_immediate_relief_percent").fill("70")
    page.get_by_role("button", name="Record as performed").click()
    expect(
        page.get_by_text("The procedure is recorded; its follow-ups and reminders are set.")
    ).to_be_visible()
    follow_ups = page.get_by_test_id("follow-ups")
    expect(follow_ups.locator("tbody tr")).to_have_count(3)
    expect(follow_ups).to_contain_text("Phone check")
    expect(follow_ups).to_contain_text("Reassessment")
    screenshot(page, "procedure-performed")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.PERFORMED
    days = list(FollowUp.objects.filter(plan=plan).values_list("day", flat=True))
    assert days == [1, 14, 42]
    reminders = Reminder.objects.filter(kind="followup_due", recipient=clinician)
    assert reminders.count() == 3
    first = timezone.localtime(reminders.order_by("due_at").first().due_at)
    assert (first.date(), first.hour) == (today + dt.timedelta(days=1), 8)

    # Discharge instructions print for the patient.
    page.get_by_role("link", name="Discharge instructions").click()
    expect(page.get_by_role("heading", name="After your procedure")).to_be_visible()
    expect(page.get_by_test_id("warning-signs")).to_contain_text("Fainting")
    expect(page.get_by_test_id("next-follow-up")).to_contain_text(re.compile("phone check"))
    screenshot(page, "procedure-discharge-instructions")

    assert violations == []
