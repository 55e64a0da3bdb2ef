"""assessment_record: scores stored with the answers, all or nothing, hooks, alerts, history."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import hooks, services
from assessments.instruments import GENERAL
from assessments.models import Assessment, InstrumentResponse
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.reminders.models import Channel, Reminder
from patients.models import Patient
from tests.assessments.helpers import answers, record
from tests.conftest import make_user
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def test_it_stores_each_instruments_answers_with_its_score(
    clinician: User, patient: Patient
) -> None:
    assessment = record(
        patient,
        by=clinician,
        instruments={k: answers(k) for k in ("bpi", "esas_r", "phq9", "gad7", "dn4", "ecog")},
    )

    responses = {r.instrument: r for r in assessment.responses.all()}
    assert set(responses) == {"bpi", "esas_r", "phq9", "gad7", "dn4", "ecog"}
    bpi = responses["bpi"]
    assert bpi.total == Decimal("5.50")  # (8 + 3 + 6 + 5) / 4
    assert bpi.subscores == {"severity": "5.50", "interference": "6.00"}
    assert bpi.subscore("interference") == Decimal("6.00")
    assert bpi.answers["walking"] == 7
    assert responses["esas_r"].total == 33
    assert responses["esas_r"].flags == ["severe_tiredness"]
    assert (responses["phq9"].total, responses["phq9"].band) == (8, "mild")
    assert (responses["gad7"].total, responses["gad7"].band) == (7, "mild")
    assert (responses["dn4"].total, responses["dn4"].band) == (4, "positive")
    assert responses["ecog"].total == 2
    assert assessment.created_by == clinician
    assert assessment.assessed_by == clinician


def test_the_assessment_keeps_the_sorted_flags_of_all_its_answers(patient: Patient) -> None:
    flagged = record(
        patient,
        instruments={
            "nrs": answers("nrs"),
            "esas_r": answers("esas_r", pain=9),  # severe pain and tiredness
            "phq9": answers("phq9", q9=1),
        },
    )
    quiet = record(patient, instruments={"nrs": answers("nrs"), "phq9": answers("phq9", q9=0)})

    assert Assessment.objects.get(pk=flagged.pk).flags == [
        "self_harm",
        "severe_pain",
        "severe_tiredness",
    ]
    assert Assessment.objects.get(pk=quiet.pk).flags == []


def test_the_migration_fills_the_flags_of_assessments_saved_before_it(
    patient: Patient,
) -> None:
    migration = importlib.import_module("assessments.migrations.0003_assessment_flags")
    flagged = record(
        patient,
        instruments={"esas_r": answers("esas_r", nausea=8), "phq9": answers("phq9", q9=2)},
    )
    quiet = record(patient, instruments={"nrs": answers("nrs")})
    Assessment.objects.update(flags=[])  # as they were before the column

    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL_FLAGS)

    assert Assessment.objects.get(pk=flagged.pk).flags == [
        "self_harm",
        "severe_nausea",
        "severe_tiredness",
    ]
    assert Assessment.objects.get(pk=quiet.pk).flags == []


def test_pain_intensity_is_the_nrs_when_recorded(patient: Patient) -> None:
    assessment = record(patient, instruments={"nrs": {"score": 7}, "bpi": answers("bpi")})

    assert (assessment.pain_intensity, assessment.pain_source) == (Decimal(7), "nrs")


def test_pain_intensity_is_the_bpi_average_item_without_an_nrs(patient: Patient) -> None:
    assessment = record(patient, instruments={"bpi": answers("bpi", average=4)})

    assert (assessment.pain_intensity, assessment.pain_source) == (Decimal(4), "bpi_average")


def test_no_pain_instrument_leaves_pain_intensity_empty(patient: Patient) -> None:
    assessment = record(patient, instruments={"phq9": answers("phq9")})

    assert (assessment.pain_intensity, assessment.pain_source) == (None, "")


def test_it_reports_every_problem_at_once_and_saves_nothing(patient: Patient) -> None:
    bad = {
        "bpi": answers("bpi", least=9),  # least above worst
        "phq9": {**answers("phq9"), "q9": 4},  # out of range
        "gad7": {key: value for key, value in answers("gad7").items() if key != "q3"},  # missing
        "dn4": answers("dn4", burning=1),  # wrong type
    }
    with pytest.raises(services.AssessmentInvalid) as raised:
        record(patient, instruments=bad, body_map_regions=["nowhere"], worst_region="front_head")

    errors = raised.value.instrument_errors
    assert errors["bpi"] == {"least": "BPI: 'least' pain (9) cannot be above 'worst' pain (8)."}
    assert "between 0 and 3, not 4" in errors["phq9"]["q9"]
    assert "no answer for 'q3'" in errors["gad7"]["q3"]
    assert "must be yes (True) or no (False)" in errors["dn4"]["burning"]
    assert set(raised.value.field_errors) == {"body_map_regions", "worst_region"}
    assert not Assessment.objects.exists()
    assert not InstrumentResponse.objects.exists()


def test_it_refuses_an_assessment_without_instruments(patient: Patient) -> None:
    with pytest.raises(services.AssessmentInvalid) as raised:
        record(patient, instruments={})

    assert raised.value.instrument_errors[GENERAL][GENERAL] == "Choose at least one instrument."


def test_it_refuses_an_unknown_instrument(patient: Patient) -> None:
    with pytest.raises(services.AssessmentInvalid) as raised:
        record(patient, instruments={"vas": {"score": 3}})

    assert "Unknown instruments: vas." in raised.value.instrument_errors[GENERAL][GENERAL]


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (timezone.now() + dt.timedelta(hours=1), "cannot be in the future"),
        (dt.datetime(1950, 1, 1, tzinfo=dt.UTC), "before the patient's date of birth"),
    ],
)
def test_it_refuses_an_impossible_moment(patient: Patient, moment: Any, message: str) -> None:
    with pytest.raises(services.AssessmentInvalid) as raised:
        record(patient, at=moment)

    assert message in raised.value.field_errors["assessed_at"]


def test_it_refuses_an_assessment_after_death(clinician: User) -> None:
    patient = make_patient(
        by=clinician, status="deceased", date_of_death=timezone.localdate() - dt.timedelta(days=3)
    )
    with pytest.raises(services.AssessmentInvalid) as raised:
        record(patient)

    assert "after the patient's date of death" in raised.value.field_errors["assessed_at"]


def test_it_keeps_the_pain_description(patient: Patient) -> None:
    assessment = record(
        patient,
        body_map_regions=["front_chest_right", "back_lumbar_spine", "front_chest_right"],
        worst_region="back_lumbar_spine",
        pain_qualities=["burning", "shooting"],
        pain_patterns=["constant", "breakthrough"],
        breakthrough_per_day=3,
        mechanism="mixed",
        sleep_quality="poor",
        note="  Worse at night.  ",
    )

    assessment.refresh_from_db()
    assert assessment.body_map_regions == ["front_chest_right", "back_lumbar_spine"]
    assert assessment.worst_region == "back_lumbar_spine"
    assert assessment.pain_quality_labels == ["Burning", "Shooting"]
    assert assessment.pain_pattern_labels == ["Constant", "Breakthrough"]
    assert (assessment.breakthrough_per_day, assessment.mechanism) == (3, "mixed")
    assert (assessment.sleep_quality, assessment.note) == ("poor", "Worse at night.")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pain_qualities": ["tickly"]}, "pain_qualities"),
        ({"pain_patterns": ["sometimes"]}, "pain_patterns"),
        ({"mechanism": "psychic"}, "mechanism"),
        ({"sleep_quality": "great"}, "sleep_quality"),
        ({"breakthrough_per_day": 49}, "breakthrough_per_day"),
        ({"body_map_regions": ["front_head"], "worst_region": "back_head"}, "worst_region"),
        ({"context": "lunch"}, "context"),
    ],
)
def test_it_refuses_a_description_outside_its_choices(
    patient: Patient, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(services.AssessmentInvalid) as raised:
        record(patient, **fields)

    assert field in raised.value.field_errors
    assert not Assessment.objects.exists()


def test_an_unknown_description_field_is_a_programming_error(patient: Patient) -> None:
    with pytest.raises(TypeError):
        record(patient, colour="blue")


def test_saving_is_kept_in_history(clinician: User, patient: Patient) -> None:
    assessment = record(patient, by=clinician, instruments={"bpi": answers("bpi")})

    event_model = Assessment.pgh_event_models["insert"]  # type: ignore[attr-defined]
    response_events = InstrumentResponse.pgh_event_models["insert"]  # type: ignore[attr-defined]
    assert event_model.objects.filter(pgh_obj=assessment, pgh_label="insert").count() == 1
    assert response_events.objects.filter(assessment=assessment).count() == 1


# --- hooks ---------------------------------------------------------------------------------------


@pytest.fixture
def only_our_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other apps (procedures) register their own handlers; these tests use a test one alone.
    monkeypatch.setattr(hooks, "_handlers", [])


@pytest.fixture
def handler_calls(only_our_handlers: None) -> Any:
    calls: list[tuple[Any, Any]] = []

    def handler(assessment: Assessment, *, follow_up_code: uuid.UUID | None) -> None:
        calls.append((assessment, follow_up_code))
        if follow_up_code == FAILING:
            raise ValueError("This follow-up is already done.")

    hooks.register_recorded_handler(handler)
    return calls


FAILING = uuid.UUID("00000000-0000-0000-0000-00000000dead")


def test_recorded_handlers_run_after_the_save_with_the_follow_up(
    patient: Patient, handler_calls: list[Any]
) -> None:
    follow_up = uuid.uuid4()
    assessment = record(patient, context="post_procedure", follow_up_code=follow_up)

    assert handler_calls == [(assessment, follow_up)]
    assert Assessment.objects.get(pk=assessment.pk).follow_up_code == follow_up


def test_a_failing_handler_saves_nothing_and_says_why(
    patient: Patient, handler_calls: list[Any]
) -> None:
    with pytest.raises(services.AssessmentError, match="already done"):
        record(patient, context="post_procedure", follow_up_code=FAILING)

    assert not Assessment.objects.exists()
    assert not InstrumentResponse.objects.exists()


def test_registering_a_handler_twice_runs_it_once(
    patient: Patient, only_our_handlers: None
) -> None:
    calls: list[Any] = []

    def handler(assessment: Assessment, *, follow_up_code: uuid.UUID | None) -> None:
        calls.append(assessment)

    hooks.register_recorded_handler(handler)
    hooks.register_recorded_handler(handler)
    try:
        record(patient)
    finally:
        hooks.unregister_recorded_handler(handler)

    assert len(calls) == 1
    assert handler not in hooks.recorded_handlers()


# --- the PHQ-9 item 9 alert ---------------------------------------------------------------------


def test_phq9_item_9_above_0_notifies_the_primary_clinician_urgently(clinician: User) -> None:
    primary = make_user(Role.CLINICIAN)
    patient = make_patient(by=clinician, primary_clinician=primary)

    assessment = record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=1)})

    reminder = Reminder.objects.get(kind="phq9_self_harm")
    assert reminder.recipient == primary
    assert reminder.urgent
    assert reminder.channel == Channel.BOTH
    assert reminder.subject_code == assessment.code
    assert reminder.dedupe_key == f"phq9-self-harm:{assessment.code}"
    assert reminder.link_url == f"/assessments/{assessment.code}/"
    # No clinical detail travels in the title or the body.
    assert "PHQ" not in reminder.title and "harm" not in reminder.title
    assert "harm" not in reminder.body


def test_phq9_item_9_at_0_notifies_nobody(clinician: User, patient: Patient) -> None:
    record(patient, by=clinician, instruments={"phq9": answers("phq9", q1=3, q2=3, q9=0)})

    assert not Reminder.objects.filter(kind="phq9_self_harm").exists()


def test_without_a_primary_clinician_the_recording_clinician_is_notified(
    clinician: User, patient: Patient
) -> None:
    record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=2)})

    assert Reminder.objects.get(kind="phq9_self_harm").recipient == clinician


def test_an_inactive_primary_clinician_is_passed_over(clinician: User) -> None:
    leaver = make_user(Role.CLINICIAN, is_active=False)
    patient = make_patient(by=clinician, primary_clinician=leaver)

    record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=3)})

    assert Reminder.objects.get(kind="phq9_self_harm").recipient == clinician


def test_the_alert_is_sent_once_per_assessment(clinician: User, patient: Patient) -> None:
    assessment = record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=1)})
    services.assessment_update(
        by=clinician,
        assessment=assessment,
        version=assessment.version,
        instruments={"phq9": answers("phq9", q9=2)},
    )
    record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=1)})

    assert Reminder.objects.filter(kind="phq9_self_harm").count() == 2


def test_a_failed_save_sends_no_alert(patient: Patient) -> None:
    with pytest.raises(services.AssessmentInvalid):
        record(patient, instruments={"phq9": answers("phq9", q9=1), "gad7": {"q1": 9}})

    assert not Reminder.objects.exists()


# --- queries -------------------------------------------------------------------------------------


def _queries_to_record(patient: Patient, by: User) -> int:
    instruments = {k: answers(k) for k in ("bpi", "esas_r", "phq9", "gad7", "ecog")}
    with CaptureQueriesContext(connection) as captured:
        record(patient, by=by, instruments=instruments)
    return len(captured)


def test_saving_runs_the_same_queries_whatever_the_history(clinician: User) -> None:
    new = make_patient(by=clinician)
    long_history = make_patient(by=clinician)
    for days in range(30):
        record(
            long_history,
            by=clinician,
            at=timezone.now() - dt.timedelta(days=days + 1),
            instruments={"bpi": answers("bpi")},
        )

    assert _queries_to_record(new, clinician) == _queries_to_record(long_history, clinician)
    assert _queries_to_record(new, clinician) <= SAVE_QUERIES


# Savepoint, insert assessment, bulk insert responses, the patient's recent procedures (their
# outcomes), savepoint release; no query checks the new code is unique (pghistory context is set
# by the request middleware, not here).
SAVE_QUERIES = 5
