"""Builders for procedure plans, through the services (as the app writes them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from clinic.accounts.models import User
from patients.models import Patient
from procedures import services
from procedures.models import ProcedurePlan, ProcedureRecord, ProcedureType, SafetyReview
from tests.patients.helpers import make_patient


def procedure_type(name: str) -> ProcedureType:
    return ProcedureType.objects.get(name=name)


def plan_form_data(planned_on: dt.date, /, **overrides: Any) -> dict[str, Any]:
    """What a clinician posts to plan a definitive celiac plexus neurolysis on `planned_on`;
    `overrides` replace fields (`planned_date` included)."""
    data = {
        "procedure_type": str(procedure_type("Celiac plexus neurolysis").code),
        "stage": "definitive",
        "stage_override_reason": "Imaging-confirmed plexus involvement; too frail for two steps",
        "target": "Celiac plexus",
        "level": "L1",
        "laterality": "bilateral",
        "indication": "Visceral upper abdominal pain",
        "response_criterion_percent": "50",
        "planned_date": planned_on.isoformat(),
        "imaging_guidance": "ct",
        "infection_screen": "not_assessed",
    }
    data.update(overrides)
    return data


CELIAC_NEUROLYSIS = "Celiac plexus neurolysis"
CELIAC_BLOCK = "Celiac plexus block (diagnostic)"
INTERCOSTAL_BLOCK = "Intercostal nerve block"


def plan_fields(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "procedure_type": procedure_type(CELIAC_NEUROLYSIS),
        "stage": "diagnostic",
        "target": "Celiac plexus",
        "level": "L1",
        "laterality": "bilateral",
        "indication": "Visceral upper abdominal pain from pancreatic cancer",
        "response_criterion_percent": 50,
        "planned_date": timezone.localdate() + dt.timedelta(days=7),
        "imaging_guidance": "fluoroscopy",
    }
    values.update(overrides)
    return values


def propose(by: User, patient: Patient | None = None, **overrides: Any) -> ProcedurePlan:
    return services.plan_propose(
        by=by, patient=patient or make_patient(by=by), **plan_fields(**overrides)
    )


def approve_and_schedule(
    plan: ProcedurePlan, by: User, day: dt.date | None = None
) -> ProcedurePlan:
    plan = services.plan_approve_urgently(plan=plan, by=by, reason="Pain uncontrolled, admitted")
    return services.plan_schedule(plan=plan, by=by, scheduled_date=day or plan.planned_date)


def clear_review(plan: ProcedurePlan, by: User, on: dt.date | None = None) -> SafetyReview:
    """A review for `on` (today by default) with every check that did not pass overridden."""
    review = services.safety_review_run(plan=plan, on=on or timezone.localdate(), by=by)
    for result in review.results:
        if result["status"] != "pass":
            review = services.safety_override(
                review=review, check_code=result["code"], reason="Discussed and accepted", by=by
            )
    return review


def perform(
    by: User,
    patient: Patient | None = None,
    *,
    performed_at: dt.datetime | None = None,
    **overrides: Any,
) -> ProcedureRecord:
    """A plan proposed for today, approved, scheduled, cleared and recorded as performed."""
    device = overrides.pop("device", None)
    overrides.setdefault("planned_date", timezone.localdate())
    plan = propose(by, patient, **overrides)
    plan = approve_and_schedule(plan, by)
    clear_review(plan, by)
    return services.procedure_record(
        plan=plan,
        by=by,
        performed_at=performed_at or timezone.now() - dt.timedelta(minutes=1),
        performed_by=by,
        imaging_guidance="fluoroscopy",
        had_complications=False,
        immediate_relief_percent=60,
        device=device,
    )
