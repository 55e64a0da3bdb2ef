"""Delivery through real Celery workers, a real Redis and the test PostgreSQL: exactly once.

Each test starts its own Redis and workers (never the machine's services) and kills them at the
end. The tests commit for real (transaction=True) so that the workers see the rows.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clinic.reminders import delivery
from clinic.reminders.models import Channel, Delivery, Notification, Reminder, ReminderStatus
from clinic.reminders.services import reminder_cancel
from tests.conftest import make_user
from tests.reminders.conftest import DISPATCH, SEND, SWEEP, Stack, make_reminder
from tests.reminders.harness import wait_idle, wait_until
from tests.reminders.kinds import FOLLOWUP

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BACKENDS = "tests.reminders.email_backends"


def statuses(reminders: list[Reminder]) -> dict[str, int]:
    found = Reminder.objects.filter(pk__in=[r.pk for r in reminders]).values_list("status")
    counts: dict[str, int] = {}
    for (status,) in found:
        counts[status] = counts.get(status, 0) + 1
    return counts


def all_sent(reminders: list[Reminder]) -> bool:
    return statuses(reminders) == {ReminderStatus.SENT: len(reminders)}


def assert_delivered_exactly_once(stack: Stack, reminders: list[Reminder]) -> None:
    emails = stack.emails()
    assert sorted(emails) == sorted(str(r.code) for r in reminders)
    assert set(emails.values()) == {1}, "a reminder was emailed twice"
    assert Notification.objects.filter(reminder__in=reminders).count() == len(reminders)
    assert Delivery.objects.filter(reminder__in=reminders).count() == 2 * len(reminders)


def test_a_due_reminder_is_delivered_once_and_a_later_one_waits(stack: Stack) -> None:
    recipient = make_user()
    due = make_reminder(recipient)
    later = make_reminder(recipient, due_at=timezone.now() + timedelta(hours=1))
    worker = stack.worker("one")

    stack.send(DISPATCH)
    wait_until(lambda: all_sent([due]), timeout=30, what="the reminder to be sent")
    # What Celery may do any time: run the dispatcher again, redeliver the send task.
    stack.send(DISPATCH)
    stack.send(SEND, [due.pk])
    stack.send(SEND, [due.pk, later.pk])
    wait_idle([worker], stack.redis)

    assert_delivered_exactly_once(stack, [due])
    due.refresh_from_db()
    assert due.attempts == 1
    assert due.sent_at is not None
    later.refresh_from_db()
    assert later.status == ReminderStatus.PENDING
    notification = Notification.objects.get(reminder=due)
    assert notification.recipient == recipient
    assert notification.read_at is None


def test_two_workers_and_two_dispatchers_deliver_each_reminder_exactly_once(stack: Stack) -> None:
    recipients = [make_user() for _ in range(10)]
    reminders = [make_reminder(recipients[n % 10]) for n in range(300)]
    workers = [stack.worker(name, TEST_SEND_BATCH="5") for name in ("left", "right")]
    start = threading.Barrier(2)
    claimed: list[int] = []

    def dispatcher() -> None:
        try:
            start.wait()
            claimed.append(
                delivery.reminders_dispatch(
                    queue_send=lambda ids: stack.send(SEND, ids), batch=7, send_batch=5
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    # Meanwhile, a duplicate of every send, as a redelivering broker would make.
    for start_at in range(0, 300, 20):
        stack.send(SEND, [r.pk for r in reminders[start_at : start_at + 20]])
    for thread in threads:
        thread.join(timeout=60)

    assert sum(claimed) == 300, "the dispatchers claimed a reminder twice, or missed one"
    assert all(claimed), "one dispatcher claimed nothing: they did not race"
    wait_until(lambda: all_sent(reminders), timeout=60, what="every reminder to be sent")
    wait_idle(workers, stack.redis)
    assert_delivered_exactly_once(stack, reminders)
    assert all(worker.results(SEND) for worker in workers), "one worker sent nothing"


def test_a_worker_killed_mid_send_delivers_exactly_once_after_the_sweep(stack: Stack) -> None:
    reminder = make_reminder(make_user())
    marker = stack.folder / "sending"
    first = stack.worker(
        "doomed", TEST_EMAIL_BACKEND=f"{BACKENDS}.SlowFirstBackend", TEST_SLOW_MARKER=str(marker)
    )

    stack.send(DISPATCH)
    wait_until(marker.exists, timeout=30, what="the worker to start sending")
    first.kill()

    # The send's transaction died with the worker: nothing of it was kept but the attempt.
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.CLAIMED, 1)
    assert not Delivery.objects.filter(reminder=reminder).exists()
    assert not Notification.objects.filter(reminder=reminder).exists()
    assert stack.emails() == {}

    # Recovery, as the beat does it: the sweeper returns the stale claim, the dispatcher resends.
    second = stack.worker("heir", TEST_CLAIM_TIMEOUT="0.5")
    stack.send(SWEEP)
    stack.send(DISPATCH)
    wait_until(lambda: all_sent([reminder]), timeout=30, what="the reminder to be sent")
    wait_idle([second], stack.redis)
    assert_delivered_exactly_once(stack, [reminder])
    reminder.refresh_from_db()
    assert reminder.attempts == 2


def test_a_killed_pool_process_is_redelivered_and_sends_exactly_once(stack: Stack) -> None:
    reminder = make_reminder(make_user())
    marker = stack.folder / "sending"
    worker = stack.worker(
        "prefork",
        pool="prefork",
        TEST_EMAIL_BACKEND=f"{BACKENDS}.SlowFirstBackend",
        TEST_SLOW_MARKER=str(marker),
    )

    stack.send(DISPATCH)
    wait_until(marker.exists, timeout=30, what="the pool process to start sending")
    os.kill(int(marker.read_text()), signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the broker hands the task to the new pool process.
    wait_until(lambda: all_sent([reminder]), timeout=30, what="the redelivered send")
    wait_idle([worker], stack.redis)
    assert_delivered_exactly_once(stack, [reminder])
    assert "WorkerLostError" in worker.log()


def test_a_redis_restart_while_sending_loses_nothing(stack: Stack) -> None:
    recipient = make_user()
    reminders = [make_reminder(recipient) for _ in range(150)]
    worker = stack.worker(
        "steady",
        TEST_EMAIL_BACKEND=f"{BACKENDS}.SteadyBackend",
        TEST_EMAIL_DELAY="0.02",
        TEST_DISPATCH_BATCH="10",
        TEST_SEND_BATCH="5",
        TEST_CLAIM_TIMEOUT="1",
    )

    stack.send(DISPATCH)
    wait_until(lambda: len(stack.emails()) >= 20, timeout=30, what="sending to be under way")
    # Redis dies with the queued send tasks (it keeps nothing on disk) and comes back empty.
    stack.redis.kill()
    stack.redis.start()
    assert stack.redis.queue_length() == 0
    assert statuses(reminders).get(ReminderStatus.CLAIMED), "the restart came too late to matter"

    # The beat keeps ticking: sweep and dispatch until everything is out.
    def beat_until_sent() -> bool:
        stack.send(SWEEP)
        stack.send(DISPATCH)
        return wait_for(lambda: all_sent(reminders), seconds=2)

    wait_until(beat_until_sent, timeout=90, what="every reminder to be sent", every=0)
    wait_idle([worker], stack.redis)
    assert_delivered_exactly_once(stack, reminders)


def wait_for(check: object, *, seconds: float) -> bool:
    try:
        wait_until(check, timeout=seconds, what="")  # type: ignore[arg-type]
    except AssertionError:
        return False
    return True


def test_cancelled_and_no_longer_due_reminders_are_never_sent(stack: Stack) -> None:
    recipient = make_user()
    followup = make_user()  # stands in for a follow-up: "done" once deactivated
    cancelled = make_reminder(recipient)
    reminder_cancel(reminder=cancelled, reason="The patient was discharged")
    done = make_reminder(recipient, kind=FOLLOWUP, subject=followup)
    leaver = make_user(is_active=False)
    to_leaver = make_reminder(leaver)
    still_due = make_reminder(recipient, kind=FOLLOWUP, subject=make_user())
    followup.is_active = False
    followup.save()
    worker = stack.worker("one")

    stack.send(DISPATCH)
    wait_until(lambda: all_sent([still_due]), timeout=30, what="the due reminder to be sent")
    # A stale task naming every reminder must not send the cancelled one either.
    stack.send(SEND, [cancelled.pk, done.pk, to_leaver.pk, still_due.pk])
    wait_idle([worker], stack.redis)

    assert_delivered_exactly_once(stack, [still_due])
    for reminder, reason in (
        (cancelled, "The patient was discharged"),
        (done, "No longer due."),
        (to_leaver, "The recipient's account is inactive."),
    ):
        reminder.refresh_from_db()
        assert (reminder.status, reminder.cancel_reason) == (ReminderStatus.CANCELLED, reason)
        assert not reminder.deliveries.exists()


def test_a_failing_email_backend_ends_in_failed_after_the_bounded_retries(stack: Stack) -> None:
    reminder = make_reminder(make_user(), channel=Channel.BOTH)
    worker = stack.worker("failing", TEST_EMAIL_BACKEND=f"{BACKENDS}.AlwaysFailingBackend")

    stack.send(DISPATCH)

    def failed() -> bool:
        reminder.refresh_from_db()
        return reminder.status == ReminderStatus.FAILED

    wait_until(failed, timeout=30, what="the reminder to fail")
    wait_idle([worker], stack.redis)
    reminder.refresh_from_db()
    assert reminder.attempts == 3  # REMINDERS_MAX_ATTEMPTS in worker_settings.py
    assert "SMTPServerDisconnected: the test mail server hung up" in reminder.last_error
    assert stack.emails() == {}
    # The in-app notification does not wait for the mail server, and went out once.
    assert list(reminder.deliveries.values_list("channel", flat=True)) == ["in_app"]
    assert Notification.objects.filter(reminder=reminder).count() == 1
    sends = [json.loads(result.replace("'", '"')) for result in worker.results(SEND)]
    assert sends == [{"retry": 1}, {"retry": 1}, {"failed": 1}]
