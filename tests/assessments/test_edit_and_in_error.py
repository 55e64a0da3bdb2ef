"""Correcting an assessment: its author edits within the policy's window (kept in history);
later, "entered in error" and a new assessment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, InstrumentResponse
from assessments.selectors import pain_intensity_series
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.reminders.models import Reminder, ReminderStatus
from patients.models import ClinicPolicy, Patient
from tests.assessments.helpers import answers, form_data, record
from tests.conftest import client_for, make_user
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


@pytest.fixture
def assessment(clinician: User, patient: Patient) -> Assessment:
    return record(
        patient, by=clinician, instruments={"bpi": answers("bpi"), "phq9": answers("phq9")}
    )


def update(assessment: Assessment, by: User, **changes: Any) -> Assessment:
    instruments = changes.pop(
        "instruments", {r.instrument: r.answers for r in assessment.responses.all()}
    )
    return services.assessment_update(
        by=by,
        assessment=assessment,
        version=changes.pop("version", assessment.version),
        instruments=instruments,
        **changes,
    )


def test_its_author_corrects_answers_and_the_scores_follow(
    clinician: User, assessment: Assessment
) -> None:
    updated = update(
        assessment,
        clinician,
        instruments={
            "bpi": answers("bpi", average=2),
            "phq9": answers("phq9"),
            "nrs": {"score": 3},
        },
        note="Corrected the average.",
    )

    assert updated.version == 2
    assert updated.pain_intensity == Decimal(3)  # the NRS, now recorded, wins
    bpi = InstrumentResponse.objects.get(assessment=assessment, instrument="bpi")
    assert bpi.total == Decimal("4.50")
    assert InstrumentResponse.objects.filter(assessment=assessment).count() == 3
    assert Assessment.objects.get(pk=assessment.pk).note == "Corrected the average."


def test_a_correction_is_kept_in_history(clinician: User, assessment: Assessment) -> None:
    update(
        assessment, clinician, instruments={"bpi": answers("bpi", now=9), "phq9": answers("phq9")}
    )

    events = InstrumentResponse.pgh_event_models["insert"]  # type: ignore[attr-defined]
    labels = list(
        events.objects.filter(assessment=assessment, instrument="bpi")
        .order_by("pgh_id")
        .values_list("pgh_label", flat=True)
    )
    assert labels == ["insert", "update"]


def test_a_correction_sets_and_clears_the_assessments_flags(
    clinician: User, assessment: Assessment
) -> None:
    assert assessment.flags == []

    update(
        assessment,
        clinician,
        instruments={"bpi": answers("bpi"), "phq9": answers("phq9", q9=2)},
    )
    assert Assessment.objects.get(pk=assessment.pk).flags == ["self_harm"]

    # Taking the self-harm answer back clears its flag; an instrument added brings its own.
    update(
        Assessment.objects.get(pk=assessment.pk),
        clinician,
        instruments={
            "bpi": answers("bpi"),
            "phq9": answers("phq9", q9=0),
            "esas_r": answers("esas_r"),
        },
    )
    assert Assessment.objects.get(pk=assessment.pk).flags == ["severe_tiredness"]


def test_another_clinician_may_not_edit(assessment: Assessment) -> None:
    with pytest.raises(services.AssessmentError, match="Only the clinician who recorded"):
        update(assessment, make_user(Role.CLINICIAN))


def test_the_edit_window_comes_from_clinic_policy(clinician: User, patient: Patient) -> None:
    ClinicPolicy.objects.update_or_create(
        singleton=True, defaults={"assessment_edit_window_hours": 2}
    )
    assessment = record(patient, by=clinician)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        assert not services.may_edit(assessment, clinician)
        with pytest.raises(services.AssessmentError, match="time to edit this assessment"):
            update(assessment, clinician)


def test_the_default_edit_window_is_24_hours(clinician: User, assessment: Assessment) -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23)):
        assert services.may_edit(assessment, clinician)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert not services.may_edit(assessment, clinician)


def test_a_stale_form_is_refused(clinician: User, assessment: Assessment) -> None:
    update(assessment, clinician)

    with pytest.raises(services.EditConflict):
        update(assessment, clinician, version=1)


def test_an_instrument_cannot_be_removed_by_editing(
    clinician: User, assessment: Assessment
) -> None:
    with pytest.raises(services.AssessmentInvalid) as raised:
        update(assessment, clinician, instruments={"bpi": answers("bpi")})

    assert "PHQ-9 cannot be removed" in str(raised.value.instrument_errors)
    assert assessment.responses.count() == 2


def test_invalid_corrections_change_nothing(clinician: User, assessment: Assessment) -> None:
    with pytest.raises(services.AssessmentInvalid):
        update(
            assessment,
            clinician,
            instruments={"bpi": answers("bpi", least=10), "phq9": answers("phq9")},
        )

    assessment.refresh_from_db()
    assert assessment.version == 1
    assert InstrumentResponse.objects.get(assessment=assessment, instrument="bpi").total == Decimal(
        "5.50"
    )


# --- entered in error ----------------------------------------------------------------------------


def test_marking_in_error_keeps_the_row_and_leaves_it_out_of_trends(
    clinician: User, patient: Patient, assessment: Assessment
) -> None:
    marked = services.assessment_mark_in_error(
        by=clinician, assessment=assessment, reason="Wrong patient"
    )

    assert marked.in_error
    assert marked.entered_in_error_by == clinician
    assert marked.entered_in_error_reason == "Wrong patient"
    assert Assessment.objects.filter(pk=assessment.pk).exists()
    assert pain_intensity_series(patient) == []
    with pytest.raises(services.AssessmentError, match="entered in error cannot be changed"):
        update(marked, clinician, version=marked.version)


def test_marking_in_error_needs_a_reason(clinician: User, assessment: Assessment) -> None:
    with pytest.raises(services.AssessmentInvalid):
        services.assessment_mark_in_error(by=clinician, assessment=assessment, reason="   ")


def test_marking_in_error_twice_is_refused(clinician: User, assessment: Assessment) -> None:
    services.assessment_mark_in_error(by=clinician, assessment=assessment, reason="Duplicate")

    with pytest.raises(services.AssessmentError, match="already marked"):
        services.assessment_mark_in_error(by=clinician, assessment=assessment, reason="Again")


def test_marking_in_error_cancels_a_pending_self_harm_alert(
    clinician: User, patient: Patient
) -> None:
    assessment = record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=1)})

    services.assessment_mark_in_error(by=clinician, assessment=assessment, reason="Wrong patient")

    assert Reminder.objects.get(kind="phq9_self_harm").status == ReminderStatus.CANCELLED


# --- the pages -----------------------------------------------------------------------------------


def test_the_edit_page_shows_the_saved_answers(clinician: User, assessment: Assessment) -> None:
    response = client_for(clinician).get(
        reverse("assessments:assessment-edit", kwargs={"code": assessment.code})
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="bpi-worst" id="id_bpi-worst" value="8"' in html
    # Instruments already saved stay chosen: the checkbox is disabled, a hidden input carries it.
    assert 'type="hidden" name="instruments" value="bpi"' in html


def test_the_author_saves_a_correction_through_the_page(
    clinician: User, assessment: Assessment
) -> None:
    data = form_data(
        {"bpi": answers("bpi", average=1), "phq9": answers("phq9")},
        assessed_at=assessment.assessed_at,
        version=assessment.version,
    )
    response = client_for(clinician).post(
        reverse("assessments:assessment-edit", kwargs={"code": assessment.code}), data
    )

    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{assessment.code}/"
    assessment.refresh_from_db()
    assert (assessment.version, assessment.pain_intensity) == (2, Decimal(1))


def test_someone_elses_edit_page_sends_them_back(assessment: Assessment) -> None:
    other = make_user(Role.CLINICIAN)
    response = client_for(other).get(
        reverse("assessments:assessment-edit", kwargs={"code": assessment.code})
    )

    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{assessment.code}/"


def test_the_in_error_page_marks_it_and_starts_a_corrected_copy(
    clinician: User, patient: Patient, assessment: Assessment
) -> None:
    client = client_for(clinician)
    url = reverse("assessments:assessment-in-error", kwargs={"code": assessment.code})

    response = client.post(url, {"reason": "Scores of another visit", "record_corrected": "1"})

    new_url = reverse("assessments:assessment-create", kwargs={"patient_code": patient.code})
    assert response.status_code == 302
    assert response["Location"] == f"{new_url}?copy={assessment.code}"
    assessment.refresh_from_db()
    assert assessment.in_error
    copy_page = client.get(response["Location"]).content.decode()
    assert 'name="bpi-worst" id="id_bpi-worst" value="8"' in copy_page


def test_the_in_error_page_refuses_get_for_others_to_write(
    coordinator: User, assessment: Assessment
) -> None:
    url = reverse("assessments:assessment-in-error", kwargs={"code": assessment.code})

    assert client_for(coordinator).post(url, {"reason": "No"}).status_code == 403
    assessment.refresh_from_db()
    assert not assessment.in_error


def test_the_in_error_page_needs_a_reason(clinician: User, assessment: Assessment) -> None:
    url = reverse("assessments:assessment-in-error", kwargs={"code": assessment.code})

    response = client_for(clinician).post(url, {"reason": ""})

    assert response.status_code == 200
    assessment.refresh_from_db()
    assert not assessment.in_error
