"""Permission-matrix rows for the assessments URLs (see tests/permission_matrix.py).

Clinicians record, edit (their own, within the policy window: anyone else is sent back to the
assessment, 302) and mark in error; coordinators read (403 on writes); admins get 403 everywhere.
Scope (404 outside the user's patients) is tested in tests/assessments/test_access.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.assessments.helpers import record
from tests.patients.helpers import add_goal, make_patient
from tests.permission_matrix import (
    CLINICIAN,
    COORDINATOR,
    NOT_ALLOWED,
    REDIRECT,
    Method,
    Route,
)

READERS = frozenset({CLINICIAN, COORDINATOR})
CLINICIANS = frozenset({CLINICIAN})


def build_objects(new_patient: Callable[[], Any] = make_patient) -> dict[str, Any]:
    patient = new_patient()
    return {
        "assessment_patient": patient,
        "assessment": record(patient),
        "assessment_goal": add_goal(patient),
    }


def patient_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"patient_code": objects["assessment_patient"].code}


def assessment_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["assessment"].code}


def goal_codes(objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "patient_code": objects["assessment_patient"].code,
        "goal_code": objects["assessment_goal"].code,
    }


# An empty POST re-renders its form with the errors (200) and saves nothing.
ROUTES: dict[str, Route] = {
    "assessments:assessment-list": Route(kwargs=patient_code, get=Method(READERS)),
    "assessments:assessment-create": Route(
        kwargs=patient_code, get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
    "assessments:assessment-score": Route(
        kwargs=patient_code,
        get=Method(READERS, ok=NOT_ALLOWED),
        post=Method(CLINICIANS),
    ),
    "assessments:story-chart": Route(kwargs=patient_code, get=Method(READERS)),
    "assessments:goal-create": Route(
        kwargs=patient_code, get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
    "assessments:goal-review": Route(
        kwargs=goal_codes, get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
    "assessments:worsening-list": Route(get=Method(READERS)),
    "assessments:assessment-detail": Route(kwargs=assessment_code, get=Method(READERS)),
    # Only its author may edit an assessment: another clinician is sent back to it.
    "assessments:assessment-edit": Route(
        kwargs=assessment_code,
        get=Method(CLINICIANS, ok=REDIRECT),
        post=Method(CLINICIANS, ok=REDIRECT),
    ),
    "assessments:assessment-in-error": Route(
        kwargs=assessment_code, get=Method(CLINICIANS), post=Method(CLINICIANS)
    ),
}
