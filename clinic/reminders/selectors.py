"""Reads of the reminders app; each list page runs a fixed number of queries."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from clinic.lib.dates import within_days
from clinic.reminders.models import Delivery, Notification, Reminder


def reminder_queue(
    *,
    kind: str = "",
    status: str = "",
    recipient: str = "",
    due_from: date | None = None,
    due_to: date | None = None,
) -> QuerySet[Reminder]:
    reminders = Reminder.objects.select_related("recipient").prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.order_by("channel"))
    )
    if kind:
        reminders = reminders.filter(kind=kind)
    if status:
        reminders = reminders.filter(status=status)
    for word in recipient.split():
        reminders = reminders.filter(
            Q(recipient__username__icontains=word)
            | Q(recipient__first_name__icontains=word)
            | Q(recipient__last_name__icontains=word)
            | Q(recipient_contact__icontains=word)
        )
    # Dates are the clinic's local days.
    reminders = reminders.filter(within_days("due_at", due_from, due_to))
    return reminders.order_by("-due_at", "-id")


def reminder_get(code: Any) -> Reminder:
    return Reminder.objects.select_related("recipient").get(code=code)


def inbox(*, recipient: Any, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=recipient)
    if unread_only:
        notifications = notifications.unread()
    return notifications.order_by("-created_at", "-id")


def notification_for(*, recipient: Any, code: Any) -> Notification:
    """One of the person's own notifications; anyone else's does not exist for them."""
    return Notification.objects.get(recipient=recipient, code=code)


def unread_count(*, recipient: Any) -> int:
    return Notification.objects.unread().filter(recipient=recipient).count()
