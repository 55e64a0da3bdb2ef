"""The chart and its story figure are kept under the record's version: never stale, complete.

A page is kept only while nothing it shows has changed. These tests change the record in every
way a clinic does (a service, a bulk update the ORM never sees, a deletion, the drug catalogue,
a colleague's name, the clinic's policy) and read the page again; and they check that every table
the pages read is one the version reads.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from clinic.lib import record_version
from patients import services
from patients.models import ClinicPolicy, Drug, LabResult, Patient
from tests.assessments.helpers import record_pain
from tests.conftest import client_for
from tests.patients.helpers import (
    add_allergy,
    add_device,
    add_diagnosis,
    add_goal,
    add_lab,
    add_medication,
    add_oncology_event,
    make_patient,
)
from tests.procedures.helpers import perform, propose

pytestmark = pytest.mark.django_db

# What a request reads besides the record: the session, the signed-in user and their roles and
# second factor, the unread-notification badge, and the access log it writes.
REQUEST_TABLES = {
    "django_session",
    "accounts_user",
    "accounts_user_groups",
    "auth_group",
    "otp_static_staticdevice",
    "otp_totp_totpdevice",
    "reminders_notification",
    "audit_accesslog",
}


@pytest.fixture(autouse=True)
def empty_page_cache() -> None:
    caches["records"].clear()


@pytest.fixture
def patient(clinician: User) -> Patient:
    patient = make_patient(
        by=clinician, given_name="Ada", family_name="Okafor", primary_clinician=clinician
    )
    add_diagnosis(patient)
    add_oncology_event(patient)
    add_medication(patient, "Oxycodone", "10")
    add_lab(patient, "platelets", "180")
    add_allergy(patient)
    add_goal(patient)
    add_device(patient)
    now = timezone.now()
    record_pain(patient, 4, at=now - dt.timedelta(days=10), by=clinician)
    record_pain(patient, 6, at=now - dt.timedelta(days=2), by=clinician)
    perform(clinician, patient)
    propose(clinician, patient)
    return patient


def chart(user: User, patient: Patient, **params: str) -> str:
    """The chart's content (the page's main element; the navigation holds a fresh token)."""
    response = client_for(user).get(
        reverse("patients:patient-detail", kwargs={"code": patient.code}), params
    )
    assert response.status_code == 200
    return response.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def figure(user: User, patient: Patient) -> str:
    response = client_for(user).get(
        reverse("assessments:story-chart", kwargs={"patient_code": patient.code}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return response.text


def tables_read(pages: list[tuple[User, str, dict[str, str]]]) -> set[str]:
    found: set[str] = set()
    for user, url, headers in pages:
        client = client_for(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, headers=headers).status_code == 200
        for query in captured.captured_queries:
            found |= set(re.findall(r'(?:FROM|JOIN)\s+"?([a-z_]+)"?', query["sql"]))
    return found


def test_every_table_the_chart_and_figure_read_is_in_the_records_version(
    clinician: User, coordinator: User, patient: Patient
) -> None:
    chart_url = reverse("patients:patient-detail", kwargs={"code": patient.code})
    figure_url = reverse("assessments:story-chart", kwargs={"patient_code": patient.code})
    read = tables_read(
        [
            (clinician, chart_url, {}),
            (coordinator, chart_url + "?in_error=1", {}),
            (clinician, figure_url, {"HX-Request": "true"}),
        ]
    )
    assert {"patients_diagnosis", "procedures_procedureplan", "assessments_assessment"} <= read
    assert read - REQUEST_TABLES <= record_version.registered_tables()


def test_a_change_through_the_services_shows_at_once(clinician: User, patient: Patient) -> None:
    assert "Hydromorphone" not in chart(clinician, patient)
    add_medication(patient, "Hydromorphone", "2")

    assert "Hydromorphone" in chart(clinician, patient)


def test_a_bulk_update_the_orm_never_saw_shows_at_once(clinician: User, patient: Patient) -> None:
    assert "Penicillin" in chart(clinician, patient)
    # No save(), no signal, no `updated_at`: the row's new version is what changes.
    LabResult.objects.filter(patient=patient).update(value=Decimal("23"))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_allergy SET substance = 'Latex' WHERE patient_id = %s", [patient.pk]
        )

    text = chart(clinician, patient)
    assert "Latex" in text and "Penicillin" not in text
    assert ">23<" in text.replace(" ", "")


def test_an_entry_marked_in_error_leaves_the_chart_at_once(
    clinician: User, patient: Patient
) -> None:
    lab = add_lab(patient, "inr", "3.4")
    assert "3.4" in chart(clinician, patient)
    services.entry_mark_in_error(by=clinician, entry=lab, reason="Wrong patient")

    assert "3.4" not in chart(clinician, patient)
    assert "3.4" in chart(clinician, patient, in_error="1")


def test_a_colleagues_new_name_shows_at_once(clinician: User, patient: Patient) -> None:
    assert "Renamed-Mbeki" not in chart(clinician, patient)
    clinician.last_name = "Renamed-Mbeki"
    clinician.save(update_fields=["last_name"])

    assert "Renamed-Mbeki" in chart(clinician, patient)


def test_a_kept_page_is_the_page_drawn_afresh(clinician: User, patient: Patient) -> None:
    chart(clinician, patient)
    figure(clinician, patient)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procedures_followup WHERE plan_id IN "
            "(SELECT id FROM procedures_procedureplan WHERE patient_id = %s)",
            [patient.pk],
        )
        cursor.execute(
            "UPDATE patients_drug SET name = 'Oxycodone (renamed)' WHERE name = 'Oxycodone'"
        )
    kept_chart, kept_figure = chart(clinician, patient), figure(clinician, patient)
    caches["records"].clear()
    assert "Oxycodone (renamed)" in kept_chart
    assert kept_chart == chart(clinician, patient)
    assert kept_figure == figure(clinician, patient)


def test_the_policy_and_the_catalogue_count_but_a_sign_in_does_not(
    clinician: User, patient: Patient
) -> None:
    version = record_version.version(patient.pk)
    User.objects.filter(pk=clinician.pk).update(last_login=timezone.now())
    other = make_patient(by=clinician)
    add_lab(other, "platelets", "90")
    assert record_version.version(patient.pk) == version

    ClinicPolicy.objects.update(platelets_min_low=Decimal(60))
    assert record_version.version(patient.pk) != version
    version = record_version.version(patient.pk)
    Drug.objects.filter(name="Oxycodone").update(name="Oxycodone IR")
    assert record_version.version(patient.pk) != version


def test_each_viewer_gets_their_own_actions(
    clinician: User, coordinator: User, patient: Patient
) -> None:
    as_clinician = chart(clinician, patient)
    as_coordinator = chart(coordinator, patient)
    assert "Record assessment" in as_clinician
    assert "Record assessment" not in as_coordinator
    assert "Record assessment" in chart(clinician, patient)


def test_the_figure_follows_a_new_assessment(clinician: User, patient: Patient) -> None:
    assert "2 assessments." in figure(clinician, patient)
    record_pain(patient, 8, at=timezone.now() - dt.timedelta(hours=1), by=clinician)

    assert "3 assessments." in figure(clinician, patient)


def test_the_chart_is_drawn_again_on_the_next_day(clinician: User, patient: Patient) -> None:
    import time_machine

    with time_machine.travel(timezone.now(), tick=False):
        chart(clinician, patient)
        keys = len(caches["records"]._cache)  # type: ignore[attr-defined]
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        chart(clinician, patient)
    assert len(caches["records"]._cache) == keys + 1  # type: ignore[attr-defined]


def test_a_page_read_again_runs_a_fixed_few_queries(
    clinician: User, patient: Patient, django_assert_max_num_queries: Any
) -> None:
    chart(clinician, patient)
    client = client_for(clinician)
    url = reverse("patients:patient-detail", kwargs={"code": patient.code})
    client.get(url)
    # Session, user, second factor, roles, the patient, the record's version, the access log,
    # the unread badge: none of the record's sections.
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
