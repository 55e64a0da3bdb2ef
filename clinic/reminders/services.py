"""Writes of the reminders app: schedule, cancel, retry, notify, run the rules, mark read.

Dispatching, sending and sweeping live in `delivery.py`; README.md has the exactly-once argument.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from celery import current_app
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.reminders import registry
from clinic.reminders.kinds import NOTIFICATION
from clinic.reminders.models import Channel, Notification, Reminder, ReminderStatus
from clinic.reminders.registry import ReminderRequest

logger = logging.getLogger(__name__)

DISPATCH_TASK = "clinic.reminders.tasks.dispatch_due_reminders"


class ReminderError(ValueError):
    """A reminder change that breaks a rule; the message says which."""


# --- Scheduling ----------------------------------------------------------------------------------


def _subject_fields(subject: Any) -> dict[str, Any]:
    if subject is None:
        return {"subject_type": None, "subject_code": None}
    code = getattr(subject, "code", None)
    if code is None:
        raise ReminderError(_("A reminder can only be about a record with a code."))
    return {"subject_type": ContentType.objects.get_for_model(subject), "subject_code": code}


def _check_link(link_url: str) -> None:
    # Links are paths inside the app; emails put settings.SITE_URL in front.
    if link_url and (not link_url.startswith("/") or link_url.startswith("//")):
        raise ReminderError(_("A reminder's link must be a path inside the app."))
    if any(character.isspace() for character in link_url):
        raise ReminderError(_("A reminder's link must be a path inside the app."))


def _build(request: ReminderRequest, *, title: str = "", body: str = "") -> Reminder:
    try:
        registry.get_kind(request.kind)
    except registry.UnknownKind:
        raise ReminderError(
            _("Unknown kind of reminder: %(kind)s") % {"kind": request.kind}
        ) from None
    if not request.dedupe_key:
        raise ReminderError(_("A reminder needs a dedupe key."))
    if timezone.is_naive(request.due_at):
        raise ReminderError(_("A reminder's due time needs a time zone."))
    _check_link(request.link_url)
    reminder = Reminder(
        kind=request.kind,
        dedupe_key=request.dedupe_key,
        due_at=request.due_at,
        recipient_id=request.recipient_id,
        recipient_contact=request.recipient_contact.strip(),
        channel=request.channel,
        link_url=request.link_url,
        urgent=request.urgent,
        title=title,
        body=body,
        data=dict(request.data),
        **_subject_fields(request.subject),
    )
    if reminder.recipient_id is None and not reminder.recipient_contact:
        raise ReminderError(_("A reminder needs a recipient."))
    if reminder.recipient_id is None and reminder.channel != Channel.EMAIL:
        raise ReminderError(_("Only staff members have an inbox in the app."))
    try:
        # Uniqueness is the database's job: a second insert of the same key does nothing.
        reminder.full_clean(
            exclude=["recipient", "subject_type"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        raise ReminderError(" ".join(error.messages)) from error
    return reminder


def reminder_schedule(
    *,
    kind: str,
    dedupe_key: str,
    due_at: datetime,
    recipient: Any = None,
    recipient_contact: str = "",
    channel: str = Channel.BOTH,
    subject: Any = None,
    link_url: str = "",
    urgent: bool = False,
    title: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> Reminder:
    """Schedule a reminder, or return the one already scheduled under `dedupe_key`.

    The first scheduling of a key wins, whatever its state: scheduling it again changes nothing
    (to move a reminder, cancel it and schedule one with a new key, e.g. one naming the date).
    """
    request = ReminderRequest(
        kind=kind,
        dedupe_key=dedupe_key,
        due_at=due_at,
        recipient_id=getattr(recipient, "pk", recipient),
        recipient_contact=recipient_contact,
        channel=channel,
        subject=subject,
        link_url=link_url,
        urgent=urgent,
        data=data or {},
    )
    reminder = _build(request, title=title, body=body)
    # INSERT … ON CONFLICT DO NOTHING: two apps (or two processes) scheduling the same key race
    # safely, and the loser reads the winner's row.
    Reminder.objects.bulk_create([reminder], ignore_conflicts=True)
    return Reminder.objects.get(dedupe_key=dedupe_key)


def reminders_schedule_many(requests: Iterable[ReminderRequest], *, chunk: int = 1000) -> int:
    """Schedule many reminders at once (the periodic rules); returns how many were new."""
    created = 0
    batch: list[Reminder] = []
    for request in requests:
        batch.append(_build(request))
        if len(batch) >= chunk:
            created += _insert_new(batch)
            batch = []
    if batch:
        created += _insert_new(batch)
    return created


def _insert_new(batch: list[Reminder]) -> int:
    with transaction.atomic():
        Reminder.objects.bulk_create(batch, ignore_conflicts=True)
        # Codes are random, so only the rows this call inserted carry these codes.
        return Reminder.objects.filter(code__in=[reminder.code for reminder in batch]).count()


def notify(
    *,
    recipient: Any,
    title: str,
    dedupe_key: str,
    body: str = "",
    link_url: str = "",
    urgent: bool = False,
) -> Reminder:
    """Put an item in a staff member's inbox now, through the reminder path (deduplicated, audited).

    `title` and `body` say what to do, never clinical detail: "A questionnaire answer needs your
    review", not the answer.
    """
    reminder = reminder_schedule(
        kind=NOTIFICATION,
        dedupe_key=dedupe_key,
        due_at=timezone.now(),
        recipient=recipient,
        channel=Channel.IN_APP,
        link_url=link_url,
        urgent=urgent,
        title=title[:200],
        body=body[:500],
    )
    request_dispatch_soon()
    return reminder


def request_dispatch_soon() -> None:
    """Ask for a dispatch run after commit, so urgent items need not wait for the next minute."""

    def queue() -> None:
        try:
            # No publish retries: this is a courtesy, and a web request must not wait for it.
            current_app.send_task(DISPATCH_TASK, retry=False)
        except Exception:  # the broker is down: the beat's next run dispatches it anyway
            logger.warning("could not queue an early dispatch of reminders", exc_info=True)

    transaction.on_commit(queue)


# --- Cancelling and retrying ---------------------------------------------------------------------


@transaction.atomic
def reminder_cancel(*, reminder: Reminder, reason: str) -> Reminder:
    """Cancel a reminder that has not gone out. Waits for a send in progress, then refuses."""
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if locked.status not in (ReminderStatus.PENDING, ReminderStatus.CLAIMED):
        raise ReminderError(
            _("This reminder is %(status)s; only one not yet sent can be cancelled.")
            % {"status": locked.get_status_display().lower()}
        )
    reason = reason.strip()
    if not reason:
        raise ReminderError(_("Say why the reminder is cancelled."))
    mark_cancelled(locked, reason[:300], timezone.now())
    return locked


def reminders_cancel_about(*, subject: Any, reason: str, kinds: Iterable[str] = ()) -> int:
    """Cancel every reminder not yet sent about `subject` (e.g. a follow-up marked done)."""
    reminders = Reminder.objects.open().filter(**_subject_fields(subject))
    if kinds:
        reminders = reminders.filter(kind__in=list(kinds))
    now = timezone.now()
    with transaction.atomic():
        # Locked in id order, like every multi-row lock here; a row being sent right now is
        # waited for, and then no longer open.
        ids = list(reminders.order_by("pk").select_for_update().values_list("pk", flat=True))
        return (
            Reminder.objects.open()
            .filter(pk__in=ids)
            .update(
                status=ReminderStatus.CANCELLED,
                cancelled_at=now,
                cancel_reason=reason[:300],
                claimed_at=None,
                updated_at=now,
            )
        )


@transaction.atomic
def reminder_retry(*, reminder: Reminder) -> Reminder:
    """Give a failed reminder fresh attempts; channels already delivered are not repeated."""
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if locked.status != ReminderStatus.FAILED:
        raise ReminderError(
            _("This reminder is %(status)s; only a failed one can be retried.")
            % {"status": locked.get_status_display().lower()}
        )
    locked.status = ReminderStatus.PENDING
    locked.attempts = 0
    locked.claimed_at = None
    locked.save(update_fields=["status", "attempts", "claimed_at", "updated_at"])
    request_dispatch_soon()
    return locked


def mark_cancelled(reminder: Reminder, reason: str, now: datetime) -> None:
    """Cancel a locked reminder (the caller holds its row lock)."""
    reminder.status = ReminderStatus.CANCELLED
    reminder.cancelled_at = now
    reminder.cancel_reason = reason
    reminder.claimed_at = None
    reminder.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "claimed_at", "updated_at"]
    )


# --- Periodic rules ------------------------------------------------------------------------------


def rules_run(*, now: datetime | None = None) -> dict[str, int]:
    """Run every registered rule; one failing rule does not stop the others."""
    now = now or timezone.now()
    created: dict[str, int] = {}
    for name, rule in registry.rules().items():
        try:
            created[name] = reminders_schedule_many(rule(now))
        except Exception:
            logger.exception("reminder rule %s failed", name)
            created[name] = -1
    return created


# --- Notifications -------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, recipient: Any) -> int:
    return Notification.objects.unread().filter(recipient=recipient).update(read_at=timezone.now())
