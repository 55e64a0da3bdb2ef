"""Reminder emails: one template set per kind, a link into the app, and no clinical detail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from clinic.reminders import registry, rules
from clinic.reminders.emails import REMINDER_HEADER, notification_title, reminder_email
from clinic.reminders.kinds import DEVICE_BATTERY_CHECK_DUE, DEVICE_REFILL_DUE, REASSESSMENT_DUE
from clinic.reminders.models import Reminder
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_kind() -> Iterator[list[registry.ReminderKind]]:
    """Every registered kind, with those other apps plug in here registered as they will be."""
    with registry.isolated():
        names = {kind.name for kind in registry.kinds()}
        if REASSESSMENT_DUE not in names:
            rules.plug_reassessment(overdue=lambda now: [], still_due=lambda reminder: True)
        if DEVICE_REFILL_DUE not in names:
            rules.plug_device_checks(due_by=lambda day: [], still_due=lambda reminder: True)
        yield registry.kinds()


def reminder_of(kind: str, **extra: Any) -> Reminder:
    recipient = make_user(first_name="Clara", last_name="Nguyen", title="Dr")
    return Reminder(
        kind=kind,
        recipient=recipient,
        due_at=timezone.now(),
        dedupe_key="k",
        link_url="/patients/3f2a/",
        **extra,
    )


def test_every_kind_has_a_subject_a_text_and_an_html_email(
    every_kind: list[Any], settings: Any
) -> None:
    settings.SITE_URL = "https://pain.example.org"
    names = {kind.name for kind in every_kind}
    assert {
        REASSESSMENT_DUE,
        DEVICE_REFILL_DUE,
        DEVICE_BATTERY_CHECK_DUE,
        "notification",
        "test",
    } <= names

    for kind in every_kind:
        reminder = reminder_of(kind.name)
        message = reminder_email(reminder, kind)

        assert message.subject and "\n" not in message.subject, kind.name
        assert message.to == [reminder.recipient.email]
        assert "Hello Dr Clara Nguyen," in message.body
        assert "https://pain.example.org/patients/3f2a/" in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert 'href="https://pain.example.org/patients/3f2a/"' in html
        assert "no clinical details" in message.body


def test_an_email_names_its_reminder_and_keeps_one_message_id(settings: Any) -> None:
    settings.SITE_URL = "https://pain.example.org"
    reminder = reminder_of("test")
    kind = registry.get_kind("test")

    first, again = reminder_email(reminder, kind), reminder_email(reminder, kind)

    assert first.extra_headers[REMINDER_HEADER] == str(reminder.code)
    assert first.extra_headers["Message-ID"] == f"<reminder-{reminder.code}@pain.example.org>"
    assert again.extra_headers["Message-ID"] == first.extra_headers["Message-ID"]


def test_notify_words_never_reach_an_email_subject() -> None:
    # notify() titles may name a task in the app; emails of its kind stay generic.
    reminder = reminder_of("notification", title="PHQ-9 item 9 answered 'several days'")
    message = reminder_email(reminder, registry.get_kind("notification"))

    assert "PHQ-9" not in message.subject + message.body
    assert notification_title(reminder, registry.get_kind("notification")) == reminder.title


def test_a_reminder_without_a_link_points_to_the_inbox(settings: Any) -> None:
    settings.SITE_URL = "https://pain.example.org"
    reminder = reminder_of("test")
    reminder.link_url = ""

    message = reminder_email(reminder, registry.get_kind("test"))

    assert "https://pain.example.org/reminders/inbox/" in message.body


def test_subjects_are_not_html_escaped(settings: Any) -> None:
    settings.CLINIC_NAME = "Pain & Palliative"

    message = reminder_email(reminder_of("test"), registry.get_kind("test"))

    assert message.subject == "Pain & Palliative: Test reminder"
