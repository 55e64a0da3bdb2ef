"""Meetings and weekly series: create, change (attendees told), cancel, keep a series ahead."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.reminders.models import Reminder
from meetings import services
from meetings.models import (
    AgendaItem,
    Attendance,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Weekday,
)
from meetings.notifications import MEETING_CHANGED
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    published,
)

pytestmark = pytest.mark.django_db


def test_creating_a_meeting_invites_the_chair_and_the_invitees() -> None:
    coordinator = coordinator_user()
    guests = [clinician_user(), clinician_user()]

    meeting = make_meeting(coordinator, invitees=guests)

    invited = set(Attendance.objects.filter(meeting=meeting).values_list("person_id", flat=True))
    assert invited == {coordinator.pk, *(g.pk for g in guests)}
    assert meeting.status == MeetingStatus.DRAFT
    assert Meeting.pgh_event_models["insert"].objects.filter(pgh_obj=meeting).exists()


def test_a_meeting_must_end_after_it_starts_and_have_a_place_or_link() -> None:
    coordinator = coordinator_user()
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            by=coordinator, starts_at=start, ends_at=start, chair=coordinator, place=""
        )
    assert set(error.value.error_dict) == {"ends_at", "place"}
    assert not Meeting.objects.exists()


def test_the_agenda_deadline_cannot_be_after_the_meeting() -> None:
    coordinator = coordinator_user()
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        make_meeting(coordinator, deadline=start + dt.timedelta(days=2))
    assert "agenda_deadline" in error.value.error_dict


def test_changing_a_published_meeting_tells_each_attendee_once_per_change() -> None:
    coordinator = coordinator_user()
    guest = clinician_user()
    meeting = make_meeting(coordinator, invitees=[guest])
    add_case(meeting, coordinator)
    meeting = published(meeting, coordinator)

    later = meeting.starts_at + dt.timedelta(hours=2)
    meeting = services.meeting_update(
        by=coordinator,
        meeting=meeting,
        version=meeting.version,
        starts_at=later,
        ends_at=later + dt.timedelta(hours=1),
    )
    # Saving again without changing the time or place tells nobody.
    services.meeting_update(
        by=coordinator, meeting=meeting, version=meeting.version, name="Weekly team meeting"
    )

    changed = Reminder.objects.filter(kind=MEETING_CHANGED)
    assert sorted(changed.values_list("recipient_id", flat=True)) == sorted(
        [coordinator.pk, guest.pk]
    )
    assert all("now" in title for title in changed.values_list("title", flat=True))


def test_changing_a_draft_tells_nobody() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator, invitees=[clinician_user()])
    services.meeting_update(
        by=coordinator, meeting=meeting, version=meeting.version, place="Room 5"
    )
    assert not Reminder.objects.filter(kind=MEETING_CHANGED).exists()


def test_a_stale_form_is_refused_and_changes_nothing() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    services.meeting_update(by=coordinator, meeting=meeting, version=1, place="Room 5")

    with pytest.raises(services.MeetingConflict):
        services.meeting_update(by=coordinator, meeting=meeting, version=1, place="Room 9")

    meeting.refresh_from_db()
    assert (meeting.place, meeting.version) == ("Room 5", 2)


def test_changing_the_invitees_keeps_recorded_attendance() -> None:
    coordinator = coordinator_user()
    first, second = clinician_user(), clinician_user()
    meeting = make_meeting(coordinator, invitees=[first])

    services.meeting_update(
        by=coordinator, meeting=meeting, version=meeting.version, invitees=[second]
    )

    invited = set(meeting.attendance.values_list("person_id", flat=True))
    assert invited == {coordinator.pk, second.pk}


def test_cancelling_moves_the_cases_to_the_next_meeting_and_tells_attendees() -> None:
    coordinator = coordinator_user()
    guest = clinician_user()
    meeting = make_meeting(coordinator, invitees=[guest])
    following = make_meeting(coordinator, starts_in=dt.timedelta(days=10))
    case = add_case(meeting, coordinator, question="Block or not?")
    proposal = add_case(meeting, guest, proposed=True, question="Please discuss")
    published(meeting, coordinator)

    services.meeting_cancel(by=coordinator, meeting=meeting, reason="Bank holiday")

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    moved = {item.patient_id: item for item in following.items.all()}
    assert moved[case.patient_id].status == ItemStatus.ACCEPTED
    assert moved[case.patient_id].question == "Block or not?"
    assert moved[case.patient_id].carried_from_id == case.pk
    assert moved[proposal.patient_id].status == ItemStatus.PROPOSED
    cancelled = Reminder.objects.filter(kind=MEETING_CHANGED)
    assert set(cancelled.values_list("recipient_id", flat=True)) == {coordinator.pk, guest.pk}
    assert all(r.urgent and "cancelled" in r.title for r in cancelled)


def test_cancelling_needs_a_reason_and_a_meeting_not_started() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    with pytest.raises(services.MeetingError, match="Say why"):
        services.meeting_cancel(by=coordinator, meeting=meeting, reason="  ")
    add_case(meeting, coordinator)
    published(meeting, coordinator)
    services.meeting_start(by=coordinator, meeting=meeting)
    with pytest.raises(services.MeetingError, match="started"):
        services.meeting_cancel(by=coordinator, meeting=meeting, reason="Fire alarm")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.IN_PROGRESS


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_a_series_keeps_its_coming_meetings_created_once() -> None:
    coordinator = coordinator_user()
    guest = clinician_user()

    series = services.series_create(
        by=coordinator,
        weekday=Weekday.WEDNESDAY,
        start_time=dt.time(13, 0),
        chair=coordinator,
        place="Seminar room 2",
        weeks_ahead=3,
        deadline_days_before=2,
        invitees=[guest],
    )

    starts = list(series.meetings.order_by("starts_at").values_list("starts_at", flat=True))
    assert [s.date() for s in starts] == [
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 11),
        dt.date(2026, 3, 18),
    ]
    first = series.meetings.order_by("starts_at").first()
    assert first.agenda_deadline == first.starts_at - dt.timedelta(days=2)
    assert set(first.attendance.values_list("person_id", flat=True)) == {coordinator.pk, guest.pk}
    # Running again the same day creates nothing; a week later, one more.
    assert services.series_fill_all() == 0
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC), tick=False):
        assert services.series_fill_all() == 1
    assert series.meetings.count() == 4


def test_a_stopped_series_creates_no_more_meetings() -> None:
    coordinator = coordinator_user()
    series = services.series_create(
        by=coordinator,
        weekday=Weekday.MONDAY,
        start_time=dt.time(8, 0),
        chair=coordinator,
        video_link="https://video.example.org/mdt",
        weeks_ahead=1,
    )
    services.series_stop(by=coordinator, series=series)
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        assert services.series_fill_all() == 0
    with pytest.raises(services.MeetingError):
        services.series_stop(by=coordinator, series=series)


def test_a_carried_case_keeps_the_link_to_where_it_came_from() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    case = add_case(meeting, coordinator, reason=ItemReason.WORSENING_PAIN)
    services.meeting_cancel(by=coordinator, meeting=meeting, reason="Sickness")

    carried = AgendaItem.objects.get(carried_from=case)
    assert carried.reason == ItemReason.CARRIED_OVER
    assert "Worsening pain" in carried.reason_detail
    case.refresh_from_db()
    assert case.status == ItemStatus.DEFERRED
