"""The medication catalogue (seeded, admin-edited) and the clinic policy page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.accounts.models import User
from patients import opioids, services
from patients.models import ClinicPolicy, Drug, DrugClass
from procedures.safety import HOLD_TABLE
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


# --- the seeded catalogue ------------------------------------------------------------------------


def test_every_procedure_hold_rule_has_a_catalogue_drug() -> None:
    keys = set(Drug.objects.exclude(hold_key="").values_list("hold_key", flat=True))

    assert keys == set(HOLD_TABLE)


def test_every_convertible_opioid_has_a_catalogue_drug() -> None:
    keys = set(
        Drug.objects.filter(drug_class=DrugClass.OPIOID).values_list("opioid_key", flat=True)
    )

    assert keys >= opioids.CONVERTIBLE_DRUGS
    assert keys <= opioids.OPIOID_DRUGS


@pytest.mark.parametrize(
    ("name", "drug_class", "hold_key"),
    [
        ("Apixaban", DrugClass.ANTICOAGULANT, "apixaban"),
        ("Warfarin", DrugClass.ANTICOAGULANT, "warfarin"),
        ("Enoxaparin (therapeutic dose)", DrugClass.ANTICOAGULANT, "enoxaparin_therapeutic"),
        ("Aspirin (secondary prevention)", DrugClass.ANTIPLATELET, "aspirin_secondary"),
        ("Clopidogrel", DrugClass.ANTIPLATELET, "clopidogrel"),
        ("Ibuprofen", DrugClass.NSAID, "ibuprofen"),
        ("Gabapentin", DrugClass.ADJUVANT, ""),
        ("Pregabalin", DrugClass.ADJUVANT, ""),
        ("Duloxetine", DrugClass.ADJUVANT, ""),
        ("Amitriptyline", DrugClass.ADJUVANT, ""),
        ("Dexamethasone", DrugClass.ADJUVANT, ""),
    ],
)
def test_the_catalogue_knows_each_drugs_class(name: str, drug_class: str, hold_key: str) -> None:
    drug = Drug.objects.get(name=name)

    assert (drug.drug_class, drug.hold_key, drug.opioid_key) == (drug_class, hold_key, "")


def test_an_opioid_needs_its_key_and_a_non_opioid_has_none() -> None:
    with pytest.raises(ValidationError) as missing:
        services.drug_create(name="Nalbuphine", drug_class=DrugClass.OPIOID)
    with pytest.raises(ValidationError) as extra:
        services.drug_create(name="Something", drug_class=DrugClass.OTHER, opioid_key="morphine")
    with pytest.raises(ValidationError) as hold:
        services.drug_create(name="Other", drug_class=DrugClass.ADJUVANT, hold_key="warfarin")

    assert "opioid_key" in missing.value.message_dict
    assert "opioid_key" in extra.value.message_dict
    assert "hold_key" in hold.value.message_dict


def test_a_drug_name_is_unique_whatever_its_case() -> None:
    with pytest.raises(ValidationError) as error:
        services.drug_create(name="  apixaban ", drug_class=DrugClass.ANTICOAGULANT)

    assert "name" in error.value.message_dict


# --- the admin pages -----------------------------------------------------------------------------


def test_an_admin_adds_a_drug(admin: User) -> None:
    response = client_for(admin).post(
        reverse("patients:drug-create"),
        {"name": "Nalbuphine", "drug_class": "opioid", "opioid_key": "nalbuphine", "hold_key": ""},
    )

    assert response.status_code == 302
    assert Drug.objects.get(name="Nalbuphine").opioid_key == "nalbuphine"


def test_an_admin_edits_a_drug_and_the_change_is_in_the_history(admin: User) -> None:
    drug = Drug.objects.get(name="Celecoxib")

    response = client_for(admin).post(
        reverse("patients:drug-edit", kwargs={"code": drug.code}),
        {"name": "Celecoxib", "drug_class": "nsaid", "notes": "COX-2 selective", "version": "1"},
    )

    drug.refresh_from_db()
    assert response.status_code == 302
    assert (drug.notes, drug.version) == ("COX-2 selective", 2)
    events = Drug.pgh_event_models["insert"].objects.filter(pgh_obj=drug, pgh_label="update")
    assert events.count() == 1


def test_withdrawing_a_drug_asks_first_and_keeps_it(admin: User) -> None:
    drug = Drug.objects.get(name="Ketorolac")
    address = reverse("patients:drug-deactivate", kwargs={"code": drug.code})
    client = client_for(admin)

    confirm = client.get(address)
    drug.refresh_from_db()
    assert confirm.status_code == 200 and drug.is_active

    client.post(address)

    drug.refresh_from_db()
    assert not drug.is_active


def test_the_catalogue_page_filters_by_class(admin: User) -> None:
    response = client_for(admin).get(reverse("patients:drug-list"), {"drug_class": "antiplatelet"})

    names = [drug.name for drug in response.context["page"].object_list]
    assert "Clopidogrel" in names
    assert "Apixaban" not in names


def test_an_admin_changes_the_clinic_policy(admin: User) -> None:
    response = client_for(admin).post(
        reverse("patients:policy-edit"),
        {
            "platelets_min_low": "60",
            "platelets_min_high": "80",
            "inr_max": "1.5",
            "anc_min": "1.0",
            "max_lab_age_days": "7",
            "nadir_start_days": "7",
            "nadir_end_days": "14",
            "assessment_edit_window_hours": "24",
            "reassessment_interval_days": "28",
            "version": "1",
        },
    )

    policy = ClinicPolicy.objects.get()
    assert response.status_code == 302
    assert (policy.platelets_min_low, policy.inr_max, policy.version) == (60, Decimal("1.5"), 2)
    assert ClinicPolicy.pgh_event_models["insert"].objects.filter(pgh_label="update").exists()


def test_the_policy_refuses_inconsistent_thresholds(admin: User) -> None:
    response = client_for(admin).post(
        reverse("patients:policy-edit"),
        {
            "platelets_min_low": "90",
            "platelets_min_high": "80",
            "inr_max": "1.4",
            "anc_min": "1.0",
            "max_lab_age_days": "7",
            "nadir_start_days": "15",
            "nadir_end_days": "14",
            "version": "1",
        },
    )

    assert set(response.context["form"].errors) >= {"platelets_min_high", "nadir_end_days"}
    assert ClinicPolicy.objects.get().platelets_min_low == 50
