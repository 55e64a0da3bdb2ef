"""The plan pages: planning from the chart, the safety panel, overrides, recording, printing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.accounts.models import User
from clinic.audit.models import AccessAction, AccessLog
from patients.models import Patient
from procedures import services
from procedures.models import FollowUp, PlanStatus, ProcedurePlan, SafetyReview
from tests.conftest import client_for
from tests.patients.helpers import add_lab, add_medication, add_oncology_event, make_patient
from tests.procedures.helpers import (
    approve_and_schedule,
    clear_review,
    perform,
    plan_form_data,
    procedure_type,
    propose,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 16)
PLANNED = dt.date(2026, 3, 18)

# The plan page's queries whatever the size of the record: session (read, then touched in a
# savepoint: 4), user, two-factor device, roles, unread notifications, the plan (with patient,
# type and people), the patient again (the patients app decides visibility), the chart header
# (latest labs, policy, main diagnosis, active medications, allergies), follow-ups, latest labs
# again, bleeding medications, chemotherapy cycles, the review for the date, later stages,
# recorded reviews, and the access-log row. A performed plan swaps the safety panel's four for
# the record and the earlier stage's outcome.
PLAN_PAGE_QUERIES = 23


@pytest.fixture(autouse=True)
def today() -> Any:
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def patient(clinician: User) -> Patient:
    """Apixaban; platelets 60 ×10⁹/L on the 15th; a chemotherapy cycle on the 8th."""
    patient = make_patient(by=clinician, given_name="Ines", family_name="Duarte")
    add_medication(patient, "Apixaban", "5", started_on=dt.date(2025, 11, 1))
    add_lab(patient, "platelets", "60", taken_at=dt.datetime(2026, 3, 15, 8, tzinfo=dt.UTC))
    add_oncology_event(patient, occurred_on=dt.date(2026, 3, 8), cycle_number=4)
    return patient


def page(user: User, plan: ProcedurePlan) -> Any:
    response = client_for(user).get(reverse("procedures:plan-detail", args=[plan.code]))
    assert response.status_code == 200
    return response


# --- from the chart ------------------------------------------------------------------------------


def test_the_chart_lists_plans_and_offers_to_plan_one(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)

    response = client_for(clinician).get(reverse("patients:patient-detail", args=[patient.code]))

    text = response.text
    assert 'id="procedures"' in text
    assert reverse("procedures:plan-create", args=[patient.code]) in text
    assert reverse("procedures:plan-detail", args=[plan.code]) in text


def test_a_plan_row_on_the_chart_shows_its_target_and_pending_follow_ups(
    clinician: User, patient: Patient
) -> None:
    perform(clinician, patient, target="<b>Celiac</b> plexus", level="T12 & L1")

    text = client_for(clinician).get(reverse("patients:patient-detail", args=[patient.code])).text

    row = text.split('id="procedures"')[1].split("</tbody>")[0]
    assert "<b>Celiac</b>" not in row
    assert "&lt;b&gt;Celiac&lt;/b&gt; plexus, T12 &amp; L1, bilateral" in row
    pending = FollowUp.objects.filter(plan__patient=patient, status="pending").count()
    assert pending > 1
    assert f"{pending} follow-ups pending" in row


def test_a_coordinator_sees_the_plans_but_cannot_plan(coordinator: User, patient: Patient) -> None:
    response = client_for(coordinator).get(reverse("patients:patient-detail", args=[patient.code]))

    assert 'id="procedures"' in response.text
    assert reverse("procedures:plan-create", args=[patient.code]) not in response.text


def test_planning_from_the_form_records_the_plan_and_its_first_review(
    clinician: User, patient: Patient
) -> None:
    client = client_for(clinician)
    form = client.get(reverse("procedures:plan-create", args=[patient.code]))
    assert form.status_code == 200

    response = client.post(
        reverse("procedures:plan-create", args=[patient.code]), plan_form_data(PLANNED)
    )

    plan = ProcedurePlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("procedures:plan-detail", args=[plan.code])
    assert (plan.patient, plan.status, plan.stage) == (patient, PlanStatus.PROPOSED, "definitive")
    review = SafetyReview.objects.get()
    assert (review.plan, review.evaluated_for, review.by) == (plan, PLANNED, clinician)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"planned_date": "2026-03-15"}, "planned_date"),
        ({"stage_override_reason": ""}, "builds_on"),
        ({"response_criterion_percent": "0"}, "response_criterion_percent"),
    ],
    ids=["date in the past", "definitive without an earlier stage", "criterion 0%"],
)
def test_bad_plans_show_the_error_and_save_nothing(
    clinician: User, patient: Patient, overrides: dict[str, str], field: str
) -> None:
    response = client_for(clinician).post(
        reverse("procedures:plan-create", args=[patient.code]), plan_form_data(PLANNED, **overrides)
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ProcedurePlan.objects.exists()


def test_the_form_offers_earlier_stages_with_their_response(clinician: User) -> None:
    patient = make_patient(by=clinician)
    block = perform(
        clinician, patient, procedure_type=procedure_type("Celiac plexus block (diagnostic)")
    )

    response = client_for(clinician).get(reverse("procedures:plan-create", args=[patient.code]))

    choices = dict(response.context["form"].fields["builds_on"].choices)
    labels = [str(label) for value, label in choices.items() if value]
    assert len(labels) == 1
    assert "response not measured yet" in labels[0]
    assert str(block.plan.code) in [str(value) for value in choices if value]


# --- the safety panel ----------------------------------------------------------------------------


def test_the_panel_shows_the_stop_date_the_platelets_and_the_nadir_warning(
    clinician: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)
    services.safety_review_run(plan=plan, on=PLANNED, by=clinician)

    response = page(clinician, plan)

    panel = response.context["page"].panel
    assert panel.on == PLANNED
    rows = {row.result["code"]: row for row in panel.rows}
    assert rows["anticoagulant:apixaban"].result["last_day"] == "2026-03-12"
    assert rows["platelets"].status == "fail"
    assert rows["nadir"].status == "warn"
    text = response.text
    assert "Last dose on or before <strong>Thursday 12 Mar 2026</strong>" in text
    assert "Restart 24 h after the procedure" in text
    assert "Platelets 60 ×10⁹/L are below the minimum of 75" in text
    assert "10 days after chemotherapy on 2026-03-08" in text
    assert 'data-testid="safety-open"' in text


def test_the_panel_says_when_the_record_changed_since_the_review(
    clinician: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)
    services.safety_review_run(plan=plan, on=PLANNED, by=clinician)
    add_lab(patient, "platelets", "140")

    response = page(clinician, plan)

    assert response.context["page"].panel.stale
    assert 'data-testid="safety-stale"' in response.text


def test_overriding_from_the_panel_keeps_the_reason(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)
    review = services.safety_review_run(plan=plan, on=PLANNED, by=clinician)

    response = client_for(clinician).post(
        reverse("procedures:safety-override", args=[review.code]),
        {"check_code": "nadir", "reason": "Oncology agrees: ANC checked the day before"},
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.overrides["nadir"]["reason"] == "Oncology agrees: ANC checked the day before"
    assert "Oncology agrees" in page(clinician, plan).text


def test_an_override_without_a_reason_is_refused(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)
    review = services.safety_review_run(plan=plan, on=PLANNED, by=clinician)

    client_for(clinician).post(
        reverse("procedures:safety-override", args=[review.code]),
        {"check_code": "nadir", "reason": ""},
    )

    review.refresh_from_db()
    assert review.overrides == {}


def test_a_coordinator_reads_the_panel_without_override_or_run_buttons(
    clinician: User, coordinator: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)
    review = services.safety_review_run(plan=plan, on=PLANNED, by=clinician)

    text = page(coordinator, plan).text

    assert reverse("procedures:safety-override", args=[review.code]) not in text
    assert reverse("procedures:safety-review-run", args=[plan.code]) not in text
    assert "Platelets 60" in text


def test_the_plan_page_writes_an_access_log_entry(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)

    page(clinician, plan)

    entry = AccessLog.objects.get(action=AccessAction.VIEW, object_code=plan.code)
    assert (entry.actor, entry.patient_code) == (clinician, patient.code)


def test_a_restricted_patients_plan_does_not_exist_for_outsiders(clinician: User) -> None:
    from clinic.accounts.roles import Role
    from tests.conftest import make_user

    other = make_user(Role.CLINICIAN)
    secret = make_patient(by=other, primary_clinician=other, restricted=True)
    plan = propose(other, secret, planned_date=PLANNED)

    response = client_for(clinician).get(reverse("procedures:plan-detail", args=[plan.code]))

    assert response.status_code in (403, 404)
    assert "Celiac" not in response.text


def count_queries(user: User, plan: ProcedurePlan) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("procedures:plan-detail", args=[plan.code]))
    assert response.status_code == 200
    return len(captured)


def fill(patient: Patient, count: int) -> None:
    for number in range(count):
        add_medication(patient, "Apixaban", "5", started_on=dt.date(2025, 1, 1 + number % 28))
        add_medication(patient, "Ibuprofen", "400", started_on=dt.date(2025, 2, 1))
        add_medication(patient, "Oxycodone", "10", started_on=dt.date(2025, 2, 1))
        add_lab(patient, "platelets", str(100 + number))
        add_lab(patient, "inr", "1.1")
        add_oncology_event(patient, occurred_on=dt.date(2026, 3, 1), cycle_number=number + 1)


def test_the_plan_page_runs_the_same_queries_with_1_or_30_medications_and_labs(
    clinician: User, django_assert_max_num_queries: Any
) -> None:
    small, large = make_patient(by=clinician), make_patient(by=clinician)
    fill(small, 1)
    fill(large, 30)
    plans = [propose(clinician, p, planned_date=PLANNED) for p in (small, large)]
    for plan in plans:
        services.safety_review_run(plan=plan, on=PLANNED, by=clinician)

    assert count_queries(clinician, plans[0]) == count_queries(clinician, plans[1])
    client = client_for(clinician)
    with django_assert_max_num_queries(PLAN_PAGE_QUERIES):
        response = client.get(reverse("procedures:plan-detail", args=[plans[1].code]))
    assert response.status_code == 200


def test_a_performed_plans_page_runs_a_fixed_number_of_queries(
    clinician: User, django_assert_max_num_queries: Any
) -> None:
    patient = make_patient(by=clinician)
    fill(patient, 5)
    earlier = perform(
        clinician, patient, procedure_type=procedure_type("Celiac plexus block (diagnostic)")
    )
    later = perform(
        clinician, patient, stage="definitive", builds_on=earlier.plan, stage_override_reason="x"
    )

    client = client_for(clinician)
    with django_assert_max_num_queries(PLAN_PAGE_QUERIES):
        response = client.get(reverse("procedures:plan-detail", args=[later.plan.code]))
    assert response.status_code == 200


# --- transitions through the pages ---------------------------------------------------------------


def test_urgent_approval_from_the_page_is_flagged_with_the_request(
    clinician: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=PLANNED)

    response = client_for(clinician).post(
        reverse("procedures:plan-approve-urgent", args=[plan.code]),
        {"reason": "Uncontrolled pain, admitted; next meeting in 9 days"},
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    entry = AccessLog.objects.get(flagged=True)
    assert entry.path == reverse("procedures:plan-approve-urgent", args=[plan.code])
    assert entry.request_id is not None
    assert "urgent-flag" in page(clinician, plan).text


def test_a_transition_out_of_order_shows_the_error_and_changes_nothing(
    clinician: User, patient: Patient
) -> None:
    plan = services.plan_submit_for_mdt(by=clinician, plan=propose(clinician, patient))
    client = client_for(clinician)

    response = client.post(reverse("procedures:plan-submit", args=[plan.code]), follow=True)

    assert "cannot be submitted to the team meeting" in response.text
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (PlanStatus.AWAITING_MDT, 2)


def test_a_coordinator_schedules_but_cannot_record(
    clinician: User, coordinator: User, patient: Patient
) -> None:
    plan = services.plan_approve_urgently(
        plan=propose(clinician, patient, planned_date=PLANNED),
        by=clinician,
        reason="Admitted with uncontrolled pain",
    )
    client = client_for(coordinator)

    assert "Schedule" in page(coordinator, plan).text
    response = client.post(
        reverse("procedures:plan-schedule", args=[plan.code]), {"scheduled_date": "2026-03-19"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.scheduled_date) == (PlanStatus.SCHEDULED, dt.date(2026, 3, 19))
    assert client.get(reverse("procedures:procedure-record", args=[plan.code])).status_code == 403
    assert (
        client.post(
            reverse("procedures:plan-cancel", args=[plan.code]), {"reason": "x"}
        ).status_code
        == 403
    )


def test_recording_is_refused_on_the_page_until_every_check_is_cleared(
    clinician: User, patient: Patient, today: Any
) -> None:
    plan = approve_and_schedule(propose(clinician, patient, planned_date=TODAY), clinician)
    services.safety_review_run(plan=plan, on=TODAY, by=clinician)
    client = client_for(clinician)
    url = reverse("procedures:procedure-record", args=[plan.code])
    data = {
        "performed_at": "2026-03-16T08:45",
        "performed_by": str(clinician.code),
        "imaging_guidance": "ct",
        "had_complications": "no",
        "immediate_relief_percent": "70",
    }

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert 'data-testid="record-refused"' in refused.text
    assert "neither passed nor were overridden" in refused.text
    assert not FollowUp.objects.exists()

    clear_review(plan, clinician)
    recorded = client.post(url, data)

    assert recorded.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PERFORMED
    assert plan.follow_ups.count() == 3
    assert plan.record.immediate_relief_percent == 70


def test_complications_from_the_form(clinician: User, patient: Patient) -> None:
    plan = approve_and_schedule(propose(clinician, patient, planned_date=TODAY), clinician)
    clear_review(plan, clinician)

    response = client_for(clinician).post(
        reverse("procedures:procedure-record", args=[plan.code]),
        {
            "performed_at": "2026-03-16T08:45",
            "performed_by": str(clinician.code),
            "imaging_guidance": "ct",
            "had_complications": "yes",
            "complication_1": "Orthostatic hypotension",
            "severity_1": "moderate",
        },
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.record.complications == [
        {"description": "Orthostatic hypotension", "severity": "moderate"}
    ]


# --- discharge instructions ----------------------------------------------------------------------


def test_discharge_instructions_print_what_the_patient_needs(
    clinician: User, patient: Patient
) -> None:
    record = perform(clinician, patient)

    response = client_for(clinician).get(
        reverse("procedures:discharge-instructions", args=[record.plan.code])
    )

    text = response.text
    assert response.status_code == 200
    assert "Celiac plexus neurolysis, on Monday 16 March 2026" in text
    assert "Fainting, or dizziness that does not settle when you lie down" in text
    assert "on-call anaesthetist" in text
    assert "A phone check on Tuesday 17 March 2026." in text
    assert "Apixaban: restart no earlier than Tuesday 17 March, 08:59" in text
    entry = AccessLog.objects.get(action=AccessAction.PRINT)
    assert (entry.patient_code, entry.object_code) == (patient.code, record.plan.code)
    assert "onclick" not in text


def test_discharge_instructions_wait_for_the_record(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient)

    response = client_for(clinician).get(
        reverse("procedures:discharge-instructions", args=[plan.code])
    )

    assert response.status_code == 302
    assert not AccessLog.objects.filter(action=AccessAction.PRINT).exists()


# --- follow-ups ----------------------------------------------------------------------------------


def test_follow_ups_due_link_to_the_assessment_form(clinician: User, patient: Patient) -> None:
    follow_up = perform(clinician, patient).follow_ups.get(day=1)

    listing = client_for(clinician).get(reverse("procedures:followup-list"))
    detail = client_for(clinician).get(reverse("procedures:followup-detail", args=[follow_up.code]))

    assert reverse("procedures:followup-detail", args=[follow_up.code]) in listing.text
    expected = (
        reverse("assessments:assessment-create", kwargs={"patient_code": patient.code})
        + f"?context=post_procedure&amp;follow_up={follow_up.code}"
    )
    assert expected in detail.text


def test_a_phone_check_is_marked_done_from_its_page(clinician: User, patient: Patient) -> None:
    follow_up = perform(clinician, patient).follow_ups.get(day=1)

    response = client_for(clinician).post(
        reverse("procedures:followup-complete", args=[follow_up.code]),
        {"note": "Comfortable, no warning signs"},
    )

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.note) == ("done", "Comfortable, no warning signs")


def test_the_follow_up_list_shows_only_mine_when_asked(clinician: User) -> None:
    from clinic.accounts.roles import Role
    from tests.conftest import make_user

    other = make_user(Role.CLINICIAN)
    perform(clinician, operator=clinician)
    perform(clinician, operator=other)

    mine = client_for(clinician).get(
        reverse("procedures:followup-list"), {"mine": "on", "status": "pending"}
    )
    everyone = client_for(clinician).get(reverse("procedures:followup-list"))

    assert mine.context["page"].paginator.count == 3
    assert everyone.context["page"].paginator.count == 6
