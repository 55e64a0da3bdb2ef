"""Who may open which patient's record, and do what with it (DESIGN.md section 4).

Clinicians read and write everything clinical; coordinators read the chart and edit demographics
and referral; admins see no patient page. A restricted record opens only for its care team and
its primary clinician: to anyone else it does not exist (404). A permitted read with a forbidden
action answers 403. Later apps (assessments, procedures, meetings) fetch patients through here.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from clinic.accounts.roles import Role
from patients.models import CareTeamMember, ClinicalEntry, Patient

READ_ROLES = (Role.CLINICIAN, Role.COORDINATOR)


def can_read_patients(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(*READ_ROLES))


def can_edit_demographics(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.CLINICIAN, Role.COORDINATOR))


def can_edit_clinical(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.CLINICIAN))


def _in_care_team(user: Any) -> Exists:
    return Exists(CareTeamMember.objects.filter(patient=OuterRef("pk"), user_id=user.pk))


def visible_patients(user: Any) -> QuerySet[Patient]:
    """The patients `user` may find and open: all but restricted records of others' patients."""
    if not can_read_patients(user):
        return Patient.objects.none()
    return Patient.objects.filter(
        Q(restricted=False) | Q(primary_clinician_id=user.pk) | _in_care_team(user)
    )


def get_patient_for_user(
    request: HttpRequest,
    code: uuid.UUID | str,
    *,
    write: bool = False,
    clinical: bool = False,
) -> Patient:
    """The patient with `code` if the request's user may open the record, else 404.

    `write=True` asks to change demographics or referral (clinicians and coordinators);
    `write=True, clinical=True` asks to change clinical entries (clinicians only). A user who
    may read the record but not do the action gets 403.
    """
    user = request.user
    if not can_read_patients(user):
        raise PermissionDenied
    try:
        patient = visible_patients(user).select_related("primary_clinician").get(code=code)
    except (Patient.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
    if write and clinical and not can_edit_clinical(user):
        raise PermissionDenied
    if write and not can_edit_demographics(user):
        raise PermissionDenied
    return patient


def get_entry_for_patient(
    patient: Patient, model: type[ClinicalEntry], code: uuid.UUID | str
) -> ClinicalEntry:
    """An entry of `patient`'s record, or 404 (an entry of another patient does not exist here)."""
    related = ["created_by"]
    if any(field.name == "drug" and field.is_relation for field in model._meta.fields):
        related.append("drug")
    # Every concrete entry model has its own `patient` foreign key; the abstract base has not.
    entries: QuerySet[Any] = model._default_manager.select_related(*related)
    try:
        return entries.get(patient=patient, code=code)
    except (model.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
