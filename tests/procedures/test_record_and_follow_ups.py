"""Recording a procedure: follow-ups and their reminders, devices, measured outcomes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.services import AssessmentError
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.lib import timeline
from clinic.reminders.models import Reminder, ReminderStatus
from patients.models import ClinicPolicy, Device
from procedures import selectors, services
from procedures.models import FollowUp, FollowUpStatus, PlanStatus, ProcedureRecord
from tests.assessments.helpers import record as record_assessment
from tests.conftest import make_user
from tests.patients.helpers import add_device, make_patient
from tests.procedures.helpers import (
    CELIAC_BLOCK,
    approve_and_schedule,
    clear_review,
    perform,
    procedure_type,
    propose,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def nrs(score: int) -> dict[str, Any]:
    return {"nrs": {"score": score}}


# --- follow-ups and reminders --------------------------------------------------------------------


def test_recording_schedules_the_default_follow_ups_with_reminders_at_8(clinician: User) -> None:
    record = perform(clinician)

    follow_ups = list(record.follow_ups.order_by("day"))
    assert [(f.kind, f.day, f.due_date) for f in follow_ups] == [
        ("phone_check", 1, dt.date(2026, 3, 17)),
        ("review", 14, dt.date(2026, 3, 30)),
        ("reassessment", 42, dt.date(2026, 4, 27)),
    ]
    reminders = Reminder.objects.filter(kind="followup_due").order_by("due_at")
    assert [r.due_at for r in reminders] == [
        dt.datetime(2026, 3, 17, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 27, 8, 0, tzinfo=dt.UTC),
    ]
    first = reminders[0]
    assert first.recipient == clinician
    assert first.subject_code == follow_ups[0].code
    assert first.dedupe_key == f"followup:{follow_ups[0].code}:{clinician.pk}"
    assert first.link_url == reverse("procedures:followup-detail", args=[follow_ups[0].code])
    assert first.status == ReminderStatus.PENDING


def test_the_catalogue_schedule_of_the_procedure_wins(clinician: User) -> None:
    record = perform(clinician, procedure_type=procedure_type(CELIAC_BLOCK))

    assert list(record.follow_ups.values_list("day", flat=True)) == [1, 7]


def test_the_clinic_policy_changes_the_default_schedule(clinician: User) -> None:
    ClinicPolicy.objects.update(followup_days_neurolysis=[2, 30])

    record = perform(clinician)

    assert list(record.follow_ups.values_list("kind", "day")) == [
        ("phone_check", 2),
        ("reassessment", 30),
    ]


def test_the_operator_is_responsible_else_the_primary_clinician(clinician: User) -> None:
    operator = make_user(Role.CLINICIAN)
    primary = make_user(Role.CLINICIAN)
    patient = make_patient(by=clinician, primary_clinician=primary)

    with_operator = perform(clinician, patient, operator=operator)
    without = perform(clinician, patient)

    assert {f.responsible for f in with_operator.follow_ups.all()} == {operator}
    assert {f.responsible for f in without.follow_ups.all()} == {primary}
    assert set(Reminder.objects.values_list("recipient", flat=True)) == {operator.pk, primary.pk}


def test_a_procedure_recorded_days_later_reminds_now_for_follow_ups_already_due(
    clinician: User, now: Any
) -> None:
    now.move_to(NOW - dt.timedelta(days=3))
    plan = approve_and_schedule(propose(clinician, planned_date=dt.date(2026, 3, 13)), clinician)
    clear_review(plan, clinician)
    now.move_to(NOW)

    record = services.procedure_record(
        plan=plan,
        by=clinician,
        performed_at=NOW - dt.timedelta(days=3),
        performed_by=clinician,
        imaging_guidance="ct",
        had_complications=False,
    )

    first = Reminder.objects.get(subject_code=record.follow_ups.get(day=1).code)
    assert first.due_at == NOW
    later = Reminder.objects.get(subject_code=record.follow_ups.get(day=14).code)
    assert later.due_at == dt.datetime(2026, 3, 27, 8, 0, tzinfo=dt.UTC)


def test_a_follow_up_is_still_due_only_while_pending(clinician: User) -> None:
    record = perform(clinician)
    follow_up = record.follow_ups.get(day=1)
    reminder = Reminder.objects.get(subject_code=follow_up.code)

    assert services.followup_still_due(reminder)
    services.followup_complete(follow_up=follow_up, by=clinician, note="Phone: comfortable")
    assert not services.followup_still_due(reminder)


def test_completing_a_follow_up_cancels_its_reminder_only(clinician: User) -> None:
    record = perform(clinician)
    follow_up = record.follow_ups.get(day=1)

    done = services.followup_complete(follow_up=follow_up, by=clinician, note="No concerns")

    assert (done.status, done.completed_by, done.note) == ("done", clinician, "No concerns")
    statuses = dict(Reminder.objects.values_list("subject_code", "status"))
    assert statuses[follow_up.code] == ReminderStatus.CANCELLED
    assert sorted(statuses.values()).count(ReminderStatus.PENDING) == 2
    with pytest.raises(services.ProcedureError, match="already done"):
        services.followup_complete(follow_up=follow_up, by=clinician)


def test_a_missed_follow_up_needs_a_reason(clinician: User) -> None:
    follow_up = perform(clinician).follow_ups.get(day=14)

    with pytest.raises(ValidationError):
        services.followup_mark_missed(follow_up=follow_up, by=clinician, reason="")
    missed = services.followup_mark_missed(
        follow_up=follow_up, by=clinician, reason="Admitted to another hospital"
    )

    assert missed.status == FollowUpStatus.MISSED
    assert Reminder.objects.get(subject_code=follow_up.code).status == ReminderStatus.CANCELLED


def test_the_plan_is_followed_up_when_no_follow_up_is_pending(clinician: User) -> None:
    record = perform(clinician)
    day1, day14, day42 = record.follow_ups.order_by("day")

    services.followup_complete(follow_up=day1, by=clinician)
    services.followup_mark_missed(follow_up=day14, by=clinician, reason="Unreachable")
    record.plan.refresh_from_db()
    assert record.plan.status == PlanStatus.PERFORMED
    services.followup_complete(follow_up=day42, by=clinician)

    record.plan.refresh_from_db()
    assert record.plan.status == PlanStatus.FOLLOWED_UP


def test_a_coordinator_cannot_complete_a_follow_up(clinician: User, coordinator: User) -> None:
    follow_up = perform(clinician).follow_ups.first()

    with pytest.raises(services.ProcedureError):
        services.followup_complete(follow_up=follow_up, by=coordinator)


# --- the assessments app -------------------------------------------------------------------------


def _day_one_follow_up(clinician: User, now: Any) -> tuple[Any, ProcedureRecord, Any]:
    """A patient with pain 8 the day before a procedure, on the day its first follow-up is due."""
    patient = make_patient(by=clinician)
    record_assessment(patient, by=clinician, at=NOW - dt.timedelta(days=1), instruments=nrs(8))
    record = perform(clinician, patient)
    follow_up = record.follow_ups.get(day=1)
    now.move_to(NOW + dt.timedelta(days=1))
    return patient, record, follow_up


def test_recording_the_follow_up_assessment_completes_it(clinician: User, now: Any) -> None:
    patient, record, follow_up = _day_one_follow_up(clinician, now)

    assessment = record_assessment(
        patient,
        by=clinician,
        instruments=nrs(3),
        context="post_procedure",
        follow_up_code=follow_up.code,
    )

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.assessment_code) == ("done", assessment.code)
    assert follow_up.pain == Decimal(3)
    assert Reminder.objects.get(subject_code=follow_up.code).status == ReminderStatus.CANCELLED
    record.refresh_from_db()
    assert record.baseline_pain == Decimal(8)
    response = selectors.stage_response(ProcedureRecord.objects.get(pk=record.pk).plan)
    assert response.met is True
    assert response.points[0].reduction == Decimal("62.5")


def test_a_follow_up_assessment_dated_before_the_procedure_still_measures_it(
    clinician: User, now: Any
) -> None:
    # Backdated or mistyped: the follow-up is measured by the assessment recorded for it,
    # wherever its date falls (saving reads a shorter pain series, which must still hold it).
    patient, record, follow_up = _day_one_follow_up(clinician, now)

    linked = record_assessment(
        patient,
        by=clinician,
        at=NOW - dt.timedelta(days=5),
        instruments=nrs(3),
        context="post_procedure",
        follow_up_code=follow_up.code,
    )

    follow_up.refresh_from_db()
    assert follow_up.assessment_code == linked.code
    assert (follow_up.pain, follow_up.pain_at) == (Decimal(3), linked.assessed_at)
    record.refresh_from_db()
    assert record.baseline_pain == Decimal(8)


def test_an_assessment_for_a_follow_up_already_done_is_refused(clinician: User) -> None:
    patient = make_patient(by=clinician)
    follow_up = perform(clinician, patient).follow_ups.get(day=1)
    services.followup_complete(follow_up=follow_up, by=clinician)

    with pytest.raises(AssessmentError, match="already done"):
        record_assessment(patient, by=clinician, instruments=nrs(2), follow_up_code=follow_up.code)


def test_an_assessment_for_another_patients_follow_up_is_refused(clinician: User) -> None:
    follow_up = perform(clinician).follow_ups.get(day=1)

    with pytest.raises(AssessmentError, match="not one of this patient"):
        record_assessment(
            make_patient(by=clinician),
            by=clinician,
            instruments=nrs(2),
            follow_up_code=follow_up.code,
        )
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.PENDING


def test_an_assessment_in_a_follow_up_window_measures_it(clinician: User, now: Any) -> None:
    patient = make_patient(by=clinician)
    record_assessment(patient, by=clinician, at=NOW - dt.timedelta(hours=3), instruments=nrs(6))
    record = perform(clinician, patient)
    now.move_to(NOW + dt.timedelta(days=13))

    record_assessment(patient, by=clinician, instruments=nrs(4), context="review")

    day14 = record.follow_ups.get(day=14)
    assert (day14.status, day14.pain, day14.pain_source) == ("pending", Decimal(4), "nrs")
    assert record.follow_ups.get(day=1).pain is None


def test_without_a_baseline_nothing_is_measured(clinician: User, now: Any) -> None:
    patient = make_patient(by=clinician)
    record = perform(clinician, patient)
    now.move_to(NOW + dt.timedelta(days=1))
    record_assessment(patient, by=clinician, instruments=nrs(2))

    response = selectors.stage_response(ProcedureRecord.objects.get(pk=record.pk).plan)
    assert response.baseline is None
    assert response.met is None


def test_a_pain_score_taken_at_the_moment_of_the_procedure_is_its_baseline(
    clinician: User, now: Any
) -> None:
    patient = make_patient(by=clinician)
    performed_at = NOW - dt.timedelta(hours=1)
    record_assessment(patient, by=clinician, at=performed_at, instruments=nrs(7))
    record = perform(clinician, patient, performed_at=performed_at)

    record.refresh_from_db()
    assert (record.baseline_pain, record.baseline_at) == (Decimal(7), performed_at)


def test_saving_an_assessment_refreshes_every_recent_procedure_in_the_same_queries(
    clinician: User, now: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_record_on_day_5(procedures: int) -> tuple[int, list[ProcedureRecord]]:
        patient = make_patient(by=clinician)
        record_assessment(patient, by=clinician, at=NOW - dt.timedelta(hours=3), instruments=nrs(6))
        records = [perform(clinician, patient) for _ in range(procedures)]
        now.move_to(NOW + dt.timedelta(days=5))  # inside no follow-up's window
        with CaptureQueriesContext(connection) as queries:
            record_assessment(patient, by=clinician, instruments=nrs(4), context="review")
        now.move_to(NOW)
        return len(queries.captured_queries), records

    one, _ = queries_to_record_on_day_5(1)
    three, records = queries_to_record_on_day_5(3)

    assert one == three
    for record in records:  # each was still measured: its baseline, and no follow-up yet
        record.refresh_from_db()
        assert record.baseline_pain == Decimal(6)
        assert not record.follow_ups.exclude(pain=None).exists()


# --- devices and the timeline --------------------------------------------------------------------


def test_an_implant_creates_the_patients_device(clinician: User) -> None:
    patient = make_patient(by=clinician)
    record = perform(
        clinician,
        patient,
        procedure_type=procedure_type("Intrathecal pump implant"),
        stage="definitive",
        stage_override_reason="Intrathecal trial done elsewhere",
        device={
            "model_name": "SynchroMed II",
            "serial_number": "NGP-0042",
            "drug": "Morphine",
            "concentration": Decimal(10),
            "concentration_unit": "mg/mL",
            "reservoir_volume_ml": Decimal(20),
            "next_refill_due": dt.date(2026, 4, 20),
        },
    )

    device = Device.objects.get(patient=patient)
    assert (device.kind, device.serial_number, device.implanted_on, device.drug) == (
        "intrathecal_pump",
        "NGP-0042",
        dt.date(2026, 3, 16),
        "Morphine",
    )
    assert device.created_by == clinician
    assert record.plan.status == PlanStatus.PERFORMED


def test_an_implant_updates_the_entry_of_the_same_device(clinician: User) -> None:
    patient = make_patient(by=clinician)
    existing = add_device(
        patient,
        kind="spinal_cord_stimulator",
        serial_number="SCS-1",
        drug="",
        concentration=None,
        concentration_unit="",
        reservoir_volume_ml=None,
        next_refill_due=None,
    )

    perform(
        clinician,
        patient,
        procedure_type=procedure_type("Spinal cord stimulator implant"),
        stage="definitive",
        stage_override_reason="Trial in another centre",
        device={
            "model_name": "Intellis",
            "serial_number": "scs-1",
            "next_battery_check_due": dt.date(2026, 9, 1),
        },
    )

    assert Device.objects.filter(patient=patient).count() == 1
    existing.refresh_from_db()
    assert (existing.model_name, existing.version, existing.implanted_on) == (
        "Intellis",
        2,
        dt.date(2026, 3, 16),
    )


def test_an_implant_without_its_serial_number_is_refused_and_nothing_is_recorded(
    clinician: User,
) -> None:
    plan = propose(
        clinician,
        procedure_type=procedure_type("Spinal cord stimulator implant"),
        stage="definitive",
        stage_override_reason="Trial elsewhere",
        planned_date=dt.date(2026, 3, 16),
    )
    plan = approve_and_schedule(plan, clinician)
    clear_review(plan, clinician)

    with pytest.raises(ValidationError):
        services.procedure_record(
            plan=plan,
            by=clinician,
            performed_at=NOW,
            performed_by=clinician,
            imaging_guidance="fluoroscopy",
            had_complications=False,
            device={"model_name": "Intellis", "serial_number": ""},
        )

    assert not ProcedureRecord.objects.exists()
    assert not FollowUp.objects.exists()
    assert not Reminder.objects.filter(kind="followup_due").exists()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SCHEDULED


def test_a_trial_creates_no_device(clinician: User) -> None:
    patient = make_patient(by=clinician)

    perform(
        clinician,
        patient,
        procedure_type=procedure_type("Dorsal root ganglion stimulation"),
        stage="trial",
    )

    assert not Device.objects.filter(patient=patient).exists()


def test_performed_procedures_are_on_the_patients_timeline(clinician: User) -> None:
    patient = make_patient(by=clinician)
    record = perform(clinician, patient)
    propose(clinician, patient)  # not performed: not on the timeline

    events = [event for event in timeline.events_for(patient) if event.kind == "procedure"]

    assert [(e.on, e.label) for e in events] == [(dt.date(2026, 3, 16), "Celiac plexus neurolysis")]
    assert events[0].link_url == reverse("procedures:plan-detail", args=[record.plan.code])
