"""Small builders for patient records, through the services (as the app writes them)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from patients import services
from patients.models import (
    Allergy,
    Device,
    DeviceKind,
    Diagnosis,
    Drug,
    Goal,
    LabResult,
    Medication,
    OncologyEvent,
    OncologyEventKind,
    Patient,
)
from tests.conftest import make_user

_mrns = itertools.count(1)


def author() -> User:
    return make_user(Role.CLINICIAN)


def make_patient(*, by: User | None = None, **fields: Any) -> Patient:
    number = next(_mrns)
    values: dict[str, Any] = {
        "mrn": f"T{number:06d}",
        "given_name": "Test",
        "family_name": f"Patient{number}",
        "date_of_birth": dt.date(1960, 5, 17),
    }
    values.update(fields)
    care_team = values.pop("care_team", ())
    return services.patient_register(by=by or author(), care_team=care_team, **values)


def drug(name: str) -> Drug:
    return Drug.objects.get(name=name)


def add_medication(
    patient: Patient,
    drug_name: str,
    strength: str,
    *,
    by: User | None = None,
    unit: str = "mg",
    route: str = "oral",
    doses_per_day: str | None = "2",
    as_needed: bool = False,
    as_needed_max: str | None = None,
    started_on: dt.date | None = None,
    stopped_on: dt.date | None = None,
) -> Medication:
    entry = Medication(
        drug=drug(drug_name),
        strength=Decimal(strength),
        unit=unit,
        route=route,
        as_needed=as_needed,
        doses_per_day=None if as_needed or doses_per_day is None else Decimal(doses_per_day),
        as_needed_max_doses_per_day=None if as_needed_max is None else Decimal(as_needed_max),
        started_on=started_on or timezone.localdate() - dt.timedelta(days=3),
        stopped_on=stopped_on,
    )
    return services.entry_add(by=by or patient.created_by, patient=patient, entry=entry)


def add_lab(
    patient: Patient,
    test: str,
    value: str,
    *,
    by: User | None = None,
    taken_at: dt.datetime | None = None,
) -> LabResult:
    entry = LabResult(
        test=test,
        value=Decimal(value),
        taken_at=taken_at or timezone.now() - dt.timedelta(hours=2),
    )
    return services.entry_add(by=by or patient.created_by, patient=patient, entry=entry)


def add_diagnosis(patient: Patient, *, by: User | None = None, **fields: Any) -> Diagnosis:
    values: dict[str, Any] = {
        "primary_site": "Pancreas",
        "histology": "Adenocarcinoma",
        "stage": "IV",
        "metastatic_sites": "liver",
        "diagnosed_on": dt.date(2025, 1, 10),
    }
    values.update(fields)
    return services.entry_add(
        by=by or patient.created_by, patient=patient, entry=Diagnosis(**values)
    )


def add_oncology_event(patient: Patient, *, by: User | None = None, **fields: Any) -> OncologyEvent:
    values: dict[str, Any] = {
        "kind": OncologyEventKind.CHEMOTHERAPY,
        "occurred_on": dt.date(2025, 2, 1),
        "regimen": "FOLFIRINOX",
        "cycle_number": 1,
        "cycle_length_days": 14,
    }
    values.update(fields)
    return services.entry_add(
        by=by or patient.created_by, patient=patient, entry=OncologyEvent(**values)
    )


def add_allergy(patient: Patient, substance: str = "Penicillin", **fields: Any) -> Allergy:
    by = fields.pop("by", None) or patient.created_by
    entry = Allergy(substance=substance, **fields)
    return services.entry_add(by=by, patient=patient, entry=entry)


def add_goal(patient: Patient, *, by: User | None = None, **fields: Any) -> Goal:
    values: dict[str, Any] = {
        "patient_words": "Walk to the park with my grandson",
        "measure": "Walking distance (m)",
        "baseline": Decimal(50),
        "target": Decimal(500),
    }
    values.update(fields)
    return services.entry_add(by=by or patient.created_by, patient=patient, entry=Goal(**values))


def add_device(patient: Patient, *, by: User | None = None, **fields: Any) -> Device:
    values: dict[str, Any] = {
        "kind": DeviceKind.INTRATHECAL_PUMP,
        "model_name": "SynchroMed II",
        "serial_number": "NGP123456",
        "implanted_on": dt.date(2025, 3, 1),
        "drug": "Morphine",
        "concentration": Decimal(10),
        "concentration_unit": "mg/mL",
        "reservoir_volume_ml": Decimal(20),
        "next_refill_due": timezone.localdate() + dt.timedelta(days=30),
    }
    values.update(fields)
    return services.entry_add(by=by or patient.created_by, patient=patient, entry=Device(**values))


def full_record(patient: Patient) -> dict[str, Any]:
    """One entry of each kind, keyed as the permission matrix names them."""
    return {
        "diagnosis": add_diagnosis(patient),
        "oncology_event": add_oncology_event(patient),
        "medication": add_medication(patient, "Oxycodone", "10"),
        "lab_result": add_lab(patient, "platelets", "180"),
        "allergy": add_allergy(patient),
        "goal": add_goal(patient),
        "device": add_device(patient),
    }


def quick_record(patient: Patient) -> dict[str, Any]:
    """Like `full_record`, straight into the database (for the permission matrix's speed)."""
    by = patient.created_by
    today = timezone.localdate()
    common = {"patient": patient, "created_by": by}
    return {
        "diagnosis": Diagnosis.objects.create(
            **common, primary_site="Lung", diagnosed_on=dt.date(2025, 1, 10)
        ),
        "oncology_event": OncologyEvent.objects.create(
            **common, kind="surgery", occurred_on=dt.date(2025, 2, 1), site="Lung"
        ),
        "medication": Medication.objects.create(
            **common,
            drug=drug("Oxycodone"),
            strength=Decimal(10),
            unit="mg",
            route="oral",
            doses_per_day=Decimal(2),
            started_on=today,
        ),
        "lab_result": LabResult.objects.create(
            **common, test="platelets", value=Decimal(180), unit="×10⁹/L", taken_at=timezone.now()
        ),
        "allergy": Allergy.objects.create(**common, substance="Penicillin"),
        "goal": Goal.objects.create(
            **common, patient_words="Sleep through the night", measure="Nights", target=Decimal(5)
        ),
        "device": Device.objects.create(
            **common,
            kind=DeviceKind.SPINAL_CORD_STIMULATOR,
            model_name="Model",
            serial_number="S1",
            implanted_on=dt.date(2025, 3, 1),
        ),
    }


def edit_policy(client: Any, **changes: Any) -> Any:
    """Submit the clinic policy page as it renders, with `changes` (field name -> posted value)."""
    from django.urls import reverse

    url = reverse("patients:policy-edit")
    form = client.get(url).context["form"]
    data = {field.name: field.value() for field in form if field.value() is not None}
    return client.post(url, {**data, **changes})
