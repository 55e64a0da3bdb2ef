"""The reminders of assessments: the PHQ-9 item 9 notice (delivered once, in-app and by email,
without clinical detail) and "reassessment due" after the clinic policy's interval."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from assessments import reminders, services
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.reminders import delivery, registry
from clinic.reminders import services as reminder_services
from clinic.reminders.models import Notification, Reminder, ReminderStatus
from clinic.reminders.rules import ReassessmentDue
from patients.models import ClinicPolicy, Patient
from tests.assessments.helpers import answers, record, record_pain
from tests.conftest import make_user
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC)


def deliver_due() -> None:
    """Dispatch and send what is due, as the beat and a worker would (sends are queued after
    the claim commits; the test's transaction never commits, so they are sent here)."""
    queued: list[list[int]] = []
    delivery.reminders_dispatch(queue_send=queued.append)
    claimed = Reminder.objects.filter(status=ReminderStatus.CLAIMED)
    delivery.reminders_deliver(reminder_ids=list(claimed.values_list("pk", flat=True)))


def test_the_kinds_are_registered() -> None:
    assert registry.get_kind("phq9_self_harm").template == "phq9-self-harm"
    assert registry.get_kind("reassessment_due").still_due is reminders.reassessment_still_due
    assert "reassessment_due" in registry.rules()


def test_the_self_harm_notice_reaches_the_primary_clinician_once(
    clinician: User, settings: object
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    primary = make_user(Role.CLINICIAN)
    patient = make_patient(by=clinician, primary_clinician=primary)
    record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=1)})

    deliver_due()
    deliver_due()

    notification = Notification.objects.get(recipient=primary)
    assert notification.urgent
    assert notification.title == "Urgent: a questionnaire answer needs your review today"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [primary.email]
    text = f"{message.subject}\n{message.body}"
    for detail in ("PHQ", "harm", "suicid", patient.family_name, patient.mrn):
        assert detail not in text


def test_no_notice_goes_out_for_an_assessment_marked_in_error_before_sending(
    clinician: User,
) -> None:
    patient = make_patient(by=clinician, primary_clinician=clinician)
    assessment = record(patient, by=clinician, instruments={"phq9": answers("phq9", q9=1)})
    Reminder.objects.filter(kind="phq9_self_harm").update(status=ReminderStatus.PENDING)
    # Marked in error directly (the service would also cancel the notice eagerly).
    assessment.entered_in_error_at = timezone.now()
    assessment.entered_in_error_by = clinician
    assessment.entered_in_error_reason = "Wrong patient"
    assessment.save()

    deliver_due()

    assert not Notification.objects.exists()
    assert Reminder.objects.get(kind="phq9_self_harm").status == ReminderStatus.CANCELLED


# --- reassessment due ----------------------------------------------------------------------------


@pytest.fixture
def now() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def overdue(moment: dt.datetime = NOW) -> dict[str, ReassessmentDue]:
    return {item.patient.family_name: item for item in reminders.patients_overdue(moment)}


def test_patients_whose_last_assessment_is_older_than_the_interval_are_due(
    now: object, clinician: User
) -> None:
    due = make_patient(by=clinician, family_name="Due", primary_clinician=clinician)
    record_pain(due, 5, at=NOW - dt.timedelta(days=28))
    recent = make_patient(by=clinician, family_name="Recent", primary_clinician=clinician)
    record_pain(recent, 5, at=NOW - dt.timedelta(days=27))
    no_clinician = make_patient(by=clinician, family_name="Nobody")
    record_pain(no_clinician, 5, at=NOW - dt.timedelta(days=60))
    gone = make_patient(
        by=clinician, family_name="Gone", primary_clinician=clinician, status="discharged"
    )
    record_pain(gone, 5, at=NOW - dt.timedelta(days=60))

    found = overdue()

    assert set(found) == {"Due"}
    item = found["Due"]
    assert item.recipient_id == clinician.pk
    assert item.last_assessed_on == dt.date(2026, 5, 18)
    assert item.due_on == dt.date(2026, 6, 15)
    assert item.link_url == f"/assessments/patient/{due.code}/new/"


def test_the_interval_comes_from_clinic_policy(now: object, clinician: User) -> None:
    ClinicPolicy.objects.update_or_create(
        singleton=True, defaults={"reassessment_interval_days": 7}
    )
    patient = make_patient(by=clinician, family_name="Weekly", primary_clinician=clinician)
    record_pain(patient, 5, at=NOW - dt.timedelta(days=8))

    assert set(overdue()) == {"Weekly"}


def test_an_entry_in_error_does_not_count_as_an_assessment(now: object, clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Mistake", primary_clinician=clinician)
    record_pain(patient, 5, at=NOW - dt.timedelta(days=40))
    wrong = record_pain(patient, 5, at=NOW - dt.timedelta(days=1))
    services.assessment_mark_in_error(by=clinician, assessment=wrong, reason="Typo")

    assert set(overdue()) == {"Mistake"}


def test_a_patient_never_assessed_is_due_an_interval_after_referral(
    now: object, clinician: User
) -> None:
    make_patient(
        by=clinician,
        family_name="Referred",
        primary_clinician=clinician,
        referral_date=dt.date(2026, 5, 1),
    )
    make_patient(
        by=clinician,
        family_name="JustReferred",
        primary_clinician=clinician,
        referral_date=dt.date(2026, 6, 10),
    )

    found = overdue()

    assert set(found) == {"Referred"}
    assert found["Referred"].last_assessed_on is None
    assert found["Referred"].due_on == dt.date(2026, 5, 29)


def test_the_rule_schedules_one_reminder_per_lapse(now: object, clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Due", primary_clinician=clinician)
    record_pain(patient, 5, at=NOW - dt.timedelta(days=30))

    reminder_services.rules_run(now=NOW)
    reminder_services.rules_run(now=NOW + dt.timedelta(hours=1))

    reminder = Reminder.objects.get(kind="reassessment_due")
    assert reminder.recipient == clinician
    assert reminder.dedupe_key == f"reassessment:{patient.code}:2026-05-16:{clinician.pk}"
    assert reminders.reassessment_still_due(reminder)


def test_a_new_assessment_ends_the_reminder(now: object, clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Due", primary_clinician=clinician)
    record_pain(patient, 5, at=NOW - dt.timedelta(days=30))
    reminder_services.rules_run(now=NOW)
    reminder = Reminder.objects.get(kind="reassessment_due")

    record_pain(patient, 4, at=NOW - dt.timedelta(hours=1))

    assert not reminders.reassessment_still_due(reminder)


def test_a_discharged_patient_is_no_longer_due(now: object, clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Due", primary_clinician=clinician)
    record_pain(patient, 5, at=NOW - dt.timedelta(days=30))
    reminder_services.rules_run(now=NOW)
    reminder = Reminder.objects.get(kind="reassessment_due")

    Patient.objects.filter(pk=patient.pk).update(status="discharged")

    assert not reminders.reassessment_still_due(reminder)


def test_a_never_assessed_reminder_ends_with_the_first_assessment(
    now: object, clinician: User
) -> None:
    patient = make_patient(
        by=clinician, primary_clinician=clinician, referral_date=dt.date(2026, 4, 1)
    )
    reminder_services.rules_run(now=NOW)
    reminder = Reminder.objects.get(kind="reassessment_due")
    assert reminder.data["last_assessed_on"] == "never"
    assert reminders.reassessment_still_due(reminder)

    record_pain(patient, 5, at=NOW - dt.timedelta(hours=2))

    assert not reminders.reassessment_still_due(reminder)
