"""The case summary frozen when an agenda is published: what everyone read before the meeting.

`build_summaries(items)` builds the summaries of many cases at once with a fixed number of
queries (the patient record's rows for all patients in one query per table; the chart header
is then computed by `patients.selectors.build_header`, which runs none). The result is plain JSON
(strings, numbers, lists), stored on the agenda item and never recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import sources
from patients import selectors as patient_selectors
from patients.models import (
    Allergy,
    Diagnosis,
    Goal,
    GoalStatus,
    LabResult,
    LabTest,
    Medication,
    Patient,
)

if TYPE_CHECKING:
    from meetings.models import AgendaItem

SUMMARY_FORMAT = 1


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _group(rows: Sequence[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.patient_id].append(row)
    return grouped


def _record_rows(patient_ids: list[int], today: dt.date) -> dict[str, dict[int, list[Any]]]:
    """The rows of the record the summaries need, one query per table for all patients."""
    diagnoses = Diagnosis.objects.current().filter(patient_id__in=patient_ids)
    medications = (
        Medication.objects.current()
        .select_related("drug")
        .filter(patient_id__in=patient_ids, started_on__lte=today)
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=today))
    )
    labs = (
        LabResult.objects.current()
        .filter(patient_id__in=patient_ids)
        .order_by("patient_id", "test", "-taken_at", "-id")
        .distinct("patient_id", "test")
    )
    return {
        "diagnoses": _group(list(diagnoses.order_by("-is_main", "-diagnosed_on", "-id"))),
        "medications": _group(list(medications.order_by("drug__name", "id"))),
        "labs": _group(list(labs)),
        "allergies": _group(list(Allergy.objects.current().filter(patient_id__in=patient_ids))),
        "goals": _group(
            list(
                Goal.objects.current()
                .filter(patient_id__in=patient_ids, status=GoalStatus.ACTIVE)
                .order_by("target_date", "id")
            )
        ),
    }


def _diagnosis_text(diagnosis: Diagnosis | None) -> str:
    if diagnosis is None:
        return ""
    parts = [diagnosis.primary_site]
    if diagnosis.histology:
        parts.append(diagnosis.histology)
    if diagnosis.stage:
        parts.append(_("stage %(stage)s") % {"stage": diagnosis.stage})
    text = ", ".join(parts)
    if diagnosis.metastatic_sites:
        text += "; " + _("metastases: %(sites)s") % {"sites": diagnosis.metastatic_sites}
    return text


def _medication_text(medication: Medication) -> str:
    dose = f"{_text(medication.strength)} {medication.unit} {medication.get_route_display()}"
    if medication.as_needed:
        frequency = _("as needed, max %(n)s/day") % {
            "n": _text(medication.as_needed_max_doses_per_day)
        }
    elif medication.doses_per_day:
        frequency = _("%(n)s×/day") % {"n": _text(medication.doses_per_day)}
    else:
        frequency = _("continuous")
    return f"{medication.drug.name} {dose}, {frequency}"


def _patient_part(patient: Patient, rows: dict[str, dict[int, list[Any]]], **context: Any) -> dict:
    policy = context["policy"]
    today = context["today"]
    labs = {lab.test: lab for lab in rows["labs"].get(patient.pk, [])}
    medications = rows["medications"].get(patient.pk, [])
    header = patient_selectors.build_header(
        patient,
        diagnoses=rows["diagnoses"].get(patient.pk, []),
        medications=medications,
        latest_labs=labs,
        allergies=rows["allergies"].get(patient.pk, []),
        policy=policy,
        today=today,
    )
    mme = header.mme
    return {
        "patient": {
            "code": str(patient.code),
            "name": patient.full_name,
            "listing_name": patient.listing_name,
            "mrn": patient.mrn,
            "age": header.age,
            "sex": str(patient.get_sex_display()),
            "date_of_birth": patient.date_of_birth.isoformat(),
            "status": str(patient.get_status_display()),
        },
        "diagnosis": _diagnosis_text(header.main_diagnosis),
        "mme": {
            "has_opioids": mme.has_opioids,
            "scheduled": _text(mme.scheduled.quantize(Decimal("0.1"))),
            "as_needed_max": _text(mme.as_needed_max.quantize(Decimal("0.1"))),
            "has_as_needed": mme.has_as_needed,
            "estimated": mme.estimated,
            "unconverted": [
                f"{line.medication.drug.name}: {line.problem}" for line in mme.unconverted
            ],
        },
        "medications": [_medication_text(m) for m in medications],
        "alerts": [
            {"kind": alert.kind, "level": alert.level, "text": alert.text}
            for alert in header.alerts
        ],
        "labs": [
            {
                "test": test,
                "label": str(LabTest(test).label),
                "value": _text(labs[test].value),
                "unit": "" if labs[test].unit == "ratio" else labs[test].unit,
                "taken_on": timezone.localdate(labs[test].taken_at).isoformat(),
            }
            for test in LabTest.values
            if test in labs
        ],
        "goals": [
            {
                "words": goal.patient_words,
                "measure": goal.measure,
                "baseline": _text(goal.baseline),
                "target": _text(goal.target),
                "target_date": goal.target_date.isoformat() if goal.target_date else "",
            }
            for goal in rows["goals"].get(patient.pk, [])
        ],
    }


def build_summaries(
    items: Sequence[AgendaItem], *, today: dt.date | None = None
) -> dict[int, dict]:
    """The frozen summary of each item (keyed by item pk), in a fixed number of queries."""
    today = today or timezone.localdate()
    patients = list({item.patient_id: item.patient for item in items}.values())
    patient_ids = [patient.pk for patient in patients]
    rows = _record_rows(patient_ids, today)
    policy = patient_selectors.policy_get()
    assessments = sources.assessment_parts(patients)
    plans = sources.procedure_parts(patients)
    summaries = {}
    for item in items:
        summary = _patient_part(item.patient, rows, policy=policy, today=today)
        summary.update(
            {
                "format": SUMMARY_FORMAT,
                "reason": str(item.get_reason_display()),
                "reason_detail": item.reason_detail,
                "question": item.question,
                "plans": plans.get(item.patient_id, []),
                "plan_code": str(item.plan_code) if item.plan_code else "",
                **_assessment_defaults(),
                **assessments.get(item.patient_id, {}),
            }
        )
        summaries[item.pk] = summary
    return summaries


def _assessment_defaults() -> dict[str, Any]:
    return {
        "scores": [],
        "pain_series": [],
        "pain_chart_svg": "",
        "body_map": {"regions": [], "worst": "", "assessed_on": ""},
        "self_harm": {"flagged": False, "on": ""},
    }
