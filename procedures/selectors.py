"""Reads of the procedures app. Each page's query count is fixed here, whatever the data size."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Min, Prefetch, Q, QuerySet
from django.db.models.functions import Round
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from clinic.accounts.models import DISPLAY_NAME_FIELDS, User
from clinic.accounts.roles import Role
from clinic.lib.dates import within_days
from clinic.lib.template_library import reverse_in_rows
from clinic.lib.timeline import TimelineEvent
from patients import selectors as patient_selectors
from patients.access import visible_patients
from patients.models import ClinicPolicy, LabTest, Patient
from procedures import evaluation, outcomes, safety
from procedures.models import (
    STAGE_ORDER,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    ProcedurePlan,
    ProcedureRecord,
    ProcedureType,
    SafetyReview,
)

# --- catalogue -----------------------------------------------------------------------------------


def procedure_types(*, include_inactive: bool = True, query: str = "") -> QuerySet[ProcedureType]:
    types = ProcedureType.objects.order_by("name")
    if not include_inactive:
        types = types.filter(is_active=True)
    if query:
        types = types.filter(name__icontains=query.strip())
    return types


def procedure_type_get(code: uuid.UUID | str) -> ProcedureType:
    return ProcedureType.objects.get(code=code)


def operators() -> QuerySet[User]:
    """Active clinicians, who may be a plan's operator or responsible clinician."""
    return User.objects.active().with_role(Role.CLINICIAN).order_by("last_name", "first_name")


def follow_up_days(procedure_type: ProcedureType, policy: ClinicPolicy) -> tuple[int, ...]:
    """The type's own schedule, else the clinic policy's for its category."""
    if procedure_type.follow_up_days:
        return tuple(sorted(procedure_type.follow_up_days))
    return policy.follow_up_days_for(procedure_type.category)


# --- plans ---------------------------------------------------------------------------------------

_PLAN_RELATED = (
    "patient",
    "patient__primary_clinician",
    "procedure_type",
    "operator",
    "approved_by",
    "cancelled_by",
    "created_by",
    "builds_on",
    "builds_on__procedure_type",
)


# What a plan's row of the chart shows: the rest of each plan, its procedure type's catalogue
# text and its operator's account stay in the database.
CHART_PLAN_FIELDS = (
    *("code", "patient", "stage", "status", "target", "level", "laterality"),
    *("planned_date", "scheduled_date", "procedure_type__name"),
    *(f"operator__{name}" for name in DISPLAY_NAME_FIELDS),
)


def plans_for_chart(patient: Patient) -> list[ProcedurePlan]:
    """The patient's plans for the chart, newest first, with pending follow-ups counted: one
    query, of what a row shows (CHART_PLAN_FIELDS)."""
    return list(
        ProcedurePlan.objects.filter(patient=patient)
        .select_related("procedure_type", "operator")
        .only(*CHART_PLAN_FIELDS)
        .annotate(
            pending_follow_ups=Count("follow_ups", filter=Q(follow_ups__status="pending")),
        )
        .order_by("-planned_date", "-id")
    )


@dataclass(frozen=True)
class EarlierStage:
    """A performed plan that a later stage may build on, with its measured response."""

    plan: ProcedurePlan
    response: StageResponse


def earlier_stage_options(patient: Patient) -> list[EarlierStage]:
    """Performed plans of the patient below the definitive stage, with their response: two
    queries."""
    plans = list(
        ProcedurePlan.objects.done()
        .filter(patient=patient)
        .exclude(stage="definitive")
        .select_related("procedure_type", "record")
        .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.order_by("day")))
        .order_by("-planned_date", "-id")
    )
    return [EarlierStage(plan, stage_response(plan)) for plan in plans]


# --- outcomes of one plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class PointOutcome:
    follow_up: FollowUp
    reduction: Decimal | None
    met: bool | None


@dataclass(frozen=True)
class StageResponse:
    """The plan's measured response: follow-up measurements against the baseline."""

    criterion: int
    baseline: Decimal | None
    points: tuple[PointOutcome, ...]
    met: bool | None  # None: nothing measured yet

    @property
    def best(self) -> Decimal | None:
        measured = [p.reduction for p in self.points if p.reduction is not None]
        return max(measured, default=None)


def stage_response(plan: ProcedurePlan) -> StageResponse:
    """From the snapshots on the record and follow-ups (refreshed by the services); no query
    when the record and follow-ups are loaded."""
    record = getattr(plan, "record", None) if plan.is_done else None
    baseline = record.baseline_pain if record is not None else None
    points = []
    if record is not None:
        for follow_up in plan.follow_ups.all():
            reduction = outcomes.reduction_percent(baseline, follow_up.pain)
            points.append(
                PointOutcome(
                    follow_up, reduction, outcomes.meets(reduction, plan.response_criterion_percent)
                )
            )
    met = outcomes.response_met((p.reduction for p in points), plan.response_criterion_percent)
    return StageResponse(plan.response_criterion_percent, baseline, tuple(points), met)


def later_stage_allowed(earlier: ProcedurePlan, stage: str) -> bool:
    return STAGE_ORDER.get(stage, 0) > STAGE_ORDER.get(earlier.stage, 0)


# --- the safety panel ----------------------------------------------------------------------------


def lab_policy(policy: ClinicPolicy) -> safety.LabPolicy:
    return safety.LabPolicy(
        platelets_min_low=policy.platelets_min_low,
        platelets_min_high=policy.platelets_min_high,
        inr_max=policy.inr_max,
        anc_min=policy.anc_min,
        max_lab_age=dt.timedelta(days=policy.max_lab_age_days),
        nadir_start_days=policy.nadir_start_days,
        nadir_end_days=policy.nadir_end_days,
    )


def safety_inputs(
    plan: ProcedurePlan,
    *,
    on: dt.date,
    policy: ClinicPolicy,
    latest_labs: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> evaluation.SafetyInputs:
    """What the safety checks need for `plan` on `on`: two queries, three without
    `latest_labs` (the chart header has them already)."""
    patient = plan.patient
    medications = patient_selectors.bleeding_medications(
        patient, stopped_since=on - dt.timedelta(days=30)
    )
    labs = latest_labs if latest_labs is not None else patient_selectors.latest_labs(patient)
    chemo = patient_selectors.chemotherapy_dates(
        patient, since=on - dt.timedelta(days=policy.nadir_end_days + 1), until=on
    )
    facts = {}
    for test in (LabTest.PLATELETS, LabTest.INR, LabTest.ANC):
        row = labs.get(test)
        if row is not None:
            facts[str(test)] = evaluation.LabFact(
                value=row.value.normalize(), taken_on=timezone.localtime(row.taken_at).date()
            )
    return evaluation.SafetyInputs(
        procedure_date=on,
        now=timezone.localtime(now or timezone.now()),
        base_risk=plan.procedure_type.bleeding_risk,
        marked_high_bleeding_risk=plan.patient_high_bleeding_risk,
        medications=[
            evaluation.MedicationFact(
                name=m.drug.name,
                drug_class=m.drug.drug_class,
                hold_key=m.drug.hold_key,
                started_on=m.started_on,
                stopped_on=m.stopped_on,
            )
            for m in medications
        ],
        labs=facts,
        chemotherapy_dates=chemo,
        infection_screen=plan.infection_screen,
        infection_note=plan.infection_note,
        consent_recorded=plan.consent_recorded,
        consent_date=plan.consent_date,
        policy=lab_policy(policy),
    )


def latest_review(plan: ProcedurePlan, on: dt.date) -> SafetyReview | None:
    return (
        SafetyReview.objects.filter(plan=plan, evaluated_for=on)
        .select_related("by")
        .order_by("-evaluated_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class PanelRow:
    result: dict[str, Any]
    override: dict[str, Any] | None

    @property
    def status(self) -> str:
        return str(self.result["status"])

    @property
    def cleared(self) -> bool:
        return self.status == safety.PASS or self.override is not None


@dataclass(frozen=True)
class SafetyPanel:
    """What the plan page shows: the live evaluation for the date and the latest stored review."""

    on: dt.date
    live: evaluation.Evaluation
    review: SafetyReview | None
    rows: list[PanelRow]
    stale: bool  # the stored review says something else than the data now

    @property
    def recorded(self) -> bool:
        return self.review is not None

    @property
    def all_clear(self) -> bool:
        return self.review is not None and self.review.all_clear

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts["overridden" if row.override and row.status != safety.PASS else row.status] += 1
        return dict(counts)


def safety_panel(
    plan: ProcedurePlan,
    *,
    on: dt.date,
    policy: ClinicPolicy,
    latest_labs: dict[str, Any] | None = None,
) -> SafetyPanel:
    live = evaluation.evaluate(safety_inputs(plan, on=on, policy=policy, latest_labs=latest_labs))
    review = latest_review(plan, on)
    if review is None:
        rows = [PanelRow(result, None) for result in live.results]
        return SafetyPanel(on, live, None, rows, stale=False)
    rows = [PanelRow(result, review.overrides.get(result["code"])) for result in review.results]
    stale = not evaluation.same_findings(review.results, live.results) or (
        review.effective_risk != live.effective_risk
    )
    return SafetyPanel(on, live, review, rows, stale=stale)


# --- the plan page -------------------------------------------------------------------------------


@dataclass
class PlanPage:
    plan: ProcedurePlan
    header: Any
    panel: SafetyPanel | None
    record: ProcedureRecord | None
    follow_ups: list[FollowUp]
    response: StageResponse
    later_stages: list[ProcedurePlan]
    earlier_response: StageResponse | None
    reviews: list[SafetyReview] = field(default_factory=list)


def plan_page(plan: ProcedurePlan, *, today: dt.date | None = None) -> PlanPage:
    """Everything the plan page shows, in a fixed number of queries (tests/procedures)."""
    today = today or timezone.localdate()
    header = patient_selectors.patient_header(plan.patient, today=today)
    follow_ups = list(
        plan.follow_ups.select_related("responsible", "completed_by").order_by("day", "id")
    )
    record = (
        ProcedureRecord.objects.select_related("performed_by").filter(plan=plan).first()
        if plan.is_done
        else None
    )
    if record is not None:
        plan.record = record  # type: ignore[misc]
    # The follow-ups just loaded serve the outcome (no second query).
    plan._prefetched_objects_cache = {"follow_ups": follow_ups}  # type: ignore[attr-defined]
    response = stage_response(plan)
    panel = None
    if plan.is_open:
        panel = safety_panel(
            plan,
            on=max(plan.target_date, today),
            policy=header.policy,
            latest_labs=patient_selectors.latest_labs(plan.patient),
        )
    earlier_response = None
    if plan.builds_on is not None and plan.builds_on.is_done:
        earlier = (
            ProcedurePlan.objects.select_related("record", "procedure_type")
            .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.order_by("day")))
            .get(pk=plan.builds_on_id)
        )
        earlier_response = stage_response(earlier)
    later = list(plan.later_stages.select_related("procedure_type").order_by("planned_date"))
    reviews = list(plan.safety_reviews.select_related("by").order_by("-evaluated_at", "-id")[:10])
    return PlanPage(
        plan=plan,
        header=header,
        panel=panel,
        record=record,
        follow_ups=follow_ups,
        response=response,
        later_stages=later,
        earlier_response=earlier_response,
        reviews=reviews,
    )


def assessment_link(patient_code: uuid.UUID, follow_up_code: uuid.UUID) -> str:
    """The assessments app's form for a post-procedure follow-up ("" until that app exists)."""
    try:
        url = reverse("assessments:assessment-create", kwargs={"patient_code": patient_code})
    except NoReverseMatch:
        return ""
    return f"{url}?context=post_procedure&follow_up={follow_up_code}"


# --- follow-ups ----------------------------------------------------------------------------------


def follow_ups_due(
    user: Any,
    *,
    responsible: User | None = None,
    status: str = FollowUpStatus.PENDING,
    due_by: dt.date | None = None,
) -> QuerySet[FollowUp]:
    follow_ups = FollowUp.objects.filter(plan__patient__in=visible_patients(user)).select_related(
        "plan", "plan__patient", "plan__procedure_type", "responsible"
    )
    if status:
        follow_ups = follow_ups.filter(status=status)
    if responsible is not None:
        follow_ups = follow_ups.filter(responsible=responsible)
    if due_by is not None:
        follow_ups = follow_ups.filter(due_date__lte=due_by)
    return follow_ups.order_by("due_date", "id")


# --- outcomes report -----------------------------------------------------------------------------


@dataclass
class PointSummary:
    day: int
    kind: str
    due: int = 0
    measured: int = 0
    reached: dict[int, int] = field(
        default_factory=lambda: dict.fromkeys(outcomes.REPORT_THRESHOLDS, 0)
    )

    def share(self, threshold: int) -> Decimal | None:
        if not self.measured:
            return None
        return (Decimal(self.reached[threshold]) * 100 / self.measured).quantize(Decimal("1"))

    @property
    def share_30(self) -> Decimal | None:
        return self.share(30)

    @property
    def share_50(self) -> Decimal | None:
        return self.share(50)


@dataclass
class OutcomeRow:
    procedure_type: str
    operator: str
    performed: int = 0
    with_complications: int = 0
    complications: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    points: dict[int, PointSummary] = field(default_factory=dict)

    @property
    def point_list(self) -> list[PointSummary]:
        return [self.points[day] for day in sorted(self.points)]

    @property
    def complication_counts(self) -> list[tuple[str, int]]:
        order = ["mild", "moderate", "severe"]
        return sorted(
            self.complications.items(),
            key=lambda item: order.index(item[0]) if item[0] in order else 9,
        )


def outcomes_report(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    procedure_type: ProcedureType | None = None,
    by_operator: bool = False,
) -> list[OutcomeRow]:
    """Performed procedures per type (and operator) with their measured outcomes.

    Each performed procedure counts once; a follow-up point counts as measured when the record
    has a baseline and the follow-up a pain score (snapshots kept by the services), and reaches
    a threshold when its reduction (outcomes.reduction_percent, to one decimal) does.

    Counted by PostgreSQL, three queries (and one for the operators' names) whatever the
    number of procedures: on a clinic of some 50,000 procedures, reading them all with their
    follow-ups took over ten seconds.
    """
    records = ProcedureRecord.objects.filter(within_days("performed_at", date_from, date_to))
    if procedure_type is not None:
        records = records.filter(plan__procedure_type=procedure_type)
    records = records.order_by()
    group = ["plan__procedure_type__name", *(["performed_by"] if by_operator else [])]

    def key_of(values: dict[str, Any], prefix: str = "") -> tuple[str, int | None]:
        return values[f"{prefix}plan__procedure_type__name"], values.get(f"{prefix}performed_by")

    counts = records.values(*group).annotate(
        performed=Count("id"), with_complications=Count("id", filter=Q(had_complications=True))
    )
    baseline, pain = F("record__baseline_pain"), F("pain")
    measured = Q(pain__isnull=False, record__baseline_pain__gt=0)
    reduction = Round((baseline - pain) / baseline * 100, 1)
    points = (
        FollowUp.objects.filter(record__in=records.values("id"))
        .order_by()
        .values(*(f"record__{name}" for name in group), "day")
        .annotate(
            kind=Min("kind"),
            due=Count("id"),
            measured=Count("id", filter=measured),
            **{
                f"reached_{threshold}": Count(
                    "id", filter=measured & Q(GreaterThanOrEqual(reduction, threshold))
                )
                for threshold in outcomes.REPORT_THRESHOLDS
            },
        )
    )
    complications = _complication_counts(records, by_operator=by_operator)

    counted = list(counts)
    operators = {key_of(values)[1] for values in counted} - {None}
    names = {
        pk: user.display_name for pk, user in User.objects.names_only().in_bulk(operators).items()
    }
    kinds = dict(FollowUpKind.choices)
    rows: dict[tuple[str, str], OutcomeRow] = {}

    def row_of(type_name: str, operator: int | None) -> OutcomeRow:
        # Rows are named by the operator's name, as the report shows them.
        name = names.get(operator, "") if by_operator else ""
        return rows.setdefault((type_name, name), OutcomeRow(type_name, name))

    for values in counted:
        row = row_of(*key_of(values))
        row.performed += values["performed"]
        row.with_complications += values["with_complications"]
    for (type_name, operator, severity), number in complications.items():
        row_of(type_name, operator).complications[severity] += number
    for values in points:
        row = row_of(*key_of(values, "record__"))
        day = values["day"]
        point = row.points.setdefault(day, PointSummary(day, str(kinds.get(values["kind"], ""))))
        point.due += values["due"]
        point.measured += values["measured"]
        for threshold in outcomes.REPORT_THRESHOLDS:
            point.reached[threshold] += values[f"reached_{threshold}"]
    return [rows[key] for key in sorted(rows)]


def _complication_counts(
    records: QuerySet[ProcedureRecord], *, by_operator: bool
) -> dict[tuple[str, int | None, str], int]:
    """How many complications of each severity the records with complications list, by
    procedure type (and operator): one query. Each element of a record's `complications` counts;
    one without a severity counts under ""."""
    ids, params = records.filter(had_complications=True).values("id").query.sql_with_params()
    record_table = ProcedureRecord._meta.db_table
    plan_table = ProcedurePlan._meta.db_table
    type_table = ProcedureType._meta.db_table
    operator = "r.performed_by_id" if by_operator else "NULL::bigint"
    sql = f"""
        SELECT t.name, {operator}, COALESCE(c.element ->> 'severity', ''), count(*)
        FROM {record_table} r
        JOIN {plan_table} p ON p.id = r.plan_id
        JOIN {type_table} t ON t.id = p.procedure_type_id
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(r.complications) = 'array' THEN r.complications
            ELSE '[]'::jsonb END
        ) AS c(element)
        WHERE r.id IN ({ids})
        GROUP BY 1, 2, 3
    """  # noqa: S608 (table names from the models; the values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(name, who, severity): number for name, who, severity, number in cursor}


# --- timeline ------------------------------------------------------------------------------------


def timeline_events(patient: Any) -> Iterable[TimelineEvent]:
    """Performed procedures on the patient's time axis (clinic/lib/timeline.py): one query."""
    records = (
        ProcedureRecord.objects.filter(plan__patient=patient)
        .select_related("plan__procedure_type")
        .only("performed_at", "plan__code", "plan__procedure_type__name")
    )
    return [
        TimelineEvent(
            on=timezone.localtime(record.performed_at).date(),
            kind="procedure",
            label=record.plan.procedure_type.name,
            link_url=reverse_in_rows("procedures:plan-detail", code=record.plan.code),
        )
        for record in records.order_by("performed_at")
    ]


# --- discharge instructions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Restart:
    drug: str
    restart_from: dt.datetime


@dataclass(frozen=True)
class DischargeSheet:
    plan: ProcedurePlan
    record: ProcedureRecord
    procedure_type: ProcedureType
    warning_signs: list[str]
    restarts: list[Restart]
    next_follow_up: FollowUp | None


def discharge_sheet(plan: ProcedurePlan) -> DischargeSheet:
    """What the patient takes home: three queries."""
    record = ProcedureRecord.objects.select_related("performed_by").get(plan=plan)
    follow_ups = list(plan.follow_ups.order_by("due_date", "id"))
    next_follow_up = next((f for f in follow_ups if f.is_pending), None)
    performed_on = timezone.localtime(record.performed_at).date()
    review = (
        SafetyReview.objects.filter(plan=plan, evaluated_for=performed_on)
        .order_by("-evaluated_at", "-id")
        .first()
    )
    restarts = []
    for result in review.results if review is not None else []:
        hours = result.get("restart_after_hours")
        if result.get("action") == safety.STOP and hours is not None:
            restarts.append(
                Restart(
                    drug=result["drug"],
                    restart_from=timezone.localtime(record.performed_at)
                    + dt.timedelta(hours=hours),
                )
            )
    return DischargeSheet(
        plan=plan,
        record=record,
        procedure_type=plan.procedure_type,
        warning_signs=plan.procedure_type.warning_sign_lines(),
        restarts=restarts,
        next_follow_up=next_follow_up,
    )


# --- outcomes as CSV -----------------------------------------------------------------------------

OUTCOME_CSV_HEADER = [
    "procedure",
    "operator",
    "performed",
    "with complications",
    "mild",
    "moderate",
    "severe",
    "follow-up day",
    "follow-up",
    "due",
    "measured",
    "reduction >= 30%",
    "share >= 30% (%)",
    "reduction >= 50%",
    "share >= 50% (%)",
]


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell starting with = + - @ as a formula: quote names that do.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def outcome_csv_rows(rows: Iterable[OutcomeRow]) -> list[list[Any]]:
    lines = []
    for row in rows:
        common = [
            _cell(row.procedure_type),
            _cell(row.operator),
            row.performed,
            row.with_complications,
            row.complications.get("mild", 0),
            row.complications.get("moderate", 0),
            row.complications.get("severe", 0),
        ]
        points = row.point_list or [None]
        for point in points:
            if point is None:
                lines.append([*common, "", "", 0, 0, 0, "", 0, ""])
                continue
            lines.append(
                [
                    *common,
                    point.day,
                    point.kind,
                    point.due,
                    point.measured,
                    point.reached[30],
                    "" if point.share_30 is None else point.share_30,
                    point.reached[50],
                    "" if point.share_50 is None else point.share_50,
                ]
            )
    return lines
