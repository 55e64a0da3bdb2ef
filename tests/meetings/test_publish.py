"""Publishing an agenda: frozen case summaries, attendees notified once, and its speed."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.reminders.models import Notification, Reminder, ReminderStatus
from meetings import services
from meetings.models import ItemReason, MeetingStatus
from meetings.notifications import MEETING_PUBLISHED
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    deliver_due,
    make_meeting,
    phq9,
    plan_awaiting,
    published,
    record_pain,
)
from tests.patients.helpers import (
    add_diagnosis,
    add_goal,
    add_lab,
    add_medication,
    make_patient,
)
from tests.procedures.helpers import clear_review

pytestmark = pytest.mark.django_db


def rich_patient(clinician: object) -> tuple[object, object]:
    """A patient with a record, two assessments (pain 4 then 7, PHQ-9 item 9) and a plan."""
    patient = make_patient(by=clinician, given_name="Maria", family_name="Lopez")
    add_diagnosis(patient)
    add_medication(patient, "Oxycodone", "10")
    add_lab(patient, "platelets", "180")
    add_goal(patient)
    now = timezone.now()
    record_pain(patient, clinician, 4, at=now - dt.timedelta(days=10))
    record_pain(
        patient,
        clinician,
        7,
        at=now - dt.timedelta(days=1),
        instruments=phq9(q9=1),
        body_map_regions=["front_abdomen_upper_right", "front_abdomen_upper_left"],
        worst_region="front_abdomen_upper_left",
    )
    plan = plan_awaiting(clinician, patient)
    clear_review(plan, clinician, on=plan.planned_date)
    return patient, plan


def test_publishing_freezes_each_case_summary() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    patient, plan = rich_patient(clinician)
    meeting = make_meeting(coordinator)
    item = add_case(
        meeting,
        coordinator,
        patient,
        reason=ItemReason.PROCEDURE_APPROVAL,
        question="Approve the neurolysis?",
        plan_code=plan.code,
    )

    meeting = published(meeting, coordinator)

    item.refresh_from_db()
    summary = item.summary
    assert meeting.status == MeetingStatus.PUBLISHED
    assert summary["patient"]["listing_name"] == "LOPEZ, Maria"
    assert summary["question"] == "Approve the neurolysis?"
    assert summary["diagnosis"].startswith("Pancreas, Adenocarcinoma, stage IV")
    assert summary["mme"]["scheduled"] == "30"  # oxycodone 10 mg twice a day × 1.5
    assert [lab["test"] for lab in summary["labs"]] == ["platelets"]
    assert summary["goals"][0]["words"] == "Walk to the park with my grandson"
    pain = summary["scores"][0]
    assert (pain["total"], pain["previous"], pain["change"], pain["worse"]) == (
        "7",
        "4",
        "↑ 3",
        True,
    )
    assert any(line["instrument"] == "phq9" for line in summary["scores"])
    assert summary["self_harm"]["flagged"] is True
    assert [point["value"] for point in summary["pain_series"]] == ["4", "7"]
    assert summary["pain_chart_svg"].startswith("<svg")
    assert "<script" not in summary["pain_chart_svg"]
    assert summary["body_map"]["worst"]
    assert len(summary["body_map"]["regions"]) == 2
    [frozen_plan] = summary["plans"]
    assert frozen_plan["code"] == str(plan.code)
    assert frozen_plan["status"] == "awaiting_mdt"
    assert frozen_plan["safety"] == "clear"


def test_a_frozen_summary_does_not_follow_later_changes_to_the_record() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    patient = make_patient(by=clinician)
    add_lab(patient, "platelets", "180")
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator, patient)
    published(meeting, coordinator)

    add_lab(patient, "platelets", "40", taken_at=timezone.now())
    services.meeting_publish(by=coordinator, meeting=meeting)

    item.refresh_from_db()
    assert [lab["value"] for lab in item.summary["labs"]] == ["180"]


def test_attendees_are_notified_once_in_the_app_and_by_email() -> None:
    coordinator = coordinator_user()
    guests = [clinician_user(), clinician_user()]
    meeting = make_meeting(coordinator, invitees=guests)
    add_case(meeting, coordinator)

    published(meeting, coordinator)
    add_case(meeting, coordinator)
    services.meeting_publish(by=coordinator, meeting=meeting)  # publishing the changes
    deliver_due()
    deliver_due()

    reminders = Reminder.objects.filter(kind=MEETING_PUBLISHED)
    assert reminders.count() == 3
    assert set(reminders.values_list("status", flat=True)) == {ReminderStatus.SENT}
    assert Notification.objects.filter(reminder__kind=MEETING_PUBLISHED).count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in [coordinator, *guests])
    # Emails say what to do, never which patients.
    assert all("agenda is published" in m.subject for m in mail.outbox)
    assert all("Patient" not in m.body for m in mail.outbox)


def test_publishing_an_empty_agenda_is_refused() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    with pytest.raises(services.MeetingError, match="at least one case"):
        services.meeting_publish(by=coordinator, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DRAFT
    assert not Reminder.objects.exists()


def _agenda_of(count: int, coordinator: object, clinician: object) -> object:
    meeting = make_meeting(coordinator)
    now = timezone.now()
    for number in range(count):
        patient = make_patient(by=clinician)
        add_diagnosis(patient)
        add_medication(patient, "Morphine", "20")
        add_lab(patient, "platelets", "150")
        add_goal(patient)
        record_pain(patient, clinician, 3, at=now - dt.timedelta(days=20))
        record_pain(patient, clinician, 6, at=now - dt.timedelta(days=2), instruments=phq9(q9=0))
        plan = plan_awaiting(clinician, patient)
        add_case(meeting, coordinator, patient, plan_code=plan.code, question=f"Case {number}")
    return meeting


def test_publishing_thirty_summaries_runs_a_fixed_number_of_queries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    small = _agenda_of(3, coordinator, clinician)
    large = _agenda_of(30, coordinator, clinician)
    published(_agenda_of(1, coordinator, clinician), coordinator)  # warm the content-type cache

    with CaptureQueriesContext(connection) as small_queries:
        published(small, coordinator)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as large_queries:
        published(large, coordinator)
    elapsed = time.perf_counter() - started

    with capsys.disabled():
        print(f"\npublishing 30 case summaries: {elapsed:.3f} s, {len(large_queries)} queries")
    # The time is reported, not asserted: speed belongs to benchmarks, not tests.
    # Only the notifications grow with the attendees (here the same one person), not the cases.
    assert len(large_queries) == len(small_queries)
    assert large.items.filter(summary__isnull=True).count() == 0
