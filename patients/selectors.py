"""Reads of the patient record. Each page's query count is fixed here, whatever the data size."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import TrigramStrictWordSimilarity, TrigramWordSimilarity
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from pghistory.models import Events

from clinic.accounts.models import DISPLAY_NAME_FIELDS, User
from clinic.accounts.roles import Role
from clinic.lib.policy import SignInPolicy
from patients import opioids
from patients.access import visible_patients
from patients.models import (
    BLEEDING_CLASSES,
    Allergy,
    AllergySeverity,
    CareTeamMember,
    ClinicalEntry,
    ClinicPolicy,
    Device,
    Diagnosis,
    Drug,
    DrugClass,
    Goal,
    LabResult,
    LabTest,
    Medication,
    OncologyEvent,
    OncologyEventKind,
    Patient,
    PatientStatus,
)
from patients.text import normalised_name

# --- finding patients ----------------------------------------------------------------------------

# A query word matches a name when it is part of it (prefixes: "joh") or when their strict word
# similarity reaches this. pg_trgm scores shared trigrams over all trigrams of the query word and
# of a whole word of the name: "jonhson" against "johnson" shares 4 of 12 (0.33), "smiht" against
# "smith" 3 of 9 (0.33), while "jonhson" against "jones" scores 0.27 and "johns" against "jose"
# 0.22. Results are ranked by that score, so the closest names come first.
STRICT_WORD_SIMILARITY_THRESHOLD = 0.3


class SearchSort:
    RELEVANCE = "relevance"
    NAME = "name"
    MRN = "mrn"
    UPDATED = "updated"
    ALL = (RELEVANCE, NAME, MRN, UPDATED)


_ORDERINGS = {
    SearchSort.NAME: ("family_name", "given_name", "mrn"),
    SearchSort.MRN: ("mrn",),
    SearchSort.UPDATED: ("-updated_at", "family_name"),
}


def set_similarity_threshold(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On each new database connection (the `connection_created` signal, see apps.py): the `%>>`
    operator, which the GIN trigram index serves, compares against this session setting. Set
    once per connection, not in each search (connections live for many requests)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.strict_word_similarity_threshold', %s, false)",
            [str(STRICT_WORD_SIMILARITY_THRESHOLD)],
        )


# What a row of the patient list shows (the rest of each patient and their clinician is left in
# the database; reading another field of a listed patient costs a query).
PATIENT_LIST_FIELDS = (
    *("code", "given_name", "family_name", "mrn", "date_of_birth", "status", "restricted"),
    *("updated_at", "primary_clinician"),
    *(f"primary_clinician__{name}" for name in DISPLAY_NAME_FIELDS),
)


def patient_list_rows(patients: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """`patients` (all, by default) with what a row of the patient list shows. Also where a
    page of the list reads its rows by key, once `patient_search` has found and ranked them
    (clinic.lib.pagination.KeyedPaginator)."""
    patients = Patient.objects.all() if patients is None else patients
    return patients.select_related("primary_clinician").only(*PATIENT_LIST_FIELDS)


def patient_search(
    *,
    user: Any,
    query: str = "",
    status: str = "",
    clinician: User | None = None,
    sort: str = "",
) -> QuerySet[Patient]:
    """Patients `user` may open, matching `query` by exact MRN or by (misspelt) name.

    Each word of the normalised query must be part of the normalised name or close to one of its
    words (pg_trgm strict word similarity, served by the GIN trigram index); an exact MRN ranks
    first, then the closest names. The rows carry PATIENT_LIST_FIELDS.
    """
    patients = patient_list_rows(visible_patients(user))
    if status:
        patients = patients.filter(status=status)
    if clinician is not None:
        patients = patients.filter(primary_clinician=clinician)
    words = normalised_name(query)
    mrn = query.strip().upper()
    if not (words or mrn):
        return patients.order_by(*_ORDERINGS.get(sort, _ORDERINGS[SearchSort.NAME]))
    # Every word of the query must be part of the name or close to one of its words.
    name_matches = Q()
    for word in words.split():
        name_matches &= Q(search_name__contains=word) | Q(
            search_name__trigram_strict_word_similar=word
        )
    matches = Q(mrn_upper=mrn) | name_matches if words else Q(mrn_upper=mrn)
    patients = (
        patients.alias(mrn_upper=Upper("mrn"))
        .filter(matches)
        .annotate(
            mrn_match=Case(When(mrn_upper=mrn, then=Value(1)), default=Value(0)),
            closeness=TrigramStrictWordSimilarity(words or mrn, "search_name"),
            similarity=TrigramWordSimilarity(words or mrn, "search_name"),
        )
    )
    if sort in _ORDERINGS:
        return patients.order_by(*_ORDERINGS[sort])
    return patients.order_by(
        "-mrn_match", "-closeness", "-similarity", "family_name", "given_name", "id"
    )


def clinicians() -> QuerySet[User]:
    """Active clinicians, for choosing a primary clinician."""
    return User.objects.active().with_role(Role.CLINICIAN).order_by("last_name", "first_name")


def care_team_candidates() -> QuerySet[User]:
    """Active staff who may be named on a care team (clinicians and coordinators)."""
    return (
        User.objects.active()
        .filter(groups__name__in=[Role.CLINICIAN, Role.COORDINATOR])
        .distinct()
        .order_by("last_name", "first_name")
    )


def care_team_of(patient: Patient) -> list[User]:
    return list(
        User.objects.filter(care_team_links__patient=patient).order_by("last_name", "first_name")
    )


def patient_code_for_mrn(mrn: str) -> uuid.UUID | None:
    """The public code of the patient with this MRN (for the audit log's filter), or None."""
    return Patient.objects.filter(mrn__iexact=mrn.strip()).values_list("code", flat=True).first()


def mrn_is_registered(mrn: str, *, exclude: Patient | None = None) -> bool:
    taken = Patient.objects.filter(mrn__iexact=mrn.strip())
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    return taken.exists()


# --- policy and catalogue ------------------------------------------------------------------------


def policy_get() -> ClinicPolicy:
    """The clinic policy; its defaults when the row has not been created."""
    return ClinicPolicy.objects.filter(singleton=True).first() or ClinicPolicy()


def quorum_disciplines() -> list[str]:
    """The disciplines clinic policy requires at a meeting (its default with no policy row)."""
    row = ClinicPolicy.objects.filter(singleton=True).values_list("quorum_disciplines").first()
    return list(row[0] if row is not None else ClinicPolicy().quorum_disciplines)


def policy_sign_in() -> SignInPolicy | None:
    """The session and two-factor rules of the clinic policy (None when there is no row).

    Registered with clinic/lib/policy.py, which caches it: read it through that module.
    """
    row = (
        ClinicPolicy.objects.filter(singleton=True)
        .values("session_idle_minutes", "two_factor_required_for_all")
        .first()
    )
    return None if row is None else SignInPolicy(**row)


def drug_list(
    *, query: str = "", drug_class: str = "", include_inactive: bool = True
) -> QuerySet[Drug]:
    drugs = Drug.objects.order_by("name")
    if query:
        drugs = drugs.filter(name__icontains=query.strip())
    if drug_class:
        drugs = drugs.filter(drug_class=drug_class)
    if not include_inactive:
        drugs = drugs.filter(is_active=True)
    return drugs


def drug_get(code: uuid.UUID | str) -> Drug:
    return Drug.objects.get(code=code)


# --- the chart header ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    kind: str
    level: str
    text: str


@dataclass(frozen=True)
class MmeLine:
    medication: Medication
    mme: Decimal | None
    estimate: bool
    problem: str


@dataclass(frozen=True)
class MmeSummary:
    """Oral morphine equivalents per day of the active opioids (patients/opioids.py)."""

    scheduled: Decimal
    as_needed_max: Decimal
    estimated: bool
    lines: tuple[MmeLine, ...]

    @property
    def has_opioids(self) -> bool:
        return bool(self.lines)

    @property
    def unconverted(self) -> tuple[MmeLine, ...]:
        return tuple(line for line in self.lines if line.mme is None)

    @property
    def has_scheduled(self) -> bool:
        return any(line.mme is not None and not line.medication.as_needed for line in self.lines)

    @property
    def has_as_needed(self) -> bool:
        return any(line.mme is not None and line.medication.as_needed for line in self.lines)


@dataclass(frozen=True)
class PatientHeader:
    patient: Patient
    age: int
    main_diagnosis: Diagnosis | None
    mme: MmeSummary
    alerts: tuple[Alert, ...]
    allergies: tuple[Allergy, ...]
    latest_platelets: LabResult | None
    policy: ClinicPolicy


def _mme_line(medication: Medication) -> MmeLine | None:
    dose = medication.dose_for_mme()
    if dose is None:
        return None
    result = opioids.total_mme([dose])
    if result.unconverted:
        return MmeLine(medication, None, False, result.unconverted[0][1])
    mme = result.as_needed_max if medication.as_needed else result.scheduled
    return MmeLine(medication, mme, result.estimated, "")


def mme_summary(active_medications: Iterable[Medication]) -> MmeSummary:
    """The MME of active medications: scheduled in full, as-needed maxima apart (CDC 2022)."""
    medications = list(active_medications)
    doses = [dose for dose in (m.dose_for_mme() for m in medications) if dose is not None]
    total = opioids.total_mme(doses)
    lines = tuple(line for line in (_mme_line(m) for m in medications) if line is not None)
    return MmeSummary(
        scheduled=total.scheduled,
        as_needed_max=total.as_needed_max,
        estimated=total.estimated,
        lines=lines,
    )


def _bleeding_alerts(active: Sequence[Medication]) -> list[Alert]:
    labels = {
        DrugClass.ANTICOAGULANT: _("Anticoagulant"),
        DrugClass.ANTIPLATELET: _("Antiplatelet"),
    }
    alerts = []
    for medication in active:
        label = labels.get(medication.drug.drug_class)  # type: ignore[call-overload]
        if label:
            alerts.append(
                Alert(
                    medication.drug.drug_class,
                    "danger",
                    _("%(label)s: %(drug)s (since %(date)s)")
                    % {
                        "label": label,
                        "drug": medication.drug.name,
                        "date": date_format(medication.started_on, "j M Y"),
                    },
                )
            )
    return alerts


def _platelet_alert(latest: LabResult | None, policy: ClinicPolicy) -> list[Alert]:
    if latest is None or latest.value >= policy.platelets_min_low:
        return []
    return [
        Alert(
            "low_platelets",
            "danger",
            _("Low platelets: %(value)s %(unit)s on %(date)s (policy minimum %(minimum)s)")
            % {
                "value": f"{latest.value.normalize():f}",
                "unit": latest.unit,
                "date": date_format(timezone.localtime(latest.taken_at), "j M Y"),
                "minimum": policy.platelets_min_low,
            },
        )
    ]


def _allergy_alert(allergies: Sequence[Allergy]) -> list[Alert]:
    if not allergies:
        return []
    names = ", ".join(
        f"{a.substance} ({a.get_severity_display().lower()})"
        if a.severity == AllergySeverity.SEVERE
        else a.substance
        for a in allergies
    )
    severe = any(a.severity == AllergySeverity.SEVERE for a in allergies)
    return [Alert("allergy", "danger" if severe else "warning", _("Allergies: %s") % names)]


def _status_alerts(patient: Patient) -> list[Alert]:
    alerts = []
    if patient.status == PatientStatus.DECEASED and patient.date_of_death:
        alerts.append(
            Alert(
                "deceased",
                "dark",
                _("Deceased on %(date)s") % {"date": date_format(patient.date_of_death, "j M Y")},
            )
        )
    elif patient.status == PatientStatus.DISCHARGED:
        alerts.append(Alert("discharged", "secondary", _("Discharged")))
    if patient.restricted:
        alerts.append(
            Alert("restricted", "info", _("Restricted record: the care team only can open it"))
        )
    return alerts


def build_header(
    patient: Patient,
    *,
    diagnoses: Iterable[Diagnosis],
    medications: Iterable[Medication],
    latest_labs: dict[str, LabResult],
    allergies: Iterable[Allergy],
    policy: ClinicPolicy,
    today: dt.date,
) -> PatientHeader:
    """The header from rows already loaded (no queries): the chart and other apps share it."""
    current_diagnoses = [d for d in diagnoses if not d.in_error]
    main = next((d for d in current_diagnoses if d.is_main), None) or next(
        iter(current_diagnoses), None
    )
    active = [m for m in medications if m.is_active_on(today)]
    current_allergies = tuple(a for a in allergies if not a.in_error)
    platelets = latest_labs.get(LabTest.PLATELETS)
    alerts = [
        *_status_alerts(patient),
        *_bleeding_alerts(active),
        *_platelet_alert(platelets, policy),
        *_allergy_alert(current_allergies),
    ]
    return PatientHeader(
        patient=patient,
        age=patient.age_on(today),
        main_diagnosis=main,
        mme=mme_summary(active),
        alerts=tuple(alerts),
        allergies=current_allergies,
        latest_platelets=platelets,
        policy=policy,
    )


def latest_labs(patient: Patient) -> dict[str, LabResult]:
    """The newest valid result of each test, in one query. Each row also carries
    `current_total`, the patient's number of valid results (counted before DISTINCT ON)."""
    rows = (
        LabResult.objects.current()
        .filter(patient=patient)
        .annotate(current_total=Window(Count("pk")))
        .order_by("test", "-taken_at", "-id")
        .distinct("test")
    )
    return {row.test: row for row in rows}


def patient_header(patient: Patient, *, today: dt.date | None = None) -> PatientHeader:
    """The chart header for pages of other apps (assessments, procedures …): five queries."""
    today = today or timezone.localdate()
    return build_header(
        patient,
        diagnoses=patient.diagnoses.current().order_by("-is_main", "-diagnosed_on", "-id")[:1],
        medications=patient.medications.current()
        .select_related("drug")
        .filter(started_on__lte=today)
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=today)),
        latest_labs=latest_labs(patient),
        allergies=patient.allergies.current(),
        policy=policy_get(),
        today=today,
    )


# --- the chart -----------------------------------------------------------------------------------

RECENT_LABS = 20


@dataclass
class Section:
    """One part of the record: its entries, those in error hidden unless asked for."""

    name: str
    entries: list[Any]
    show_in_error: bool
    hidden_in_error: int = field(init=False)

    def __post_init__(self) -> None:
        self.hidden_in_error = 0 if self.show_in_error else sum(e.in_error for e in self.entries)
        if not self.show_in_error:
            self.entries = [e for e in self.entries if not e.in_error]


@dataclass
class Chart:
    patient: Patient
    header: PatientHeader
    care_team: list[User]
    diagnoses: Section
    oncology_events: Section
    current_medications: Section
    past_medications: list[Medication]
    latest_labs: list[LabResult]
    recent_labs: Section
    lab_count: int
    allergies: Section
    goals: Section
    devices: Section
    mme_by_medication: dict[int, MmeLine]
    today: dt.date


def _name_who_entered_in_error(sections: Iterable[Section]) -> None:
    """Who entered a shown line in error is named beside it (who created it is not: that is in
    the history). Lines in error are few: their people are read in one query, and only when the
    chart shows such lines, instead of joining the staff table to every section's query."""
    shown = [entry for section in sections for entry in section.entries if entry.in_error]
    ids = {entry.entered_in_error_by_id for entry in shown} - {None}
    people = User.objects.names_only().in_bulk(ids) if ids else {}
    for entry in shown:
        entry.entered_in_error_by = people.get(entry.entered_in_error_by_id)


def patient_chart(
    patient: Patient, *, show_in_error: bool = False, today: dt.date | None = None
) -> Chart:
    """Everything the chart shows, in a fixed number of queries (see tests/patients)."""
    today = today or timezone.localdate()
    diagnoses = list(patient.diagnoses.all())
    events = list(patient.oncology_events.all())
    medications = list(patient.medications.select_related("drug"))
    recent = list(patient.lab_results.all()[:RECENT_LABS])
    latest = latest_labs(patient)
    lab_count = next(iter(latest.values())).current_total if latest else 0
    allergies = list(patient.allergies.all())
    header = build_header(
        patient,
        diagnoses=diagnoses,
        medications=medications,
        latest_labs=latest,
        allergies=allergies,
        policy=policy_get(),
        today=today,
    )
    current = [
        m for m in medications if m.in_error or m.stopped_on is None or m.stopped_on >= today
    ]
    past = [m for m in medications if not m.in_error and m not in current]
    chart = Chart(
        patient=patient,
        header=header,
        care_team=care_team_of(patient) if patient.restricted else [],
        diagnoses=Section("diagnosis", diagnoses, show_in_error),
        oncology_events=Section("oncology-event", events, show_in_error),
        current_medications=Section("medication", current, show_in_error),
        past_medications=past,
        latest_labs=[latest[test] for test in LabTest.values if test in latest],
        recent_labs=Section("lab-result", recent, show_in_error),
        lab_count=lab_count,
        allergies=Section("allergy", allergies, show_in_error),
        goals=Section("goal", list(patient.goals.all()), show_in_error),
        devices=Section("device", list(patient.devices.all()), show_in_error),
        mme_by_medication={line.medication.pk: line for line in header.mme.lines},
        today=today,
    )
    _name_who_entered_in_error(
        (
            chart.diagnoses,
            chart.oncology_events,
            chart.current_medications,
            chart.recent_labs,
            chart.allergies,
            chart.goals,
            chart.devices,
        )
    )
    return chart


# --- for the procedure safety checks (procedures app) --------------------------------------------


def bleeding_medications(patient: Patient, *, stopped_since: dt.date) -> list[Medication]:
    """Anticoagulant, antiplatelet and NSAID lines (not in error) still running or stopped on
    or after `stopped_since`, with their catalogue drug (its `hold_key`): one query."""
    return list(
        patient.medications.current()
        .filter(drug__drug_class__in=sorted(BLEEDING_CLASSES))
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=stopped_since))
        .select_related("drug")
        .order_by("drug__name", "started_on", "id")
    )


def chemotherapy_dates(patient: Patient, *, since: dt.date, until: dt.date) -> list[dt.date]:
    """Dates of systemic therapy cycles (not in error) between `since` and `until`: one query."""
    return list(
        patient.oncology_events.current()
        .filter(kind=OncologyEventKind.CHEMOTHERAPY, occurred_on__range=(since, until))
        .order_by("occurred_on")
        .values_list("occurred_on", flat=True)
    )


def devices_due_by(day: dt.date) -> QuerySet[Device]:
    """Implanted devices of living patients whose refill or battery check is due by `day`.

    For reminders (clinic/reminders): the device's patient and primary clinician are joined.
    """
    return (
        Device.objects.current()
        .filter(removed_on__isnull=True)
        .exclude(patient__status=PatientStatus.DECEASED)
        .filter(Q(next_refill_due__lte=day) | Q(next_battery_check_due__lte=day))
        .select_related("patient", "patient__primary_clinician")
        .order_by("next_refill_due", "next_battery_check_due", "id")
    )


def lab_results(patient: Patient, *, test: str = "") -> QuerySet[LabResult]:
    results = patient.lab_results.select_related("created_by", "entered_in_error_by")
    if test:
        results = results.filter(test=test)
    return results.order_by("-taken_at", "-id")


# --- history -------------------------------------------------------------------------------------

ENTRY_MODELS: tuple[type[ClinicalEntry], ...] = (
    Diagnosis,
    OncologyEvent,
    Medication,
    LabResult,
    Allergy,
    Goal,
    Device,
)
HIDDEN_HISTORY_FIELDS = frozenset(
    {"id", "code", "patient", "updated_at", "created_at", "version", "search_name", "created_by"}
)


def patient_history(patient: Patient) -> QuerySet[Events]:
    """Every change to the patient and the entries of the record, newest first."""
    event_models = [
        Patient.pgh_event_models["insert"],  # type: ignore[attr-defined]
        CareTeamMember.pgh_event_models["care_team.add"],  # type: ignore[attr-defined]
        *(model.pgh_event_models["insert"] for model in ENTRY_MODELS),  # type: ignore[attr-defined]
    ]
    return (
        Events.objects.references(patient)
        .across(*event_models)
        .order_by("-pgh_created_at", "-pgh_id")
    )


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    changed_by: str
    what: str
    change: str
    details: list[tuple[str, str, str]]


_HISTORY_MODELS: tuple[type[Model], ...] = (Patient, CareTeamMember, *ENTRY_MODELS)
_MODEL_NAMES: dict[str, type[Model]] = {
    f"patients.{model.__name__}Event": model for model in _HISTORY_MODELS
}
_CHANGE_LABELS = {
    "insert": "added",
    "update": "changed",
    "care_team.add": "added to the care team",
    "care_team.remove": "removed from the care team",
}


def _model_field(model: type[Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # a field removed since the event was recorded
        return None


def _field_label(model: type[Model] | None, name: str) -> str:
    model_field = _model_field(model, name)
    return str(model_field.verbose_name) if model_field is not None else name


def _related_model(model: type[Model] | None, name: str) -> type[Model] | None:
    """The model a foreign key of `model` points to, or None for other fields."""
    model_field = _model_field(model, name)
    if model_field is None or not model_field.many_to_one:
        return None
    return model_field.related_model


def history_rows(events: Sequence[Events]) -> list[HistoryRow]:
    """Readable rows for one page of history: two queries whatever the page holds."""
    wanted: dict[type[Model], set[int]] = {User: set(), Drug: set()}
    for event in events:
        context = event.pgh_context or {}
        if context.get("user"):
            wanted[User].add(int(context["user"]))
        model = _MODEL_NAMES.get(event.pgh_model)
        for name, value in (event.pgh_data or {}).items():
            related = _related_model(model, name)
            if related in wanted and value is not None:
                wanted[related].add(int(value))
    names: dict[type[Model], dict[int, str]] = {
        User: {u.pk: u.display_name for u in User.objects.filter(pk__in=wanted[User])},
        Drug: dict(Drug.objects.filter(pk__in=wanted[Drug]).values_list("pk", "name"))
        if wanted[Drug]
        else {},
    }
    return [_history_row(event, names) for event in events]


def _shown(
    model: type[Model] | None, name: str, value: Any, names: dict[type[Model], dict[int, str]]
) -> str:
    """A history value as people read it: names for ids, labels for choices, local dates."""
    if value is None or value == "":
        return "—"
    related = _related_model(model, name)
    if related in names:
        return names[related].get(int(value), str(value))
    model_field = _model_field(model, name)
    if model_field is None:
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(model_field, DateTimeField):
        moment = parse_datetime(str(value))
        return date_format(timezone.localtime(moment), "j M Y H:i") if moment else str(value)
    if isinstance(model_field, DateField):
        day = parse_date(str(value))
        return date_format(day, "j M Y") if day else str(value)
    return str(value)


def _history_row(event: Events, names: dict[type[Model], dict[int, str]]) -> HistoryRow:
    context = event.pgh_context or {}
    model = _MODEL_NAMES.get(event.pgh_model)
    data = event.pgh_data or {}
    if event.pgh_label == "update":
        changes = sorted((event.pgh_diff or {}).items())
    else:
        changes = sorted((name, [None, value]) for name, value in data.items())
    details = [
        (
            _field_label(model, name),
            _shown(model, name, before, names),
            _shown(model, name, after, names),
        )
        for name, (before, after) in changes
        if name.removesuffix("_id") not in HIDDEN_HISTORY_FIELDS and not name.startswith("pgh_")
    ]
    if event.pgh_label != "update":
        details = [(label, "", after) for label, _before, after in details if after != "—"]
    users = names[User]
    changed_by = users.get(int(context["user"]), "") if context.get("user") else ""
    return HistoryRow(
        at=event.pgh_created_at,
        changed_by=changed_by or _("system"),
        what=str(model._meta.verbose_name).capitalize() if model else event.pgh_model,
        change=_CHANGE_LABELS.get(event.pgh_label, event.pgh_label),
        details=details,
    )


# --- edit conflicts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictRow:
    label: str
    when_opened: str
    now: str
    yours: str

    @property
    def changed_by_other(self) -> bool:
        return self.when_opened != self.now

    @property
    def you_changed(self) -> bool:
        return self.yours != self.when_opened


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def conflict_rows(
    current: Model, *, opened_version: int, submitted: dict[str, Any], fields: Sequence[str]
) -> tuple[list[ConflictRow], str]:
    """What changed since the form was opened, what is saved now and what the form held.

    The state at `opened_version` comes from the row's history; the second value names who
    saved the newest version.
    """
    event_model = type(current).pgh_event_models["insert"]  # type: ignore[attr-defined]
    opened = (
        event_model.objects.filter(pgh_obj=current, version=opened_version)
        .order_by("-pgh_id")
        .first()
    )
    latest = (
        event_model.objects.filter(pgh_obj=current)
        .select_related("pgh_context")
        .order_by("-pgh_id")
        .first()
    )
    rows = []
    for name in fields:
        model_field: Any = type(current)._meta.get_field(name)
        label = str(model_field.verbose_name).capitalize()
        now_value = getattr(current, name)
        opened_value = getattr(opened, name) if opened is not None else now_value
        rows.append(
            ConflictRow(label, _text(opened_value), _text(now_value), _text(submitted.get(name)))
        )
    saved_by = ""
    if latest is not None and latest.pgh_context is not None:
        user_id = (latest.pgh_context.metadata or {}).get("user")
        if user_id:
            saved_by = (
                User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""
            )
    return rows, saved_by


# --- the patient's story over time (added with the assessments app) ------------------------------


def timeline_events(patient: Patient) -> list[Any]:
    """Chemotherapy cycles and radiotherapy courses as markers of the story chart (one query).

    Registered with `clinic.lib.timeline` in `PatientsConfig.ready()`.
    """
    from django.urls import reverse

    from clinic.lib.timeline import TimelineEvent

    events = (
        patient.oncology_events.current()
        .filter(kind__in=["chemotherapy", "radiotherapy"])
        .only("patient", "kind", "occurred_on", "ended_on", "regimen", "cycle_number", "site")
        .order_by("occurred_on", "id")
    )
    chart_url = reverse("patients:patient-detail", kwargs={"code": patient.code})
    markers = []
    for event in events:
        if event.kind == "chemotherapy":
            label = _("%(regimen)s cycle %(number)s") % {
                "regimen": event.regimen,
                "number": event.cycle_number,
            }
        else:
            label = " ".join(part for part in (str(_("Radiotherapy")), event.site) if part)
            if event.ended_on:
                label += " " + _("(until %(date)s)") % {"date": date_format(event.ended_on, "j M")}
        markers.append(
            TimelineEvent(
                on=event.occurred_on,
                kind=event.kind,
                label=label,
                link_url=f"{chart_url}#oncology-events",
            )
        )
    return markers


@dataclass(frozen=True)
class MmePoint:
    on: dt.date
    scheduled: Decimal


def mme_history(patient: Patient, *, until: dt.date | None = None) -> list[MmePoint]:
    """Scheduled oral morphine equivalents per day, one point each day it changed (one query).

    From the opioid prescriptions not in error; as-needed maxima are left out, as in the header.
    """
    until = until or timezone.localdate()
    medications = [
        m
        for m in patient.medications.current().select_related("drug").exclude(drug__opioid_key="")
        if m.started_on <= until
    ]
    changes = sorted(
        {m.started_on for m in medications}
        | {m.stopped_on + dt.timedelta(days=1) for m in medications if m.stopped_on}
    )
    points = []
    for day in changes:
        if day > until:
            break
        active = [m for m in medications if m.is_active_on(day) and not m.as_needed]
        points.append(MmePoint(day, mme_summary(active).scheduled))
    return points
