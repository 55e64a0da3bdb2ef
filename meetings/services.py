"""Writes of the meetings app: meetings and series, the agenda, the meeting itself, actions.

Every function locks the meeting row it changes (`select_for_update`), so two coordinators
ordering the agenda, or a decision recorded while the meeting closes, cannot interleave. Rules
that are broken raise `MeetingError` with a message a clinician can read; nothing is saved then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from meetings import notifications, sources
from meetings.models import (
    AGENDA_STATUSES,
    FROZEN_STATUSES,
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    DecisionKind,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingSeries,
    MeetingStatus,
)
from meetings.selectors import minutes_snapshot
from meetings.summaries import build_summaries
from patients.models import Patient


class MeetingError(ValueError):
    """A change to a meeting that breaks a rule; the message says which."""


class MeetingConflict(MeetingError):
    """Someone else saved this meeting or item since the form was opened."""


MEETING_FIELDS = (
    "name",
    "starts_at",
    "ends_at",
    "place",
    "video_link",
    "chair",
    "agenda_deadline",
)
# What attendees are told about when it changes on a published meeting.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "place", "video_link")


def _validation_message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _lock_item(item: AgendaItem) -> tuple[Meeting, AgendaItem]:
    meeting = _lock(item.meeting)
    locked = AgendaItem.objects.select_for_update().select_related("patient").get(pk=item.pk)
    return meeting, locked


def _require_open(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise MeetingError(_("This meeting is closed: its agenda and minutes cannot change."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError(_("This meeting was cancelled: it cannot change."))


def _require_in_progress(meeting: Meeting) -> None:
    _require_open(meeting)
    if meeting.status != MeetingStatus.IN_PROGRESS:
        raise MeetingError(_("Start the meeting first: decisions are recorded during it."))


def _local_day(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y")


# --- meetings ------------------------------------------------------------------------------------


def _invite(meeting: Meeting, people: Iterable[User]) -> None:
    rows = [
        Attendance(meeting=meeting, person=person, discipline=person.discipline)
        for person in {person.pk: person for person in people}.values()
    ]
    Attendance.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def meeting_create(
    *,
    by: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    chair: User,
    place: str = "",
    video_link: str = "",
    agenda_deadline: dt.datetime | None = None,
    invitees: Iterable[User] = (),
    name: str = "",
    series: MeetingSeries | None = None,
) -> Meeting:
    meeting = Meeting(
        starts_at=starts_at,
        ends_at=ends_at,
        chair=chair,
        place=place.strip(),
        video_link=video_link.strip(),
        agenda_deadline=agenda_deadline,
        series=series,
        created_by=by,
    )
    if name.strip():
        meeting.name = name.strip()
    meeting.full_clean(exclude=["series"], validate_constraints=False)
    meeting.save()
    _invite(meeting, [chair, *invitees])
    return meeting


@transaction.atomic
def meeting_update(
    *,
    by: User,
    meeting: Meeting,
    version: int,
    invitees: Iterable[User] | None = None,
    **fields: Any,
) -> Meeting:
    """Change a draft or published meeting; attendees hear of a new time or place."""
    locked = _lock(meeting)
    _require_open(locked)
    if locked.status == MeetingStatus.IN_PROGRESS:
        raise MeetingError(_("The meeting has started: its time and place can no longer change."))
    if locked.version != version:
        raise MeetingConflict(
            _("This meeting was changed by someone else while you were editing. Nothing was saved.")
        )
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown meeting fields: {sorted(unknown)}")
    before = {name: getattr(locked, name) for name in NOTIFIED_FIELDS}
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    try:
        locked.full_clean(exclude=["series"], validate_constraints=False)
    except ValidationError as error:
        raise MeetingError(_validation_message(error)) from error
    locked.version += 1
    locked.save()
    if invitees is not None:
        _set_invitees(locked, [locked.chair, *invitees])
    changed = any(getattr(locked, name) != before[name] for name in NOTIFIED_FIELDS)
    if changed and locked.status == MeetingStatus.PUBLISHED:
        notifications.notify_changed(locked, _attendees(locked), cancelled=False)
    return locked


def _set_invitees(meeting: Meeting, people: Sequence[User]) -> None:
    wanted = {person.pk for person in people}
    # Invitations not answered yet may be withdrawn; recorded attendance stays.
    Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.EXPECTED).exclude(
        person_id__in=wanted
    ).delete()
    _invite(meeting, people)


def _attendees(meeting: Meeting) -> list[User]:
    return list(
        User.objects.filter(meeting_attendance__meeting=meeting, is_active=True).order_by("pk")
    )


@transaction.atomic
def meeting_cancel(*, by: User, meeting: Meeting, reason: str) -> Meeting:
    """Cancel a meeting not yet started; its cases move to the next meeting."""
    locked = _lock(meeting)
    _require_open(locked)
    if locked.status == MeetingStatus.IN_PROGRESS:
        raise MeetingError(_("The meeting has started: close it instead of cancelling it."))
    reason = " ".join(reason.split())
    if not reason:
        raise MeetingError(_("Say why the meeting is cancelled."))
    now = timezone.now()
    was_published = locked.status == MeetingStatus.PUBLISHED
    locked.status = MeetingStatus.CANCELLED
    locked.cancelled_at = now
    locked.cancel_reason = reason[:300]
    locked.version += 1
    locked.save()
    pending = list(
        locked.items.filter(status__in=(ItemStatus.PROPOSED, ItemStatus.ACCEPTED)).select_related(
            "patient"
        )
    )
    if pending:
        _carry_over(locked, pending, by=by, now=now)
    notifications.cancel_published_reminders(locked, reason=_("The meeting was cancelled."))
    if was_published:
        notifications.notify_changed(locked, _attendees(locked), cancelled=True)
    return locked


# --- series --------------------------------------------------------------------------------------


def _series_dates(series: MeetingSeries, now: dt.datetime) -> list[dt.datetime]:
    """The starts of the series' next `weeks_ahead` meetings after `now`."""
    today = timezone.localdate(now)
    days_until = (series.weekday - today.weekday()) % 7
    first = today + dt.timedelta(days=days_until)
    starts: list[dt.datetime] = []
    day = first
    while len(starts) < series.weeks_ahead:
        start = timezone.make_aware(dt.datetime.combine(day, series.start_time))
        if start > now:
            starts.append(start)
        day += dt.timedelta(days=7)
    return starts


@transaction.atomic
def series_create(
    *,
    by: User,
    weekday: int,
    start_time: dt.time,
    chair: User,
    duration_minutes: int = 90,
    place: str = "",
    video_link: str = "",
    deadline_days_before: int = 2,
    weeks_ahead: int = 4,
    invitees: Iterable[User] = (),
    name: str = "",
    now: dt.datetime | None = None,
) -> MeetingSeries:
    series = MeetingSeries(
        weekday=weekday,
        start_time=start_time,
        chair=chair,
        duration_minutes=duration_minutes,
        place=place.strip(),
        video_link=video_link.strip(),
        deadline_days_before=deadline_days_before,
        weeks_ahead=weeks_ahead,
        created_by=by,
    )
    if name.strip():
        series.name = name.strip()
    series.full_clean(validate_constraints=False)
    series.save()
    series.invitees.set(list(invitees))
    series_fill(series=series, by=by, now=now)
    return series


@transaction.atomic
def series_fill(
    *, series: MeetingSeries, by: User | None = None, now: dt.datetime | None = None
) -> list[Meeting]:
    """Create the series' meetings of the coming weeks that do not exist yet (idempotent)."""
    now = now or timezone.now()
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    if not series.active:
        return []
    existing = set(
        Meeting.objects.filter(series=series, starts_at__gt=now).values_list("starts_at", flat=True)
    )
    invitees = list(series.invitees.filter(is_active=True))
    created = []
    for start in _series_dates(series, now):
        if start in existing:
            continue
        deadline = start - dt.timedelta(days=series.deadline_days_before)
        created.append(
            meeting_create(
                by=by or series.created_by,
                name=series.name,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=series.duration_minutes),
                chair=series.chair,
                place=series.place,
                video_link=series.video_link,
                agenda_deadline=deadline if deadline < start else None,
                invitees=invitees,
                series=series,
            )
        )
    return created


def series_fill_all(*, now: dt.datetime | None = None) -> int:
    """Keep every active series' coming meetings created (the daily task)."""
    count = 0
    for series in MeetingSeries.objects.filter(active=True):
        count += len(series_fill(series=series, now=now))
    return count


@transaction.atomic
def series_stop(*, by: User, series: MeetingSeries) -> MeetingSeries:
    """Stop creating meetings; those already created stay (cancel them one by one)."""
    locked = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    if not locked.active:
        raise MeetingError(_("This series is already stopped."))
    locked.active = False
    locked.stopped_at = timezone.now()
    locked.save(update_fields=["active", "stopped_at", "updated_at"])
    return locked


# --- the agenda ----------------------------------------------------------------------------------


def _next_order(meeting: Meeting) -> int:
    top = meeting.items.exclude(status=ItemStatus.REMOVED).aggregate(top=Max("order"))["top"]
    return (top or 0) + 1


def _freeze(meeting: Meeting, items: Sequence[AgendaItem], *, now: dt.datetime) -> None:
    summaries = build_summaries(items, today=timezone.localdate(now))
    for item in items:
        item.summary = summaries[item.pk]
        item.summary_frozen_at = now
    AgendaItem.objects.bulk_update(items, ["summary", "summary_frozen_at", "updated_at"])


def _ensure_invited(meeting: Meeting, person: User | None) -> None:
    if person is not None:
        _invite(meeting, [person])


@transaction.atomic
def item_add(
    *,
    by: User,
    meeting: Meeting,
    patient: Patient,
    reason: str,
    question: str = "",
    reason_detail: str = "",
    plan_code: UUID | None = None,
    presenter: User | None = None,
    proposed: bool = False,
) -> AgendaItem:
    """Put a case on the agenda (a coordinator) or propose it (`proposed=True`, a clinician).

    Allowed after the agenda deadline, marked late. On a published agenda the case's summary is
    frozen at once, as the others were at publishing.
    """
    locked = _lock(meeting)
    _require_open(locked)
    if locked.items.filter(patient=patient).exclude(status=ItemStatus.REMOVED).exists():
        raise MeetingError(
            _("%(patient)s is already on this meeting's agenda.") % {"patient": patient.full_name}
        )
    now = timezone.now()
    item = AgendaItem(
        meeting=locked,
        patient=patient,
        reason=reason,
        reason_detail=reason_detail[:300],
        question=question.strip(),
        proposed_by=by,
        presenter=presenter,
        order=_next_order(locked),
        status=ItemStatus.PROPOSED if proposed else ItemStatus.ACCEPTED,
        late=locked.is_late(now),
        plan_code=plan_code,
        created_by=by,
    )
    if proposed and not item.question:
        raise MeetingError(_("Say what you would like the team to answer."))
    try:
        item.full_clean(exclude=["meeting", "patient"], validate_constraints=False)
    except ValidationError as error:
        raise MeetingError(_validation_message(error)) from error
    item.save()
    _ensure_invited(locked, presenter)
    if not proposed and locked.status in FROZEN_STATUSES:
        _freeze(locked, [item], now=now)
    return item


@transaction.atomic
def item_accept(*, by: User, item: AgendaItem) -> AgendaItem:
    meeting, locked = _lock_item(item)
    _require_open(meeting)
    if locked.status != ItemStatus.PROPOSED:
        raise MeetingError(_("Only a proposed case can be accepted."))
    locked.status = ItemStatus.ACCEPTED
    locked.order = _next_order(meeting)
    locked.version += 1
    locked.save()
    if meeting.status in FROZEN_STATUSES:
        _freeze(meeting, [locked], now=timezone.now())
    return locked


@transaction.atomic
def item_move(*, by: User, item: AgendaItem, direction: str) -> AgendaItem:
    """Swap a case with the one above (`up`) or below (`down`) it on the agenda."""
    if direction not in ("up", "down"):
        raise MeetingError(_("Move a case up or down."))
    meeting, locked = _lock_item(item)
    _require_open(meeting)
    agenda = list(meeting.items.filter(status__in=AGENDA_STATUSES).order_by("order", "id"))
    positions = [entry.pk for entry in agenda]
    if locked.pk not in positions:
        raise MeetingError(_("Only a case on the agenda can be moved."))
    index = positions.index(locked.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(agenda):
        agenda[index], agenda[other] = agenda[other], agenda[index]
    # Renumber the whole agenda 1..n, so gaps and ties left by removals disappear.
    for number, entry in enumerate(agenda, start=1):
        entry.order = number
    AgendaItem.objects.bulk_update(agenda, ["order", "updated_at"])
    locked.refresh_from_db()
    return locked


@transaction.atomic
def item_update(
    *,
    by: User,
    item: AgendaItem,
    version: int,
    presenter: User | None,
    question: str,
    reason: str,
) -> AgendaItem:
    meeting, locked = _lock_item(item)
    _require_open(meeting)
    if locked.version != version:
        raise MeetingConflict(
            _("This case was changed by someone else while you were editing. Nothing was saved.")
        )
    question = question.strip()
    frozen = locked.summary is not None
    if frozen and (question != locked.question or reason != locked.reason):
        raise MeetingError(
            _(
                "The agenda is published: the question and reason were frozen with the summary. "
                "Only the presenter can change."
            )
        )
    locked.presenter = presenter
    locked.question = question
    locked.reason = reason
    locked.version += 1
    try:
        locked.full_clean(exclude=["meeting", "patient"], validate_constraints=False)
    except ValidationError as error:
        raise MeetingError(_validation_message(error)) from error
    locked.save()
    _ensure_invited(meeting, presenter)
    return locked


@transaction.atomic
def item_remove(*, by: User, item: AgendaItem, reason: str) -> AgendaItem:
    meeting, locked = _lock_item(item)
    _require_open(meeting)
    if locked.status not in (ItemStatus.PROPOSED, ItemStatus.ACCEPTED):
        raise MeetingError(_("A case already discussed stays in the minutes."))
    reason = " ".join(reason.split())
    if not reason:
        raise MeetingError(_("Say why the case is removed."))
    locked.status = ItemStatus.REMOVED
    locked.removed_at = timezone.now()
    locked.removed_by = by
    locked.removed_reason = reason[:300]
    locked.version += 1
    locked.save()
    return locked


# --- publishing and running ----------------------------------------------------------------------


@transaction.atomic
def meeting_publish(*, by: User, meeting: Meeting) -> Meeting:
    """Freeze every accepted case's summary and tell the attendees, once each.

    Publishing a published agenda again freezes cases accepted since (a frozen summary never
    changes) and notifies only people not notified yet.
    """
    locked = _lock(meeting)
    _require_open(locked)
    if locked.status == MeetingStatus.IN_PROGRESS:
        raise MeetingError(_("The meeting has started: its agenda is already published."))
    items = list(
        locked.items.filter(status=ItemStatus.ACCEPTED, summary__isnull=True).select_related(
            "patient"
        )
    )
    if (
        locked.status == MeetingStatus.DRAFT
        and not locked.items.filter(status=ItemStatus.ACCEPTED).exists()
    ):
        raise MeetingError(_("Put at least one case on the agenda before publishing it."))
    now = timezone.now()
    if items:
        _freeze(locked, items, now=now)
    if locked.status == MeetingStatus.DRAFT:
        locked.status = MeetingStatus.PUBLISHED
        locked.published_at = now
        locked.published_by = by
        locked.version += 1
        locked.save()
    notifications.notify_published(locked, _attendees(locked))
    return locked


@transaction.atomic
def meeting_start(*, by: User, meeting: Meeting) -> Meeting:
    locked = _lock(meeting)
    _require_open(locked)
    if locked.status == MeetingStatus.DRAFT:
        raise MeetingError(_("Publish the agenda before the meeting starts."))
    if locked.status == MeetingStatus.IN_PROGRESS:
        raise MeetingError(_("The meeting has already started."))
    locked.status = MeetingStatus.IN_PROGRESS
    locked.started_at = timezone.now()
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def attendance_record(
    *, by: User, meeting: Meeting, statuses: dict[int, str], add: Iterable[User] = ()
) -> list[Attendance]:
    """Record who is present, sent apologies or is absent (`statuses` by person id)."""
    locked = _lock(meeting)
    _require_open(locked)
    if locked.status == MeetingStatus.DRAFT:
        raise MeetingError(_("Attendance is recorded once the agenda is published."))
    _invite(locked, add)
    for person in add:
        statuses.setdefault(person.pk, AttendanceStatus.PRESENT)
    rows = list(locked.attendance.select_for_update().filter(person_id__in=list(statuses)))
    valid = set(AttendanceStatus.values)
    for row in rows:
        status = statuses[row.person_id]
        if status not in valid:
            raise MeetingError(_("Unknown attendance: %(status)s") % {"status": status})
        row.status = status
        row.recorded_by = by
    Attendance.objects.bulk_update(rows, ["status", "recorded_by", "updated_at"])
    return rows


@transaction.atomic
def item_decide(
    *,
    by: User,
    meeting: Meeting,
    item: AgendaItem,
    decision_kind: str,
    decision: str = "",
    discussion: str = "",
    plan_code: UUID | None = None,
) -> AgendaItem:
    """Record the discussion and decision of a case; approving a plan approves it in procedures.

    Everything happens in one transaction: if the procedures app refuses the approval (the plan
    is not awaiting approval), nothing of the decision is saved either.
    """
    if item.meeting_id != meeting.pk:
        raise MeetingError(
            _("This case is on the agenda of another meeting: record its decision there.")
        )
    locked_meeting, locked = _lock_item(item)
    _require_in_progress(locked_meeting)
    if locked.status not in (ItemStatus.ACCEPTED, ItemStatus.DISCUSSED):
        raise MeetingError(_("Only a case on the agenda can be decided."))
    if decision_kind not in DecisionKind.values:
        raise MeetingError(_("Choose the kind of decision."))
    decision = decision.strip()
    if decision_kind not in (DecisionKind.APPROVE_PLAN, DecisionKind.DEFER) and not decision:
        raise MeetingError(_("Say what the team decided."))
    if decision_kind == DecisionKind.APPROVE_PLAN:
        plan_code = plan_code or locked.plan_code
        if plan_code is None:
            raise MeetingError(_("Choose the procedure plan the team approves."))
        sources.approve_plan(
            plan_code=plan_code,
            patient=locked.patient,
            decided_by=by,
            meeting_reference=_meeting_reference(locked_meeting),
        )
        locked.plan_code = plan_code
    locked.decision_kind = decision_kind
    locked.decision = decision
    locked.discussion = discussion.strip()
    locked.status = ItemStatus.DISCUSSED
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.version += 1
    locked.save()
    return locked


def _meeting_reference(meeting: Meeting) -> str:
    return _("Team meeting of %(day)s (%(code)s)") % {
        "day": _local_day(meeting.starts_at),
        "code": meeting.code,
    }


@transaction.atomic
def action_add(
    *,
    by: User,
    meeting: Meeting,
    owner: User,
    what: str,
    due_date: dt.date,
    item: AgendaItem | None = None,
) -> ActionItem:
    locked = _lock(meeting)
    _require_in_progress(locked)
    if item is not None and item.meeting_id != locked.pk:
        raise MeetingError(
            _("This case is on the agenda of another meeting: record its actions there.")
        )
    if not owner.is_active:
        raise MeetingError(_("%(name)s no longer works here.") % {"name": owner.display_name})
    if due_date < timezone.localdate():
        raise MeetingError(_("The due date has passed: choose today or later."))
    action = ActionItem(
        meeting=locked,
        agenda_item=item,
        owner=owner,
        what=what,
        due_date=due_date,
        created_by=by,
    )
    try:
        action.full_clean(exclude=["meeting", "agenda_item", "owner"], validate_constraints=False)
    except ValidationError as error:
        raise MeetingError(_validation_message(error)) from error
    action.save()
    return action


@transaction.atomic
def action_done(*, by: User, action: ActionItem) -> ActionItem:
    locked = ActionItem.objects.select_for_update().get(pk=action.pk)
    if locked.status == ActionStatus.DONE:
        raise MeetingError(_("This action is already done."))
    locked.status = ActionStatus.DONE
    locked.done_at = timezone.now()
    locked.done_by = by
    locked.save(update_fields=["status", "done_at", "done_by", "updated_at"])
    notifications.cancel_action_reminder(locked, reason=_("The action is done."))
    return locked


# --- closing -------------------------------------------------------------------------------------


def next_meeting_for(meeting: Meeting, *, by: User) -> Meeting:
    """The next meeting still to be held; created a week later when there is none."""
    following = (
        Meeting.objects.select_for_update()
        .filter(
            status__in=(MeetingStatus.DRAFT, MeetingStatus.PUBLISHED),
            starts_at__gt=meeting.starts_at,
        )
        .exclude(pk=meeting.pk)
        .order_by("starts_at", "id")
        .first()
    )
    if following is not None:
        return following
    series = meeting.series
    if series is not None and series.active:
        created = series_fill(series=series, by=by, now=max(timezone.now(), meeting.starts_at))
        if created:
            return created[0]
    # Nothing falls through: a meeting a week later, like this one, holds the carried cases.
    week = dt.timedelta(days=7)
    start = max(meeting.starts_at + week, timezone.now() + dt.timedelta(hours=1))
    return meeting_create(
        by=by,
        name=meeting.name,
        starts_at=start,
        ends_at=start + (meeting.ends_at - meeting.starts_at),
        chair=meeting.chair,
        place=meeting.place,
        video_link=meeting.video_link,
        agenda_deadline=None,
        invitees=_attendees(meeting),
    )


def _carry_over(
    meeting: Meeting, items: Sequence[AgendaItem], *, by: User, now: dt.datetime
) -> list[AgendaItem]:
    """Move cases to the next meeting's agenda: proposals stay proposals, the rest accepted."""
    target = _lock(next_meeting_for(meeting, by=by))
    already = set(
        target.items.exclude(status=ItemStatus.REMOVED).values_list("patient_id", flat=True)
    )
    order = _next_order(target)
    detail = _("From the meeting of %(day)s") % {"day": _local_day(meeting.starts_at)}
    carried = []
    for item in items:
        was_proposed = item.status == ItemStatus.PROPOSED
        if item.status != ItemStatus.DISCUSSED:
            item.status = ItemStatus.DEFERRED
        if item.patient_id in already:
            continue
        already.add(item.patient_id)
        carried.append(
            AgendaItem(
                meeting=target,
                patient=item.patient,
                reason=ItemReason.CARRIED_OVER,
                reason_detail=f"{detail}: {item.get_reason_display()}"[:300],
                question=item.question,
                proposed_by=item.proposed_by,
                presenter=item.presenter,
                order=order,
                status=ItemStatus.PROPOSED if was_proposed else ItemStatus.ACCEPTED,
                late=target.is_late(now),
                plan_code=item.plan_code,
                carried_from=item,
                created_by=by,
            )
        )
        order += 1
    AgendaItem.objects.bulk_update(items, ["status", "updated_at"])
    AgendaItem.objects.bulk_create(carried)
    accepted = [entry for entry in carried if entry.status == ItemStatus.ACCEPTED]
    if accepted and target.status in FROZEN_STATUSES:
        _freeze(target, accepted, now=now)
    return carried


@transaction.atomic
def meeting_close(*, by: User, meeting: Meeting) -> Meeting:
    """Close a meeting: carry over what was not decided, remind action owners, fix the minutes."""
    locked = _lock(meeting)
    _require_open(locked)
    if locked.status != MeetingStatus.IN_PROGRESS:
        raise MeetingError(_("Only a meeting in progress can be closed."))
    now = timezone.now()
    if locked.series is not None:
        # A natural moment to keep the series' coming meetings created (the daily task too).
        series_fill(series=locked.series, by=by, now=now)
    # The minutes first, as the meeting ended: the cases carried over are still undiscussed.
    locked.minutes = minutes_snapshot(locked)
    items = list(locked.items.exclude(status=ItemStatus.REMOVED).select_related("patient"))
    to_carry = [
        item
        for item in items
        if item.status in (ItemStatus.PROPOSED, ItemStatus.ACCEPTED)
        or (item.status == ItemStatus.DISCUSSED and item.decision_kind == DecisionKind.DEFER)
    ]
    if to_carry:
        _carry_over(locked, to_carry, by=by, now=now)
    locked.attendance.filter(status=AttendanceStatus.EXPECTED).update(
        status=AttendanceStatus.ABSENT, recorded_by=by, updated_at=now
    )
    for action in locked.actions.open().select_related("owner"):
        notifications.schedule_action_reminder(action, now=now)
    locked.status = MeetingStatus.CLOSED
    locked.closed_at = now
    locked.closed_by = by
    locked.version += 1
    locked.save()
    return locked
