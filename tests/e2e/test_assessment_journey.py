"""Journey 2 (DESIGN.md §5): a clinician records an assessment on one page — BPI, ESAS-r, PHQ-9
with item 9 = 1, DN4 and body-map regions — sees the scores while typing, saves, and finds the
banner, the urgent notification to the primary clinician and the new point on the chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Assessment
from clinic.accounts.roles import Role
from clinic.reminders import delivery
from clinic.reminders.models import Notification, Reminder
from tests.assessments.helpers import answers, record
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import give_authenticator, screenshot, sign_in, watch_csp
from tests.patients.helpers import add_medication, add_oncology_event, make_patient

BPI = {"worst": 8, "least": 3, "average": 6, "now": 5, "walking": 7, "mood": 5, "sleep": 6}
BPI_MORE = {"general_activity": 6, "work": 7, "relations": 3, "enjoyment": 6}
ESAS = {
    "pain": 6,
    "tiredness": 7,
    "drowsiness": 3,
    "nausea": 2,
    "appetite": 8,
    "shortness_of_breath": 0,
    "depression": 4,
    "anxiety": 5,
    "wellbeing": 6,
}
PHQ9 = {"q1": 2, "q2": 2, "q3": 3, "q4": 3, "q5": 1, "q6": 1, "q7": 2, "q8": 0, "q9": 1}
DN4_YES = {"burning", "electric_shocks", "tingling", "numbness", "hypoesthesia_pinprick"}
DN4_ITEMS = (
    "burning",
    "painful_cold",
    "electric_shocks",
    "tingling",
    "pins_and_needles",
    "numbness",
    "itching",
    "hypoesthesia_touch",
    "hypoesthesia_pinprick",
    "brushing",
)


def test_clinician_records_an_assessment_and_the_team_is_alerted(new_page: Any) -> None:
    clinician = make_user(Role.CLINICIAN, username="nadia", first_name="Nadia", last_name="Haddad")
    primary = make_user(Role.CLINICIAN, username="omar", first_name="Omar", last_name="Reyes")
    give_authenticator(clinician)
    give_authenticator(primary)
    patient = make_patient(
        by=clinician, given_name="Grace", family_name="Achebe", primary_clinician=primary
    )
    today = timezone.localdate()
    add_oncology_event(patient, occurred_on=today - dt.timedelta(days=20), cycle_number=3)
    add_medication(
        patient, "Oxycodone", "10", started_on=today - dt.timedelta(days=40), doses_per_day="2"
    )
    record(
        patient,
        by=clinician,
        at=timezone.now() - dt.timedelta(days=28),
        instruments={"bpi": answers("bpi", average=4), "esas_r": answers("esas_r")},
    )

    page = new_page()
    violations = watch_csp(page)
    sign_in(page, "nadia", PASSWORD)
    page.goto(f"/patients/{patient.code}/")
    page.get_by_role("link", name="Record assessment").click()
    expect(page.get_by_role("heading", name="Record an assessment")).to_be_visible()

    # The clinic's default set is ticked; this assessment drops GAD-7 and ECOG and adds DN4.
    expect(page.locator("#choose-bpi")).to_be_checked()
    page.locator("#choose-gad7").uncheck()
    page.locator("#choose-ecog").uncheck()
    page.locator("#choose-dn4").check()
    expect(page.locator("#instrument-dn4")).to_have_attribute("open", "")

    # BPI by keyboard: type a number, Tab to the next.
    page.locator("#id_bpi-worst").focus()
    for key in ("worst", "least", "average", "now"):
        page.keyboard.type(str(BPI[key]))
        page.keyboard.press("Tab")
    for key in ("walking", "mood", "sleep", *BPI_MORE):
        page.locator(f"#id_bpi-{key}").fill(str({**BPI, **BPI_MORE}[key]))
    # The severity mean updates as they type: (8 + 3 + 6 + 5) / 4 = 5.5.
    expect(page.get_by_test_id("total-bpi")).to_have_text("5.5")
    expect(page.get_by_test_id("live-pain")).to_have_text("6")

    for key, value in ESAS.items():
        page.locator(f"#id_esas_r-{key}").fill(str(value))
    expect(page.get_by_test_id("total-esas_r")).to_have_text(str(sum(ESAS.values())))

    for key, value in PHQ9.items():
        page.locator(f"#id_phq9-{key}_{value}").check()
    expect(page.get_by_test_id("total-phq9")).to_have_text(str(sum(PHQ9.values())))
    expect(page.locator("#live-scores [data-alert=phq9_self_harm]")).to_be_visible()

    for index, key in enumerate(DN4_ITEMS):
        choice = 0 if key in DN4_YES else 1
        page.locator(f"#id_dn4-{key}_{choice}").check()
        if index == 0:
            expect(page.locator("#choose-dn4")).to_be_checked()
    expect(page.get_by_test_id("total-dn4")).to_have_text("5")

    # The body map: click a region, Shift+click the worst, and one by keyboard.
    page.locator("[data-region=front_abdomen_upper_right]").click()
    page.locator("[data-region=back_lumbar_spine]").click(modifiers=["Shift"])
    # By keyboard: one tab stop for the figure, arrows between regions, Space to mark.
    page.locator("[data-region=back_neck]").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-region=back_upper_back_left]")).to_be_focused()
    page.locator("[data-region=back_thoracic_spine]").focus()
    page.keyboard.press("Space")
    expect(page.locator("[data-region=back_thoracic_spine]")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(page.locator("[data-region=back_lumbar_spine]")).to_have_class(
        "bodymap-region is-selected is-worst"
    )
    expect(page.locator("#id_worst_region")).to_have_value("back_lumbar_spine")
    page.get_by_label("Burning").check()
    page.get_by_label("Constant").check()
    page.get_by_label("Breakthrough", exact=True).check()
    page.get_by_label("Breakthrough episodes per day").fill("3")
    page.get_by_label("Suspected mechanism").select_option("mixed")
    screenshot(page, "assessment-record")

    page.get_by_role("button", name="Save assessment").click()

    # Back on the chart: the banner, the latest scores and the story chart with the new point.
    expect(page.get_by_text("The assessment is saved.")).to_be_visible()
    banner = page.locator(".self-harm-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("PHQ-9 item 9")
    expect(page.locator("[data-alert=severe_symptoms]")).to_contain_text("lack of appetite 8")
    expect(page.get_by_test_id("latest-pain")).to_have_text("6")
    expect(page.locator("#story-figure .story-panel-wrap svg")).to_have_count(3)
    screenshot(page, "assessment-chart-banner")

    assessment = Assessment.objects.get(patient=patient, context="review", pain_intensity=6)
    assert assessment.body_map_regions == [
        "front_abdomen_upper_right",
        "back_thoracic_spine",
        "back_lumbar_spine",
    ] or set(assessment.body_map_regions) == {
        "front_abdomen_upper_right",
        "back_thoracic_spine",
        "back_lumbar_spine",
    }
    assert assessment.worst_region == "back_lumbar_spine"
    assert {r.instrument for r in assessment.responses.all()} == {"bpi", "esas_r", "phq9", "dn4"}

    # The urgent notification, to the primary clinician, delivered as the worker would.
    alert = Reminder.objects.get(kind="phq9_self_harm", subject_code=assessment.code)
    assert alert.recipient == primary and alert.urgent
    delivery.reminders_dispatch(queue_send=lambda ids: delivery.reminders_deliver(reminder_ids=ids))
    assert Notification.objects.filter(recipient=primary, urgent=True).count() == 1

    # The story chart: two assessments in its table, the new one last.
    page.get_by_role("link", name="Story chart and table").click()
    expect(page.locator("#story-scores tbody tr")).to_have_count(2)
    expect(page.locator("#story-scores tbody tr").last).to_contain_text("6")
    expect(page.locator(".story-panel-wrap svg")).to_have_count(3)
    screenshot(page, "assessment-story-chart")
    page.emulate_media(media="print")
    screenshot(page, "assessment-story-chart-print")
    page.emulate_media(media="screen")

    # The list, with changes from the previous assessment, and the detail, side by side.
    page.get_by_role("link", name="All assessments").click()
    expect(page.locator(".assessment-list .change--worse").first).to_be_visible()
    screenshot(page, "assessment-list")
    page.locator(".assessment-list tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="PHQ-9", exact=True)).to_be_visible()
    expect(page.locator(".bodymap .is-worst")).to_have_count(1)
    screenshot(page, "assessment-detail")

    # The primary clinician finds the urgent item in the inbox.
    other = new_page()
    other_violations = watch_csp(other)
    sign_in(other, "omar", PASSWORD)
    other.goto("/reminders/inbox/")
    expect(
        other.get_by_text("Urgent: a questionnaire answer needs your review today")
    ).to_be_visible()
    screenshot(other, "assessment-notification-inbox")

    assert not violations, violations
    assert not other_violations, other_violations
