"""Admins find who opened a patient's chart by MRN, and see no patient details doing so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinic.accounts.models import User
from tests.conftest import client_for
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


def test_the_access_log_filters_by_mrn(admin: User, clinician: User) -> None:
    seen = make_patient(mrn="MRN-42", given_name="Xanthippe", family_name="Quilliam")
    other = make_patient()
    viewer = client_for(clinician)
    viewer.get(reverse("patients:patient-detail", kwargs={"code": seen.code}))
    viewer.get(reverse("patients:patient-detail", kwargs={"code": other.code}))

    response = client_for(admin).get(reverse("audit:access-log"), {"mrn": "mrn-42"})

    codes = {event.patient_code for event in response.context["page"].object_list}
    assert codes == {seen.code}
    assert "Xanthippe" not in response.text and "Quilliam" not in response.text


def test_an_unknown_mrn_says_so_and_shows_nothing(admin: User, clinician: User) -> None:
    patient = make_patient()
    client_for(clinician).get(reverse("patients:patient-detail", kwargs={"code": patient.code}))

    response = client_for(admin).get(reverse("audit:access-log"), {"mrn": "NOPE-1"})

    assert "No patient has this MRN." in response.text
    assert list(response.context["page"].object_list) == []


def test_an_mrn_and_a_different_patient_code_match_nothing(admin: User, clinician: User) -> None:
    first, second = make_patient(), make_patient()
    client_for(clinician).get(reverse("patients:patient-detail", kwargs={"code": first.code}))

    response = client_for(admin).get(
        reverse("audit:access-log"), {"mrn": first.mrn, "patient": str(second.code)}
    )

    assert list(response.context["page"].object_list) == []
