"""Who may open or change which assessment (DESIGN.md section 4).

Clinicians record and edit; coordinators read (403 on writes); admins see no patient page (403).
An assessment belongs to its patient's record: outside the user's patients it does not exist
(404), through `patients.access.get_patient_for_user`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from assessments import selectors
from assessments.models import Assessment
from patients.access import get_patient_for_user


def get_assessment_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False
) -> Assessment:
    """The assessment if the user may open its patient's record (else 404); 403 for a write
    by someone who may only read."""
    try:
        assessment = selectors.get_assessment(code)
    except (Assessment.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
    # The patient's scope decides: 404 outside it, 403 for a forbidden action inside it.
    patient: Any = get_patient_for_user(
        request, assessment.patient.code, write=write, clinical=write
    )
    assessment.patient = patient
    return assessment
