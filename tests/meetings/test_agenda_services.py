"""Building the agenda: add, propose and accept, order, presenters, remove; late cases; the
suggested cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from assessments import services as assessment_services
from meetings import selectors, services
from meetings.models import AgendaItem, ItemReason, ItemStatus, Meeting
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    phq9,
    published,
    record_pain,
    running,
)
from tests.patients.helpers import make_patient
from tests.procedures.helpers import perform

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


# --- suggested cases -----------------------------------------------------------------------------


def _last_meeting_held(coordinator: Any, days_ago: int) -> Meeting:
    """A meeting held `days_ago` days ago and closed: "since the last meeting" starts there."""
    meeting = make_meeting(coordinator, starts_in=dt.timedelta(days=-days_ago))
    add_case(meeting, coordinator)
    return services.meeting_close(by=coordinator, meeting=running(meeting, coordinator))


def _suggested(meeting: Meeting, user: Any, reason: str) -> list[Any]:
    return [
        case.patient
        for case in selectors.suggestions(meeting, user=user)
        if any(suggestion.reason == reason for suggestion in case.suggestions)
    ]


def test_a_self_harm_answer_since_the_last_meeting_is_suggested_once_per_patient() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    _last_meeting_held(coordinator, days_ago=7)
    meeting = make_meeting(coordinator)
    now = timezone.now()
    flagged = make_patient(by=clinician)
    record_pain(flagged, clinician, 4, at=now - dt.timedelta(days=3), instruments=phq9(q9=1))
    record_pain(flagged, clinician, 4, at=now - dt.timedelta(days=1), instruments=phq9(q9=2))
    before_the_last_meeting = make_patient(by=clinician)
    record_pain(
        before_the_last_meeting, clinician, 4, at=now - dt.timedelta(days=9), instruments=phq9(2)
    )
    answered_zero = make_patient(by=clinician)
    record_pain(answered_zero, clinician, 4, at=now - dt.timedelta(days=1), instruments=phq9(0))

    cases = [
        case
        for case in selectors.suggestions(meeting, user=coordinator)
        if case.primary.reason == ItemReason.SELF_HARM_FLAG
    ]

    assert [case.patient for case in cases] == [flagged]
    day = date_format(timezone.localdate(now - dt.timedelta(days=1)), "j M Y")
    assert cases[0].detail == f"PHQ-9 item 9 (thoughts of self-harm) above 0 on {day}"


def test_a_self_harm_answer_entered_in_error_is_not_suggested() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    patient = make_patient(by=clinician)
    wrong = record_pain(
        patient, clinician, 4, at=timezone.now() - dt.timedelta(days=1), instruments=phq9(q9=3)
    )
    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == [patient]

    assessment_services.assessment_mark_in_error(
        by=clinician, assessment=wrong, reason="Entered for the wrong patient"
    )

    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == []


def test_a_self_harm_answer_taken_back_by_an_edit_is_not_suggested() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    patient = make_patient(by=clinician)
    at = timezone.now() - dt.timedelta(hours=2)
    assessment = record_pain(patient, clinician, 4, at=at, instruments=phq9(q9=1))

    assessment_services.assessment_update(
        by=clinician,
        assessment=assessment,
        version=assessment.version,
        instruments={"nrs": {"score": 4}, **phq9(q9=0)},
    )

    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == []


def test_a_restricted_record_is_suggested_only_to_its_care_team() -> None:
    coordinator = coordinator_user()
    in_the_team = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    patient = make_patient(by=clinician, restricted=True, care_team=[clinician, in_the_team])
    at = timezone.now() - dt.timedelta(days=1)
    record_pain(patient, clinician, 4, at=at, instruments=phq9(q9=2))
    record_pain(patient, clinician, 9, at=at + dt.timedelta(hours=1))
    perform(clinician, patient)  # follow-ups due from tomorrow

    for reason in (
        ItemReason.SELF_HARM_FLAG,
        ItemReason.WORSENING_PAIN,
        ItemReason.POST_PROCEDURE_REVIEW,
    ):
        assert _suggested(meeting, coordinator, reason) == [], reason
        assert _suggested(meeting, in_the_team, reason) == [patient], reason


def test_a_follow_up_due_is_suggested_with_its_procedure_until_it_is_on_the_agenda() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    record = perform(clinician, make_patient(by=clinician))
    patient = record.plan.patient
    first = record.follow_ups.order_by("due_date", "id").first()
    assert first is not None

    cases = [
        case
        for case in selectors.suggestions(meeting, user=coordinator)
        if case.primary.reason == ItemReason.POST_PROCEDURE_REVIEW
    ]

    assert [case.patient for case in cases] == [patient]
    day = date_format(first.due_date, "j M Y")
    assert cases[0].detail == (
        f"{first.get_kind_display()} after {record.plan.procedure_type.name} due on {day}"
    )
    add_case(meeting, coordinator, patient)
    assert _suggested(meeting, coordinator, ItemReason.POST_PROCEDURE_REVIEW) == []


def test_cases_already_listed_do_not_take_the_place_of_others(monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "SUGGESTIONS_PER_REASON", 1)
    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    now = timezone.now()
    listed, waiting = make_patient(by=clinician), make_patient(by=clinician)
    for patient, hours in ((waiting, 3), (listed, 1)):  # the listed patient is the newest
        record_pain(patient, clinician, 2, at=now - dt.timedelta(days=2))
        record_pain(patient, clinician, 8, at=now - dt.timedelta(hours=hours))
    add_case(meeting, coordinator, listed)

    assert _suggested(meeting, coordinator, ItemReason.WORSENING_PAIN) == [waiting]


# --- suggestions kept between requests -----------------------------------------------------------


def _flagged_patient(clinician: Any, **fields: Any) -> Any:
    patient = make_patient(by=clinician, **fields)
    at = timezone.now() - dt.timedelta(days=1)
    record_pain(patient, clinician, 4, at=at, instruments=phq9(q9=2))
    return patient


def test_suggestions_are_searched_once_while_nothing_searched_changes(
    django_assert_max_num_queries: Any,
) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    patient = _flagged_patient(clinician_user())
    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == [patient]

    # The cases listed, the searched tables' state, and the suggested patients as they are now.
    with django_assert_max_num_queries(3):
        assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == [patient]


def test_a_new_flag_is_suggested_at_the_next_request() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    first = _flagged_patient(clinician)
    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == [first]

    second = _flagged_patient(clinician)

    assert set(_suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG)) == {first, second}


def test_names_and_the_right_to_open_are_read_afresh_even_from_kept_suggestions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from meetings import sources
    from patients.models import Patient

    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    patient = _flagged_patient(clinician, family_name="Before")
    # As if a change had not reached the searched tables' state (two commits out of order).
    monkeypatch.setattr(sources, "latest_changes", lambda: ("frozen",))
    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == [patient]

    Patient.objects.filter(pk=patient.pk).update(family_name="After")
    renamed = _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG)
    assert [p.family_name for p in renamed] == ["After"]
    Patient.objects.filter(pk=patient.pk).update(restricted=True)

    assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == []


def test_kept_suggestions_are_searched_again_after_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time_machine

    from meetings import sources

    coordinator = coordinator_user()
    clinician = clinician_user()
    meeting = make_meeting(coordinator)
    monkeypatch.setattr(sources, "latest_changes", lambda: ("frozen",))
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == []
        patient = _flagged_patient(clinician)
        assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == []

        traveller.shift(dt.timedelta(seconds=selectors.SUGGESTIONS_KEPT_SECONDS + 1))

        assert _suggested(meeting, coordinator, ItemReason.SELF_HARM_FLAG) == [patient]
