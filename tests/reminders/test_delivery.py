"""Dispatching, sending and sweeping, in the test process (the real-worker tests are elsewhere)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.reminders import delivery, registry, tasks
from clinic.reminders.delivery import GroupPacer, Outcome
from clinic.reminders.emails import Mailer
from clinic.reminders.kinds import TEST
from clinic.reminders.models import Channel, Delivery, Notification, Reminder, ReminderStatus
from tests.conftest import make_user
from tests.reminders.conftest import make_reminder
from tests.reminders.kinds import FOLLOWUP

pytestmark = pytest.mark.django_db


class FailingBackend:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("the mail server hung up")


FAILING = f"{__name__}.FailingBackend"


@pytest.fixture
def recipient() -> Any:
    return make_user()


def claim(*reminders: Reminder) -> None:
    Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(
        status=ReminderStatus.CLAIMED, claimed_at=timezone.now()
    )


def send(*reminders: Reminder) -> dict[int, tuple[Outcome, float]]:
    return delivery.deliver_group([r.pk for r in reminders], mailer=Mailer())


def dispatch(capture: Any, **options: Any) -> list[list[int]]:
    queued: list[list[int]] = []
    with capture(execute=True):
        delivery.reminders_dispatch(queue_send=queued.append, **options)
    return queued


# --- Dispatching ---------------------------------------------------------------------------------


def test_dispatch_claims_due_pending_reminders_and_queues_them_after_commit(
    recipient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    due = make_reminder(recipient, due_at=timezone.now() - timedelta(minutes=5))
    later = make_reminder(recipient, due_at=timezone.now() + timedelta(minutes=5))
    cancelled = make_reminder(recipient)
    Reminder.objects.filter(pk=cancelled.pk).update(
        status=ReminderStatus.CANCELLED, cancelled_at=timezone.now()
    )
    queued: list[list[int]] = []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert delivery.reminders_dispatch(queue_send=queued.append) == 1
        assert queued == [], "queued before the claim committed"
    for callback in callbacks:
        callback()

    assert queued == [[due.pk]]
    states = dict(Reminder.objects.values_list("pk", "status"))
    assert states[due.pk] == ReminderStatus.CLAIMED
    assert states[later.pk] == ReminderStatus.PENDING
    assert Reminder.objects.get(pk=due.pk).claimed_at is not None


def test_dispatch_claims_in_due_order_in_batches_and_queues_send_batches(
    recipient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    reminders = [make_reminder(recipient, due_at=now - timedelta(minutes=n)) for n in range(5)]

    queued = dispatch(django_capture_on_commit_callbacks, batch=3, send_batch=2)

    oldest_first = [r.pk for r in reversed(reminders)]
    assert queued == [oldest_first[0:2], oldest_first[2:3], oldest_first[3:5]]
    assert dispatch(django_capture_on_commit_callbacks) == []


def test_a_broker_failure_hands_unqueued_claims_back_to_pending(
    recipient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    reminders = [make_reminder(recipient) for _ in range(4)]
    queued: list[list[int]] = []

    def flaky_broker(ids: list[int]) -> None:
        if queued:
            raise ConnectionError("Redis went away")
        queued.append(ids)

    with (
        pytest.raises(delivery.BrokerUnavailable),
        django_capture_on_commit_callbacks(execute=True),
    ):
        delivery.reminders_dispatch(queue_send=flaky_broker, send_batch=2)

    states = dict(Reminder.objects.values_list("pk", "status"))
    assert [states[r.pk] for r in reminders] == ["claimed", "claimed", "pending", "pending"]


# --- Sending -------------------------------------------------------------------------------------


def test_a_claimed_reminder_is_emailed_and_notified_once(recipient: Any) -> None:
    reminder = make_reminder(recipient, link_url="/patients/abc/", urgent=True)
    claim(reminder)

    assert send(reminder) == {reminder.pk: (Outcome.SENT, 0.0)}
    assert send(reminder) == {reminder.pk: (Outcome.SKIPPED, 0.0)}

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SENT, 1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [recipient.email]
    notification = Notification.objects.get()
    assert (notification.recipient, notification.link_url) == (recipient, "/patients/abc/")
    assert notification.urgent
    assert notification.title == "Test reminder"
    assert notification.body == "A test of the clinic's reminders; there is nothing to do."
    assert mail.outbox[0].subject == "Cancer Pain Clinic: Test reminder"
    assert sorted(reminder.deliveries.values_list("channel", flat=True)) == ["email", "in_app"]


@pytest.mark.parametrize(
    ("channel", "emails", "notifications"), [("email", 1, 0), ("in_app", 0, 1)]
)
def test_each_channel_delivers_only_itself(
    recipient: Any, channel: str, emails: int, notifications: int
) -> None:
    reminder = make_reminder(recipient, channel=channel)
    claim(reminder)

    send(reminder)

    assert len(mail.outbox) == emails
    assert Notification.objects.count() == notifications
    assert list(reminder.deliveries.values_list("channel", flat=True)) == [channel]


def test_a_reminder_not_claimed_is_not_sent(recipient: Any) -> None:
    pending = make_reminder(recipient)

    assert send(pending) == {pending.pk: (Outcome.SKIPPED, 0.0)}
    assert not mail.outbox
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == (ReminderStatus.PENDING, 0)


def test_a_reminder_no_longer_due_is_cancelled_not_sent(recipient: Any) -> None:
    followup = make_user()
    reminder = make_reminder(recipient, kind=FOLLOWUP, subject=followup)
    claim(reminder)
    followup.is_active = False  # "the follow-up was done"
    followup.save()

    assert send(reminder) == {reminder.pk: (Outcome.CANCELLED, 0.0)}

    reminder.refresh_from_db()
    assert (reminder.status, reminder.cancel_reason) == (ReminderStatus.CANCELLED, "No longer due.")
    assert not mail.outbox
    assert not Delivery.objects.exists()


def test_a_reminder_for_someone_who_left_is_cancelled() -> None:
    reminder = make_reminder(make_user(is_active=False))
    claim(reminder)

    assert send(reminder)[reminder.pk][0] is Outcome.CANCELLED
    assert not mail.outbox


@pytest.fixture
def broken_kind() -> Iterator[str]:
    def still_due(reminder: Reminder) -> bool:
        Reminder.objects.raw("SELECT * FROM no_such_table")[0]  # a failing query of its owner
        return True

    registry.register_kind("broken_check", label="Broken", still_due=still_due)
    yield "broken_check"
    registry.unregister_kind("broken_check")


def test_a_failing_still_due_check_is_a_failed_attempt_of_that_reminder_only(
    recipient: Any, broken_kind: str
) -> None:
    broken = make_reminder(recipient, kind=broken_kind)
    fine = make_reminder(recipient)
    claim(broken, fine)

    results = send(broken, fine)

    assert results[broken.pk][0] is Outcome.RETRY
    assert results[fine.pk][0] is Outcome.SENT
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (ReminderStatus.CLAIMED, 1)
    assert "no_such_table" in broken.last_error
    assert len(mail.outbox) == 1


def test_an_unknown_kind_at_send_time_fails_visibly(recipient: Any) -> None:
    reminder = make_reminder(recipient)
    Reminder.objects.filter(pk=reminder.pk).update(kind="removed_kind")
    claim(reminder)

    assert send(reminder)[reminder.pk][0] is Outcome.RETRY

    reminder.refresh_from_db()
    assert reminder.last_error == "UnknownKind: No app registers the reminder kind 'removed_kind'."


def test_an_email_failure_keeps_the_in_app_notification_and_retries_only_the_email(
    recipient: Any, settings: Any
) -> None:
    reminder = make_reminder(recipient)
    claim(reminder)
    settings.EMAIL_BACKEND = FAILING

    outcome, delay = send(reminder)[reminder.pk]

    assert outcome is Outcome.RETRY
    assert delay > 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.CLAIMED, 1)
    assert reminder.sent_at is None
    assert "SMTPServerDisconnected: the mail server hung up" in reminder.last_error
    assert list(reminder.deliveries.values_list("channel", flat=True)) == ["in_app"]

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send(reminder)[reminder.pk][0] is Outcome.SENT

    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SENT, 2)


def test_failures_end_in_failed_at_the_bound(recipient: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = FAILING
    settings.REMINDERS_MAX_ATTEMPTS = 2
    reminder = make_reminder(recipient, channel=Channel.EMAIL)
    claim(reminder)

    assert send(reminder)[reminder.pk][0] is Outcome.RETRY
    assert send(reminder)[reminder.pk] == (Outcome.FAILED, 0.0)
    assert send(reminder)[reminder.pk] == (Outcome.SKIPPED, 0.0)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 2)
    assert reminder.claimed_at is None


def test_a_reminder_that_kills_its_worker_every_time_ends_failed(
    recipient: Any, settings: Any
) -> None:
    settings.REMINDERS_MAX_ATTEMPTS = 3
    reminder = make_reminder(recipient)
    claim(reminder)
    # Three attempts were counted, and each time the worker died before recording an outcome.
    Reminder.objects.filter(pk=reminder.pk).update(attempts=3)

    assert send(reminder)[reminder.pk][0] is Outcome.FAILED

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.last_error.startswith("WorkerStopped")
    assert not mail.outbox


def test_a_second_delivery_record_for_a_channel_is_impossible(recipient: Any) -> None:
    reminder = make_reminder(recipient)
    Delivery.objects.create(reminder=reminder, channel="email", delivered_at=timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(reminder=reminder, channel="email", delivered_at=timezone.now())


def test_a_group_whose_delivery_rows_clash_rolls_back_before_sending(
    recipient: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reminder = make_reminder(recipient)
    claim(reminder)
    Delivery.objects.create(reminder=reminder, channel="email", delivered_at=timezone.now())
    # As if the lock had read the delivery rows before another sender committed them.
    real_lock = delivery._lock_claimed

    def stale_lock(ids: Any) -> list[Reminder]:
        locked = real_lock(ids)
        for row in locked:
            row.delivered = []
        return locked

    monkeypatch.setattr(delivery, "_lock_claimed", stale_lock)

    assert send(reminder)[reminder.pk][0] is Outcome.RETRY

    assert not mail.outbox
    assert not Notification.objects.exists()
    reminder.refresh_from_db()
    assert "IntegrityError" in reminder.last_error


def test_retry_delays_grow_exponentially_with_jitter_up_to_a_cap(settings: Any) -> None:
    settings.REMINDERS_RETRY_BACKOFF_SECONDS = 10
    settings.REMINDERS_RETRY_BACKOFF_MAX_SECONDS = 60

    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (4, 60), (9, 60)):
        delays = {delivery.retry_delay(attempts) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1, "no jitter"


def test_the_pacer_keeps_the_sending_window_short(settings: Any) -> None:
    settings.REMINDERS_EMAIL_WINDOW_SECONDS = 0.05
    settings.REMINDERS_GROUP_MAX = 50
    pacer = GroupPacer()
    assert pacer.size == 1

    pacer.record(emails=1, seconds=0.0005)  # a file outbox
    assert pacer.size == 50
    pacer.record(emails=50, seconds=0.1)  # 2 ms an email
    assert pacer.size == 25
    pacer.record(emails=25, seconds=2.5)  # an SMTP server: every reminder commits alone
    assert pacer.size == 1
    pacer.record(emails=0, seconds=0.01)  # in-app only: nothing leaves the database
    assert pacer.size == 50


def test_deliver_sends_a_batch_in_growing_groups(
    recipient: Any, django_assert_max_num_queries: Any
) -> None:
    reminders = [make_reminder(recipient) for _ in range(60)]
    claim(*reminders)

    with django_assert_max_num_queries(40):
        report = delivery.reminders_deliver(reminder_ids=[r.pk for r in reminders])

    assert report.counts() == {"sent": 60}
    assert len(mail.outbox) == 60
    assert Notification.objects.count() == 60


def test_deliver_leaves_what_is_past_its_time_budget_to_a_new_task(recipient: Any) -> None:
    reminders = [make_reminder(recipient) for _ in range(3)]
    claim(*reminders)

    report = delivery.reminders_deliver(reminder_ids=[r.pk for r in reminders], time_budget=-1)

    assert report.unprocessed == [r.pk for r in reminders]
    assert not mail.outbox


# --- Sweeping ------------------------------------------------------------------------------------


def test_the_sweeper_returns_claims_older_than_the_timeout(recipient: Any, settings: Any) -> None:
    settings.REMINDERS_CLAIM_TIMEOUT_SECONDS = 600
    stale, fresh = make_reminder(recipient), make_reminder(recipient)
    with time_machine.travel(timezone.now() - timedelta(minutes=11)):
        claim(stale)
    claim(fresh)

    assert delivery.reminders_release_stale() == 1

    stale.refresh_from_db()
    assert (stale.status, stale.claimed_at, stale.attempts) == (ReminderStatus.PENDING, None, 0)
    fresh.refresh_from_db()
    assert fresh.status == ReminderStatus.CLAIMED


# --- Tasks ---------------------------------------------------------------------------------------


def test_the_send_task_queues_a_retry_alone_with_its_backoff(
    recipient: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EMAIL_BACKEND = FAILING
    failing = make_reminder(recipient, channel=Channel.EMAIL)
    fine = make_reminder(recipient, channel=Channel.IN_APP)
    claim(failing, fine)
    queued: list[tuple[Any, float]] = []
    monkeypatch.setattr(
        tasks.send_reminders,
        "apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )

    result = tasks.send_reminders.run([failing.pk, fine.pk])

    assert result == {"retry": 1, "sent": 1}
    assert [args for args, _ in queued] == [([failing.pk],)]
    assert queued[0][1] > 0


def test_the_dispatch_task_queues_send_tasks(
    recipient: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    reminder = make_reminder(recipient)
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.send_reminders, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due_reminders.run() == 1

    assert queued == [[reminder.pk]]


def test_the_test_kind_is_registered() -> None:
    assert registry.get_kind(TEST).template == "test"
