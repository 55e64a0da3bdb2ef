"""The record page: default instruments from policy, saving, errors next to the items, live
scores (htmx) and the no-JavaScript "update scores" button, follow-up parameters."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from assessments import hooks
from assessments.models import Assessment
from clinic.accounts.models import User
from patients.models import ClinicPolicy, Patient
from tests.assessments.helpers import answers, form_data
from tests.conftest import client_for
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def create_url(patient: Patient) -> str:
    return reverse("assessments:assessment-create", kwargs={"patient_code": patient.code})


def score_url(patient: Patient) -> str:
    return reverse("assessments:assessment-score", kwargs={"patient_code": patient.code})


def checked_instruments(html: str) -> set[str]:
    import re

    return set(re.findall(r'name="instruments" value="(\w+)" id="choose-\w+" checked', html))


def test_the_page_starts_with_the_clinics_default_instruments(
    clinician: User, patient: Patient
) -> None:
    html = client_for(clinician).get(create_url(patient)).content.decode()

    assert checked_instruments(html) == {"bpi", "esas_r", "phq9", "gad7", "ecog"}
    assert 'value="initial" selected' in html  # no assessment yet


def test_the_clinic_can_change_the_default_set(clinician: User, patient: Patient) -> None:
    ClinicPolicy.objects.update_or_create(
        singleton=True, defaults={"default_instruments": ["nrs", "dn4"]}
    )

    html = client_for(clinician).get(create_url(patient)).content.decode()

    assert checked_instruments(html) == {"nrs", "dn4"}


def test_saving_records_the_assessment_and_returns_to_the_chart(
    clinician: User, patient: Patient
) -> None:
    data = form_data(
        {"bpi": answers("bpi"), "dn4": answers("dn4")},
        body_map_regions=["front_chest_left", "back_lumbar_spine"],
        worst_region="back_lumbar_spine",
        pain_qualities=["burning"],
        pain_patterns=["constant"],
        breakthrough_per_day="2",
        mechanism="neuropathic",
        sleep_quality="poor",
        note="Wakes at night",
    )

    response = client_for(clinician).post(create_url(patient), data)

    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.code}/#assessments"
    assessment = Assessment.objects.get(patient=patient)
    assert {r.instrument for r in assessment.responses.all()} == {"bpi", "dn4"}
    assert assessment.responses.get(instrument="dn4").answers["burning"] is True
    assert assessment.body_map_regions == ["front_chest_left", "back_lumbar_spine"]
    assert assessment.worst_region == "back_lumbar_spine"
    assert (assessment.mechanism, assessment.breakthrough_per_day) == ("neuropathic", 2)


def test_answers_of_instruments_not_chosen_are_not_saved(clinician: User, patient: Patient) -> None:
    data = form_data({"nrs": {"score": 4}})
    data.update({"gad7-q1": "3"})

    client_for(clinician).post(create_url(patient), data)

    assert [r.instrument for r in Assessment.objects.get().responses.all()] == ["nrs"]


def test_invalid_answers_are_shown_next_to_their_items_and_nothing_is_saved(
    clinician: User, patient: Patient
) -> None:
    bpi = answers("bpi", least=9)
    phq9 = {key: value for key, value in answers("phq9").items() if key != "q4"}
    data = form_data({"bpi": bpi, "phq9": phq9, "nrs": {"score": "eleven"}})

    response = client_for(clinician).post(create_url(patient), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Assessment.objects.exists()
    assert "Nothing was saved: 3 answers need correcting." in html
    assert "BPI: &#x27;least&#x27; pain (9) cannot be above &#x27;worst&#x27; pain (8)." in html
    assert "PHQ-9: no answer for &#x27;q4&#x27;" in html
    assert "must be a whole number from 0 to 10, not the text &#x27;eleven&#x27;" in html
    # The answers typed are kept.
    assert 'name="bpi-least" id="id_bpi-least" value="9"' in html


def test_an_invalid_moment_is_shown_with_the_answer_errors(
    clinician: User, patient: Patient
) -> None:
    data = form_data({"nrs": {"score": 11}})
    data["assessed_at"] = ""

    html = client_for(clinician).post(create_url(patient), data).content.decode()

    assert "This field is required." in html
    assert "must be between 0 and 10, not 11." in html
    assert not Assessment.objects.exists()


def test_update_scores_without_javascript_saves_nothing(clinician: User, patient: Patient) -> None:
    data = form_data({"bpi": answers("bpi")}, action="check")

    response = client_for(clinician).post(create_url(patient), data)

    assert response.status_code == 200
    assert 'data-testid="total-bpi">5.5<' in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("instruments", "expected"),
    [
        ({"bpi": answers("bpi")}, ['data-testid="total-bpi">5.5<', 'data-testid="live-pain">6<']),
        ({"phq9": answers("phq9", q9=1)}, ['data-alert="phq9_self_harm"', "Mild"]),
        ({"esas_r": answers("esas_r")}, ["Severe (≥ 7):", "tiredness"]),
        ({"gad7": {"q1": 1, "q2": 2}}, ["2 of 7 answered"]),
        ({"bpi": answers("bpi", least=10)}, ["cannot be above"]),
        ({"dn4": answers("dn4")}, ['data-testid="total-dn4">4<', "Neuropathic pain likely"]),
    ],
)
def test_live_scores_follow_the_answers(
    clinician: User, patient: Patient, instruments: dict[str, Any], expected: list[str]
) -> None:
    response = client_for(clinician).post(
        score_url(patient), form_data(instruments), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment
    for text in expected:
        assert text in html


def test_live_scores_answer_post_only(clinician: User, patient: Patient) -> None:
    assert client_for(clinician).get(score_url(patient)).status_code == 405


def test_live_scores_save_nothing(clinician: User, patient: Patient) -> None:
    client_for(clinician).post(score_url(patient), form_data({"nrs": {"score": 3}}))

    assert not Assessment.objects.exists()


def test_a_follow_up_is_carried_through_the_form(
    clinician: User, patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "_handlers", [])
    seen: list[Any] = []
    hooks.register_recorded_handler(
        lambda assessment, *, follow_up_code: seen.append(follow_up_code)
    )
    follow_up = uuid.uuid4()
    client = client_for(clinician)

    page = client.get(create_url(patient), {"context": "post_procedure", "follow_up": follow_up})
    html = page.content.decode()
    assert f'name="follow_up" value="{follow_up}"' in html
    assert 'value="post_procedure" selected' in html

    data = form_data({"nrs": {"score": 2}}, context="post_procedure", follow_up=str(follow_up))
    response = client.post(f"{create_url(patient)}?context=post_procedure", data)

    assert response.status_code == 302
    assert seen == [follow_up]
    assert Assessment.objects.get().follow_up_code == follow_up


def test_a_handlers_refusal_is_shown_on_the_form(
    clinician: User, patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(assessment: Assessment, *, follow_up_code: Any) -> None:
        raise ValueError("This follow-up is already done.")

    monkeypatch.setattr(hooks, "_handlers", [refuse])

    response = client_for(clinician).post(create_url(patient), form_data({"nrs": {"score": 2}}))

    assert response.status_code == 200
    assert "This follow-up is already done." in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_page_renders_the_body_map_with_every_region_as_a_checkbox(
    clinician: User, patient: Patient
) -> None:
    from assessments.bodymap import REGIONS

    html = client_for(clinician).get(create_url(patient)).content.decode()

    for region in REGIONS:
        assert f'data-region="{region.key}"' in html
        assert f'name="body_map_regions" value="{region.key}"' in html
    # The script makes the figure keyboard-operable; without it the checkbox list does the work.
    assert "data-interactive" in html


def test_the_page_has_no_inline_script_or_style(clinician: User, patient: Patient) -> None:
    html = client_for(clinician).get(create_url(patient)).content.decode()

    assert " style=" not in html
    assert "onclick" not in html
    assert "hx-on" not in html
