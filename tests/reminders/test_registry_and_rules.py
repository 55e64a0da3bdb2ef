"""The registry of kinds and rules, and the rules other apps plug in (with test-only sources)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from clinic.reminders import delivery, registry, rules, services
from clinic.reminders.checks import reminder_templates_exist
from clinic.reminders.emails import Mailer
from clinic.reminders.kinds import (
    DEVICE_BATTERY_CHECK_DUE,
    DEVICE_REFILL_DUE,
    REASSESSMENT_DUE,
    TEST,
)
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.registry import ReminderRequest
from tests.conftest import make_user

# A Wednesday, 10:00 in the clinic's time zone.
NOW = timezone.make_aware(datetime(2025, 3, 12, 10, 0))
TODAY = date(2025, 3, 12)


@pytest.fixture(autouse=True)
def forget_test_registrations() -> Iterator[None]:
    with registry.isolated():
        yield


def only_test_rules(*kinds: str) -> None:
    """Set aside the rules other apps registered, and the kinds a test plugs itself."""
    for name in registry.rules():
        registry.unregister_rule(name)
    for kind in kinds:
        registry.unregister_kind(kind)


# --- The registry --------------------------------------------------------------------------------


def always(reminder: Any) -> bool:
    return True


def test_registering_a_kind_twice_the_same_way_is_harmless() -> None:
    first = registry.register_kind("test_kind", label="Test", still_due=always)
    second = registry.register_kind("test_kind", label="Test", still_due=always)

    assert first == second
    assert registry.get_kind("test_kind").still_due is always


def test_two_apps_cannot_claim_one_kind_differently() -> None:
    registry.register_kind("test_kind", label="Test")

    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.register_kind("test_kind", label="Something else")


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(registry.UnknownKind):
        registry.get_kind("never_registered")


def test_a_rule_name_is_taken_once() -> None:
    def rule(now: Any) -> list[ReminderRequest]:
        return []

    registry.register_rule("test_rule", rule)
    registry.register_rule("test_rule", rule)
    with pytest.raises(ImproperlyConfigured):
        registry.register_rule("test_rule", lambda now: [])


def test_a_kind_without_its_email_templates_fails_the_system_check() -> None:
    assert reminder_templates_exist() == []

    registry.register_kind("test_kind", label="Test", template="missing")

    errors = reminder_templates_exist()
    assert [error.id for error in errors] == ["reminders.E001"] * 3
    assert "emails/reminder-missing-subject.txt" in errors[0].msg


# --- Running rules -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rules_create_reminders_idempotently_and_one_failing_rule_stops_no_other() -> None:
    person = make_user()

    def nightly(now: Any) -> list[ReminderRequest]:
        return [
            ReminderRequest(
                kind=TEST,
                dedupe_key=f"nightly:{person.code}:{now.date()}",
                due_at=now,
                recipient_id=person.pk,
            )
        ]

    def broken(now: Any) -> list[ReminderRequest]:
        raise RuntimeError("the owner's query failed")

    only_test_rules()
    registry.register_rule("test_broken", broken)
    registry.register_rule("test_nightly", nightly)

    assert services.rules_run(now=NOW) == {"test_broken": -1, "test_nightly": 1}
    assert services.rules_run(now=NOW) == {"test_broken": -1, "test_nightly": 0}
    assert Reminder.objects.filter(kind=TEST).count() == 1


# --- Reassessment due ----------------------------------------------------------------------------


@dataclass
class Overdue:
    """What the assessments app will know: who is due, and since when."""

    items: list[rules.ReassessmentDue]

    def __call__(self, now: Any) -> list[rules.ReassessmentDue]:
        return self.items


@pytest.mark.django_db
def test_the_reassessment_rule_reminds_once_per_lapse_and_stops_once_assessed() -> None:
    clinician, patient, not_yet_due = make_user(), make_user(), make_user()
    source = Overdue(
        [
            rules.ReassessmentDue(
                patient=patient,
                recipient_id=clinician.pk,
                last_assessed_on=date(2025, 1, 10),
                due_on=date(2025, 3, 10),
                link_url="/patients/p/",
            ),
            rules.ReassessmentDue(
                patient=not_yet_due,
                recipient_id=clinician.pk,
                last_assessed_on=None,
                due_on=date(2025, 3, 20),
                link_url="/patients/q/",
            ),
        ]
    )
    assessed_since: set[Any] = set()

    def still_due(reminder: Reminder) -> bool:
        return reminder.subject_code not in assessed_since

    only_test_rules(REASSESSMENT_DUE)
    rules.plug_reassessment(overdue=source, still_due=still_due)

    with time_machine.travel(NOW, tick=False):
        assert services.rules_run() == {REASSESSMENT_DUE: 1}
        assert services.rules_run() == {REASSESSMENT_DUE: 0}

    reminder = Reminder.objects.get(kind=REASSESSMENT_DUE)
    assert reminder.subject_code == patient.code
    assert reminder.recipient == clinician
    assert reminder.due_at == NOW  # overdue since Monday: due now, not in the past
    assert reminder.link_url == "/patients/p/"
    assert reminder.dedupe_key == f"reassessment:{patient.code}:2025-01-10:{clinician.pk}"
    assert rules.reminder_date(reminder) == date(2025, 3, 10)

    # An assessment is recorded before the reminder goes out: the owner's check cancels it.
    assessed_since.add(patient.code)
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.CLAIMED, claimed_at=NOW)
    outcome = delivery.deliver_group([reminder.pk], mailer=Mailer())
    assert outcome[reminder.pk][0] is delivery.Outcome.CANCELLED


def test_a_reassessment_due_today_waits_for_the_morning() -> None:
    early = timezone.make_aware(datetime(2025, 3, 12, 6, 0))
    item = rules.ReassessmentDue(
        patient=type("P", (), {"code": "c"})(),
        recipient_id=1,
        last_assessed_on=None,
        due_on=TODAY,
        link_url="/",
    )

    (request,) = rules.reassessment_requests([item], now=early)

    assert request.due_at == rules.morning_of(TODAY)
    assert request.dedupe_key == "reassessment:c:never:1"


# --- Implanted device checks ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_device_rule_reminds_a_week_ahead_and_a_moved_refill_replaces_the_reminder() -> None:
    clinician = make_user()
    pump, stimulator = make_user(), make_user()  # stand in for device records: models with a code
    refill_on = {pump.code: date(2025, 3, 18), stimulator.code: date(2025, 4, 30)}

    def due_by(day: date) -> list[rules.DeviceCheck]:
        return [
            rules.DeviceCheck(
                device=device,
                check=rules.REFILL,
                due_on=refill_on[device.code],
                recipient_id=clinician.pk,
                link_url="/patients/p/devices/",
            )
            for device in (pump, stimulator)
            if refill_on[device.code] <= day
        ]

    def still_due(reminder: Reminder) -> bool:
        # The owner compares the device's current date with the one reminded about.
        return refill_on.get(reminder.subject_code) == rules.reminder_date(reminder)

    only_test_rules(DEVICE_REFILL_DUE, DEVICE_BATTERY_CHECK_DUE)
    rules.plug_device_checks(due_by=due_by, still_due=still_due)
    with time_machine.travel(NOW, tick=False):
        assert services.rules_run() == {"device_checks": 1}
        assert services.rules_run() == {"device_checks": 0}

    reminder = Reminder.objects.get(kind=DEVICE_REFILL_DUE)
    assert reminder.subject_code == pump.code
    assert reminder.due_at == NOW  # a week ahead of 18 March was yesterday
    assert reminder.dedupe_key == f"device-refill:{pump.code}:2025-03-18:{clinician.pk}"
    assert registry.get_kind(DEVICE_BATTERY_CHECK_DUE).template == "device-battery-check-due"

    refill_on[pump.code] = date(2025, 3, 25)  # the refill was moved
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.CLAIMED, claimed_at=NOW)
    outcome = delivery.deliver_group([reminder.pk], mailer=Mailer())
    assert outcome[reminder.pk][0] is delivery.Outcome.CANCELLED
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        assert services.rules_run() == {"device_checks": 1}
    assert rules.reminder_date(Reminder.objects.get(status=ReminderStatus.PENDING)) == date(
        2025, 3, 25
    )


def test_device_checks_further_than_the_lead_wait() -> None:
    far = rules.DeviceCheck(
        device=type("D", (), {"code": "d"})(),
        check=rules.BATTERY,
        due_on=TODAY + timedelta(days=8),
        recipient_id=1,
        link_url="/",
    )
    near = rules.DeviceCheck(
        device=far.device,
        check=rules.BATTERY,
        due_on=TODAY + timedelta(days=7),
        recipient_id=1,
        link_url="/",
    )

    requests = list(rules.device_check_requests([far, near], now=NOW))

    assert [request.kind for request in requests] == [DEVICE_BATTERY_CHECK_DUE]
    assert requests[0].data == {"due_on": (TODAY + timedelta(days=7)).isoformat()}


def test_an_unknown_device_check_is_an_error() -> None:
    odd = rules.DeviceCheck(device=None, check="oil", due_on=TODAY, recipient_id=1, link_url="/")

    with pytest.raises(ValueError, match="oil"):
        list(rules.device_check_requests([odd], now=NOW))
