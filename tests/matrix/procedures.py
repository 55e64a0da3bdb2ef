"""Permission-matrix rows for the procedures URLs (see tests/permission_matrix.py).

Clinicians do everything; coordinators read plans, follow-ups and outcomes and set the
scheduled date (403 on other writes); admins see no patient-scoped page (403) but own the
procedure catalogue. Restricted records (404 or break glass for outsiders) are tested in
tests/procedures/test_plan_views.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from procedures.models import (
    FollowUp,
    ProcedurePlan,
    ProcedureRecord,
    ProcedureType,
    SafetyReview,
)
from tests.patients.helpers import make_patient
from tests.permission_matrix import (
    ADMIN,
    CLINICIAN,
    COORDINATOR,
    NOT_ALLOWED,
    REDIRECT,
    Method,
    Route,
)

READERS = frozenset({CLINICIAN, COORDINATOR})
CLINICIANS = frozenset({CLINICIAN})
ADMINS = frozenset({ADMIN})


def _plan(patient: Any, **fields: Any) -> ProcedurePlan:
    values: dict[str, Any] = {
        "patient": patient,
        "procedure_type": ProcedureType.objects.get(name="Celiac plexus neurolysis"),
        "stage": "diagnostic",
        "target": "Celiac plexus",
        "indication": "Visceral pain",
        "planned_date": timezone.localdate() + dt.timedelta(days=7),
        "imaging_guidance": "fluoroscopy",
        "created_by": patient.created_by,
    }
    values.update(fields)
    return ProcedurePlan.objects.create(**values)


def build_objects(new_patient: Callable[[], Any] = make_patient) -> dict[str, Any]:
    """Straight into the database, for the matrix's speed (the services are tested elsewhere)."""
    patient = new_patient()
    by = patient.created_by
    now = timezone.now()
    approved = {"approval_source": "urgent", "urgent_reason": "Matrix", "approved_at": now}
    proposed = _plan(patient)
    approved_plan = _plan(patient, status="approved", **approved)
    performed = _plan(
        patient,
        status="performed",
        planned_date=timezone.localdate(),
        scheduled_date=timezone.localdate(),
        **approved,
    )
    record = ProcedureRecord.objects.create(
        plan=performed,
        performed_at=now,
        performed_by=by,
        imaging_guidance="fluoroscopy",
        created_by=by,
    )
    follow_up = FollowUp.objects.create(
        plan=performed,
        record=record,
        kind="phone_check",
        day=1,
        due_date=timezone.localdate() + dt.timedelta(days=1),
        responsible=by,
    )
    review = SafetyReview.objects.create(
        plan=proposed,
        evaluated_for=proposed.planned_date,
        by=by,
        base_risk="intermediate",
        effective_risk="intermediate",
        results=[{"code": "consent", "status": "unknown", "message": "Consent not yet recorded."}],
    )
    return {
        "procedures_patient": patient,
        "procedures_type": ProcedureType.objects.get(name="Cryoablation"),
        "procedures_plan": proposed,
        "procedures_approved_plan": approved_plan,
        "procedures_performed_plan": performed,
        "procedures_follow_up": follow_up,
        "procedures_review": review,
    }


def code_of(key: str, name: str = "code") -> Callable[[dict[str, Any]], dict[str, Any]]:
    def kwargs(objects: dict[str, Any]) -> dict[str, Any]:
        return {name: objects[key].code}

    return kwargs


PLAN = code_of("procedures_plan")
FUTURE = (timezone.localdate() + dt.timedelta(days=30)).isoformat()

# An empty POST re-renders the form with its errors (200) and changes nothing. POST-only views
# answer 405 to a GET from those who may use them.
ROUTES: dict[str, Route] = {
    # The catalogue: admins only.
    "procedures:type-list": Route(get=Method(ADMINS)),
    "procedures:type-create": Route(get=Method(ADMINS), post=Method(ADMINS)),
    "procedures:type-edit": Route(
        kwargs=code_of("procedures_type"), get=Method(ADMINS), post=Method(ADMINS)
    ),
    "procedures:type-deactivate": Route(
        kwargs=code_of("procedures_type"),
        get=Method(ADMINS),
        post=Method(ADMINS, ok=REDIRECT),
    ),
    "procedures:type-reactivate": Route(
        kwargs=code_of("procedures_type"),
        get=Method(ADMINS),
        post=Method(ADMINS, ok=REDIRECT),
    ),
    # Plans.
    "procedures:plan-create": Route(
        kwargs=code_of("procedures_patient", "patient_code"),
        get=Method(CLINICIANS),
        post=Method(CLINICIANS),
    ),
    "procedures:plan-detail": Route(kwargs=PLAN, get=Method(READERS)),
    "procedures:plan-edit": Route(kwargs=PLAN, get=Method(CLINICIANS), post=Method(CLINICIANS)),
    "procedures:plan-submit": Route(
        kwargs=PLAN,
        get=Method(READERS, ok=NOT_ALLOWED),
        post=Method(CLINICIANS, ok=REDIRECT),
    ),
    "procedures:plan-approve-urgent": Route(
        kwargs=PLAN, get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
    "procedures:plan-schedule": Route(
        kwargs=code_of("procedures_approved_plan"),
        get=Method(READERS),
        post=Method(READERS, ok=REDIRECT, data={"scheduled_date": FUTURE}),
    ),
    "procedures:plan-cancel": Route(kwargs=PLAN, get=Method(CLINICIANS), post=Method(CLINICIANS)),
    "procedures:safety-review-run": Route(
        kwargs=PLAN,
        get=Method(READERS, ok=NOT_ALLOWED),
        post=Method(CLINICIANS, ok=REDIRECT),
    ),
    "procedures:safety-override": Route(
        kwargs=code_of("procedures_review"),
        get=Method(READERS, ok=NOT_ALLOWED),
        post=Method(
            CLINICIANS, ok=REDIRECT, data={"check_code": "consent", "reason": "Verbal consent"}
        ),
    ),
    "procedures:procedure-record": Route(
        kwargs=PLAN, get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
    "procedures:discharge-instructions": Route(
        kwargs=code_of("procedures_performed_plan"), get=Method(READERS)
    ),
    # Follow-ups.
    "procedures:followup-list": Route(get=Method(READERS)),
    "procedures:followup-detail": Route(
        kwargs=code_of("procedures_follow_up"), get=Method(READERS)
    ),
    "procedures:followup-complete": Route(
        kwargs=code_of("procedures_follow_up"),
        get=Method(READERS, ok=NOT_ALLOWED),
        post=Method(CLINICIANS, ok=REDIRECT),
    ),
    "procedures:followup-missed": Route(
        kwargs=code_of("procedures_follow_up"), get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
    # Outcomes: aggregate figures for the clinical team.
    "procedures:outcomes-report": Route(get=Method(READERS)),
    "procedures:outcomes-export": Route(get=Method(READERS)),
}
