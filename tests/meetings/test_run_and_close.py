"""Running a meeting (decisions, plan approval, attendance, actions) and closing it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from clinic.accounts.models import Discipline
from clinic.reminders.models import Notification, Reminder, ReminderStatus
from meetings import selectors, services
from meetings.models import (
    ActionStatus,
    AgendaItem,
    AttendanceStatus,
    DecisionKind,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
)
from meetings.notifications import ACTION_DUE
from patients.models import ClinicPolicy
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    deliver_due,
    make_meeting,
    plan_awaiting,
    running,
)
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


def test_approving_a_plan_from_a_decision_moves_the_plan_to_approved() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    plan = plan_awaiting(clinician)
    meeting = make_meeting(coordinator)
    item = add_case(
        meeting,
        coordinator,
        plan.patient,
        reason=ItemReason.PROCEDURE_APPROVAL,
        plan_code=plan.code,
    )
    running(meeting, coordinator)

    item = services.item_decide(
        by=clinician,
        meeting=meeting,
        item=item,
        decision_kind=DecisionKind.APPROVE_PLAN,
        discussion="Diagnostic block gave 70 % relief.",
    )

    plan.refresh_from_db()
    assert plan.status == "approved"
    assert plan.approval_source == "meeting"
    assert plan.approved_by == clinician
    assert str(meeting.code) in plan.approval_reference
    assert (item.status, item.decided_by) == (ItemStatus.DISCUSSED, clinician)
    assert AgendaItem.pgh_event_models["update"].objects.filter(pgh_obj=item).exists()


def test_approving_a_plan_not_awaiting_approval_is_refused_and_changes_nothing() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    from tests.procedures.helpers import propose

    plan = propose(clinician)  # proposed, never submitted to the team
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator, plan.patient, plan_code=plan.code)
    running(meeting, coordinator)

    with pytest.raises(services.MeetingError, match="cannot be approved by a team meeting"):
        services.item_decide(
            by=coordinator, meeting=meeting, item=item, decision_kind=DecisionKind.APPROVE_PLAN
        )

    plan.refresh_from_db()
    item.refresh_from_db()
    assert plan.status == "proposed"
    assert (item.status, item.decision_kind, item.version) == (ItemStatus.ACCEPTED, "", 1)


def test_approving_needs_a_plan_of_this_patient() -> None:
    coordinator = coordinator_user()
    clinician = clinician_user()
    other_plan = plan_awaiting(clinician)
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)

    with pytest.raises(services.MeetingError, match="Choose the procedure plan"):
        services.item_decide(
            by=coordinator, meeting=meeting, item=item, decision_kind=DecisionKind.APPROVE_PLAN
        )
    with pytest.raises(services.MeetingError, match="not one of this patient's plans"):
        services.item_decide(
            by=coordinator,
            meeting=meeting,
            item=item,
            decision_kind=DecisionKind.APPROVE_PLAN,
            plan_code=other_plan.code,
        )
    other_plan.refresh_from_db()
    assert other_plan.status == "awaiting_mdt"


def test_a_decision_on_a_case_of_another_meeting_is_refused() -> None:
    coordinator = coordinator_user()
    this = make_meeting(coordinator)
    other = make_meeting(coordinator, starts_in=dt.timedelta(days=9))
    add_case(this, coordinator)
    stranger = add_case(other, coordinator)
    running(this, coordinator)
    running(other, coordinator)

    with pytest.raises(services.MeetingError, match="another meeting"):
        services.item_decide(
            by=coordinator, meeting=this, item=stranger, decision_kind="other", decision="x"
        )
    stranger.refresh_from_db()
    assert stranger.status == ItemStatus.ACCEPTED


def test_decisions_are_recorded_during_the_meeting_only() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    with pytest.raises(services.MeetingError, match="Start the meeting first"):
        services.item_decide(
            by=coordinator, meeting=meeting, item=item, decision_kind="refer", decision="Psych"
        )
    running(meeting, coordinator)
    with pytest.raises(services.MeetingError, match="Say what the team decided"):
        services.item_decide(by=coordinator, meeting=meeting, item=item, decision_kind="refer")
    services.meeting_close(by=coordinator, meeting=meeting)
    with pytest.raises(services.MeetingError, match="closed"):
        services.item_decide(
            by=coordinator, meeting=meeting, item=item, decision_kind="refer", decision="Psych"
        )


def test_the_meeting_is_quorate_when_every_required_discipline_is_present() -> None:
    coordinator = coordinator_user()
    pain = clinician_user(Discipline.PAIN_ANAESTHESIA)
    palliative = clinician_user(Discipline.PALLIATIVE_CARE)
    policy = ClinicPolicy.objects.get_or_create(singleton=True)[0]
    policy.quorum_disciplines = [Discipline.PAIN_ANAESTHESIA, Discipline.PALLIATIVE_CARE]
    policy.save()
    meeting = make_meeting(coordinator, invitees=[pain, palliative])
    add_case(meeting, coordinator)
    running(meeting, coordinator)

    services.attendance_record(
        by=coordinator,
        meeting=meeting,
        statuses={pain.pk: AttendanceStatus.PRESENT, palliative.pk: AttendanceStatus.APOLOGIES},
    )
    page = selectors.run_page(meeting, user=coordinator)
    assert not page.quorum.quorate
    assert page.quorum.missing == (Discipline.PALLIATIVE_CARE,)

    oncologist = clinician_user(Discipline.ONCOLOGY)
    services.attendance_record(
        by=coordinator,
        meeting=meeting,
        statuses={palliative.pk: AttendanceStatus.PRESENT},
        add=[oncologist],
    )
    page = selectors.run_page(meeting, user=coordinator)
    assert page.quorum.quorate
    assert meeting.attendance.get(person=oncologist).status == AttendanceStatus.PRESENT


def test_closing_carries_undiscussed_and_deferred_cases_over_and_fixes_the_minutes() -> None:
    coordinator = coordinator_user()
    owner = clinician_user()
    meeting = make_meeting(coordinator, invitees=[owner])
    following = make_meeting(coordinator, starts_in=dt.timedelta(days=10))
    decided = add_case(meeting, coordinator, question="Pump refill?")
    deferred = add_case(meeting, coordinator, question="Await the MRI")
    undiscussed = add_case(meeting, coordinator, question="Neurolysis?")
    proposal = add_case(meeting, owner, proposed=True, question="Please see")
    running(meeting, coordinator)
    services.attendance_record(
        by=coordinator, meeting=meeting, statuses={owner.pk: AttendanceStatus.PRESENT}
    )
    services.item_decide(
        by=coordinator,
        meeting=meeting,
        item=decided,
        decision_kind="change_medication",
        decision="Increase the pump rate by 10 %",
    )
    services.item_decide(by=coordinator, meeting=meeting, item=deferred, decision_kind="defer")
    action = services.action_add(
        by=coordinator,
        meeting=meeting,
        item=decided,
        owner=owner,
        what="Book the refill clinic",
        due_date=timezone.localdate() + dt.timedelta(days=5),
    )

    meeting = services.meeting_close(by=coordinator, meeting=meeting)

    assert meeting.status == MeetingStatus.CLOSED
    carried = {item.carried_from_id: item for item in following.items.all()}
    assert set(carried) == {deferred.pk, undiscussed.pk, proposal.pk}
    assert carried[undiscussed.pk].status == ItemStatus.ACCEPTED
    assert carried[proposal.pk].status == ItemStatus.PROPOSED
    assert all(item.reason == ItemReason.CARRIED_OVER for item in carried.values())
    undiscussed.refresh_from_db()
    assert undiscussed.status == ItemStatus.DEFERRED
    # Who was not recorded counts as absent; the minutes keep what was decided.
    assert meeting.attendance.get(person=coordinator).status == AttendanceStatus.ABSENT
    minutes = meeting.minutes
    by_code = {case["code"]: case for case in minutes["cases"]}
    assert by_code[str(decided.code)]["decision"] == "Increase the pump rate by 10 %"
    assert by_code[str(decided.code)]["actions"][0]["what"] == "Book the refill clinic"
    assert by_code[str(undiscussed.code)]["carried_over"] is True
    assert str(proposal.code) not in by_code
    # The minutes are fixed: marking the action done or renaming its owner changes nothing.
    services.action_done(by=owner, action=action)
    owner.last_name = "Renamed"
    owner.save()
    meeting.refresh_from_db()
    assert meeting.minutes == minutes


def test_closing_without_a_next_meeting_creates_one_a_week_later() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator, starts_in=dt.timedelta(hours=-1))
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)

    services.meeting_close(by=coordinator, meeting=meeting)

    following = Meeting.objects.exclude(pk=meeting.pk).get()
    assert following.starts_at == meeting.starts_at + dt.timedelta(days=7)
    assert following.items.get().carried_from == item


def test_only_a_meeting_in_progress_can_be_closed() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    with pytest.raises(services.MeetingError, match="in progress"):
        services.meeting_close(by=coordinator, meeting=meeting)


def test_an_action_owner_is_reminded_once_the_day_before_at_eight() -> None:
    coordinator = coordinator_user()
    owner = clinician_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)
    due = timezone.localdate() + dt.timedelta(days=4)
    action = services.action_add(
        by=coordinator, meeting=meeting, item=item, owner=owner, what="Call the GP", due_date=due
    )
    services.meeting_close(by=coordinator, meeting=meeting)
    deliver_due()  # what was due already (the agenda's notifications)

    reminder = Reminder.objects.get(kind=ACTION_DUE)
    expected = timezone.make_aware(dt.datetime.combine(due - dt.timedelta(days=1), dt.time(8)))
    assert (reminder.recipient, reminder.due_at, reminder.subject_code) == (
        owner,
        expected,
        action.code,
    )
    mail.outbox.clear()
    with time_machine.travel(expected + dt.timedelta(minutes=1)):
        assert deliver_due() == 1
        assert deliver_due() == 0
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert Notification.objects.filter(recipient=owner, reminder=reminder).count() == 1


def test_an_action_done_before_its_reminder_is_not_reminded() -> None:
    coordinator = coordinator_user()
    owner = clinician_user()
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator)
    running(meeting, coordinator)
    action = services.action_add(
        by=coordinator,
        meeting=meeting,
        owner=owner,
        what="Write to the oncologist",
        due_date=timezone.localdate() + dt.timedelta(days=3),
    )
    services.meeting_close(by=coordinator, meeting=meeting)

    action = services.action_done(by=owner, action=action)

    assert action.status == ActionStatus.DONE
    assert Reminder.objects.get(kind=ACTION_DUE).status == ReminderStatus.CANCELLED
    with pytest.raises(services.MeetingError, match="already done"):
        services.action_done(by=owner, action=action)


def test_an_action_needs_a_future_date_and_a_case_of_this_meeting() -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    other = make_meeting(coordinator, starts_in=dt.timedelta(days=8))
    stranger = add_case(other, coordinator, make_patient())
    add_case(meeting, coordinator)
    running(meeting, coordinator)
    with pytest.raises(services.MeetingError, match="has passed"):
        services.action_add(
            by=coordinator,
            meeting=meeting,
            owner=coordinator,
            what="Too late",
            due_date=timezone.localdate() - dt.timedelta(days=1),
        )
    with pytest.raises(services.MeetingError, match="another meeting"):
        services.action_add(
            by=coordinator,
            meeting=meeting,
            item=stranger,
            owner=coordinator,
            what="Wrong case",
            due_date=timezone.localdate(),
        )
    assert not meeting.actions.exists()
