"""Scheduling, cancelling and retrying reminders, and notify()."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.reminders import services
from clinic.reminders.kinds import NOTIFICATION, TEST
from clinic.reminders.models import Channel, Reminder, ReminderStatus
from clinic.reminders.registry import ReminderRequest
from clinic.reminders.services import ReminderError
from tests.conftest import make_user
from tests.reminders.conftest import make_reminder

pytestmark = pytest.mark.django_db


def schedule(**overrides: Any) -> Reminder:
    values: dict[str, Any] = {
        "kind": TEST,
        "dedupe_key": "followup:1",
        "due_at": timezone.now() + timedelta(days=1),
        "recipient": make_user(),
        "link_url": "/patients/x/",
    }
    values.update(overrides)
    return services.reminder_schedule(**values)


def test_it_schedules_a_pending_reminder_about_a_record() -> None:
    subject = make_user()
    reminder = schedule(subject=subject, urgent=True, data={"due_on": "2025-01-02"})

    assert reminder.status == ReminderStatus.PENDING
    assert reminder.channel == Channel.BOTH
    assert reminder.subject_type.model_class().__name__ == "User"
    assert reminder.subject_code == subject.code
    assert reminder.urgent
    assert reminder.data == {"due_on": "2025-01-02"}
    assert reminder.events.filter(pgh_label="insert").count() == 1


def test_scheduling_the_same_key_twice_keeps_the_first_reminder() -> None:
    first = schedule()
    second = schedule(due_at=timezone.now() + timedelta(days=9))

    assert second.pk == first.pk
    assert second.due_at == first.due_at
    assert Reminder.objects.count() == 1


def test_a_cancelled_key_is_not_scheduled_again() -> None:
    first = schedule()
    services.reminder_cancel(reminder=first, reason="Done early")

    again = schedule()

    assert again.pk == first.pk
    assert again.status == ReminderStatus.CANCELLED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "no_such_kind"}, "Unknown kind of reminder"),
        ({"dedupe_key": ""}, "needs a dedupe key"),
        ({"due_at": datetime(2030, 1, 1)}, "needs a time zone"),  # naive on purpose
        ({"link_url": "https://elsewhere.example/"}, "path inside the app"),
        ({"link_url": "//elsewhere.example/"}, "path inside the app"),
        ({"recipient": None}, "needs a recipient"),
        ({"recipient": None, "recipient_contact": "pat@example.org"}, "Only staff members"),
        ({"channel": "pigeon"}, "pigeon"),
    ],
)
def test_it_refuses_a_reminder_that_breaks_a_rule(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ReminderError, match=message):
        schedule(**overrides)
    assert not Reminder.objects.exists()


def test_a_patient_contact_gets_email_only() -> None:
    reminder = schedule(recipient=None, recipient_contact="pat@example.org", channel=Channel.EMAIL)

    assert reminder.email_address == "pat@example.org"
    assert reminder.delivery_channels == ("email",)


def test_a_subject_needs_a_code() -> None:
    with pytest.raises(ReminderError, match="with a code"):
        schedule(subject=object())


def test_schedule_many_counts_only_new_reminders() -> None:
    recipient = make_user()
    now = timezone.now()
    requests = [
        ReminderRequest(kind=TEST, dedupe_key=f"many:{n}", due_at=now, recipient_id=recipient.pk)
        for n in range(5)
    ]

    assert services.reminders_schedule_many(requests[:3], chunk=2) == 3
    assert services.reminders_schedule_many(requests, chunk=2) == 2
    assert Reminder.objects.count() == 5


def test_the_database_keeps_one_reminder_per_key_and_an_inbox_only_for_staff() -> None:
    schedule()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            kind=TEST,
            dedupe_key="followup:1",
            due_at=timezone.now(),
            recipient_contact="a@b.c",
            channel=Channel.EMAIL,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            kind=TEST,
            dedupe_key="x",
            due_at=timezone.now(),
            recipient_contact="a@b.c",
            channel=Channel.IN_APP,
        )


def test_notify_puts_an_item_in_the_inbox_now_and_asks_for_an_early_dispatch(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(services.current_app, "send_task", lambda name, **kw: sent.append(name))
    person = make_user()

    with django_capture_on_commit_callbacks(execute=True):
        reminder = services.notify(
            recipient=person,
            title="A questionnaire answer needs your review",
            body="Open the chart to see it.",
            link_url="/patients/abc/",
            urgent=True,
            dedupe_key="phq9:abc:1",
        )
        again = services.notify(recipient=person, title="Other", dedupe_key="phq9:abc:1")

    assert again.pk == reminder.pk
    assert reminder.kind == NOTIFICATION
    assert reminder.channel == Channel.IN_APP
    assert reminder.due_at <= timezone.now()
    assert (reminder.title, reminder.urgent) == ("A questionnaire answer needs your review", True)
    assert sent == [services.DISPATCH_TASK, services.DISPATCH_TASK]


def test_an_unreachable_broker_does_not_break_notify(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str, **kwargs: Any) -> None:
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr(services.current_app, "send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        reminder = services.notify(recipient=make_user(), title="Hello", dedupe_key="k")

    assert reminder.status == ReminderStatus.PENDING  # the beat's next dispatch sends it


def test_cancelling_records_who_why_and_when_in_the_history() -> None:
    reminder = schedule()

    services.reminder_cancel(reminder=reminder, reason="  Follow-up done by phone  ")

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED
    assert reminder.cancel_reason == "Follow-up done by phone"
    assert reminder.cancelled_at is not None
    assert reminder.events.filter(status=ReminderStatus.CANCELLED).count() == 1


@pytest.mark.parametrize("status", [ReminderStatus.SENT, ReminderStatus.FAILED])
def test_only_a_reminder_not_yet_sent_can_be_cancelled(status: str) -> None:
    reminder = schedule()
    Reminder.objects.filter(pk=reminder.pk).update(status=status, sent_at=timezone.now())

    with pytest.raises(ReminderError, match="only one not yet sent"):
        services.reminder_cancel(reminder=reminder, reason="Too late")


def test_cancelling_needs_a_reason() -> None:
    with pytest.raises(ReminderError, match="Say why"):
        services.reminder_cancel(reminder=schedule(), reason="  ")


def test_cancelling_everything_about_a_record_leaves_sent_and_other_reminders() -> None:
    subject, other = make_user(), make_user()
    recipient = make_user()
    pending = make_reminder(recipient, subject=subject)
    claimed = make_reminder(recipient, subject=subject)
    Reminder.objects.filter(pk=claimed.pk).update(
        status=ReminderStatus.CLAIMED, claimed_at=timezone.now()
    )
    sent = make_reminder(recipient, subject=subject)
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT, sent_at=timezone.now())
    unrelated = make_reminder(recipient, subject=other)

    assert services.reminders_cancel_about(subject=subject, reason="Follow-up done") == 2

    states = dict(Reminder.objects.values_list("pk", "status"))
    assert states == {
        pending.pk: ReminderStatus.CANCELLED,
        claimed.pk: ReminderStatus.CANCELLED,
        sent.pk: ReminderStatus.SENT,
        unrelated.pk: ReminderStatus.PENDING,
    }


def test_retrying_a_failed_reminder_gives_it_fresh_attempts(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.current_app, "send_task", lambda name, **kw: None)
    reminder = schedule()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.FAILED, attempts=5, last_error="boom"
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.reminder_retry(reminder=reminder)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, 0)
    assert reminder.last_error == "boom"  # kept until a later attempt says otherwise
    assert len(callbacks) == 1


def test_only_a_failed_reminder_can_be_retried() -> None:
    with pytest.raises(ReminderError, match="only a failed one"):
        services.reminder_retry(reminder=schedule())
