"""Registering and editing patients: MRN rules, dates, restricted records, edit conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clinic.accounts.models import User
from patients import services
from patients.models import CareTeamMember, Patient, PatientStatus
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

BORN = dt.date(1958, 3, 2)


def register(by: User, **fields: object) -> Patient:
    values: dict[str, object] = {
        "mrn": "MRN-001",
        "given_name": "José",
        "family_name": "Núñez",
        "date_of_birth": BORN,
    }
    values.update(fields)
    return services.patient_register(by=by, **values)


def test_it_registers_a_patient_with_a_normalised_search_name(clinician: User) -> None:
    patient = register(clinician, given_name="  José  María ", family_name="Núñez-O'Brien")

    patient.refresh_from_db()
    assert patient.given_name == "José María"
    assert patient.search_name == "jose maria nunez o brien"
    assert patient.created_by == clinician
    assert patient.version == 1


def test_it_refuses_an_mrn_already_registered_whatever_its_case(clinician: User) -> None:
    register(clinician, mrn="ab-123")

    with pytest.raises(ValidationError) as error:
        register(clinician, mrn=" AB-123 ", given_name="Other")

    assert "already registered" in str(error.value.message_dict["mrn"])
    assert Patient.objects.count() == 1


def test_the_database_refuses_a_duplicate_mrn_in_another_case(clinician: User) -> None:
    from django.db import IntegrityError, transaction

    register(clinician, mrn="ab-123")
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            mrn="AB-123",
            given_name="X",
            family_name="Y",
            search_name="x y",
            date_of_birth=BORN,
            created_by=clinician,
        )


@time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC))
def test_it_refuses_a_date_of_birth_in_the_future(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(clinician, date_of_birth=dt.date(2026, 5, 2))

    assert "future" in str(error.value.message_dict["date_of_birth"])
    assert not Patient.objects.exists()


def test_a_deceased_patient_needs_a_date_of_death(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(clinician, status=PatientStatus.DECEASED)

    assert "date_of_death" in error.value.message_dict


def test_only_a_deceased_patient_has_a_date_of_death(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(clinician, date_of_death=dt.date(2025, 1, 1))

    assert "date_of_death" in error.value.message_dict


def test_a_referral_cannot_predate_birth(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(clinician, referral_date=BORN - dt.timedelta(days=1))

    assert "referral_date" in error.value.message_dict


def test_it_refuses_an_mrn_with_spaces(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(clinician, mrn="AB 123")

    assert "mrn" in error.value.message_dict


def test_an_update_bumps_the_version_and_is_kept_in_the_history(clinician: User) -> None:
    patient = register(clinician)

    updated = services.patient_update(
        by=clinician, patient=patient, version=1, phone="+44 20 7946 0000"
    )

    assert updated.version == 2
    events = Patient.pgh_event_models["insert"].objects.filter(pgh_obj=patient)
    assert [e.pgh_label for e in events.order_by("pgh_id")] == ["insert", "update"]
    assert events.order_by("pgh_id").last().phone == "+44 20 7946 0000"


def test_the_second_of_two_edits_from_the_same_version_is_refused(
    clinician: User, coordinator: User
) -> None:
    patient = register(clinician)
    services.patient_update(by=coordinator, patient=patient, version=1, phone="111")

    with pytest.raises(services.EditConflict) as conflict:
        services.patient_update(by=clinician, patient=patient, version=1, phone="222")

    patient.refresh_from_db()
    assert patient.phone == "111"
    assert patient.version == 2
    assert conflict.value.current.phone == "111"


def test_a_failed_update_changes_nothing(clinician: User) -> None:
    patient = register(clinician, phone="111")

    with pytest.raises(ValidationError):
        services.patient_update(
            by=clinician, patient=patient, version=1, phone="222", date_of_birth=dt.date(2999, 1, 1)
        )

    patient.refresh_from_db()
    assert (patient.phone, patient.version, patient.date_of_birth) == ("111", 1, BORN)


def test_changing_the_mrn_to_another_patients_is_refused(clinician: User) -> None:
    make_patient(mrn="TAKEN-1")
    patient = register(clinician)

    with pytest.raises(ValidationError) as error:
        services.patient_update(by=clinician, patient=patient, version=1, mrn="taken-1")

    assert "mrn" in error.value.message_dict


def test_restricting_a_record_needs_the_editor_on_the_care_team(
    clinician: User, coordinator: User
) -> None:
    with pytest.raises(ValidationError) as error:
        register(clinician, restricted=True)
    assert "care_team" in error.value.message_dict

    patient = register(clinician, restricted=True, care_team=[clinician, coordinator])

    assert set(patient.care_team.all()) == {clinician, coordinator}


def test_the_primary_clinician_may_restrict_without_being_on_the_care_team(
    clinician: User,
) -> None:
    patient = register(clinician, restricted=True, primary_clinician=clinician)

    assert patient.restricted


def test_the_care_team_changes_are_kept_in_the_history(clinician: User, coordinator: User) -> None:
    patient = register(clinician, care_team=[clinician])

    services.patient_update(by=clinician, patient=patient, version=1, care_team=[coordinator])

    assert list(patient.care_team.all()) == [coordinator]
    events = CareTeamMember.pgh_event_models["care_team.add"].objects.order_by("pgh_id")
    assert [(e.pgh_label, e.user_id) for e in events] == [
        ("care_team.add", clinician.pk),
        ("care_team.remove", clinician.pk),
        ("care_team.add", coordinator.pk),
    ]
