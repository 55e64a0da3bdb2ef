"""What the meetings app reads from, and asks of, the other apps: one module, so the seams show.

- Suggested cases: new referrals and devices due (patients), procedure plans awaiting the team
  and follow-ups due (procedures), worsening pain and PHQ-9 self-harm answers (assessments).
- The frozen case summary's clinical parts: latest scores with their change, the pain series and
  its chart (drawn by `assessments.chart`), body-map regions (assessments); active and proposed
  plans with their latest safety review (procedures).
- Approving a plan from a decision, through `procedures.services.plan_approve_from_meeting`.

The PHQ-9 answers and the follow-ups due are read from the patients' side (as worsening pain
is, in its selector): `visible.filter(<relation>__...)`, one row per related row, with the
values the suggestion shows annotated. PostgreSQL then checks access on the patient row it reads
anyway; filtering the related rows by `patient__in=visible` instead joins a second copy of the
patient table with its access checks, which doubled these queries' planning time (on a large
clinic, most of their cost). Plans awaiting approval (shown with the plan's own label) and
devices due (the reminders' one definition of "due", `patients.selectors.devices_due_by`) are
still read as rows of their own table: small, on their own indexes.

The other apps' selectors read one patient at a time; publishing freezes 30 summaries at once,
so the summary parts are read here for all patients together (a fixed number of queries,
whatever their number), with the other apps' public helpers (`change_of`, `INSTRUMENTS`,
`region_label`, `render_panel`) so the numbers mean what they mean on the chart.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.lib.dates import day_start
from meetings.models import ItemReason
from patients import selectors as patient_selectors
from patients.models import Patient, PatientStatus

# How many of the latest pain scores a summary keeps (its chart and table).
PAIN_POINTS = 12
CHART_WIDTH = 520
CHART_HEIGHT = 200


# What a suggestion reads of its patient: the name and code it shows, the referral it reports
# (the other columns of some ninety patient rows would be read and converted for nothing).
PATIENT_FIELDS = (
    "id",
    "code",
    "given_name",
    "family_name",
    "restricted",
    "referral_date",
    "referral_source",
)


@dataclass(frozen=True)
class Suggestion:
    """A case the agenda could hold, and why."""

    patient: Patient
    reason: str  # an ItemReason
    detail: str
    plan_code: UUID | None = None

    @property
    def reason_label(self) -> str:
        return str(ItemReason(self.reason).label)


def _day(value: dt.date) -> str:
    return date_format(value, "j M Y")


def _first_per_patient(
    rows: QuerySet[Any], patient_id: Callable[[Any], int], *, limit: int
) -> list[Any]:
    """The first row of each patient, for at most `limit` patients, in the rows' order.

    A patient may have several rows (devices, follow-ups, answers), so a few more rows than
    patients are read: the query stays bounded however large the clinic.
    """
    first: dict[int, Any] = {}
    for row in rows[: limit * 3]:
        if len(first) == limit:
            break
        first.setdefault(patient_id(row), row)
    return list(first.values())


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).quantize(Decimal('0.01')).normalize():f}"
    return str(value)


# The tables the suggestions search, by their history: django-pghistory writes a row, from a
# trigger, for every insert and update (through the ORM or not).
SEARCHED_HISTORY = (
    "patients.PatientEvent",
    "patients.CareTeamMemberEvent",
    "patients.DeviceEvent",
    "assessments.AssessmentEvent",
    "procedures.ProcedurePlanEvent",
    "procedures.FollowUpEvent",
    "meetings.MeetingEvent",
    "meetings.AgendaItemEvent",
)


def latest_changes() -> tuple[Any, ...]:
    """The newest history row of each searched table: any change to them changes this (one
    query of index lookups)."""
    from django.apps import apps
    from django.db import connection

    quote = connection.ops.quote_name
    tables = [quote(apps.get_model(label)._meta.db_table) for label in SEARCHED_HISTORY]
    # Table names from the models, quoted; nothing typed reaches this SQL.
    newest = ", ".join(f"(SELECT max(pgh_id) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {newest}")
        return tuple(cursor.fetchone())


# --- suggestions from the patient record ---------------------------------------------------------


def new_referrals(
    visible: QuerySet[Patient], *, since: dt.date, until: dt.date, limit: int
) -> list[Suggestion]:
    patients = visible.filter(
        referral_date__gt=since, referral_date__lte=until, status=PatientStatus.ACTIVE
    ).order_by("referral_date", "family_name", "id")[:limit]
    return [
        Suggestion(
            patient,
            ItemReason.NEW_REFERRAL,
            _("Referred on %(day)s%(source)s")
            % {
                "day": _day(patient.referral_date) if patient.referral_date else "",
                "source": f" ({patient.referral_source})" if patient.referral_source else "",
            },
        )
        for patient in patients
    ]


def devices_due(visible: QuerySet[Patient], *, by_day: dt.date, limit: int) -> list[Suggestion]:
    # The reminders' query, without the primary clinician the suggestion does not show.
    devices = (
        patient_selectors.devices_due_by(by_day)
        .filter(patient__in=visible)
        .select_related(None)
        .select_related("patient")
        .only(
            *("kind", "next_refill_due", "next_battery_check_due", "patient"),
            *(f"patient__{name}" for name in PATIENT_FIELDS),
        )
    )
    return [
        Suggestion(
            device.patient,
            ItemReason.DEVICE_DUE,
            _("%(device)s due for a check on %(day)s")
            % {
                "device": device.get_kind_display(),
                "day": _day(
                    min(d for d in (device.next_refill_due, device.next_battery_check_due) if d)
                ),
            },
        )
        for device in _first_per_patient(devices, lambda device: device.patient_id, limit=limit)
    ]


# --- suggestions from procedures -----------------------------------------------------------------


def plans_awaiting_approval(visible: QuerySet[Patient], *, limit: int) -> list[Suggestion]:
    from procedures.models import PlanStatus, ProcedurePlan

    plans = (
        ProcedurePlan.objects.filter(status=PlanStatus.AWAITING_MDT, patient__in=visible)
        .select_related("patient", "procedure_type")
        .only(
            *("code", "stage", "planned_date", "patient", "procedure_type__name"),
            *(f"patient__{name}" for name in PATIENT_FIELDS),
        )
        .order_by("planned_date", "id")
    )[:limit]
    return [
        Suggestion(
            plan.patient,
            ItemReason.PROCEDURE_APPROVAL,
            _("%(plan)s, planned for %(day)s") % {"plan": plan, "day": _day(plan.planned_date)},
            plan.code,
        )
        for plan in plans
    ]


def follow_ups_due(visible: QuerySet[Patient], *, by_day: dt.date, limit: int) -> list[Suggestion]:
    """Pending follow-ups due by `by_day` (the worklist's `procedures.selectors.follow_ups_due`),
    soonest first, read from the patients' side (see the module docstring)."""
    from procedures.models import FollowUpKind, FollowUpStatus

    # One filter() call: one join to the follow-ups, which the annotations reuse.
    rows = (
        visible.filter(
            procedure_plans__follow_ups__status=FollowUpStatus.PENDING,
            procedure_plans__follow_ups__due_date__lte=by_day,
        )
        .annotate(
            follow_up_id=F("procedure_plans__follow_ups__id"),
            follow_up_kind=F("procedure_plans__follow_ups__kind"),
            follow_up_due=F("procedure_plans__follow_ups__due_date"),
            procedure_name=F("procedure_plans__procedure_type__name"),
        )
        .order_by("follow_up_due", "follow_up_id")
    )
    kinds = dict(FollowUpKind.choices)
    return [
        Suggestion(
            patient,
            ItemReason.POST_PROCEDURE_REVIEW,
            _("%(kind)s after %(procedure)s due on %(day)s")
            % {
                "kind": kinds.get(patient.follow_up_kind, patient.follow_up_kind),
                "procedure": patient.procedure_name,
                "day": _day(patient.follow_up_due),
            },
        )
        for patient in _first_per_patient(rows, lambda row: row.pk, limit=limit)
    ]


# --- suggestions from assessments ----------------------------------------------------------------


def worsening_pain(
    user: Any, *, since: dt.date, today: dt.date, exclude: Collection[int], limit: int
) -> list[Suggestion]:
    from assessments import selectors as assessment_selectors

    rows = assessment_selectors.patients_with_worsening_pain(
        user=user,
        limit=limit,
        within_days=max((today - since).days, 14),
        exclude=exclude,
        fields=PATIENT_FIELDS,
    )
    return [
        Suggestion(
            row.patient,
            ItemReason.WORSENING_PAIN,
            _("Pain %(before)s → %(after)s on %(day)s")
            % {
                "before": _number(row.previous.value),
                "after": _number(row.latest.value),
                "day": _day(timezone.localdate(row.latest.at)),
            },
        )
        for row in rows
    ]


def self_harm_flags(visible: QuerySet[Patient], *, since: dt.date, limit: int) -> list[Suggestion]:
    """Patients whose PHQ-9 item 9 was above 0 since the last meeting (the `self_harm` flag)."""
    # Only the PHQ-9 raises `self_harm`; the assessment carries its responses' flags, so the
    # partial index of flagged current assessments walks just those, newest first. One filter()
    # call: one join to the assessments, which the annotations reuse.
    rows = (
        visible.filter(
            assessments__flags__contains=["self_harm"],
            assessments__entered_in_error_at__isnull=True,
            # From the start of the day after `since`, as a moment.
            assessments__assessed_at__gte=day_start(since + dt.timedelta(days=1)),
        )
        .annotate(assessment_id=F("assessments__id"), assessed_at=F("assessments__assessed_at"))
        .order_by("-assessed_at", "-assessment_id")
    )
    return [
        Suggestion(
            patient,
            ItemReason.SELF_HARM_FLAG,
            _("PHQ-9 item 9 (thoughts of self-harm) above 0 on %(day)s")
            % {"day": _day(timezone.localdate(patient.assessed_at))},
        )
        for patient in _first_per_patient(rows, lambda row: row.pk, limit=limit)
    ]


# --- the summary's assessment part ---------------------------------------------------------------


def _latest_responses(patient_ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """The two latest responses of each instrument of each patient: one query."""
    from assessments.models import InstrumentResponse

    ranked = (
        InstrumentResponse.objects.filter(
            assessment__patient_id__in=patient_ids, assessment__entered_in_error_at__isnull=True
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("assessment__patient_id"), F("instrument")],
                order_by=[F("assessment__assessed_at").desc(), F("assessment_id").desc()],
            ),
            at=F("assessment__assessed_at"),
            patient_id=F("assessment__patient_id"),
        )
        .filter(rank__lte=2)
        .order_by("patient_id", "instrument", "rank")
    )
    found: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for response in ranked:
        found[response.patient_id][response.instrument].append(response)
    return found


def _pain_points(patient_ids: list[int]) -> dict[int, list[tuple[dt.datetime, Decimal]]]:
    """The latest PAIN_POINTS pain intensities of each patient, oldest first: one query."""
    from assessments.models import Assessment

    rows = (
        Assessment.objects.current()
        .filter(patient_id__in=patient_ids, pain_intensity__isnull=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id")],
                order_by=[F("assessed_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=PAIN_POINTS)
        .values_list("patient_id", "assessed_at", "pain_intensity", "rank")
    )
    points: dict[int, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    for patient_id, at, value, _rank in sorted(rows, key=lambda row: (row[0], row[1])):
        if value is not None:
            points[patient_id].append((at, value))
    return points


def _body_maps(patient_ids: list[int]) -> dict[int, Any]:
    """The latest assessment with body-map regions of each patient: one query."""
    from assessments.models import Assessment

    latest = (
        Assessment.objects.current()
        .filter(patient_id__in=patient_ids)
        .exclude(body_map_regions=[])
        .order_by("patient_id", "-assessed_at", "-id")
        .distinct("patient_id")
    )
    return {row.patient_id: row for row in latest}


def _score_line(code: str, rows: list[Any]) -> dict[str, Any]:
    from assessments.instruments import INSTRUMENTS
    from assessments.selectors import change_of

    spec = INSTRUMENTS[code]
    latest = rows[0]
    previous = rows[1] if len(rows) > 1 else None
    change = change_of(code, latest.total, previous.total if previous else None)
    band = next((str(b.label) for b in spec.bands if b.slug == latest.band), "")
    return {
        "instrument": code,
        "label": str(spec.name),
        "total": _number(latest.total),
        "band": band,
        "previous": _number(previous.total) if previous else "",
        "change": _change_text(change),
        "worse": bool(change and change.worse and change.delta),
        "at": timezone.localtime(latest.at).isoformat(),
    }


def _change_text(change: Any) -> str:
    if change is None or change.delta == 0:
        return "" if change is None else "="
    arrow = "↑" if change.delta > 0 else "↓"
    return f"{arrow} {_number(abs(change.delta))}"


def _pain_line(points: list[tuple[dt.datetime, Decimal]]) -> dict[str, Any] | None:
    from assessments.selectors import change_of

    if not points:
        return None
    at, value = points[-1]
    previous = points[-2][1] if len(points) > 1 else None
    change = change_of("nrs", value, previous, pain=True)
    return {
        "instrument": "pain",
        "label": _("Pain intensity (0–10)"),
        "total": _number(value),
        "band": "",
        "previous": _number(previous) if previous is not None else "",
        "change": _change_text(change),
        "worse": bool(change and change.important and change.worse),
        "at": timezone.localtime(at).isoformat(),
    }


def pain_chart_svg(points: Sequence[tuple[dt.datetime, Decimal]]) -> str:
    """The pain line drawn by the assessments app's chart code, as SVG text; it carries nothing
    inline (styled by `static/css/assessments-chart.css`), so it shows under the CSP anywhere."""
    from assessments import chart

    if len(points) < 2:
        return ""
    moments = [chart.naive_local(at) for at, _value in points]
    start, end = chart.time_range(moments)
    panel = chart.Panel(
        "pain",
        _("Pain intensity (0–10)"),
        0,
        10,
        series=[
            chart.Series(
                "pain",
                _("Pain intensity"),
                [(moment, value) for moment, (_at, value) in zip(moments, points, strict=True)],
            )
        ],
        height=CHART_HEIGHT,
    )
    svg = chart.render_panel(
        panel,
        start=start,
        end=end,
        ticks=chart.time_ticks(start, end, most=6),
        value_format=_number,
    )
    return str(svg)


def assessment_parts(patients: Sequence[Patient]) -> dict[int, dict[str, Any]]:
    """Latest scores with their change, pain series and chart, body map, self-harm flag:
    three queries for all patients."""
    from assessments.bodymap import region_label
    from assessments.instruments import INSTRUMENTS

    ids = [patient.pk for patient in patients]
    responses = _latest_responses(ids)
    pains = _pain_points(ids)
    maps = _body_maps(ids)
    parts: dict[int, dict[str, Any]] = {}
    for patient_id in ids:
        by_instrument = responses.get(patient_id, {})
        points = pains.get(patient_id, [])
        # The NRS is the pain line itself (the pain intensity is the NRS, else the BPI average).
        lines = [_pain_line(points)] + [
            _score_line(code, by_instrument[code])
            for code in INSTRUMENTS
            if code in by_instrument and code != "nrs"
        ]
        phq9 = by_instrument.get("phq9") or []
        flagged = bool(phq9 and "self_harm" in phq9[0].flags)
        body = maps.get(patient_id)
        parts[patient_id] = {
            "scores": [line for line in lines if line is not None],
            "pain_series": [
                {"on": timezone.localdate(at).isoformat(), "value": _number(value)}
                for at, value in points
            ],
            "pain_chart_svg": pain_chart_svg(points),
            "body_map": {
                "regions": [region_label(key) for key in body.body_map_regions] if body else [],
                "worst": region_label(body.worst_region) if body and body.worst_region else "",
                "assessed_on": timezone.localdate(body.assessed_at).isoformat() if body else "",
            },
            "self_harm": {
                "flagged": flagged,
                "on": timezone.localdate(phq9[0].at).isoformat() if flagged else "",
            },
        }
    return parts


# --- the summary's procedures part ---------------------------------------------------------------


def _safety(review: Any, plan: Any) -> tuple[str, str]:
    if review is None:
        return "none", _("no safety review yet")
    day = _day(review.evaluated_for)
    if review.all_clear:
        return "clear", _("safety checks passed or overridden for %(day)s") % {"day": day}
    return "failing", _("safety checks not cleared for %(day)s") % {"day": day}


def procedure_parts(patients: Sequence[Patient]) -> dict[int, list[dict[str, Any]]]:
    """Active and proposed plans of each patient with their latest safety review: two queries."""
    from procedures.models import PlanStatus, ProcedurePlan, SafetyReview

    shown = (
        PlanStatus.PROPOSED,
        PlanStatus.AWAITING_MDT,
        PlanStatus.APPROVED,
        PlanStatus.SCHEDULED,
    )
    plans = list(
        ProcedurePlan.objects.filter(patient_id__in=[p.pk for p in patients], status__in=shown)
        .select_related("procedure_type")
        .order_by("patient_id", "planned_date", "id")
    )
    reviews = {
        review.plan_id: review
        for review in SafetyReview.objects.filter(plan__in=[plan.pk for plan in plans])
        .order_by("plan_id", "-evaluated_at", "-id")
        .distinct("plan_id")
    }
    parts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for plan in plans:
        safety, safety_label = _safety(reviews.get(plan.pk), plan)
        parts[plan.patient_id].append(
            {
                "code": str(plan.code),
                "label": str(plan),
                "status": plan.status,
                "status_label": str(plan.get_status_display()),
                "date": plan.target_date.isoformat(),
                "target": plan.target,
                "safety": safety,
                "safety_label": safety_label,
            }
        )
    return parts


def plan_options(patient_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Plans awaiting the team, by patient, for the decision form's choice: one query."""
    from procedures.models import PlanStatus, ProcedurePlan

    plans = (
        ProcedurePlan.objects.filter(
            patient_id__in=list(patient_ids), status=PlanStatus.AWAITING_MDT
        )
        .select_related("procedure_type")
        .order_by("planned_date", "id")
    )
    options: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for plan in plans:
        label = _("%(plan)s, planned for %(day)s") % {"plan": plan, "day": _day(plan.planned_date)}
        options[plan.patient_id].append((str(plan.code), label))
    return options


def approve_plan(
    *, plan_code: UUID, patient: Patient, decided_by: Any, meeting_reference: str
) -> None:
    """Approve the plan through the procedures app; its refusal becomes a MeetingError."""
    from meetings.services import MeetingError
    from procedures import services as procedure_services
    from procedures.models import ProcedurePlan

    plan = ProcedurePlan.objects.filter(code=plan_code, patient=patient).first()
    if plan is None:
        raise MeetingError(_("This procedure plan is not one of this patient's plans."))
    try:
        procedure_services.plan_approve_from_meeting(
            plan=plan, decided_by=decided_by, meeting_reference=meeting_reference
        )
    except ValueError as error:
        raise MeetingError(str(error)) from error
