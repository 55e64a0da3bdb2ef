"""Reads of assessments. Each page's query count is fixed here, whatever the history length.

The pain intensity of an assessment is its NRS score when recorded, else its BPI "average pain"
(`Assessment.pain_intensity`). A clinically important change in pain intensity is a change of
2 points or of 30 % (IMMPACT: Farrar et al., Pain 2001;94:149-158; Dworkin et al., J Pain
2008;9:105-121).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.utils import timezone
from pghistory.models import Events

from assessments.instruments import INSTRUMENTS, InstrumentSpec, ItemSpec
from assessments.measures import MEASURES, Measure, reached, value_of
from assessments.models import (
    DEFAULT_INSTRUMENTS,
    Assessment,
    AssessmentContext,
    GoalMeasure,
    GoalReview,
    InstrumentResponse,
)
from clinic.accounts.models import User
from patients.access import visible_patients
from patients.models import Goal, Patient, PatientStatus
from patients.selectors import policy_get

PAGE_SIZE = 25
SEVERE_PAIN = Decimal(7)
IMPORTANT_POINTS = Decimal(2)
IMPORTANT_FRACTION = Decimal("0.3")
# Instruments where a higher number is better (performance scales).
HIGHER_IS_BETTER = frozenset({"kps", "pps"})


# --- pain intensity over time (the contract with procedures and meetings) -------------------------


@dataclass(frozen=True)
class PainPoint:
    at: dt.datetime
    value: Decimal
    source: str  # "nrs" | "bpi_average"
    assessment_code: uuid.UUID


def _pain_rows(patient: Patient) -> QuerySet[Assessment]:
    return (
        Assessment.objects.current()
        .filter(patient=patient, pain_intensity__isnull=False)
        .order_by("assessed_at", "id")
    )


def _points(rows: Iterable[tuple[Any, ...]]) -> list[PainPoint]:
    return [PainPoint(at, value, source, code) for at, value, source, code in rows]


_POINT_FIELDS = ("assessed_at", "pain_intensity", "pain_source", "code")


def pain_intensity_series(patient: Patient, *, since: dt.datetime | None = None) -> list[PainPoint]:
    """Every pain intensity of the patient, oldest first, without entries in error (one query).

    With `since`: only from the latest one at or before `since` onwards, which is all a moment
    after `since` needs (its "latest before" and what follows). A patient seen for years has
    hundreds; saving an assessment reads the series of their recent procedures only.
    """
    rows = _pain_rows(patient)
    if since is not None:
        latest_before = (
            _pain_rows(patient)
            .filter(assessed_at__lte=since)
            .order_by("-assessed_at", "-id")
            .values("assessed_at")[:1]
        )
        # No score before `since`: the subquery is NULL and only the later ones are kept.
        rows = rows.filter(Q(assessed_at__gte=Subquery(latest_before)) | Q(assessed_at__gt=since))
    return _points(rows.values_list(*_POINT_FIELDS))


def pain_intensity_before(patient: Patient, moment: dt.datetime) -> PainPoint | None:
    """The latest pain intensity at or before `moment` (one query)."""
    row = (
        _pain_rows(patient)
        .filter(assessed_at__lte=moment)
        .order_by("-assessed_at", "-id")
        .values_list(*_POINT_FIELDS)
        .first()
    )
    return PainPoint(*row) if row else None


def pain_intensity_between(
    patient: Patient, start: dt.datetime, end: dt.datetime
) -> list[PainPoint]:
    """Pain intensities from `start` to `end` inclusive, oldest first (one query)."""
    rows = _pain_rows(patient).filter(assessed_at__gte=start, assessed_at__lte=end)
    return _points(rows.values_list(*_POINT_FIELDS))


# --- changes -------------------------------------------------------------------------------------


def pain_change_is_important(previous: Decimal, current: Decimal) -> bool:
    """A change of 2 points or 30 % of the previous score (IMMPACT)."""
    delta = abs(current - previous)
    if delta == 0:
        return False
    return delta >= IMPORTANT_POINTS or (previous > 0 and delta / previous >= IMPORTANT_FRACTION)


@dataclass(frozen=True)
class Change:
    """From `previous` to `current`; `worse` says which way is bad for this scale."""

    current: Decimal
    previous: Decimal
    higher_is_worse: bool = True
    important: bool = False

    @property
    def delta(self) -> Decimal:
        return self.current - self.previous

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"

    @property
    def worse(self) -> bool:
        return self.delta > 0 if self.higher_is_worse else self.delta < 0

    @property
    def better(self) -> bool:
        return self.delta != 0 and not self.worse

    @property
    def tone(self) -> str:
        """ "worse" or "better" when clinically important, else "" (colours the arrow)."""
        if not self.important or self.delta == 0:
            return ""
        return "worse" if self.worse else "better"


def change_of(
    instrument: str, current: Decimal | None, previous: Decimal | None, *, pain: bool = False
) -> Change | None:
    if current is None or previous is None:
        return None
    return Change(
        current=current,
        previous=previous,
        higher_is_worse=instrument not in HIGHER_IS_BETTER,
        important=pain and pain_change_is_important(previous, current),
    )


# --- latest scores (chart header, meetings' case summaries) -------------------------------------


@dataclass(frozen=True)
class ScoreLine:
    instrument: str
    total: Decimal
    band: str
    flags: tuple[str, ...]
    subscores: dict[str, Any]
    answers: dict[str, Any]
    at: dt.datetime
    assessment_code: uuid.UUID
    change: Change | None

    @property
    def spec(self) -> InstrumentSpec:
        return INSTRUMENTS[self.instrument]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def band_label(self) -> str:
        return next((b.label for b in self.spec.bands if b.slug == self.band), "")


@dataclass(frozen=True)
class SevereSymptom:
    label: str
    value: int


@dataclass(frozen=True)
class LatestScores:
    pain: PainPoint | None
    pain_change: Change | None
    lines: tuple[ScoreLine, ...]
    self_harm: ScoreLine | None  # the latest PHQ-9, when its item 9 is above 0
    severe_symptoms: tuple[SevereSymptom, ...]  # items ≥ 7 of the latest ESAS-r
    severe_pain_twice: bool  # pain intensity ≥ 7 on the two latest assessments

    @property
    def by_instrument(self) -> dict[str, ScoreLine]:
        return {line.instrument: line for line in self.lines}

    @property
    def has_alerts(self) -> bool:
        return bool(self.self_harm or self.severe_symptoms or self.severe_pain_twice)


# The two latest responses of each instrument, with their assessment's moment, code and pain
# intensity (not in error). Written as SQL: the ORM's version of this window query (a filter on a
# window, which Django wraps in two subqueries) took longer to build and compile than
# PostgreSQL took to run it, on every chart.
_LATEST_TWO_RESPONSES = """
    SELECT response.*, assessment.assessed_at AS at, assessment.code AS assessment_code,
           assessment.pain_intensity AS assessment_pain,
           assessment.pain_source AS assessment_pain_source, ranked.rank
    FROM (
        SELECT response.id, row_number() OVER (
            PARTITION BY response.instrument
            ORDER BY assessment.assessed_at DESC, response.assessment_id DESC
        ) AS rank
        FROM {responses} response
        JOIN {assessments} assessment ON assessment.id = response.assessment_id
        WHERE assessment.patient_id = %s AND assessment.entered_in_error_at IS NULL
    ) ranked
    JOIN {responses} response ON response.id = ranked.id
    JOIN {assessments} assessment ON assessment.id = response.assessment_id
    WHERE ranked.rank <= 2
"""


def _latest_two_responses(patient: Patient) -> list[InstrumentResponse]:
    sql = _LATEST_TWO_RESPONSES.format(
        responses=InstrumentResponse._meta.db_table, assessments=Assessment._meta.db_table
    )
    ranked = InstrumentResponse.objects.raw(sql, [patient.pk])
    return sorted(ranked, key=lambda r: (r.instrument, r.rank))  # type: ignore[attr-defined]


def _latest_pain(responses: Sequence[InstrumentResponse]) -> list[PainPoint]:
    """The two latest pain intensities, newest first, from the latest NRS and BPI responses:
    every assessment with a pain intensity has one of them, so the two latest are among the
    two latest of each."""
    points = {
        response.assessment_code: PainPoint(  # type: ignore[attr-defined]
            response.at,  # type: ignore[attr-defined]
            response.assessment_pain,  # type: ignore[attr-defined]
            response.assessment_pain_source,  # type: ignore[attr-defined]
            response.assessment_code,  # type: ignore[attr-defined]
        )
        for response in responses
        if response.instrument in ("nrs", "bpi") and response.assessment_pain is not None  # type: ignore[attr-defined]
    }
    return sorted(points.values(), key=lambda p: p.at, reverse=True)[:2]


def _score_lines(responses: Sequence[InstrumentResponse]) -> list[ScoreLine]:
    by_instrument: dict[str, list[InstrumentResponse]] = {}
    for response in responses:
        by_instrument.setdefault(response.instrument, []).append(response)
    lines = []
    for code in INSTRUMENTS:
        rows = by_instrument.get(code)
        if not rows:
            continue
        latest = rows[0]
        previous = rows[1] if len(rows) > 1 else None
        lines.append(
            ScoreLine(
                instrument=code,
                total=latest.total,
                band=latest.band,
                flags=tuple(latest.flags),
                subscores=latest.subscores,
                answers=latest.answers,
                at=latest.at,  # type: ignore[attr-defined]
                assessment_code=latest.assessment_code,  # type: ignore[attr-defined]
                change=change_of(code, latest.total, previous.total if previous else None),
            )
        )
    return lines


def _severe_symptoms(line: ScoreLine | None) -> tuple[SevereSymptom, ...]:
    if line is None:
        return ()
    spec = INSTRUMENTS["esas_r"]
    symptoms = []
    for flag in line.flags:
        key = flag.removeprefix("severe_")
        value = line.answers.get(key)
        if key == "other":
            label = line.answers.get("other_label") or spec.item("other").label
        else:
            label = spec.item(key).label
        symptoms.append(SevereSymptom(str(label), int(value or 0)))
    return tuple(sorted(symptoms, key=lambda s: (-s.value, s.label)))


def latest_scores(patient: Patient) -> LatestScores:
    """The latest score of each instrument with its change from the one before (one query)."""
    responses = _latest_two_responses(patient)
    pain_rows = _latest_pain(responses)
    lines = _score_lines(responses)
    by_code = {line.instrument: line for line in lines}
    pain = pain_rows[0] if pain_rows else None
    previous_pain = pain_rows[1] if len(pain_rows) > 1 else None
    phq9 = by_code.get("phq9")
    return LatestScores(
        pain=pain,
        pain_change=change_of(
            "nrs",
            pain.value if pain else None,
            previous_pain.value if previous_pain else None,
            pain=True,
        ),
        lines=tuple(lines),
        self_harm=phq9 if phq9 is not None and "self_harm" in phq9.flags else None,
        severe_symptoms=_severe_symptoms(by_code.get("esas_r")),
        severe_pain_twice=len(pain_rows) == 2 and all(p.value >= SEVERE_PAIN for p in pain_rows),
    )


# --- worsening pain (dashboard, team-meeting suggestions) ---------------------------------------


@dataclass(frozen=True)
class WorseningPain:
    patient: Patient
    latest: PainPoint
    previous: PainPoint
    reason: str  # "severe_twice" | "rise"

    @property
    def change(self) -> Change:
        return Change(self.latest.value, self.previous.value, important=True)


def patients_with_worsening_pain(
    *,
    user: Any,
    limit: int = 25,
    within_days: int | None = 90,
    exclude: Collection[int] = (),
    fields: Sequence[str] = (),
) -> list[WorseningPain]:
    """Patients `user` may open whose pain is worsening, most recent first (one query).

    Worsening: pain intensity ≥ 7 on the two latest assessments, or a rise of 2 points or 30 %
    from the previous one. Only active patients, and only when the latest assessment is at
    most `within_days` old (older news is no longer actionable; None looks at all). Patients
    whose ids are in `exclude` are left out (an agenda's cases already listed). Each patient
    comes with their primary clinician, or with only `fields` when those are given.
    """
    scored = Assessment.objects.current().filter(pain_intensity__isnull=False)
    same_patient = scored.filter(patient_id=OuterRef("pk"))
    # "After (or before) the latest in (assessed_at, id) order". The bound on assessed_at alone
    # repeats part of the condition so that each probe is a short range of the patient's
    # assessments on the (patient, assessed_at) index, not a filter over their whole history.
    newer = same_patient.filter(assessed_at__gte=OuterRef("latest_at")).filter(
        Q(assessed_at__gt=OuterRef("latest_at")) | Q(id__gt=OuterRef("latest_id"))
    )
    earlier = (
        same_patient.filter(assessed_at__lte=OuterRef("latest_at"))
        .filter(Q(assessed_at__lt=OuterRef("latest_at")) | Q(id__lt=OuterRef("latest_id")))
        .order_by("-assessed_at", "-id")
    )

    def before(column: str) -> Subquery:
        return Subquery(earlier.values(column)[:1])

    # Whether the latest value is worse than the previous one (the row `earlier` finds): read
    # in the one probe that finds the previous assessment, not once for each part of the rule.
    latest_value = ExpressionWrapper(OuterRef("latest_value"), output_field=DecimalField())
    previous_value = F("pain_intensity")
    worse_than_previous = earlier.annotate(
        worse=ExpressionWrapper(
            Q(
                GreaterThanOrEqual(latest_value, SEVERE_PAIN),
                GreaterThanOrEqual(previous_value, SEVERE_PAIN),
            )
            | Q(GreaterThanOrEqual(latest_value, previous_value + IMPORTANT_POINTS))
            | Q(
                GreaterThan(latest_value, previous_value),
                GreaterThanOrEqual(latest_value, previous_value * (1 + IMPORTANT_FRACTION)),
            ),
            output_field=BooleanField(),
        )
    ).values("worse")[:1]

    # The patients the user may open, each with their scored assessments (one filter call: one
    # join), keeping each patient's latest; newest first. PostgreSQL walks the newest rows on
    # the assessed_at index and stops after `limit` matches, so the cost does not grow with the
    # clinic's history; starting from the patients (not `patient__in=visible_patients(...)`)
    # checks access on the patient row read anyway, which halves the planning time.
    patients = visible_patients(user).filter(status=PatientStatus.ACTIVE)
    if exclude:
        patients = patients.exclude(pk__in=list(exclude))
    recent = Q()
    if within_days is not None:
        recent = Q(assessments__assessed_at__gte=timezone.now() - dt.timedelta(days=within_days))
    ranked = (
        patients.filter(
            recent,
            assessments__entered_in_error_at__isnull=True,
            assessments__pain_intensity__isnull=False,
        )
        .annotate(
            latest_id=F("assessments__id"),
            latest_at=F("assessments__assessed_at"),
            latest_value=F("assessments__pain_intensity"),
            latest_source=F("assessments__pain_source"),
            latest_code=F("assessments__code"),
        )
        .filter(~Exists(newer))
        .alias(worsening=Subquery(worse_than_previous, output_field=BooleanField()))
        .filter(worsening=True)
        .annotate(
            previous_value=before("pain_intensity"),
            previous_at=before("assessed_at"),
            previous_source=before("pain_source"),
            previous_code=before("code"),
        )
        .order_by("-latest_at", "-latest_id")
    )
    ranked = ranked.only(*fields) if fields else ranked.select_related("primary_clinician")
    rows = []
    for patient in ranked[:limit]:
        latest = PainPoint(
            patient.latest_at, patient.latest_value, patient.latest_source, patient.latest_code
        )
        previous = PainPoint(
            patient.previous_at,
            patient.previous_value,
            patient.previous_source,
            patient.previous_code,
        )
        severe = latest.value >= SEVERE_PAIN and previous.value >= SEVERE_PAIN
        rows.append(WorseningPain(patient, latest, previous, "severe_twice" if severe else "rise"))
    return rows


# --- the list of a patient's assessments --------------------------------------------------------


@dataclass
class AssessmentRow:
    assessment: Assessment
    responses: dict[str, InstrumentResponse]
    pain_change: Change | None
    changes: dict[str, Change] = field(default_factory=dict)


def _previous_pain() -> Subquery:
    return Subquery(
        Assessment.objects.current()
        .filter(patient=OuterRef("patient"), pain_intensity__isnull=False)
        .filter(
            Q(assessed_at__lt=OuterRef("assessed_at"))
            | Q(assessed_at=OuterRef("assessed_at"), id__lt=OuterRef("id"))
        )
        .order_by("-assessed_at", "-id")
        .values("pain_intensity")[:1]
    )


def _responses_with_previous() -> QuerySet[InstrumentResponse]:
    previous = (
        InstrumentResponse.objects.filter(
            assessment__patient=OuterRef("assessment__patient"),
            assessment__entered_in_error_at__isnull=True,
            instrument=OuterRef("instrument"),
        )
        .filter(
            Q(assessment__assessed_at__lt=OuterRef("assessment__assessed_at"))
            | Q(
                assessment__assessed_at=OuterRef("assessment__assessed_at"),
                assessment_id__lt=OuterRef("assessment_id"),
            )
        )
        .order_by("-assessment__assessed_at", "-assessment_id")
        .values("total")[:1]
    )
    return InstrumentResponse.objects.annotate(previous_total=Subquery(previous))


def assessment_page(
    patient: Patient, *, page_number: Any = 1, show_in_error: bool = True
) -> tuple[Page, list[AssessmentRow]]:
    """One page of the patient's assessments, newest first, each with its changes from the
    previous assessment (a count, the page and its responses: three queries)."""
    assessments = (
        Assessment.objects.filter(patient=patient)
        .select_related("assessed_by", "created_by", "entered_in_error_by")
        .annotate(previous_pain=_previous_pain())
        .prefetch_related(Prefetch("responses", queryset=_responses_with_previous()))
        .order_by("-assessed_at", "-id")
    )
    if not show_in_error:
        assessments = assessments.filter(entered_in_error_at__isnull=True)
    page = Paginator(assessments, PAGE_SIZE).get_page(page_number)
    rows = []
    for assessment in page.object_list:
        responses = {r.instrument: r for r in assessment.responses.all()}
        current = not assessment.in_error
        rows.append(
            AssessmentRow(
                assessment=assessment,
                responses=responses,
                pain_change=change_of(
                    "nrs",
                    assessment.pain_intensity,
                    assessment.previous_pain,  # type: ignore[attr-defined]
                    pain=True,
                )
                if current
                else None,
                changes={
                    code: change
                    for code, response in responses.items()
                    if current
                    and (
                        change := change_of(
                            code,
                            response.total,
                            response.previous_total,  # type: ignore[attr-defined]
                        )
                    )
                    is not None
                },
            )
        )
    return page, rows


def assessment_count(patient: Patient) -> int:
    return Assessment.objects.current().filter(patient=patient).count()


# --- one assessment ------------------------------------------------------------------------------


def get_assessment(code: Any, *, for_update: bool = False) -> Assessment:
    """The assessment with `code`, its patient and people (raises Assessment.DoesNotExist)."""
    return Assessment.objects.select_related(
        "patient", "patient__primary_clinician", "assessed_by", "created_by", "entered_in_error_by"
    ).get(code=code)


@dataclass(frozen=True)
class AnswerRow:
    item: ItemSpec
    value: Any
    answer_label: str

    @property
    def answered(self) -> bool:
        return self.value is not None and self.value != ""


@dataclass(frozen=True)
class ResponseDetail:
    response: InstrumentResponse
    spec: InstrumentSpec
    rows: tuple[AnswerRow, ...]

    @property
    def band_label(self) -> str:
        return next((b.label for b in self.spec.bands if b.slug == self.response.band), "")


def _answer_label(item: ItemSpec, value: Any) -> str:
    if value is None or value == "":
        return ""
    for choice in item.choices:
        same_kind = isinstance(choice.value, bool) == isinstance(value, bool)
        if same_kind and choice.value == value:
            return choice.label
    if item.anchors and value in (item.minimum, item.maximum):
        return item.anchors[0] if value == item.minimum else item.anchors[1]
    return ""


def response_details(assessment: Assessment) -> list[ResponseDetail]:
    """Question and answer side by side for each instrument (one query)."""
    responses = sorted(
        assessment.responses.all(), key=lambda r: list(INSTRUMENTS).index(r.instrument)
    )
    details = []
    for response in responses:
        spec = INSTRUMENTS[response.instrument]
        answers = response.answers or {}
        rows = tuple(
            AnswerRow(item, answers.get(item.key), _answer_label(item, answers.get(item.key)))
            for item in spec.items
        )
        details.append(ResponseDetail(response, spec, rows))
    return details


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    who: str
    what: str
    changes: tuple[tuple[str, str, str], ...]


_HIDDEN = {"id", "updated_at", "created_at", "version", "assessment", "patient", "code"}


def assessment_history(assessment: Assessment) -> list[HistoryEntry]:
    """Edits of the assessment and its responses, newest first (two queries)."""
    events = list(
        Events.objects.references(assessment)
        .across(
            Assessment.pgh_event_models["insert"],  # type: ignore[attr-defined]
            InstrumentResponse.pgh_event_models["insert"],  # type: ignore[attr-defined]
        )
        .order_by("-pgh_created_at", "-pgh_id")
    )
    user_ids = {int(e.pgh_context["user"]) for e in events if (e.pgh_context or {}).get("user")}
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    entries = []
    for event in events:
        data = event.pgh_data or {}
        if event.pgh_model.endswith("InstrumentResponseEvent"):
            spec = INSTRUMENTS.get(data.get("instrument", ""))
            what = spec.name if spec else str(data.get("instrument", ""))
        else:
            what = "Assessment"
        if event.pgh_label == "update":
            model = InstrumentResponse if what != "Assessment" else Assessment
            changes = tuple(_changes(model, event.pgh_diff or {}))
            if not changes:
                continue
        else:
            changes = ()
        user = (event.pgh_context or {}).get("user")
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                who=names.get(int(user), "") if user else "",
                what=what,
                changes=changes,
            )
        )
    return entries


def _changes(model: type[Any], diff: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Readable changes: field labels, and only the answers that changed."""
    rows = []
    for name, (before, after) in sorted(diff.items()):
        if name.removesuffix("_id") in _HIDDEN:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    rows.append((key, _short(before.get(key)), _short(after.get(key))))
            continue
        try:
            label = str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
        except Exception:  # a field removed since the event was recorded
            label = name
        rows.append((label, _short(before), _short(after)))
    return rows


def _short(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{Decimal(str(value)).normalize():f}"
    return str(value)


# --- the record page -----------------------------------------------------------------------------


def default_instrument_codes() -> list[str]:
    codes = list(policy_get().default_instruments or DEFAULT_INSTRUMENTS)
    return [code for code in INSTRUMENTS if code in codes]


def default_context(patient: Patient) -> str:
    has_any = Assessment.objects.current().filter(patient=patient).exists()
    return AssessmentContext.REVIEW if has_any else AssessmentContext.INITIAL


# --- goals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    measure: Measure | None
    at_most: bool
    values: tuple[tuple[dt.datetime, Decimal], ...]  # oldest first
    reviews: tuple[GoalReview, ...]

    @property
    def latest(self) -> Decimal | None:
        return self.values[-1][1] if self.values else None

    @property
    def latest_at(self) -> dt.datetime | None:
        return self.values[-1][0] if self.values else None

    @property
    def reached(self) -> bool:
        return reached(self.latest, target=self.goal.target, at_most=self.at_most)

    @property
    def symbol(self) -> str:
        return "≤" if self.at_most else "≥"


def _load_goals(patient: Patient, *, reviews: bool = True) -> list[Goal]:
    goals = (
        Goal.objects.current()
        .filter(patient=patient)
        .select_related("instrument_measure")
        .order_by("status", "target_date", "id")
    )
    if reviews:
        goals = goals.prefetch_related(
            Prefetch("reviews", queryset=GoalReview.objects.select_related("reviewed_by"))
        )
    return list(goals)


def _measure_of(goal: Goal) -> tuple[GoalMeasure | None, Measure | None]:
    link = getattr(goal, "instrument_measure", None)
    if link is None or link.measure not in MEASURES:
        return None, None
    return link, MEASURES[link.measure]


def _progress(
    goals: Sequence[Goal],
    responses: Sequence[tuple[dt.datetime, InstrumentResponse]],
    *,
    reviews: bool = True,
) -> list[GoalProgress]:
    """Each goal with its measured values; with its reviews when they were read with it
    (`_load_goals(..., reviews=True)`), else none."""
    progress = []
    for goal in goals:
        link, measure = _measure_of(goal)
        values: list[tuple[dt.datetime, Decimal]] = []
        for at, response in responses if measure is not None else ():
            if response.instrument != measure.instrument:  # type: ignore[union-attr]
                continue
            value = value_of(
                measure,  # type: ignore[arg-type]
                total=response.total,
                subscores=response.subscores,
                answers=response.answers,
            )
            if value is not None:
                values.append((at, value))
        at_most = link.comparison == "at_most" if link else _default_at_most(goal)
        read = tuple(goal.reviews.all()) if reviews else ()
        progress.append(GoalProgress(goal, measure, at_most, tuple(values), read))
    return progress


def goals_with_progress(patient: Patient) -> list[GoalProgress]:
    """The patient's current goals; measured goals with their values over time (3 queries)."""
    goals = _load_goals(patient)
    codes = {measure.instrument for _link, measure in map(_measure_of, goals) if measure}
    responses = _responses_of(patient, codes) if codes else []
    return _progress(goals, responses)


def _default_at_most(goal: Goal) -> bool:
    return goal.baseline is not None and goal.baseline > goal.target


def _responses_of(
    patient: Patient, codes: Iterable[str]
) -> list[tuple[dt.datetime, InstrumentResponse]]:
    rows = (
        InstrumentResponse.objects.filter(
            assessment__patient=patient,
            assessment__entered_in_error_at__isnull=True,
            instrument__in=list(codes),
        )
        .annotate(at=F("assessment__assessed_at"))
        .order_by("assessment__assessed_at", "assessment_id")
    )
    return [(row.at, row) for row in rows]


def get_goal(patient: Patient, code: Any) -> Goal:
    return Goal.objects.select_related("instrument_measure").get(patient=patient, code=code)


def goal_latest_value(goal: Goal) -> Decimal | None:
    link: GoalMeasure | None = getattr(goal, "instrument_measure", None)
    if link is None or link.measure not in MEASURES:
        return None
    measure = MEASURES[link.measure]
    responses = _responses_of(goal.patient, [measure.instrument])
    for _at, response in reversed(responses):
        value = value_of(
            measure, total=response.total, subscores=response.subscores, answers=response.answers
        )
        if value is not None:
            return value
    return None


# --- the story chart -----------------------------------------------------------------------------

# The instruments the story chart draws, besides those its goals are measured by.
STORY_INSTRUMENTS = frozenset({"bpi", "esas_r", "phq9", "gad7"})


@dataclass(frozen=True)
class StoryRow:
    """One assessment in the story, for the chart and its table."""

    at: dt.datetime
    code: uuid.UUID
    context: str
    pain: Decimal | None
    pain_source: str
    bpi_severity: Decimal | None = None
    interference: Decimal | None = None
    esas: Decimal | None = None
    phq9: Decimal | None = None
    gad7: Decimal | None = None

    @property
    def context_label(self) -> str:
        return str(AssessmentContext(self.context).label)


@dataclass(frozen=True)
class Story:
    rows: list[StoryRow]
    mme: list[Any]  # patients.selectors.MmePoint
    events: list[Any]  # clinic.lib.timeline.TimelineEvent
    goals: list[GoalProgress]

    @property
    def is_empty(self) -> bool:
        return not (self.rows or self.mme or self.events)


def _story_scores(patient: Patient) -> dict[int, dict[str, tuple[Decimal, Any]]]:
    """Totals (and the BPI interference) of the story's instruments by assessment: one query
    of plain values, no model instances (500 assessments are 2,000 rows)."""
    rows = (
        InstrumentResponse.objects.filter(
            assessment__patient=patient,
            assessment__entered_in_error_at__isnull=True,
            instrument__in=sorted(STORY_INSTRUMENTS),
        )
        .annotate(interference=KeyTextTransform("interference", "subscores"))
        .values_list("assessment_id", "instrument", "total", "interference")
    )
    scores: dict[int, dict[str, tuple[Decimal, Any]]] = {}
    for assessment_id, instrument, total, interference in rows:
        scores.setdefault(assessment_id, {})[instrument] = (total, interference)
    return scores


def story(patient: Patient, *, goal_reviews: bool = True) -> Story:
    """Everything the story chart draws, in a fixed number of queries: the assessments, the
    story's scores, the goals (one, another for their reviews unless `goal_reviews` is false,
    and one for their measures when there are any), the MME history and one per timeline
    provider. The figure alone (embedded in the chart) shows no goal reviews."""
    from clinic.lib import timeline
    from patients.selectors import mme_history

    goals = _load_goals(patient, reviews=goal_reviews)
    goal_codes = {measure.instrument for _link, measure in map(_measure_of, goals) if measure}
    scores = _story_scores(patient)
    rows = []
    assessments = (
        Assessment.objects.current()
        .filter(patient=patient)
        .order_by("assessed_at", "id")
        .values_list("id", "code", "assessed_at", "context", "pain_intensity", "pain_source")
    )
    for pk, code, at, context, pain, source in assessments:
        found = scores.get(pk, {})
        bpi, interference = found.get("bpi", (None, None))
        rows.append(
            StoryRow(
                at=at,
                code=code,
                context=context,
                pain=pain,
                pain_source=source,
                bpi_severity=bpi,
                interference=None if interference is None else Decimal(interference),
                esas=found.get("esas_r", (None,))[0],
                phq9=found.get("phq9", (None,))[0],
                gad7=found.get("gad7", (None,))[0],
            )
        )
    goal_responses = _responses_of(patient, goal_codes) if goal_codes else []
    return Story(
        rows=rows,
        mme=mme_history(patient),
        events=timeline.events_for(patient),
        goals=_progress(goals, goal_responses, reviews=goal_reviews),
    )
