"""Writes to the patient record. Each function checks its rules and raises a PatientError.

Validation errors from the models (`full_clean`) are raised as Django `ValidationError`s with the
field they concern, so a view can show them next to the field; nothing is saved in either case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.lib.policy import forget_cached as forget_cached_sign_in_policy
from patients.models import (
    CareTeamMember,
    ClinicalEntry,
    ClinicPolicy,
    Device,
    Diagnosis,
    Drug,
    Patient,
)


class PatientError(ValueError):
    """A change that would break a rule of the record; the message says which."""


class EditConflict(PatientError):
    """Someone else saved this row since the form was opened; nothing was saved."""

    def __init__(self, message: str, *, current: models.Model) -> None:
        super().__init__(message)
        self.current = current


Entry = TypeVar("Entry", bound=ClinicalEntry)

PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "preferred_language",
    "status",
    "date_of_death",
    "referral_date",
    "referral_source",
    "primary_clinician",
    "restricted",
)


def _mrn_taken(mrn: str, *, exclude_pk: int | None = None) -> bool:
    taken = Patient.objects.filter(mrn__iexact=mrn.strip())
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def _duplicate_mrn(mrn: str) -> ValidationError:
    return ValidationError(
        {"mrn": _("MRN %(mrn)s is already registered to another patient.") % {"mrn": mrn.strip()}}
    )


def _check_restriction(
    *, by: User, restricted: bool, primary_clinician: User | None, care_team: set[User]
) -> None:
    # Restricting a record the editor could then not open would lock them out of it.
    if restricted and by != primary_clinician and by not in care_team:
        raise ValidationError(
            {
                "care_team": _(
                    "Add yourself to the care team (or be the primary clinician): only they "
                    "can open a restricted record."
                )
            }
        )


def _save_patient(patient: Patient, *, is_new: bool) -> None:
    # Trimmed before validation, so " AB-123 " is checked (and stored) as "AB-123".
    patient.mrn = (patient.mrn or "").strip()
    patient.full_clean(validate_constraints=False)
    if _mrn_taken(patient.mrn, exclude_pk=None if is_new else patient.pk):
        raise _duplicate_mrn(patient.mrn)
    try:
        # A savepoint, so a race on the MRN leaves the outer transaction usable.
        with transaction.atomic():
            patient.save()
    except IntegrityError as error:
        if "patient_mrn_ci_unique" in str(error):
            raise _duplicate_mrn(patient.mrn) from error
        raise


def _set_care_team(patient: Patient, care_team: set[User]) -> None:
    current = set(CareTeamMember.objects.filter(patient=patient).values_list("user_id", flat=True))
    wanted = {user.pk for user in care_team}
    CareTeamMember.objects.filter(patient=patient, user_id__in=current - wanted).delete()
    CareTeamMember.objects.bulk_create(
        [CareTeamMember(patient=patient, user_id=pk) for pk in sorted(wanted - current)]
    )


@transaction.atomic
def patient_register(*, by: User, care_team: Iterable[User] = (), **fields: Any) -> Patient:
    """Register a new patient; the MRN must not be registered already (whatever its case)."""
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    team = set(care_team)
    _check_restriction(
        by=by,
        restricted=bool(fields.get("restricted")),
        primary_clinician=fields.get("primary_clinician"),
        care_team=team,
    )
    patient = Patient(created_by=by, **fields)
    _save_patient(patient, is_new=True)
    _set_care_team(patient, team)
    return patient


@transaction.atomic
def patient_update(
    *,
    by: User,
    patient: Patient,
    version: int,
    care_team: Iterable[User] | None = None,
    **fields: Any,
) -> Patient:
    """Change demographics and referral; refuses a form opened before someone else's save."""
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.version != version:
        raise EditConflict(
            _("%(name)s's record was changed by someone else while you were editing.")
            % {"name": locked.full_name},
            current=locked,
        )
    team = (
        set(care_team)
        if care_team is not None
        else set(User.objects.filter(care_team_links__patient=locked))
    )
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_restriction(
        by=by,
        restricted=locked.restricted,
        primary_clinician=locked.primary_clinician,
        care_team=team,
    )
    locked.version += 1
    _save_patient(locked, is_new=False)
    _set_care_team(locked, team)
    return locked


# --- clinical entries ----------------------------------------------------------------------------


def _keep_one_main_diagnosis(entry: ClinicalEntry) -> None:
    if isinstance(entry, Diagnosis) and entry.is_main and not entry.in_error:
        Diagnosis.objects.filter(patient_id=entry.patient_id, is_main=True).exclude(
            pk=entry.pk
        ).update(is_main=False, updated_at=timezone.now())


def _validate_and_save(entry: ClinicalEntry) -> None:
    entry.full_clean(validate_constraints=False)
    # The new main diagnosis takes over from the old one before the constraints are checked.
    _keep_one_main_diagnosis(entry)
    entry.validate_constraints()
    entry.save()


@transaction.atomic
def entry_add(*, by: User, patient: Patient, entry: Entry) -> Entry:
    """Add a clinical entry (diagnosis, medication, lab result …) to `patient`'s record."""
    if entry.pk is not None:
        raise PatientError(_("This entry is already saved."))
    entry.patient = patient  # type: ignore[attr-defined]
    entry.created_by = by
    _validate_and_save(entry)
    return entry


@transaction.atomic
def entry_update(*, by: User, entry: Entry, version: int, changes: Mapping[str, Any]) -> Entry:
    """Change a clinical entry; refuses entries in error and forms opened before another save."""
    model = type(entry)
    locked = cast(Entry, model._default_manager.select_for_update().get(pk=entry.pk))
    if locked.in_error:
        raise PatientError(_("An entry marked as entered in error cannot be changed."))
    if locked.version != version:
        raise EditConflict(
            _("This %(what)s was changed by someone else while you were editing.")
            % {"what": model._meta.verbose_name},
            current=locked,
        )
    for name, value in changes.items():
        if name in {"patient", "code", "created_by", "version"} or name.startswith("entered_"):
            raise PatientError(_("%(field)s cannot be changed here.") % {"field": name})
        setattr(locked, name, value)
    locked.version += 1
    _validate_and_save(locked)
    return locked


@transaction.atomic
def entry_mark_in_error(*, by: User, entry: Entry, reason: str) -> Entry:
    """Mark a clinical entry as entered in error; it stays in the record and its history."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Say why this entry is in error.")})
    model = type(entry)
    locked = cast(Entry, model._default_manager.select_for_update().get(pk=entry.pk))
    if locked.in_error:
        raise PatientError(_("This entry is already marked as entered in error."))
    locked.entered_in_error_at = timezone.now()
    locked.entered_in_error_by = by
    locked.entered_in_error_reason = reason[:300]
    locked.version += 1
    locked.save(
        update_fields=[
            "entered_in_error_at",
            "entered_in_error_by",
            "entered_in_error_reason",
            "version",
            "updated_at",
        ]
    )
    return locked


# --- implanted devices recorded by the procedures app --------------------------------------------

IMPLANT_DETAIL_FIELDS = frozenset(
    {
        "drug",
        "concentration",
        "concentration_unit",
        "reservoir_volume_ml",
        "next_refill_due",
        "next_battery_check_due",
        "notes",
    }
)


@transaction.atomic
def device_record_implant(
    *,
    by: User,
    patient: Patient,
    kind: str,
    model_name: str,
    serial_number: str,
    implanted_on: Any,
    **details: Any,
) -> Device:
    """Create the patient's device entry for an implant, or update the entry of the same device.

    The same device is an implanted (not removed, not in error) entry of the same kind and serial
    number; its model, implant date and the details given are updated (a new version in its
    history). Validation errors are raised as `ValidationError`s and nothing is saved.
    """
    unknown = set(details) - IMPLANT_DETAIL_FIELDS
    if unknown:
        raise TypeError(f"Unknown device fields: {sorted(unknown)}")
    serial_number = serial_number.strip()
    existing = (
        Device.objects.current()
        .select_for_update()
        .filter(patient=patient, kind=kind, removed_on__isnull=True)
        .filter(serial_number__iexact=serial_number)
        .first()
        if serial_number
        else None
    )
    values = {"model_name": model_name, "serial_number": serial_number, **details}
    if existing is None:
        device = Device(kind=kind, implanted_on=implanted_on, **values)
        return entry_add(by=by, patient=patient, entry=device)
    changes = {"implanted_on": implanted_on, **values}
    return entry_update(by=by, entry=existing, version=existing.version, changes=changes)


# --- catalogue and policy (admins) ---------------------------------------------------------------


def _save_drug(drug: Drug) -> None:
    drug.full_clean(validate_constraints=False)
    duplicate = Drug.objects.filter(name__iexact=drug.name)
    if drug.pk is not None:
        duplicate = duplicate.exclude(pk=drug.pk)
    if duplicate.exists():
        raise ValidationError(
            {"name": _("The catalogue already has %(name)s.") % {"name": drug.name}}
        )
    drug.save()


@transaction.atomic
def drug_create(
    *, name: str, drug_class: str, opioid_key: str = "", hold_key: str = "", notes: str = ""
) -> Drug:
    drug = Drug(
        name=name, drug_class=drug_class, opioid_key=opioid_key, hold_key=hold_key, notes=notes
    )
    _save_drug(drug)
    return drug


@transaction.atomic
def drug_update(*, drug: Drug, version: int, **fields: Any) -> Drug:
    locked = Drug.objects.select_for_update().get(pk=drug.pk)
    if locked.version != version:
        raise EditConflict(
            _("%(name)s was changed by someone else while you were editing.")
            % {"name": locked.name},
            current=locked,
        )
    allowed = {"name", "drug_class", "opioid_key", "hold_key", "notes"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"Unknown catalogue field: {name}")
        setattr(locked, name, value)
    locked.version += 1
    _save_drug(locked)
    return locked


@transaction.atomic
def drug_set_active(*, drug: Drug, active: bool) -> Drug:
    """Withdraw a drug from new prescriptions (or bring it back); existing ones are kept."""
    locked = Drug.objects.select_for_update().get(pk=drug.pk)
    if locked.is_active == active:
        state = _("available") if active else _("withdrawn")
        raise PatientError(
            _("%(name)s is already %(state)s.") % {"name": locked.name, "state": state}
        )
    locked.is_active = active
    locked.version += 1
    locked.save(update_fields=["is_active", "version", "updated_at"])
    return locked


@transaction.atomic
def policy_update(*, version: int, **fields: Any) -> ClinicPolicy:
    policy, _created = ClinicPolicy.objects.select_for_update().get_or_create(singleton=True)
    if policy.version != version:
        raise EditConflict(
            _("The clinic policy was changed by someone else while you were editing."),
            current=policy,
        )
    for name, value in fields.items():
        if name not in {field.name for field in ClinicPolicy._meta.fields if field.editable}:
            raise TypeError(f"Unknown policy field: {name}")
        setattr(policy, name, value)
    policy.version += 1
    policy.full_clean()
    policy.save()
    # Every request reads the sign-in rules from a cache; the next one reads this version.
    forget_cached_sign_in_policy()
    return policy
