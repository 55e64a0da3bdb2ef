"""Adding, editing and marking clinical entries in error through the pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from patients.models import LabResult, Medication, Patient
from patients.views import ENTRY_KINDS
from tests.conftest import client_for
from tests.patients.helpers import add_lab, add_medication, drug, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def url(name: str, patient: Patient, entry: Any = None) -> str:
    kwargs: dict[str, Any] = {"code": patient.code}
    if entry is not None:
        kwargs["entry"] = entry.code
    return reverse(f"patients:{name}", kwargs=kwargs)


def rendered_fields(client: Client, address: str) -> set[str]:
    html = client.get(address).text
    fields = re.findall(r'<(?:input|select|textarea)[^>]*\sname="([a-z_]+)"', html)
    return set(fields) - {"csrfmiddlewaretoken"}


def medication_data(**fields: Any) -> dict[str, Any]:
    data = {
        "drug": str(drug("Oxycodone").code),
        "strength": "10",
        "unit": "mg",
        "route": "oral",
        "doses_per_day": "2",
        "as_needed_max_doses_per_day": "",
        "started_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "stopped_on": "",
        "indication": "Pain",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("slug", sorted(ENTRY_KINDS))
def test_every_add_form_renders(clinician: User, patient: Patient, slug: str) -> None:
    response = client_for(clinician).get(url(f"{slug}-add", patient))

    assert response.status_code == 200
    assert "<form" in response.text


def test_a_clinician_adds_a_medication_and_sees_it_on_the_chart(
    clinician: User, patient: Patient
) -> None:
    client = client_for(clinician)
    assert set(medication_data()) | {"as_needed", "version"} == rendered_fields(
        client, url("medication-add", patient)
    )

    response = client.post(url("medication-add", patient), medication_data())

    entry = Medication.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith("#medications")
    assert (entry.patient, entry.created_by, entry.strength) == (patient, clinician, Decimal(10))
    chart = client.get(url("patient-detail", patient)).text
    assert "30 mg/day" in chart


def test_a_fentanyl_patch_in_mg_is_refused_with_a_field_error(
    clinician: User, patient: Patient
) -> None:
    response = client_for(clinician).post(
        url("medication-add", patient),
        medication_data(drug=str(drug("Fentanyl").code), route="transdermal", doses_per_day=""),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["unit"] == ["A patch's strength is given in mcg/h."]
    assert not Medication.objects.exists()


def test_a_stop_date_before_the_start_date_is_refused(clinician: User, patient: Patient) -> None:
    response = client_for(clinician).post(
        url("medication-add", patient), medication_data(stopped_on="2000-01-01")
    )

    assert "stopped_on" in response.context["form"].errors
    assert not Medication.objects.exists()


def test_an_impossible_lab_value_is_refused_with_a_field_error(
    clinician: User, patient: Patient
) -> None:
    response = client_for(clinician).post(
        url("lab-result-add", patient),
        {"test": "haemoglobin", "value": "900", "taken_at": "2026-01-05T09:30"},
    )

    assert "not physiologically possible" in response.context["form"].errors["value"][0]
    assert not LabResult.objects.exists()


def test_a_withdrawn_drug_cannot_be_prescribed(clinician: User, patient: Patient) -> None:
    withdrawn = drug("Pethidine (meperidine)")
    withdrawn.is_active = False
    withdrawn.save()

    response = client_for(clinician).post(
        url("medication-add", patient), medication_data(drug=str(withdrawn.code))
    )

    assert "drug" in response.context["form"].errors
    assert not Medication.objects.exists()


def test_editing_an_entry_saves_a_new_version(clinician: User, patient: Patient) -> None:
    entry = add_medication(patient, "Oxycodone", "10")

    response = client_for(clinician).post(
        url("medication-edit", patient, entry), medication_data(strength="15", version="1")
    )

    entry.refresh_from_db()
    assert response.status_code == 302
    assert (entry.strength, entry.version) == (Decimal(15), 2)


def test_a_stale_entry_edit_gets_the_conflict_page(clinician: User, patient: Patient) -> None:
    entry = add_medication(patient, "Oxycodone", "10")
    client = client_for(clinician)
    client.post(url("medication-edit", patient, entry), medication_data(strength="15", version="1"))

    response = client.post(
        url("medication-edit", patient, entry), medication_data(strength="20", version="1")
    )

    entry.refresh_from_db()
    assert response.status_code == 409
    assert entry.strength == Decimal(15)
    rows = {row.label: row for row in response.context["rows"]}
    assert (rows["Strength"].when_opened, rows["Strength"].now, rows["Strength"].yours) == (
        "10",
        "15",
        "20",
    )


def test_an_entry_of_another_patient_is_404(clinician: User, patient: Patient) -> None:
    other = make_patient()
    entry = add_lab(other, "inr", "1.1")

    response = client_for(clinician).get(url("lab-result-edit", patient, entry))

    assert response.status_code == 404


def test_entered_in_error_asks_for_confirmation_and_a_reason(
    clinician: User, patient: Patient
) -> None:
    entry = add_lab(patient, "platelets", "20")
    client = client_for(clinician)
    address = url("lab-result-in-error", patient, entry)

    confirm = client.get(address)
    no_reason = client.post(address, {"reason": "  "})
    entry.refresh_from_db()
    assert confirm.status_code == 200 and "Mark as entered in error" in confirm.text
    assert "reason" in no_reason.context["form"].errors
    assert not entry.in_error

    done = client.post(address, {"reason": "Sample from another patient"})

    entry.refresh_from_db()
    assert done.status_code == 302
    assert entry.in_error and entry.entered_in_error_reason == "Sample from another patient"
    assert LabResult.objects.filter(pk=entry.pk).exists()


def test_an_entry_in_error_cannot_be_opened_for_editing(clinician: User, patient: Patient) -> None:
    entry = add_lab(patient, "platelets", "20")
    client = client_for(clinician)
    client.post(url("lab-result-in-error", patient, entry), {"reason": "Duplicate"})

    response = client.get(url("lab-result-edit", patient, entry))

    assert response.status_code == 302
    assert "#lab-results" in response["Location"]


@pytest.mark.parametrize("name", ["medication-add", "medication-edit", "medication-in-error"])
def test_entry_pages_refuse_put(clinician: User, patient: Patient, name: str) -> None:
    entry = add_medication(patient, "Oxycodone", "10")
    address = url(name, patient, None if name.endswith("add") else entry)

    assert client_for(clinician).put(address).status_code == 405


def test_the_edit_form_keeps_the_drug_selected(clinician: User, patient: Patient) -> None:
    entry = add_medication(patient, "Oxycodone", "10")

    response = client_for(clinician).get(url("medication-edit", patient, entry))

    assert f'<option value="{drug("Oxycodone").code}" selected>' in response.text
