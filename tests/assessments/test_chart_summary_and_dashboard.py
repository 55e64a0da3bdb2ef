"""What assessments add to other pages: the patient's chart (banner, alerts, latest scores,
the story chart), the clinician's dashboard (worsening pain) and the clinic policy form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from patients.models import ClinicPolicy, Patient
from tests.assessments.helpers import answers, record, record_pain
from tests.conftest import client_for
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def chart_page(user: User, patient: Patient) -> str:
    response = client_for(user).get(
        reverse("patients:patient-detail", kwargs={"code": patient.code})
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_chart_shows_the_self_harm_banner(clinician: User, patient: Patient) -> None:
    assessment = record(patient, instruments={"phq9": answers("phq9", q9=2)})

    html = chart_page(clinician, patient)

    assert 'class="alert alert-danger border-danger border-3' in html
    assert "PHQ-9 item 9: thoughts of death or self-harm" in html
    assert f"/assessments/{assessment.code}/" in html


def test_the_chart_header_shows_severe_symptoms_and_severe_pain_twice(
    clinician: User, patient: Patient
) -> None:
    now = timezone.now()
    record(patient, at=now - dt.timedelta(days=7), instruments={"nrs": {"score": 8}})
    record(
        patient,
        at=now - dt.timedelta(days=1),
        instruments={"nrs": {"score": 7}, "esas_r": answers("esas_r", nausea=9)},
    )

    html = chart_page(clinician, patient)

    assert 'data-alert="severe_pain_twice"' in html
    assert "Severe ESAS-r symptoms (≥ 7) at the last assessment: nausea 9, tiredness" in html


def test_the_chart_shows_latest_scores_and_loads_the_story_chart(
    clinician: User, patient: Patient
) -> None:
    record_pain(patient, 4, at=timezone.now() - dt.timedelta(days=3))
    record_pain(patient, 7, at=timezone.now() - dt.timedelta(days=1))

    html = chart_page(clinician, patient)

    assert 'data-testid="latest-pain">7<' in html
    assert f'hx-get="/assessments/patient/{patient.code}/chart/"' in html
    assert f'href="/assessments/patient/{patient.code}/new/"' in html


def test_a_pain_score_from_the_bpi_is_named_on_its_tile(clinician: User, patient: Patient) -> None:
    record(patient, instruments={"bpi": answers("bpi")}, at=timezone.now() - dt.timedelta(days=1))

    html = chart_page(clinician, patient)

    tile = html.split('class="score-tile score-tile--pain"')[1].split("</div>")[0]
    assert '<span class="visually-hidden">(BPI average)</span>' in tile
    assert "· BPI average" in tile
    assert 'data-instrument="bpi"' in html


def test_coordinators_are_not_offered_recording(coordinator: User, patient: Patient) -> None:
    record_pain(patient, 4, at=timezone.now() - dt.timedelta(days=1))

    html = chart_page(coordinator, patient)

    assert f'href="/assessments/patient/{patient.code}/new/"' not in html
    assert f'href="/assessments/patient/{patient.code}/"' in html


def test_the_chart_summary_adds_one_query(clinician: User, patient: Patient) -> None:
    record(patient, instruments={k: answers(k) for k in ("bpi", "esas_r", "phq9")})
    client = client_for(clinician)
    url = reverse("patients:patient-detail", kwargs={"code": patient.code})
    client.get(url)

    with CaptureQueriesContext(connection) as captured:
        client.get(url)

    ours = [q for q in captured.captured_queries if "assessments_" in q["sql"]]
    assert len(ours) == 1


def test_the_dashboard_lists_patients_whose_pain_is_worsening(clinician: User) -> None:
    rising = make_patient(by=clinician, family_name="Rising")
    record_pain(rising, 3, at=timezone.now() - dt.timedelta(days=10))
    record_pain(rising, 8, at=timezone.now() - dt.timedelta(days=1))
    steady = make_patient(by=clinician, family_name="Steady")
    record_pain(steady, 4, at=timezone.now() - dt.timedelta(days=10))
    record_pain(steady, 4, at=timezone.now() - dt.timedelta(days=1))

    html = client_for(clinician).get(reverse("home")).content.decode()

    assert "RISING, Test" in html
    assert "STEADY" not in html
    assert "Rise of 2 points or 30 %" in html


def test_the_dashboard_says_when_nobody_is_worsening(clinician: User) -> None:
    html = client_for(clinician).get(reverse("home")).content.decode()

    assert "No patient has worsening pain at their latest assessment." in html


def test_the_worsening_list_page(clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Severe")
    record_pain(patient, 8, at=timezone.now() - dt.timedelta(days=10))
    record_pain(patient, 8, at=timezone.now() - dt.timedelta(days=1))

    html = client_for(clinician).get(reverse("assessments:worsening-list")).content.decode()

    assert "SEVERE, Test" in html and "Severe twice in a row" in html


def test_admins_set_the_assessment_policy(admin: User) -> None:
    client = client_for(admin)
    url = reverse("patients:policy-edit")
    page = client.get(url)
    form = page.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        default_instruments=["nrs", "esas_r"],
        assessment_edit_window_hours="12",
        reassessment_interval_days="14",
        version=str(form.initial["version"]),
    )
    for name, field in form.fields.items():
        value = data.get(name)
        if isinstance(value, list) and name != "default_instruments":
            data[name] = ",".join(map(str, value)) if not hasattr(field, "choices") else value

    response = client.post(url, data)

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    policy = ClinicPolicy.objects.get()
    assert policy.default_instruments == ["nrs", "esas_r"]
    assert (policy.assessment_edit_window_hours, policy.reassessment_interval_days) == (12, 14)
