"""Safety reviews on a plan: evaluation from the record, overrides, and the gate to "performed"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.accounts.models import User
from patients.models import ClinicPolicy, Patient
from procedures import services
from procedures.models import PlanStatus, ProcedureRecord, SafetyReview
from tests.patients.helpers import add_lab, add_medication, add_oncology_event, make_patient
from tests.procedures.helpers import approve_and_schedule, clear_review, propose

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 16)  # a Monday


@pytest.fixture(autouse=True)
def today() -> Any:
    with time_machine.travel(dt.datetime(2026, 3, 16, 8, 30, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def patient(clinician: User) -> Patient:
    """On apixaban, platelets 60 (5 days before the 20th), chemotherapy 10 days before the 20th."""
    patient = make_patient(by=clinician)
    add_medication(patient, "Apixaban", "5", started_on=dt.date(2025, 11, 1))
    add_lab(patient, "platelets", "60", taken_at=dt.datetime(2026, 3, 15, 7, tzinfo=dt.UTC))
    add_oncology_event(patient, occurred_on=dt.date(2026, 3, 10), cycle_number=3)
    return patient


def by_code(review: SafetyReview) -> dict[str, dict[str, Any]]:
    return {result["code"]: result for result in review.results}


def record_kwargs(by: User, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "by": by,
        "performed_at": timezone.now(),
        "performed_by": by,
        "imaging_guidance": "fluoroscopy",
        "had_complications": False,
    }
    values.update(overrides)
    return values


def test_the_review_evaluates_each_check_for_the_planned_date(
    clinician: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=dt.date(2026, 3, 20))

    review = services.safety_review_run(plan=plan, on=plan.planned_date, by=clinician)

    checks = by_code(review)
    assert review.evaluated_for == dt.date(2026, 3, 20)
    assert (review.base_risk, review.effective_risk) == ("intermediate", "intermediate")
    # Still running on the 16th, when the last dose had to be before the 15th.
    assert checks["anticoagulant:apixaban"]["status"] == "fail"
    assert checks["anticoagulant:apixaban"]["last_day"] == "2026-03-14"
    assert checks["platelets"]["status"] == "fail"
    assert checks["platelets"]["threshold"] == "≥ 75"
    assert checks["nadir"]["status"] == "warn"
    assert checks["inr"]["status"] == checks["anc"]["status"] == "unknown"
    assert checks["infection"]["status"] == checks["consent"]["status"] == "unknown"
    assert not review.all_clear
    assert review.by == clinician


def test_clinic_policy_changes_the_thresholds(clinician: User, patient: Patient) -> None:
    ClinicPolicy.objects.update(platelets_min_low=40, platelets_min_high=55)
    plan = propose(clinician, patient, planned_date=dt.date(2026, 3, 20))

    review = services.safety_review_run(plan=plan, on=plan.planned_date, by=clinician)

    assert by_code(review)["platelets"]["status"] == "pass"


def test_entries_in_error_are_not_used(clinician: User) -> None:
    from patients import services as patient_services

    patient = make_patient(by=clinician)
    wrong = add_lab(patient, "platelets", "20")
    patient_services.entry_mark_in_error(by=clinician, entry=wrong, reason="Wrong patient")
    plan = propose(clinician, patient, planned_date=TODAY)

    review = services.safety_review_run(plan=plan, on=TODAY, by=clinician)

    assert by_code(review)["platelets"]["status"] == "unknown"


def test_a_review_for_a_past_date_is_refused(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=TODAY)

    with pytest.raises(services.ProcedureError):
        services.safety_review_run(plan=plan, on=TODAY - dt.timedelta(days=1), by=clinician)

    assert not SafetyReview.objects.exists()


def test_a_coordinator_cannot_run_or_override_a_review(
    clinician: User, coordinator: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=TODAY)
    review = services.safety_review_run(plan=plan, on=TODAY, by=clinician)

    with pytest.raises(services.ProcedureError):
        services.safety_review_run(plan=plan, on=TODAY, by=coordinator)
    with pytest.raises(services.ProcedureError):
        services.safety_override(
            review=review, check_code="platelets", reason="Platelets transfused", by=coordinator
        )
    review.refresh_from_db()
    assert review.overrides == {}


def test_an_override_needs_a_reason_and_is_kept_with_who_and_when(
    clinician: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=TODAY)
    review = services.safety_review_run(plan=plan, on=TODAY, by=clinician)

    with pytest.raises(ValidationError):
        services.safety_override(review=review, check_code="platelets", reason=" ", by=clinician)
    review = services.safety_override(
        review=review,
        check_code="platelets",
        reason="One pool of platelets before the block",
        by=clinician,
    )

    override = review.overrides["platelets"]
    assert override["reason"] == "One pool of platelets before the block"
    assert (override["by"], override["by_name"]) == (clinician.pk, clinician.display_name)
    assert override["at"].startswith("2026-03-16T08:30")
    events = SafetyReview.pgh_event_models["insert"].objects.filter(pgh_obj=review)  # type: ignore[attr-defined]
    assert list(events.order_by("pgh_id").values_list("pgh_label", flat=True)) == [
        "insert",
        "update",
    ]


def test_a_passing_check_or_an_overridden_one_cannot_be_overridden(clinician: User) -> None:
    patient = make_patient(by=clinician)
    add_lab(patient, "platelets", "200")
    plan = propose(clinician, patient, planned_date=TODAY)
    review = services.safety_review_run(plan=plan, on=TODAY, by=clinician)
    review = services.safety_override(
        review=review, check_code="consent", reason="Verbal consent, form to sign", by=clinician
    )

    with pytest.raises(services.ProcedureError, match="passed"):
        services.safety_override(
            review=review, check_code="platelets", reason="for the record", by=clinician
        )
    with pytest.raises(services.ProcedureError, match="already"):
        services.safety_override(
            review=review, check_code="consent", reason="second time", by=clinician
        )


def test_only_the_newest_review_of_a_date_is_overridden(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=TODAY)
    old = services.safety_review_run(plan=plan, on=TODAY, by=clinician)
    services.safety_review_run(plan=plan, on=TODAY, by=clinician)

    with pytest.raises(services.ProcedureError, match="newer review"):
        services.safety_override(
            review=old, check_code="platelets", reason="Transfused this morning", by=clinician
        )


def test_overriding_every_open_check_makes_the_review_all_clear(
    clinician: User, patient: Patient
) -> None:
    plan = propose(clinician, patient, planned_date=TODAY)

    review = clear_review(plan, clinician)

    assert review.all_clear
    assert set(review.overrides) == {r["code"] for r in review.results if r["status"] != "pass"}


# --- the gate to "performed" ---------------------------------------------------------------------


def scheduled_today(clinician: User, patient: Patient) -> Any:
    return approve_and_schedule(propose(clinician, patient, planned_date=TODAY), clinician)


def test_recording_is_refused_without_a_review_of_the_day(
    clinician: User, patient: Patient
) -> None:
    plan = scheduled_today(clinician, patient)

    with pytest.raises(services.ProcedureError, match="Run the safety review on the day"):
        services.procedure_record(plan=plan, **record_kwargs(clinician))

    plan.refresh_from_db()
    assert plan.status == PlanStatus.SCHEDULED
    assert not ProcedureRecord.objects.exists()


def test_recording_is_refused_while_a_check_is_neither_passed_nor_overridden(
    clinician: User, patient: Patient
) -> None:
    plan = scheduled_today(clinician, patient)
    review = services.safety_review_run(plan=plan, on=TODAY, by=clinician)
    services.safety_override(
        review=review, check_code="platelets", reason="Transfusion booked", by=clinician
    )

    with pytest.raises(
        services.ProcedureError, match="neither passed nor were overridden"
    ) as error:
        services.procedure_record(plan=plan, **record_kwargs(clinician))

    assert "(Apixaban, INR, Neutrophils (ANC), Infection or neutropenia, Consent)" in str(
        error.value
    )
    assert "Platelets" not in str(error.value)
    assert not ProcedureRecord.objects.exists()


def test_a_review_run_on_an_earlier_day_does_not_count(
    clinician: User, patient: Patient, today: Any
) -> None:
    plan = approve_and_schedule(
        propose(clinician, patient, planned_date=TODAY + dt.timedelta(days=1)), clinician
    )
    clear_review(plan, clinician, on=TODAY + dt.timedelta(days=1))
    today.move_to(dt.datetime(2026, 3, 17, 9, 0, tzinfo=dt.UTC))

    with pytest.raises(services.ProcedureError, match="on the day"):
        services.procedure_record(plan=plan, **record_kwargs(clinician))

    clear_review(plan, clinician)
    record = services.procedure_record(plan=plan, **record_kwargs(clinician))
    assert record.plan.status == PlanStatus.PERFORMED


def test_the_latest_review_of_the_day_is_the_one_that_counts(
    clinician: User, patient: Patient
) -> None:
    plan = scheduled_today(clinician, patient)
    clear_review(plan, clinician)
    services.safety_review_run(plan=plan, on=TODAY, by=clinician)

    with pytest.raises(services.ProcedureError):
        services.procedure_record(plan=plan, **record_kwargs(clinician))


def test_recording_after_every_check_passed_or_was_overridden_succeeds(
    clinician: User, patient: Patient
) -> None:
    plan = scheduled_today(clinician, patient)
    clear_review(plan, clinician)

    record = services.procedure_record(plan=plan, **record_kwargs(clinician))

    assert record.plan.status == PlanStatus.PERFORMED
    assert record.performed_by == clinician
    assert record.plan.follow_ups.count() == 3


def test_a_plan_not_yet_scheduled_cannot_be_recorded(clinician: User, patient: Patient) -> None:
    plan = propose(clinician, patient, planned_date=TODAY)
    clear_review(plan, clinician)

    with pytest.raises(services.ProcedureError, match="proposed"):
        services.procedure_record(plan=plan, **record_kwargs(clinician))


def test_a_procedure_cannot_be_recorded_in_advance(clinician: User, patient: Patient) -> None:
    plan = scheduled_today(clinician, patient)
    clear_review(plan, clinician)

    with pytest.raises(ValidationError):
        services.procedure_record(
            plan=plan,
            **record_kwargs(clinician, performed_at=timezone.now() + dt.timedelta(hours=2)),
        )


def test_complications_are_listed_with_their_severity(clinician: User, patient: Patient) -> None:
    plan = scheduled_today(clinician, patient)
    clear_review(plan, clinician)

    with pytest.raises(ValidationError):
        services.procedure_record(
            plan=plan, **record_kwargs(clinician, had_complications=True, complications=[])
        )
    with pytest.raises(ValidationError):
        services.procedure_record(
            plan=plan,
            **record_kwargs(
                clinician, complications=[{"description": "Hypotension", "severity": "mild"}]
            ),
        )
    record = services.procedure_record(
        plan=plan,
        **record_kwargs(
            clinician,
            had_complications=True,
            complications=[
                {"description": " Transient  hypotension ", "severity": "mild"},
                {"description": "", "severity": ""},
            ],
        ),
    )
    assert record.complications == [{"description": "Transient hypotension", "severity": "mild"}]
