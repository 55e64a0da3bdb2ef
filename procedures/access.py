"""Who may open which plan, review or follow-up, and do what with it (DESIGN.md section 4).

A plan belongs to a patient: whoever may not open the patient's record does not see the plan
either (404, or the patients app's break-glass page for a restricted record). Clinicians do
everything; coordinators read and set the scheduled date (403 on other writes); admins see no
patient-scoped page (the views' roles answer 403).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest

from clinic.accounts.roles import Role
from patients.access import can_edit_clinical, get_patient_for_user
from procedures.models import FollowUp, ProcedurePlan, SafetyReview


def can_schedule(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.CLINICIAN, Role.COORDINATOR))


def _scope(request: HttpRequest, patient_code: uuid.UUID, *, write: bool, schedule: bool) -> None:
    # The patients app decides visibility (404, break glass); its answer is re-used here.
    get_patient_for_user(request, patient_code)
    if write and not can_edit_clinical(request.user):
        raise PermissionDenied
    if schedule and not can_schedule(request.user):
        raise PermissionDenied


def get_plan_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False, schedule: bool = False
) -> ProcedurePlan:
    """The plan with `code` if its patient's record may be opened, else 404.

    `write=True`: clinicians only (403 for a coordinator). `schedule=True`: clinicians and
    coordinators.
    """
    try:
        plan = ProcedurePlan.objects.select_related(
            "patient",
            "patient__primary_clinician",
            "procedure_type",
            "operator",
            "approved_by",
            "cancelled_by",
            "created_by",
            "builds_on",
            "builds_on__procedure_type",
        ).get(code=code)
    except (ProcedurePlan.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
    _scope(request, plan.patient.code, write=write, schedule=schedule)
    return plan


def get_review_for_user(request: HttpRequest, code: uuid.UUID | str) -> SafetyReview:
    """A safety review to override: clinicians only."""
    try:
        review = SafetyReview.objects.select_related("plan", "plan__patient").get(code=code)
    except (SafetyReview.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
    _scope(request, review.plan.patient.code, write=True, schedule=False)
    return review


def get_follow_up_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False
) -> FollowUp:
    try:
        follow_up = FollowUp.objects.select_related(
            "plan",
            "plan__patient",
            "plan__procedure_type",
            "record",
            "responsible",
            "completed_by",
        ).get(code=code)
    except (FollowUp.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
    _scope(request, follow_up.plan.patient.code, write=write, schedule=False)
    return follow_up
