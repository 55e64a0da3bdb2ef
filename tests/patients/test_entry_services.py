"""Clinical entries: validation that changes nothing, "entered in error", versions, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.accounts.models import User
from patients import services
from patients.models import (
    Device,
    DeviceKind,
    Diagnosis,
    LabResult,
    Medication,
    OncologyEvent,
    Patient,
)
from tests.patients.helpers import (
    add_diagnosis,
    add_lab,
    add_medication,
    drug,
    make_patient,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def medication(**fields: Any) -> Medication:
    values: dict[str, Any] = {
        "drug": drug("Oxycodone"),
        "strength": Decimal(10),
        "unit": "mg",
        "route": "oral",
        "doses_per_day": Decimal(2),
        "started_on": dt.date(2026, 1, 10),
    }
    values.update(fields)
    return Medication(**values)


def field_errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, Any]:
    return error.value.message_dict


# --- bad input: a field error, nothing saved -----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"stopped_on": dt.date(2026, 1, 9)}, "stopped_on", id="stop-before-start"),
        pytest.param({"strength": Decimal(-5)}, "strength", id="negative-strength"),
        pytest.param({"strength": Decimal(0)}, "strength", id="zero-strength"),
        pytest.param(
            {"drug": drug, "route": "transdermal", "unit": "mg", "doses_per_day": None},
            "unit",
            id="fentanyl-patch-in-mg",
        ),
        pytest.param({"route": "oral", "unit": "mcg/h"}, "unit", id="oral-rate-in-mcg-per-h"),
        pytest.param({"doses_per_day": None}, "doses_per_day", id="scheduled-without-frequency"),
        pytest.param({"doses_per_day": Decimal(25)}, "doses_per_day", id="more-than-24-a-day"),
        pytest.param(
            {"as_needed": True, "doses_per_day": None},
            "as_needed_max_doses_per_day",
            id="as-needed-without-maximum",
        ),
        pytest.param(
            {"drug": "Morphine", "route": "iv", "unit": "mcg/h"}, "unit", id="iv-morphine-in-mg"
        ),
    ],
)
def test_an_impossible_medication_gets_a_field_error_and_is_not_saved(
    clinician: User, patient: Patient, fields: dict[str, Any], field: str
) -> None:
    if fields.get("drug") is drug:
        fields = {**fields, "drug": drug("Fentanyl")}
    elif isinstance(fields.get("drug"), str):
        fields = {**fields, "drug": drug(fields["drug"])}
    with pytest.raises(ValidationError) as error:
        services.entry_add(by=clinician, patient=patient, entry=medication(**fields))

    assert field in field_errors(error)
    assert not Medication.objects.exists()


def test_the_fentanyl_patch_error_names_the_right_unit(clinician: User, patient: Patient) -> None:
    entry = medication(drug=drug("Fentanyl"), route="transdermal", unit="mg", doses_per_day=None)

    with pytest.raises(ValidationError) as error:
        services.entry_add(by=clinician, patient=patient, entry=entry)

    assert "mcg/h" in " ".join(field_errors(error)["unit"])


def test_a_fentanyl_patch_in_mcg_per_hour_needs_no_doses_per_day(
    clinician: User, patient: Patient
) -> None:
    entry = medication(
        drug=drug("Fentanyl"), route="transdermal", unit="mcg/h", strength=Decimal(25)
    )
    entry.doses_per_day = None

    saved = services.entry_add(by=clinician, patient=patient, entry=entry)

    assert saved.pk is not None


@pytest.mark.parametrize(
    ("test", "value"),
    [
        ("platelets", "-1"),
        ("platelets", "2001"),
        ("inr", "0.4"),
        ("inr", "15.5"),
        ("anc", "101"),
        ("haemoglobin", "19"),
        ("haemoglobin", "251"),
        ("creatinine", "9"),
        ("creatinine", "3001"),
        ("egfr", "201"),
    ],
)
def test_a_physiologically_impossible_lab_value_is_refused(
    clinician: User, patient: Patient, test: str, value: str
) -> None:
    with pytest.raises(ValidationError) as error:
        add_lab(patient, test, value, by=clinician)

    assert "not physiologically possible" in " ".join(field_errors(error)["value"])
    assert not LabResult.objects.exists()


@pytest.mark.parametrize(
    ("test", "value", "unit"),
    [
        ("platelets", "0", "×10⁹/L"),
        ("platelets", "2000", "×10⁹/L"),
        ("inr", "0.5", "ratio"),
        ("anc", "0.4", "×10⁹/L"),
        ("haemoglobin", "95", "g/L"),
        ("creatinine", "88", "µmol/L"),
        ("egfr", "45", "mL/min/1.73m²"),
    ],
)
def test_a_lab_result_stores_the_unit_of_its_test(
    clinician: User, patient: Patient, test: str, value: str, unit: str
) -> None:
    result = add_lab(patient, test, value, by=clinician)

    result.refresh_from_db()
    assert result.unit == unit


def test_a_lab_result_cannot_be_taken_in_the_future(clinician: User, patient: Patient) -> None:
    with pytest.raises(ValidationError) as error:
        add_lab(patient, "inr", "1.1", taken_at=timezone.now() + dt.timedelta(hours=1))

    assert "taken_at" in field_errors(error)


def test_the_database_refuses_a_lab_value_out_of_range(clinician: User, patient: Patient) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.create(
            patient=patient,
            created_by=clinician,
            test="platelets",
            value=Decimal(5000),
            unit="×10⁹/L",
            taken_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "chemotherapy", "regimen": ""}, "regimen"),
        ({"kind": "chemotherapy", "cycle_number": None}, "cycle_number"),
        ({"kind": "radiotherapy", "site": "", "regimen": "", "cycle_number": None}, "site"),
        (
            {
                "kind": "radiotherapy",
                "site": "T10",
                "ended_on": dt.date(2025, 1, 1),
                "regimen": "",
                "cycle_number": None,
            },
            "ended_on",
        ),
        ({"kind": "surgery", "regimen": "", "cycle_number": None, "ended_on": None}, None),
    ],
)
def test_oncology_events_check_what_each_kind_needs(
    clinician: User, patient: Patient, fields: dict[str, Any], field: str | None
) -> None:
    values: dict[str, Any] = {
        "kind": "chemotherapy",
        "occurred_on": dt.date(2025, 2, 1),
        "regimen": "FOLFOX",
        "cycle_number": 3,
    }
    values.update(fields)
    entry = OncologyEvent(**values)
    if field is None:
        assert services.entry_add(by=clinician, patient=patient, entry=entry).pk
        return
    with pytest.raises(ValidationError) as error:
        services.entry_add(by=clinician, patient=patient, entry=entry)
    assert field in field_errors(error)


def test_a_stimulator_holds_no_drug(clinician: User, patient: Patient) -> None:
    entry = Device(
        kind=DeviceKind.SPINAL_CORD_STIMULATOR,
        model_name="Intellis",
        serial_number="X1",
        implanted_on=dt.date(2025, 3, 1),
        drug="Morphine",
    )

    with pytest.raises(ValidationError) as error:
        services.entry_add(by=clinician, patient=patient, entry=entry)

    assert "drug" in field_errors(error)


def test_a_pump_concentration_needs_its_unit(clinician: User, patient: Patient) -> None:
    entry = Device(
        kind=DeviceKind.INTRATHECAL_PUMP,
        model_name="SynchroMed II",
        serial_number="X1",
        implanted_on=dt.date(2025, 3, 1),
        drug="Morphine",
        concentration=Decimal(10),
    )

    with pytest.raises(ValidationError) as error:
        services.entry_add(by=clinician, patient=patient, entry=entry)

    assert "concentration" in field_errors(error)


# --- entered in error ----------------------------------------------------------------------------


def test_marking_in_error_keeps_the_entry_with_reason_author_and_time(
    clinician: User, patient: Patient
) -> None:
    entry = add_medication(patient, "Oxycodone", "10", by=clinician)

    services.entry_mark_in_error(by=clinician, entry=entry, reason="  Wrong   patient ")

    entry.refresh_from_db()
    assert entry.in_error
    assert entry.entered_in_error_by == clinician
    assert entry.entered_in_error_reason == "Wrong patient"
    assert Medication.objects.filter(pk=entry.pk).exists()
    labels = Medication.pgh_event_models["insert"].objects.filter(pgh_obj=entry)
    assert sorted(e.pgh_label for e in labels) == ["insert", "update"]


def test_marking_in_error_needs_a_reason(clinician: User, patient: Patient) -> None:
    entry = add_medication(patient, "Oxycodone", "10", by=clinician)

    with pytest.raises(ValidationError):
        services.entry_mark_in_error(by=clinician, entry=entry, reason="   ")

    entry.refresh_from_db()
    assert not entry.in_error


def test_an_entry_is_marked_in_error_only_once(clinician: User, patient: Patient) -> None:
    entry = add_lab(patient, "inr", "1.2", by=clinician)
    services.entry_mark_in_error(by=clinician, entry=entry, reason="Duplicate")

    with pytest.raises(services.PatientError):
        services.entry_mark_in_error(by=clinician, entry=entry, reason="Again")


def test_an_entry_in_error_cannot_be_edited(clinician: User, patient: Patient) -> None:
    entry = add_lab(patient, "inr", "1.2", by=clinician)
    services.entry_mark_in_error(by=clinician, entry=entry, reason="Duplicate")

    with pytest.raises(services.PatientError):
        services.entry_update(by=clinician, entry=entry, version=2, changes={"value": Decimal(1)})


def test_the_database_refuses_in_error_without_a_reason(clinician: User, patient: Patient) -> None:
    from django.db import IntegrityError, transaction

    entry = add_lab(patient, "inr", "1.2", by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.filter(pk=entry.pk).update(entered_in_error_at=timezone.now())


# --- edits ---------------------------------------------------------------------------------------


def test_an_edit_from_an_old_version_is_refused(clinician: User, patient: Patient) -> None:
    entry = add_medication(patient, "Oxycodone", "10", by=clinician)
    services.entry_update(by=clinician, entry=entry, version=1, changes={"strength": Decimal(15)})

    with pytest.raises(services.EditConflict):
        services.entry_update(
            by=clinician, entry=entry, version=1, changes={"strength": Decimal(20)}
        )

    entry.refresh_from_db()
    assert entry.strength == Decimal(15)


def test_an_invalid_edit_changes_nothing(clinician: User, patient: Patient) -> None:
    entry = add_medication(patient, "Oxycodone", "10", by=clinician)

    with pytest.raises(ValidationError):
        services.entry_update(
            by=clinician, entry=entry, version=1, changes={"strength": Decimal(-1)}
        )

    entry.refresh_from_db()
    assert (entry.strength, entry.version) == (Decimal(10), 1)


def test_an_edit_cannot_move_an_entry_to_another_patient(clinician: User, patient: Patient) -> None:
    entry = add_lab(patient, "inr", "1.2", by=clinician)

    with pytest.raises(services.PatientError):
        services.entry_update(
            by=clinician, entry=entry, version=1, changes={"patient": make_patient()}
        )


def test_a_new_main_diagnosis_takes_over_from_the_old(clinician: User, patient: Patient) -> None:
    first = add_diagnosis(patient, primary_site="Breast", by=clinician)
    second = add_diagnosis(patient, primary_site="Lung", by=clinician)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_main, second.is_main) == (False, True)
    assert Diagnosis.objects.filter(patient=patient, is_main=True).count() == 1
