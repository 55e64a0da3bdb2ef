"""The chart: header (age, diagnosis, MME, alerts), sections, access log, fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from clinic.accounts.models import User
from clinic.audit.models import AccessAction, AccessLog
from patients import selectors, services
from patients.models import ClinicPolicy, Patient, PatientStatus
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

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
# The chart's queries whatever the size of the record: session (read and touched), user,
# two-factor device, roles, unread notifications, the patient, the access-log row, policy, and
# one per section (diagnoses, oncology events, medications, recent labs, lab count, latest labs,
# allergies, goals, devices).
# Sections of other apps (assessments summary, procedures, meetings) and the unread badge add
# their own fixed queries.
CHART_QUERIES = 24


@pytest.fixture(autouse=True)
def today() -> Any:
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(
        by=clinician, given_name="Ada", family_name="Okafor", date_of_birth=dt.date(1961, 6, 16)
    )


def chart_text(user: User, patient: Patient, **params: str) -> str:
    response = client_for(user).get(
        reverse("patients:patient-detail", kwargs={"code": patient.code}), params
    )
    assert response.status_code == 200
    return response.text


def header(patient: Patient) -> selectors.PatientHeader:
    return selectors.patient_header(patient, today=TODAY)


# --- header --------------------------------------------------------------------------------------


def test_the_header_shows_age_and_main_diagnosis(clinician: User, patient: Patient) -> None:
    add_diagnosis(patient, primary_site="Pancreas", histology="Adenocarcinoma", stage="IV")

    text = chart_text(clinician, patient)

    assert header(patient).age == 64  # the 65th birthday is tomorrow
    assert "OKAFOR, Ada" in text
    assert "64 years" in text
    assert "Pancreas" in text and "Adenocarcinoma" in text


def test_oxycodone_and_a_fentanyl_patch_add_up_in_the_header(
    clinician: User, patient: Patient
) -> None:
    add_medication(patient, "Oxycodone", "20", doses_per_day="2")  # 40 mg x 1.5 = 60
    add_medication(
        patient, "Fentanyl", "25", unit="mcg/h", route="transdermal", doses_per_day=None
    )  # 25 x 2.4 = 60

    summary = header(patient).mme
    text = chart_text(clinician, patient)

    assert summary.scheduled == Decimal(120)
    assert '<strong data-testid="mme-scheduled">120 mg/day</strong>' in text
    assert "not a limit" in text and "does not apply to cancer pain" in text


def test_as_needed_maxima_are_shown_apart_from_the_scheduled_total(
    clinician: User, patient: Patient
) -> None:
    add_medication(patient, "Morphine", "30", doses_per_day="2")  # 60
    add_medication(patient, "Oxycodone", "5", as_needed=True, as_needed_max="4")  # 5x4x1.5 = 30

    summary = header(patient).mme
    text = chart_text(clinician, patient)

    assert (summary.scheduled, summary.as_needed_max) == (Decimal(60), Decimal(30))
    assert "60 mg/day" in text
    assert "up to 30 mg/day more as needed (maximum)" in text


def test_a_parenteral_opioid_is_labelled_as_an_estimate(clinician: User, patient: Patient) -> None:
    add_medication(patient, "Morphine", "10", route="sc", doses_per_day="6")  # 60 x 3 = 180

    summary = header(patient).mme
    text = chart_text(clinician, patient)

    assert summary.scheduled == Decimal(180) and summary.estimated
    assert "includes an IV/SC estimate" in text


def test_an_opioid_that_cannot_be_converted_is_explained(clinician: User, patient: Patient) -> None:
    add_medication(
        patient, "Buprenorphine", "10", unit="mcg/h", route="transdermal", doses_per_day=None
    )
    add_medication(patient, "Tramadol", "50", doses_per_day="4")  # 40

    summary = header(patient).mme
    text = chart_text(clinician, patient)

    assert summary.scheduled == Decimal(40)
    assert [line.medication.drug.name for line in summary.unconverted] == ["Buprenorphine"]
    assert "Buprenorphine: Buprenorphine is not converted to MME" in text


def test_only_active_medications_count(clinician: User, patient: Patient) -> None:
    add_medication(patient, "Morphine", "10", doses_per_day="1")  # active: 10
    add_medication(
        patient,
        "Morphine",
        "100",
        started_on=TODAY - dt.timedelta(days=30),
        stopped_on=TODAY - dt.timedelta(days=1),
    )  # stopped
    add_medication(patient, "Morphine", "100", started_on=TODAY + dt.timedelta(days=1))  # future
    stopped_today = add_medication(patient, "Oxycodone", "10", doses_per_day="1", stopped_on=TODAY)
    wrong = add_medication(patient, "Methadone", "10")
    services.entry_mark_in_error(by=clinician, entry=wrong, reason="Wrong drug")

    summary = header(patient).mme

    assert summary.scheduled == Decimal(10) + Decimal(15)
    assert stopped_today.is_active_on(TODAY)


def test_no_opioid_says_so(clinician: User, patient: Patient) -> None:
    add_medication(patient, "Gabapentin", "300", doses_per_day="3")

    assert "no active opioid" in chart_text(clinician, patient)


def test_an_anticoagulant_and_low_platelets_raise_two_alerts(
    clinician: User, patient: Patient
) -> None:
    add_lab(patient, "platelets", "42")
    add_medication(patient, "Apixaban", "5", doses_per_day="2")

    alerts = {alert.kind: alert for alert in header(patient).alerts}
    text = chart_text(clinician, patient)

    assert set(alerts) == {"anticoagulant", "low_platelets"}
    assert 'data-alert="anticoagulant"' in text and "Apixaban" in text
    assert 'data-alert="low_platelets"' in text and "Low platelets: 42" in text


def test_the_platelet_alert_follows_the_latest_result_and_the_policy(
    clinician: User, patient: Patient
) -> None:
    add_lab(patient, "platelets", "40", taken_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    add_lab(patient, "platelets", "60", taken_at=dt.datetime(2026, 6, 10, tzinfo=dt.UTC))
    assert "low_platelets" not in {alert.kind for alert in header(patient).alerts}

    ClinicPolicy.objects.update(platelets_min_low=70, platelets_min_high=80)

    assert "low_platelets" in {alert.kind for alert in header(patient).alerts}


def test_a_low_platelet_count_entered_in_error_raises_no_alert(
    clinician: User, patient: Patient
) -> None:
    add_lab(patient, "platelets", "180", taken_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    wrong = add_lab(patient, "platelets", "18", taken_at=dt.datetime(2026, 6, 10, tzinfo=dt.UTC))
    services.entry_mark_in_error(by=clinician, entry=wrong, reason="Other patient's sample")

    assert "low_platelets" not in {alert.kind for alert in header(patient).alerts}


def test_antiplatelets_allergies_and_status_raise_alerts(clinician: User, patient: Patient) -> None:
    add_medication(patient, "Clopidogrel", "75", doses_per_day="1")
    add_allergy(patient, "Morphine", severity="severe", reaction="Anaphylaxis")
    services.patient_update(
        by=clinician,
        patient=patient,
        version=1,
        restricted=True,
        primary_clinician=clinician,
        status=PatientStatus.DECEASED,
        date_of_death=dt.date(2026, 6, 1),
    )
    patient.refresh_from_db()

    kinds = [alert.kind for alert in header(patient).alerts]
    text = chart_text(clinician, patient)

    assert kinds == ["deceased", "restricted", "antiplatelet", "allergy"]
    assert "Allergies: Morphine (severe / anaphylaxis)" in text
    assert "Deceased on 1 Jun 2026" in text


# --- sections ------------------------------------------------------------------------------------


def test_entries_in_error_are_hidden_until_asked_for_then_struck_through(
    clinician: User, patient: Patient
) -> None:
    wrong = add_allergy(patient, "Latex")
    services.entry_mark_in_error(by=clinician, entry=wrong, reason="Entered on the wrong chart")

    hidden = chart_text(clinician, patient)
    shown = chart_text(clinician, patient, in_error="1")

    assert "Latex" not in hidden
    assert "1 entry in error hidden" in hidden
    assert "Latex" in shown
    assert 'class="text-decoration-line-through"><strong>Latex' in shown
    assert "Entered on the wrong chart" in shown


def test_a_table_row_in_error_is_struck_through_except_its_note(
    clinician: User, patient: Patient
) -> None:
    kept = add_medication(patient, "Morphine", "10", by=clinician)
    wrong = add_medication(patient, "Oxycodone", "50", by=clinician)
    services.entry_mark_in_error(by=clinician, entry=wrong, reason="Wrong strength")

    shown = chart_text(clinician, patient, in_error="1")

    # One row carries the class that strikes its cells through (static/css/app.css); the
    # medication still in use does not.
    rows = shown.split("<tr")
    struck = [row for row in rows if 'class="text-secondary entry-in-error"' in row]
    assert len(struck) == 1 and "Oxycodone" in struck[0] and "Wrong strength" in struck[0]
    assert f"Wrong strength — {escape(clinician.display_name)}, " in struck[0]  # who, and when
    assert str(kept.code) in "".join(row for row in rows if row not in struck)


def test_what_was_typed_into_each_table_is_shown_as_text(clinician: User, patient: Patient) -> None:
    # The tables' rows are written in Python (patients_tags): each typed value must be escaped.
    typed = '<b>bold</b> & "quoted"'
    add_diagnosis(patient, primary_site=typed, histology=typed, metastatic_sites=typed)
    add_oncology_event(patient, regimen=typed, details=typed, cycle_number=3)
    add_goal(patient, patient_words=typed, measure=typed, target_date=TODAY)
    medication = add_medication(patient, "Morphine", "10", by=clinician)
    medication.indication = typed
    medication.save()

    text = chart_text(clinician, patient)

    assert "<b>bold</b>" not in text
    shown = escape(typed)
    assert text.count(shown) >= 7
    assert f"“{shown}”" in text  # the goal, in the patient's words
    assert f"{shown}, cycle 3 (14-day cycle) — {shown}" in text
    assert f'<span class="d-block small text-secondary">{shown}</span>' in text


def test_a_coordinator_reads_the_chart_without_clinical_actions(
    coordinator: User, patient: Patient
) -> None:
    entry = add_lab(patient, "inr", "1.1")

    text = chart_text(coordinator, patient)

    assert reverse("patients:lab-result-add", kwargs={"code": patient.code}) not in text
    assert (
        reverse("patients:lab-result-edit", kwargs={"code": patient.code, "entry": entry.code})
        not in text
    )
    assert reverse("patients:patient-edit", kwargs={"code": patient.code}) in text


def test_opening_the_chart_writes_an_access_log_entry(clinician: User, patient: Patient) -> None:
    chart_text(clinician, patient)

    entry = AccessLog.objects.get()
    assert entry.action == AccessAction.VIEW
    assert entry.patient_code == patient.code
    assert entry.actor == clinician
    assert entry.object_type == "patients.patient"


def fill_record(patient: Patient, count: int) -> None:
    for number in range(count):
        add_diagnosis(patient, primary_site=f"Site {number}", is_main=number == 0)
        add_oncology_event(patient, cycle_number=number + 1)
        add_medication(patient, "Oxycodone", "5", doses_per_day="2")
        add_medication(patient, "Apixaban", "5", doses_per_day="2")
        add_lab(patient, "platelets", str(100 + number))
        add_allergy(patient, f"Substance {number}")
        add_goal(patient)
        add_device(patient, serial_number=f"S{number}")
        wrong = add_lab(patient, "inr", "1.1")
        services.entry_mark_in_error(by=patient.created_by, entry=wrong, reason="Duplicate")


def count_chart_queries(user: User, patient: Patient) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(
            reverse("patients:patient-detail", kwargs={"code": patient.code}), {"in_error": "1"}
        )
    assert response.status_code == 200
    return len(captured)


def test_the_chart_runs_the_same_queries_with_1_or_30_entries_per_section(
    clinician: User, django_assert_max_num_queries: Any
) -> None:
    from tests.procedures.helpers import propose

    small = make_patient(by=clinician)
    large = make_patient(by=clinician)
    fill_record(small, 1)
    fill_record(large, 30)
    # The procedures section (procedures app) reads its plans in one query, however many.
    propose(clinician, small)
    for _ in range(4):
        propose(clinician, large, operator=clinician)

    assert count_chart_queries(clinician, small) == count_chart_queries(clinician, large)
    client = client_for(clinician)
    with django_assert_max_num_queries(CHART_QUERIES):
        client.get(reverse("patients:patient-detail", kwargs={"code": large.code}))


def test_the_header_for_other_apps_runs_five_queries(
    clinician: User, patient: Patient, django_assert_num_queries: Any
) -> None:
    fill_record(patient, 3)

    with django_assert_num_queries(5):
        header(patient)


def test_devices_due_for_a_check_are_listed_for_reminders(
    clinician: User, patient: Patient
) -> None:
    due = add_device(patient, next_refill_due=TODAY + dt.timedelta(days=3))
    add_device(patient, serial_number="LATER", next_refill_due=TODAY + dt.timedelta(days=60))
    removed = add_device(
        patient, serial_number="OUT", next_refill_due=TODAY, removed_on=TODAY - dt.timedelta(days=1)
    )
    assert removed.removed_on

    assert list(selectors.devices_due_by(TODAY + dt.timedelta(days=7))) == [due]
