"""Who may open which patient's record, and do what with it (DESIGN.md section 4).

Clinicians read and write everything clinical; coordinators read the chart and edit demographics
and referral; admins see no patient page. A restricted record opens only for its care team and
its primary clinician. Anyone else with a reading role may "break the glass": asked for a reason,
they may open it for 60 minutes, and the access log flags it and admins are told. Until then the
record answers a break-glass page (403) that shows nothing of the patient. A permitted read with a
forbidden action answers 403. Later apps (assessments, procedures, meetings) fetch patients
through here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction, AccessLog
from patients.models import CareTeamMember, ClinicalEntry, Patient

READ_ROLES = (Role.CLINICIAN, Role.COORDINATOR)


def can_read_patients(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(*READ_ROLES))


def can_edit_demographics(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.CLINICIAN, Role.COORDINATOR))


def can_edit_clinical(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.CLINICIAN))


class BreakGlassRequired(PermissionDenied):
    """A restricted record the user may open only by breaking the glass."""

    def __init__(self, patient_code: uuid.UUID) -> None:
        super().__init__("restricted record")
        self.patient_code = patient_code


def _in_care_team(user: Any) -> Exists:
    return Exists(CareTeamMember.objects.filter(patient=OuterRef("pk"), user_id=user.pk))


def _glass_broken(user: Any) -> Exists:
    since = timezone.now() - settings.BREAK_GLASS_DURATION
    return Exists(
        AccessLog.objects.filter(
            actor_id=user.pk,
            action=AccessAction.BREAK_GLASS,
            patient_code=OuterRef("code"),
            at__gte=since,
        )
    )


def visible_patients(user: Any) -> QuerySet[Patient]:
    """The patients `user` may find and open: all but restricted records of others' patients
    (unless they broke the glass for that record within the last hour)."""
    if not can_read_patients(user):
        return Patient.objects.none()
    return Patient.objects.filter(
        Q(restricted=False)
        | Q(primary_clinician_id=user.pk)
        | _in_care_team(user)
        | _glass_broken(user)
    )


@dataclass(frozen=True)
class AccessFacts:
    """What `visible_among` reads of a patient, for a query that reads no more of it."""

    pk: int
    restricted: bool
    primary_clinician_id: int | None


def visible_among(user: Any, patients: Iterable[Patient | AccessFacts]) -> set[int]:
    """The ids of those of `patients` (already read) that `user` may open: the rule of
    visible_patients(), asked of these records only.

    Most records are not restricted, and a restricted one opens for its primary clinician:
    both are decided from the rows in hand. Only the others (care team, broken glass) are asked
    of the database, in one query and only when there are such records; so a page that reads
    its patients anyway need not compile the rule's subqueries into its own query."""
    if not can_read_patients(user):
        return set()
    patients = list(patients)
    open_ = {p.pk for p in patients if not p.restricted or p.primary_clinician_id == user.pk}
    others = {p.pk for p in patients} - open_
    if others:
        open_ |= set(visible_patients(user).filter(pk__in=others).values_list("pk", flat=True))
    return open_


def restricted_patient_code(code: uuid.UUID | str) -> uuid.UUID | None:
    """The code, if it names a restricted record (for the break-glass page; nothing else)."""
    try:
        return (
            Patient.objects.filter(code=code, restricted=True)
            .values_list("code", flat=True)
            .first()
        )
    except ValidationError:
        return None


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
        patient = Patient.objects.select_related("primary_clinician").get(code=code)
    except (Patient.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
    if patient.pk not in visible_among(user, [patient]):
        raise BreakGlassRequired(patient.code)
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
