"""Dispatching, sending and sweeping reminders: the exactly-once machinery (services for tasks).

The argument, in short (README.md has the long form):

1. `reminders_dispatch` moves due rows from pending to claimed with
   `SELECT … FOR UPDATE SKIP LOCKED`, so two dispatchers never claim the same row, and queues the
   send tasks only after that transaction commits.
2. `deliver_group` sends reminders in a transaction that first locks their rows and keeps only
   those still `claimed`. It inserts each channel's unique `Delivery` row and the in-app
   `Notification`, sets `sent`, sends the emails last, and commits. A second task for the same
   reminder (a Celery redelivery, a dispatch after a sweep) waits for the lock, then finds `sent`
   and does nothing; had it read stale delivery rows, the unique constraint would stop it before
   anything is sent.
3. In-app notifications are rows of that transaction: exactly once. An email cannot be part of a
   transaction: it is sent just before COMMIT, so only a crash between the mail server accepting
   it and the COMMIT repeats it. `GroupPacer` keeps that window to about 50 ms of sending: with a
   mail server slower than that, every reminder commits alone.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.reminders import conf, registry
from clinic.reminders.emails import Mailer, notification_body, notification_title, reminder_email
from clinic.reminders.models import Delivery, DeliveryChannel, Notification, Reminder
from clinic.reminders.models import ReminderStatus as Status
from clinic.reminders.services import mark_cancelled

logger = logging.getLogger(__name__)

ERROR_LIMIT = 2000


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # not claimed any more: sent, cancelled or handed back by someone else
    CANCELLED = "cancelled"  # no longer due
    RETRY = "retry"
    FAILED = "failed"


Result = tuple[Outcome, float]  # the outcome and, for a retry, the delay before it


# --- Dispatching and sweeping --------------------------------------------------------------------


class BrokerUnavailable(RuntimeError):
    """Send tasks could not be queued; the claimed reminders went back to pending."""


def reminders_dispatch(
    *,
    queue_send: Callable[[list[int]], object],
    batch: int | None = None,
    send_batch: int | None = None,
    time_budget: float | None = None,
) -> int:
    """Claim due reminders and queue their sending after each claim commits; returns the count."""
    batch = batch or conf.dispatch_batch()
    send_batch = send_batch or conf.send_batch()
    deadline = time.monotonic() + (time_budget or conf.dispatch_time_budget())
    claimed = 0
    while time.monotonic() < deadline:
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                Reminder.objects.due(now)
                .order_by("due_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                break
            Reminder.objects.filter(id__in=ids).update(
                status=Status.CLAIMED, claimed_at=now, updated_at=now
            )

            def queue(ids: list[int] = ids) -> None:
                _queue_claimed(ids, queue_send, send_batch)

            transaction.on_commit(queue)
        claimed += len(ids)
        if len(ids) < batch:
            break
    return claimed


def _queue_claimed(ids: list[int], queue_send: Callable[[list[int]], object], size: int) -> None:
    queued = 0
    try:
        for start in range(0, len(ids), size):
            queue_send(ids[start : start + size])
            queued = start + size
    except Exception as error:
        # The broker is unreachable. Hand back what was not queued now rather than wait for the
        # sweeper; a task that did reach the broker finds its reminder pending and skips it.
        released = reminders_release(ids[queued:])
        logger.warning("queueing reminders failed; %d handed back to pending", released)
        raise BrokerUnavailable(str(error)) from error


def reminders_release(ids: Sequence[int]) -> int:
    """Hand claimed reminders back to pending."""
    if not ids:
        return 0
    return Reminder.objects.filter(id__in=list(ids), status=Status.CLAIMED).update(
        status=Status.PENDING, claimed_at=None, updated_at=timezone.now()
    )


def reminders_release_stale(*, older_than: timedelta | None = None, limit: int = 10_000) -> int:
    """The sweeper: reminders claimed for longer than the claim timeout go back to pending.

    A claim outlives its timeout when the worker sending it died or Redis lost its task (or a
    backlog kept it waiting: then a second task is queued, and whichever runs second does
    nothing). Rows a sender holds right now are locked and skipped: they are not lost. The
    sweep counts no attempt: attempts are counted when they start (see `deliver_group`).
    """
    older_than = conf.claim_timeout() if older_than is None else older_than
    now = timezone.now()
    with transaction.atomic():
        stale = list(
            Reminder.objects.filter(status=Status.CLAIMED, claimed_at__lt=now - older_than)
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        released = Reminder.objects.filter(id__in=stale).update(
            status=Status.PENDING, claimed_at=None, updated_at=now
        )
    if released:
        logger.warning("%d reminders claimed for too long went back to pending", released)
    return released


# --- Delivering ----------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    retries: list[tuple[int, float]] = field(default_factory=list)  # (reminder id, delay)
    unprocessed: list[int] = field(default_factory=list)

    def add(self, results: dict[int, Result]) -> None:
        for reminder_id, (outcome, delay) in results.items():
            self.outcomes[reminder_id] = outcome
            if outcome is Outcome.RETRY:
                self.retries.append((reminder_id, delay))

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for outcome in self.outcomes.values():
            totals[outcome.value] = totals.get(outcome.value, 0) + 1
        return totals


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: half of the wait is fixed, half random."""
    ceiling = min(conf.retry_backoff_max(), conf.retry_backoff() * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class GroupPacer:
    """How many reminders share one transaction: as many as are emailed within the window.

    It starts at one; a fast email backend (a file, a local relay) lets groups grow to
    `conf.group_max()`, a mail server slower than the window keeps them at one.
    """

    def __init__(self) -> None:
        self.size = 1

    def record(self, emails: int, seconds: float) -> None:
        largest = conf.group_max()
        if emails == 0 or seconds <= 0:
            self.size = largest  # nothing left the database: no window to bound
            return
        fitting = int(conf.email_window() / (seconds / emails))
        self.size = max(1, min(largest, fitting))


def reminders_deliver(*, reminder_ids: Sequence[int], time_budget: float = 120) -> DeliveryReport:
    """Deliver claimed reminders in paced groups sharing one email connection."""
    report = DeliveryReport()
    mailer = Mailer()
    pacer = GroupPacer()
    waiting = list(reminder_ids)
    deadline = time.monotonic() + time_budget
    try:
        while waiting:
            if time.monotonic() > deadline:
                # A slow mail server: leave the rest to a fresh task rather than hit the time limit.
                report.unprocessed = waiting
                break
            group, waiting = waiting[: pacer.size], waiting[pacer.size :]
            report.add(deliver_group(group, mailer=mailer, pacer=pacer))
    finally:
        mailer.close()
    return report


def deliver_group(
    reminder_ids: Sequence[int], *, mailer: Mailer, pacer: GroupPacer | None = None
) -> dict[int, Result]:
    """Send claimed reminders exactly once (see the module's docstring)."""
    results: dict[int, Result] = {
        reminder_id: (Outcome.SKIPPED, 0.0) for reminder_id in reminder_ids
    }
    # Only the reminders whose attempt was counted: one claimed after the count belongs to the
    # task its own claim queued.
    counted = _count_attempts(reminder_ids)
    if not counted:
        return results
    try:
        results.update(_send_group(counted, mailer, pacer))
    except Exception as error:
        # The group's transaction rolled back, so nothing of it was kept: retry each one.
        logger.warning("reminders %s: attempt failed: %r", counted, error)
        for reminder_id in counted:
            results[reminder_id] = reminder_record_failure(reminder_id=reminder_id, error=error)
    return results


def _count_attempts(reminder_ids: Sequence[int]) -> list[int]:
    # An attempt is counted before it is made, in a commit of its own: a worker killed while
    # sending leaves the count behind, so a reminder that kills its worker every time ends as
    # failed instead of going round for ever. Rows are locked in id order, as everywhere.
    with transaction.atomic():
        claimed = list(
            Reminder.objects.filter(pk__in=list(reminder_ids), status=Status.CLAIMED)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        Reminder.objects.filter(pk__in=claimed).update(
            attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    return claimed


@dataclass
class _Send:
    reminder: Reminder
    channels: list[str]
    message: EmailMultiAlternatives | None
    notification: Notification | None


def _send_group(
    reminder_ids: Sequence[int], mailer: Mailer, pacer: GroupPacer | None
) -> dict[int, Result]:
    results: dict[int, Result] = {}
    with transaction.atomic():
        now = timezone.now()
        sends = []
        for reminder in _lock_claimed(reminder_ids):
            prepared = _prepare(reminder, now)
            if isinstance(prepared, _Send):
                sends.append(prepared)
            else:
                results[reminder.pk] = prepared
        if sends:
            _record(sends, now)
            results.update(_send_emails(sends, mailer, pacer, now))
    return results


def _lock_claimed(reminder_ids: Sequence[int]) -> list[Reminder]:
    # Locked in id order, so two groups that overlap never deadlock. `delivered` is read in the
    # same statement; should it be stale (another sender committed while we waited for the
    # lock), inserting the same Delivery row fails before anything is sent.
    return list(
        Reminder.objects.select_for_update(of=("self",))
        .select_related("recipient")
        .annotate(
            delivered=ArraySubquery(
                Delivery.objects.filter(reminder=OuterRef("pk")).values("channel")
            )
        )
        .filter(pk__in=list(reminder_ids), status=Status.CLAIMED)
        .order_by("pk")
    )


class WorkerStopped(RuntimeError):
    """Every attempt so far ended with the worker stopping mid-send."""


def _prepare(reminder: Reminder, now: datetime) -> _Send | Result:
    if reminder.attempts > conf.max_attempts():
        return _failed_attempt(
            reminder, WorkerStopped(_("The worker stopped while sending it, every time.")), now
        )
    try:
        kind = registry.get_kind(reminder.kind)
        reason = _no_longer_due_reason(reminder, kind)
        if reason:
            mark_cancelled(reminder, reason, now)
            return Outcome.CANCELLED, 0.0
        delivered = getattr(reminder, "delivered", [])  # annotated by _lock_claimed
        channels = [c for c in reminder.delivery_channels if c not in delivered]
        message = reminder_email(reminder, kind) if DeliveryChannel.EMAIL in channels else None
        notification = None
        if DeliveryChannel.IN_APP in channels:
            notification = Notification(
                recipient=reminder.recipient,
                reminder=reminder,
                title=notification_title(reminder, kind),
                body=notification_body(reminder, kind),
                link_url=reminder.link_url,
                urgent=reminder.urgent,
                created_at=now,
            )
    except Exception as error:
        logger.warning("reminder %s: could not be prepared: %r", reminder.pk, error)
        return _failed_attempt(reminder, error, now)
    return _Send(reminder, channels, message, notification)


def _no_longer_due_reason(reminder: Reminder, kind: registry.ReminderKind) -> str:
    recipient = reminder.recipient
    if recipient is not None and not recipient.is_active:
        return _("The recipient's account is inactive.")
    if kind.still_due is not None:
        # The owner's check may query its own tables; a savepoint keeps its failure its own.
        with transaction.atomic():
            if not kind.is_still_due(reminder):
                return _("No longer due.")
    return ""


def _record(sends: list[_Send], now: datetime) -> None:
    # The delivery rows go in before any side effect: had one been written already, the unique
    # constraint would stop the whole group here, before anything is sent.
    Delivery.objects.bulk_create(
        [
            Delivery(reminder=send.reminder, channel=channel, delivered_at=now)
            for send in sends
            for channel in send.channels
        ]
    )
    Notification.objects.bulk_create([send.notification for send in sends if send.notification])
    Reminder.objects.filter(pk__in=[send.reminder.pk for send in sends]).update(
        status=Status.SENT, sent_at=now, updated_at=now
    )


def _send_emails(
    sends: list[_Send], mailer: Mailer, pacer: GroupPacer | None, now: datetime
) -> dict[int, Result]:
    results: dict[int, Result] = {send.reminder.pk: (Outcome.SENT, 0.0) for send in sends}
    failures: list[tuple[_Send, Exception]] = []
    started = time.monotonic()
    emails = 0
    # Last, so that only the COMMIT stands between the mail server's acceptance and its record.
    for send in sends:
        if send.message is None:
            continue
        emails += 1
        try:
            mailer.send(send.message)
        except Exception as error:
            logger.warning("reminder %s: email failed: %r", send.reminder.pk, error)
            failures.append((send, error))
    if pacer is not None:
        pacer.record(emails, time.monotonic() - started)
    for failed, failure in failures:
        # Keep what did go out (the in-app notification); take back the email's record.
        Delivery.objects.filter(reminder=failed.reminder, channel=DeliveryChannel.EMAIL).delete()
        results[failed.reminder.pk] = _failed_attempt(failed.reminder, failure, now)
    return results


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_LIMIT]


def _failed_attempt(reminder: Reminder, error: BaseException, now: datetime) -> Result:
    """Record the failure of a counted attempt on a locked reminder; failed at the bound."""
    reminder.last_error = _describe(error)
    reminder.sent_at = None
    if reminder.attempts >= conf.max_attempts():
        reminder.status = Status.FAILED
        reminder.claimed_at = None
        result: Result = (Outcome.FAILED, 0.0)
    else:
        # Still ours: renew the claim so the sweeper leaves it alone while the retry waits.
        reminder.status = Status.CLAIMED
        reminder.claimed_at = now
        result = (Outcome.RETRY, retry_delay(reminder.attempts))
    reminder.save(update_fields=["status", "last_error", "sent_at", "claimed_at", "updated_at"])
    return result


@transaction.atomic
def reminder_record_failure(*, reminder_id: int, error: BaseException) -> Result:
    """Record a failed attempt whose transaction rolled back."""
    reminder = (
        Reminder.objects.select_for_update().filter(pk=reminder_id, status=Status.CLAIMED).first()
    )
    if reminder is None:
        return Outcome.SKIPPED, 0.0
    return _failed_attempt(reminder, error, timezone.now())
