"""Building the agenda: add, propose and accept, order, presenters, remove; late cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, ItemReason, ItemStatus
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    published,
    running,
)
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


def _order(meeting: object) -> list[int]:
    return list(
        AgendaItem.objects.filter(meeting=meeting, status=ItemStatus.ACCEPTED)
        .order_by("order")
        .values_list("pk", flat=True)
    )


def test_a_patient_is_on_an_agenda_once() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    patient = make_patient()
    add_case(meeting, coordinator, patient)

    with pytest.raises(services.MeetingError, match="already on this meeting's agenda"):
        add_case(meeting, coordinator, patient)
    assert meeting.items.count() == 1


def test_a_removed_case_can_be_added_again() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    patient = make_patient()
    first = add_case(meeting, coordinator, patient)
    services.item_remove(by=coordinator, item=first, reason="Added by mistake")

    again = add_case(meeting, coordinator, patient)

    assert again.status == ItemStatus.ACCEPTED
    first.refresh_from_db()
    assert (first.status, first.removed_reason) == (ItemStatus.REMOVED, "Added by mistake")


def test_a_case_added_after_the_deadline_is_allowed_but_marked_late() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator, deadline=timezone.now() - dt.timedelta(hours=1))
    on_time = make_meeting(coordinator, deadline=timezone.now() + dt.timedelta(hours=1))

    assert add_case(meeting, coordinator).late is True
    assert add_case(on_time, coordinator).late is False


def test_a_proposal_needs_a_question_and_waits_for_the_coordinator() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)

    with pytest.raises(services.MeetingError, match="Say what you would like"):
        add_case(meeting, clinician, proposed=True)
    proposal = add_case(meeting, clinician, proposed=True, question="Neurolysis now?")
    assert proposal.status == ItemStatus.PROPOSED
    assert _order(meeting) == []

    services.item_accept(by=coordinator, item=proposal)

    proposal.refresh_from_db()
    assert proposal.status == ItemStatus.ACCEPTED
    assert _order(meeting) == [proposal.pk]
    with pytest.raises(services.MeetingError, match="Only a proposed case"):
        services.item_accept(by=coordinator, item=proposal)


def test_moving_cases_up_and_down_renumbers_the_agenda() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    first, second, third = (add_case(meeting, coordinator) for _ in range(3))
    services.item_remove(by=coordinator, item=second, reason="Patient admitted elsewhere")

    services.item_move(by=coordinator, item=third, direction="up")
    assert _order(meeting) == [third.pk, first.pk]
    # At the top already: nothing moves.
    services.item_move(by=coordinator, item=third, direction="up")
    services.item_move(by=coordinator, item=first, direction="down")
    assert _order(meeting) == [third.pk, first.pk]
    services.item_move(by=coordinator, item=third, direction="down")
    assert _order(meeting) == [first.pk, third.pk]
    orders = list(
        meeting.items.filter(status="accepted").order_by("order").values_list("order", flat=True)
    )
    assert orders == [1, 2]
    with pytest.raises(services.MeetingError):
        services.item_move(by=coordinator, item=first, direction="sideways")


def test_a_presenter_becomes_an_attendee() -> None:
    coordinator = coordinator_user()
    presenter = clinician_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)

    services.item_update(
        by=coordinator,
        item=item,
        version=item.version,
        presenter=presenter,
        question="Intrathecal pump?",
        reason=ItemReason.OTHER,
    )

    item.refresh_from_db()
    assert (item.presenter, item.question) == (presenter, "Intrathecal pump?")
    assert meeting.attendance.filter(person=presenter).exists()


def test_once_published_only_the_presenter_of_a_case_can_change() -> None:
    coordinator = coordinator_user()
    presenter = clinician_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator, question="Original question")
    published(meeting, coordinator)
    item.refresh_from_db()

    with pytest.raises(services.MeetingError, match="frozen"):
        services.item_update(
            by=coordinator,
            item=item,
            version=item.version,
            presenter=None,
            question="A new question",
            reason=item.reason,
        )
    services.item_update(
        by=coordinator,
        item=item,
        version=item.version,
        presenter=presenter,
        question="Original question",
        reason=item.reason,
    )
    item.refresh_from_db()
    assert (item.question, item.presenter, item.summary["question"]) == (
        "Original question",
        presenter,
        "Original question",
    )


def test_a_case_added_to_a_published_agenda_is_frozen_at_once() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator)
    published(meeting, coordinator)

    late = add_case(meeting, coordinator, question="Added on the day")

    assert late.summary["question"] == "Added on the day"
    assert late.summary_frozen_at is not None


def test_a_discussed_case_cannot_be_removed() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)
    services.item_decide(
        by=coordinator, meeting=meeting, item=item, decision_kind="other", decision="Review"
    )
    with pytest.raises(services.MeetingError, match="stays in the minutes"):
        services.item_remove(by=coordinator, item=item, reason="Oops")


def test_a_closed_meeting_refuses_every_change_and_keeps_its_agenda() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)
    services.meeting_close(by=coordinator, meeting=meeting)
    item.refresh_from_db()
    before = (item.status, item.order, item.version)

    attempts = [
        lambda: add_case(meeting, coordinator),
        lambda: services.item_move(by=coordinator, item=item, direction="up"),
        lambda: services.item_remove(by=coordinator, item=item, reason="Late"),
        lambda: services.item_update(
            by=coordinator,
            item=item,
            version=item.version,
            presenter=None,
            question="",
            reason="other",
        ),
        lambda: services.meeting_publish(by=coordinator, meeting=meeting),
        lambda: services.meeting_update(
            by=coordinator, meeting=meeting, version=meeting.version, place="Elsewhere"
        ),
        lambda: services.meeting_cancel(by=coordinator, meeting=meeting, reason="Late"),
    ]
    for attempt in attempts:
        with pytest.raises(services.MeetingError, match="closed"):
            attempt()

    item.refresh_from_db()
    assert (item.status, item.order, item.version) == before
    assert meeting.items.count() == 1
