"""Management commands: a test reminder for `make run`, and the benchmark's safety catch."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinic.reminders.kinds import TEST
from clinic.reminders.models import Reminder
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_schedule_test_reminder_schedules_one_for_a_staff_member(settings: Any) -> None:
    settings.DEBUG = True
    person = make_user(username="clara")
    out = StringIO()

    call_command("schedule_test_reminder", "--username", "CLARA", "--in", "60", stdout=out)

    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.recipient, reminder.channel) == (TEST, person, "both")
    assert timedelta(seconds=55) < reminder.due_at - timezone.now() <= timedelta(seconds=60)
    assert str(reminder.code) in out.getvalue()


def test_schedule_test_reminder_needs_debug_and_a_known_person(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("schedule_test_reminder", "--username", "clara")

    settings.DEBUG = True
    with pytest.raises(CommandError, match="No staff member"):
        call_command("schedule_test_reminder", "--username", "nobody")


def test_the_benchmark_refuses_to_run_without_debug(settings: Any) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="scratch database"):
        call_command("bench_reminders", "--count", "1")
