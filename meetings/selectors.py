"""Reads of the meetings app. Each page's query count is fixed here, whatever the case count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.accounts.models import DISPLAY_NAME_FIELDS, Discipline, User
from clinic.accounts.roles import Role
from clinic.lib import record_version
from clinic.lib.template_library import reverse_in_rows
from clinic.lib.timeline import TimelineEvent
from meetings import sources
from meetings.models import (
    AGENDA_STATUSES,
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
from patients import selectors as patient_selectors
from patients.access import AccessFacts, visible_among, visible_patients
from patients.models import Patient

# How far ahead the suggestions look for follow-ups and device refills due.
FOLLOW_UP_HORIZON = dt.timedelta(days=7)
DEVICE_HORIZON = dt.timedelta(days=14)
# The window "since the last meeting" when there was none.
DEFAULT_LOOKBACK = dt.timedelta(days=14)
DUE_SOON = dt.timedelta(days=7)


# --- meetings ------------------------------------------------------------------------------------


def _with_counts(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return meetings.select_related("chair").annotate(
        case_count=Count("items", filter=Q(items__status__in=AGENDA_STATUSES), distinct=True),
        proposed_count=Count("items", filter=Q(items__status=ItemStatus.PROPOSED), distinct=True),
    )


def upcoming_meetings() -> list[Meeting]:
    return list(_with_counts(Meeting.objects.open()).order_by("starts_at", "id"))


def past_meetings() -> QuerySet[Meeting]:
    return _with_counts(Meeting.objects.past()).order_by("-starts_at", "-id")


def active_series() -> list[MeetingSeries]:
    return list(MeetingSeries.objects.filter(active=True).select_related("chair"))


def meeting_get(code: Any) -> Meeting:
    return Meeting.objects.select_related("chair", "series").get(code=code)


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The last meeting held before this one (closed), for "since the last meeting"."""
    return (
        Meeting.objects.filter(status=MeetingStatus.CLOSED, starts_at__lt=meeting.starts_at)
        .order_by("-starts_at")
        .first()
    )


def staff_choices() -> QuerySet[User]:
    """Active clinicians and coordinators: chairs, presenters, action owners, invitees."""
    return (
        User.objects.active()
        .filter(groups__name__in=[Role.CLINICIAN, Role.COORDINATOR])
        .distinct()
        .order_by("last_name", "first_name")
    )


# --- the agenda ----------------------------------------------------------------------------------


@dataclass
class AgendaRow:
    item: AgendaItem
    visible: bool  # False: a restricted record the viewer may not open (shown without details)
    actions: list[ActionItem] = field(default_factory=list)

    # The labels of the item's choices, for long lists: `get_reason_display()` translates every
    # choice of the field to find one label (some 80 µs a row).
    @property
    def reason_label(self) -> str:
        return _label(ItemReason, self.item.reason)

    @property
    def status_label(self) -> str:
        return _label(ItemStatus, self.item.status)

    @property
    def decision_label(self) -> str:
        return _label(DecisionKind, self.item.decision_kind)


def _label(choices: type[TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:  # no such choice (an empty decision): shown as stored
        return value


@dataclass
class Agenda:
    meeting: Meeting
    rows: list[AgendaRow]
    proposed: list[AgendaRow]
    removed_count: int
    general_actions: list[ActionItem] = field(default_factory=list)

    @property
    def patients(self) -> list[Patient]:
        return [row.item.patient for row in [*self.rows, *self.proposed] if row.visible]


# What the agenda page lists of each case: its frozen summary (some 10 kB of JSON each) and the
# rest of the patient and staff rows stay in the database. `summary_frozen_at` tells whether a
# case has a summary (a constraint pairs the two).
BRIEF_FIELDS = (
    # `meeting_id`: the related manager gives each item its meeting by it.
    *("code", "meeting_id", "status", "reason", "reason_detail", "question", "late"),
    *("decision_kind", "summary_frozen_at", "created_at"),
    *("patient__code", "patient__given_name", "patient__family_name", "patient__mrn"),
    *("patient__restricted", "patient__primary_clinician_id"),  # who may open it
    *(
        f"{person}__{name}"
        for person in ("presenter", "proposed_by")
        for name in DISPLAY_NAME_FIELDS
    ),
)


# What the run view reads of each case: its code, status and patient for the list, and what the
# case on screen shows of its decision. The frozen summary (some 10 kB of JSON) is not read: its
# HTML is kept once drawn (`frozen_summary`), and a case on screen whose HTML is not kept yet
# reads it then, one query.
RUN_LIST_FIELDS = (
    *("code", "meeting_id", "status"),
    *("patient__code", "patient__given_name", "patient__family_name"),
    *("patient__restricted", "patient__primary_clinician_id"),  # who may open it
    *("summary_frozen_at", "decision_kind", "decision", "discussion", "plan_code", "decided_at"),
    *(f"decided_by__{name}" for name in DISPLAY_NAME_FIELDS),
)


def _items(meeting: Meeting, *, fields: Sequence[str] = ()) -> list[AgendaItem]:
    items = meeting.items.order_by("order", "id")
    if fields:
        # Joined: the rows the fields name (`patient__code`: the patient).
        related = sorted({name.split("__")[0] for name in fields if "__" in name})
        items = items.select_related(*related).only(*fields)
    else:
        items = items.select_related("patient", "presenter", "proposed_by", "decided_by")
    return list(items)


def agenda(
    meeting: Meeting,
    *,
    user: Any,
    with_actions: bool = False,
    fields: Sequence[str] = (),
    hidden: frozenset[int] | None = None,
) -> Agenda:
    """The meeting's cases in order, the proposals waiting, and what each viewer may see.

    `fields`: only these of each item and the rows they name, e.g. what the agenda page lists
    (BRIEF_FIELDS) or the run view (RUN_LIST_FIELDS); any other field of an item, its patient or
    its people then costs a query each. Without them, items are read whole.
    `hidden`: the patients the viewer may not open, when already known (AgendaState.hidden);
    else worked out here."""
    items = _items(meeting, fields=fields)
    if hidden is None:
        # Whether the viewer may open each case's patient (a query more only for restricted
        # records that are not the viewer's own).
        visible = visible_among(user, (item.patient for item in items))
    else:
        visible = {item.patient_id for item in items} - hidden
    actions: dict[int, list[ActionItem]] = {}
    if with_actions:
        for action in meeting.actions.select_related("owner").order_by("due_date", "id"):
            actions.setdefault(action.agenda_item_id or 0, []).append(action)
    rows, proposed, removed = [], [], 0
    for item in items:
        row = AgendaRow(item, item.patient_id in visible, actions.get(item.pk, []))
        if item.status == ItemStatus.REMOVED:
            removed += 1
        elif item.status == ItemStatus.PROPOSED:
            proposed.append(row)
        else:
            rows.append(row)
    return Agenda(meeting, rows, proposed, removed, actions.get(0, []))


@dataclass(frozen=True)
class AgendaState:
    """What the agenda page's list of cases is drawn from, read in one query before the cases
    themselves (so a list drawn while they change is kept under the older state)."""

    # Changes with any insert, update or delete of the meeting's items or of their patients,
    # and with a change to the names of their presenters and proposers (the `xmin` of each row,
    # see clinic.lib.record_version).
    version: str
    # The agenda's patients the viewer may not open (restricted records, worked out afresh).
    hidden: frozenset[int]


def agenda_state(meeting: Meeting, *, user: Any) -> AgendaState:
    """The agenda's version, and which of its patients `user` may not open (the rule of
    `visible_among`, from what the same query reads of each patient)."""
    quote = connection.ops.quote_name
    item, patient, person = AgendaItem._meta, Patient._meta, User._meta

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    def names(alias: str) -> str:
        return ", ".join(f"{alias}.{column(person, name)}" for name in DISPLAY_NAME_FIELDS)

    people = quote(person.db_table)
    # Names and columns from the models' metadata, quoted; the values are bound.
    sql = (
        "SELECT md5(string_agg(concat_ws(':', i.id, i.xmin, p.xmin, "  # noqa: S608
        f"{names('pr')}, {names('pb')}), ',' ORDER BY i.id)), "
        # A patient twice on the agenda is listed twice: visible_among counts each once.
        f"array_agg(ARRAY[p.id, p.{column(patient, 'restricted')}::int, "
        f"p.{column(patient, 'primary_clinician')}]) "
        f"FROM {quote(item.db_table)} i "
        f"JOIN {quote(patient.db_table)} p ON p.id = i.{column(item, 'patient')} "
        f"LEFT JOIN {people} pr ON pr.id = i.{column(item, 'presenter')} "
        f"LEFT JOIN {people} pb ON pb.id = i.{column(item, 'proposed_by')} "
        f"WHERE i.{column(item, 'meeting')} = %(meeting)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"meeting": meeting.pk})
        version, rows = cursor.fetchone()
    patients = [
        AccessFacts(pk, bool(restricted), clinician) for pk, restricted, clinician in rows or ()
    ]
    hidden = {p.pk for p in patients} - visible_among(user, patients)
    return AgendaState(str(version), frozenset(hidden))


@dataclass
class SuggestedCase:
    patient: Patient
    suggestions: list[sources.Suggestion]

    @property
    def primary(self) -> sources.Suggestion:
        return self.suggestions[0]

    @property
    def detail(self) -> str:
        return "; ".join(suggestion.detail for suggestion in self.suggestions)

    @property
    def plan_code(self) -> Any:
        return next((s.plan_code for s in self.suggestions if s.plan_code), None)


# The order a patient's reasons are listed in; the first becomes the agenda item's reason.
REASON_PRIORITY = [
    ItemReason.SELF_HARM_FLAG,
    ItemReason.PROCEDURE_APPROVAL,
    ItemReason.WORSENING_PAIN,
    ItemReason.POST_PROCEDURE_REVIEW,
    ItemReason.DEVICE_DUE,
    ItemReason.NEW_REFERRAL,
]


# The agenda suggests at most this many cases for each reason (the oldest or most urgent first):
# a large clinic can have hundreds, and the worklists (follow-ups due, worsening pain) hold all.
SUGGESTIONS_PER_REASON = 15


def suggestion_window(meeting: Meeting) -> tuple[dt.date, dt.date]:
    """From the last meeting held (or a week before) to this meeting's day."""
    day = timezone.localdate(meeting.starts_at)
    previous = previous_meeting(meeting)
    if previous is not None:
        return timezone.localdate(previous.starts_at), day
    return min(day, timezone.localdate()) - DEFAULT_LOOKBACK, day


# The suggestions are six searches of the whole clinic (some 40 ms on 50,000 patients), asked
# for each time a coordinator's agenda page opens. What they found is kept for the same meeting,
# viewer, listed cases and state of the searched tables (`sources.latest_changes`): any change
# to those tables searches again at the next request. The state is read from the tables' newest
# history rows; two changes committed out of the order they began in can hide the first from it,
# so nothing is kept longer than this either.
SUGGESTIONS_KEPT_SECONDS = 60


def suggestions(meeting: Meeting, *, user: Any) -> list[SuggestedCase]:
    """Cases the coordinator may add, with their reasons; patients already listed left out.

    What the searches found (patients, reasons, details) is kept while the searched tables do not
    change (see SUGGESTIONS_KEPT_SECONDS). The patients' names and restriction, and the viewer's
    right to open each, are read every time: a record restricted a moment ago is not suggested
    to someone who may no longer open it."""
    listed = set(
        meeting.items.exclude(status=ItemStatus.REMOVED).values_list("patient_id", flat=True)
    )
    state = (meeting.pk, user.pk, sorted(listed), timezone.localdate(), sources.latest_changes())

    def search() -> list[tuple[int, str, str, Any]]:
        return [
            (s.patient.pk, s.reason, s.detail, s.plan_code)
            for s in _search_suggestions(meeting, user=user, listed=listed)
        ]

    found = record_version.kept("suggestions", state, search, SUGGESTIONS_KEPT_SECONDS)
    patients = {
        patient.pk: patient
        for patient in Patient.objects.filter(pk__in={row[0] for row in found}).only(
            *sources.PATIENT_FIELDS, "primary_clinician_id"
        )
    }
    visible = visible_among(user, patients.values())
    cases: dict[int, SuggestedCase] = {}
    for patient_id, reason, detail, plan_code in found:
        if patient_id not in visible:
            continue
        patient = patients[patient_id]
        case = cases.setdefault(patient_id, SuggestedCase(patient, []))
        case.suggestions.append(sources.Suggestion(patient, reason, detail, plan_code))
    for case in cases.values():
        case.suggestions.sort(key=lambda s: REASON_PRIORITY.index(ItemReason(s.reason)))
    return sorted(
        cases.values(),
        key=lambda case: (
            REASON_PRIORITY.index(ItemReason(case.primary.reason)),
            case.patient.family_name,
            case.patient.pk,
        ),
    )


def _search_suggestions(
    meeting: Meeting, *, user: Any, listed: set[int]
) -> list[sources.Suggestion]:
    """The six searches, each of the patients `user` may open, at most SUGGESTIONS_PER_REASON
    patients each."""
    since, day = suggestion_window(meeting)
    # A suggestion shows the patient's name and links to the chart: the other columns of 300
    # patient rows would be read and converted for nothing.
    visible = visible_patients(user).exclude(pk__in=listed).only(*sources.PATIENT_FIELDS)
    limit = SUGGESTIONS_PER_REASON
    today = timezone.localdate()
    return [
        *sources.new_referrals(visible, since=since, until=day, limit=limit),
        *sources.plans_awaiting_approval(visible, limit=limit),
        *sources.follow_ups_due(visible, by_day=day + FOLLOW_UP_HORIZON, limit=limit),
        *sources.worsening_pain(user, since=since, today=today, exclude=listed, limit=limit),
        *sources.self_harm_flags(visible, since=since, limit=limit),
        *sources.devices_due(visible, by_day=day + DEVICE_HORIZON, limit=limit),
    ]


def proposable_meetings(now: dt.datetime) -> QuerySet[Meeting]:
    """Meetings a case may still be proposed for: not started, soonest first."""
    return (
        Meeting.objects.filter(status__in=(MeetingStatus.DRAFT, MeetingStatus.PUBLISHED))
        .filter(ends_at__gte=now)
        .order_by("starts_at", "id")
    )


# --- attendance and quorum -----------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    required: tuple[str, ...]
    present: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(d for d in self.required if d not in self.present)

    @property
    def quorate(self) -> bool:
        return not self.missing

    @property
    def missing_labels(self) -> list[str]:
        return [str(Discipline(d).label) for d in self.missing if d in Discipline.values]

    @property
    def required_labels(self) -> list[str]:
        return [str(Discipline(d).label) for d in self.required if d in Discipline.values]


def quorum(attendance: Sequence[Attendance], required: Sequence[str]) -> Quorum:
    present = {row.discipline for row in attendance if row.status == AttendanceStatus.PRESENT}
    return Quorum(tuple(required), tuple(sorted(present)))


def attendance_of(meeting: Meeting, *, fields: Sequence[str] = ()) -> list[Attendance]:
    """Who attends, by name; `fields`: only these of each row and its person."""
    rows = meeting.attendance.select_related("person").order_by(
        "person__last_name", "person__first_name", "id"
    )
    return list(rows.only(*fields) if fields else rows)


# What the run view shows of attendance: who is present, by name and discipline.
RUN_ATTENDANCE_FIELDS = (
    *("meeting_id", "status", "discipline", "person__discipline"),
    *(f"person__{name}" for name in DISPLAY_NAME_FIELDS),
)


# --- running the meeting -------------------------------------------------------------------------


@dataclass
class RunPage:
    agenda: Agenda
    current: AgendaRow | None
    position: int
    previous: AgendaRow | None
    next: AgendaRow | None
    attendance: list[Attendance]
    quorum: Quorum
    plan_options: list[tuple[str, str]]


def run_page(meeting: Meeting, *, user: Any, item_code: str = "") -> RunPage:
    """The case being discussed (the first undecided one unless asked), in a fixed count."""
    # Each case is read with what the list and the case on screen show (RUN_LIST_FIELDS): the
    # thirty frozen summaries are not.
    view = agenda(meeting, user=user, with_actions=True, fields=RUN_LIST_FIELDS)
    rows = view.rows
    index = next((i for i, row in enumerate(rows) if str(row.item.code) == item_code), None)
    if index is None:
        index = next((i for i, row in enumerate(rows) if row.item.status == ItemStatus.ACCEPTED), 0)
    current = rows[index] if rows else None
    attendance = attendance_of(meeting, fields=RUN_ATTENDANCE_FIELDS)
    options: list[tuple[str, str]] = []
    if current is not None and current.visible and meeting.status == MeetingStatus.IN_PROGRESS:
        options = sources.plan_options([current.item.patient_id]).get(current.item.patient_id, [])
    return RunPage(
        agenda=view,
        current=current,
        position=index + 1 if rows else 0,
        previous=rows[index - 1] if rows and index > 0 else None,
        next=rows[index + 1] if rows and index + 1 < len(rows) else None,
        attendance=attendance,
        quorum=quorum(attendance, patient_selectors.quorum_disciplines()),
        plan_options=options,
    )


# --- actions -------------------------------------------------------------------------------------


@dataclass
class ActionLists:
    overdue: list[ActionItem]
    due_soon: list[ActionItem]
    later: list[ActionItem]
    done: list[ActionItem]

    @property
    def open_count(self) -> int:
        return len(self.overdue) + len(self.due_soon) + len(self.later)


def _actions() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("owner", "meeting", "agenda_item", "done_by")


def _split(actions: Iterable[ActionItem], today: dt.date) -> ActionLists:
    lists = ActionLists([], [], [], [])
    for action in actions:
        if action.status == ActionStatus.DONE:
            lists.done.append(action)
        elif action.due_date < today:
            lists.overdue.append(action)
        elif action.due_date <= today + DUE_SOON:
            lists.due_soon.append(action)
        else:
            lists.later.append(action)
    return lists


def my_actions(user: Any, *, today: dt.date | None = None, done_limit: int = 20) -> ActionLists:
    """A person's open actions (overdue, due within a week, later) and the last done."""
    today = today or timezone.localdate()
    open_actions = list(_actions().filter(owner=user, status=ActionStatus.OPEN))
    done = list(
        _actions().filter(owner=user, status=ActionStatus.DONE).order_by("-done_at")[:done_limit]
    )
    lists = _split(open_actions, today)
    lists.done = done
    return lists


def clinic_open_actions() -> QuerySet[ActionItem]:
    """Every open action of the clinic, the most overdue first (coordinators)."""
    return _actions().filter(status=ActionStatus.OPEN).order_by("due_date", "id")


def action_get(code: Any) -> ActionItem:
    return _actions().get(code=code)


# --- minutes -------------------------------------------------------------------------------------


def _person(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _discipline_label(slug: str) -> str:
    return str(Discipline(slug).label) if slug in Discipline.values else slug


def minutes_snapshot(meeting: Meeting) -> dict[str, Any]:
    """The minutes as JSON: attendance, quorum, and each case's decision and actions."""
    attendance = attendance_of(meeting)
    items = [
        item
        for item in _items(meeting)
        if item.status not in (ItemStatus.REMOVED, ItemStatus.PROPOSED)
    ]
    actions: dict[int | None, list[ActionItem]] = {}
    for action in meeting.actions.select_related("owner").order_by("due_date", "id"):
        actions.setdefault(action.agenda_item_id, []).append(action)
    policy = patient_selectors.policy_get()
    met = quorum(
        [row for row in attendance if row.status == AttendanceStatus.PRESENT],
        policy.quorum_disciplines,
    )
    return {
        "format": 1,
        "closed_at": timezone.now().isoformat(),
        "quorate": met.quorate,
        "quorum_required": met.required_labels,
        "quorum_missing": met.missing_labels,
        "attendance": [
            {
                "name": row.person.display_name,
                "discipline": _discipline_label(row.discipline),
                "status": row.status if row.status != AttendanceStatus.EXPECTED else "absent",
            }
            for row in attendance
        ],
        "cases": [_case_minutes(item, actions.get(item.pk, [])) for item in items],
        "general_actions": [_action_minutes(a) for a in actions.get(None, [])],
    }


def _action_minutes(action: ActionItem) -> dict[str, Any]:
    return {
        "code": str(action.code),
        "owner": action.owner.display_name,
        "what": action.what,
        "due_date": action.due_date.isoformat(),
    }


def _case_minutes(item: AgendaItem, actions: list[ActionItem]) -> dict[str, Any]:
    discussed = item.status == ItemStatus.DISCUSSED
    return {
        "code": str(item.code),
        "patient_code": str(item.patient.code),
        "patient": item.patient.listing_name,
        "mrn": item.patient.mrn,
        "reason": str(item.get_reason_display()),
        "question": item.question,
        "presenter": _person(item.presenter),
        "discussed": discussed,
        "discussion": item.discussion,
        "decision_kind": item.decision_kind,
        "decision_label": str(item.get_decision_kind_display()) if item.decision_kind else "",
        "decision": item.decision,
        "carried_over": not discussed or item.decision_kind == DecisionKind.DEFER,
        "actions": [_action_minutes(action) for action in actions],
    }


def minutes_draft(meeting: Meeting) -> dict[str, Any]:
    """The minutes as they stand (a meeting not yet closed); closed meetings keep theirs."""
    return meeting.minutes if meeting.minutes is not None else minutes_snapshot(meeting)


# --- the dashboard -------------------------------------------------------------------------------


@dataclass
class HomeCards:
    next_meeting: Meeting | None
    suggested_count: int | None
    clinic_open_actions: int
    clinic_overdue_actions: int
    my_actions: list[ActionItem]
    my_overdue: int


def home_cards(
    user: Any, *, now: dt.datetime | None = None, coordinator: bool = False
) -> HomeCards:
    now = now or timezone.now()
    today = timezone.localdate(now)
    mine = list(
        _actions().filter(owner=user, status=ActionStatus.OPEN).order_by("due_date", "id")[:5]
    )
    my_overdue = ActionItem.objects.filter(
        owner=user, status=ActionStatus.OPEN, due_date__lt=today
    ).count()
    cards = HomeCards(None, None, 0, 0, mine, my_overdue)
    if coordinator:
        cards.next_meeting = (
            _with_counts(Meeting.objects.open().filter(ends_at__gte=now))
            .order_by("starts_at", "id")
            .first()
        )
        if cards.next_meeting is not None:
            cards.suggested_count = len(suggestions(cards.next_meeting, user=user))
        counts = ActionItem.objects.filter(status=ActionStatus.OPEN).aggregate(
            open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today))
        )
        cards.clinic_open_actions = counts["open"]
        cards.clinic_overdue_actions = counts["overdue"]
    return cards


# --- the patient's timeline ----------------------------------------------------------------------


def timeline_events(patient: Any) -> list[TimelineEvent]:
    """Team-meeting decisions about the patient, for the chart's time axis: one query."""
    items = (
        AgendaItem.objects.filter(
            patient=patient, status=ItemStatus.DISCUSSED, meeting__status=MeetingStatus.CLOSED
        )
        .select_related("meeting")
        # Not the item's frozen summary (some 10 kB of JSON each) nor the rest of the meeting.
        .only("decision_kind", "meeting__code", "meeting__starts_at")
        .order_by("meeting__starts_at")
    )
    return [
        TimelineEvent(
            on=timezone.localdate(item.meeting.starts_at),
            kind="team_meeting",
            label=_("Team meeting: %(decision)s") % {"decision": item.get_decision_kind_display()},
            link_url=reverse_in_rows("meetings:meeting-minutes", code=item.meeting.code),
        )
        for item in items
    ]


def meeting_label(meeting: Meeting) -> str:
    return date_format(timezone.localtime(meeting.starts_at), "D j M Y, H:i")
