"""Reads of the reminders app; each list page runs a fixed number of queries."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
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


# The top bar shows "99+" past 99 unread: counting further would only cost time.
UNREAD_COUNTED_UP_TO = 100


def unread_count(*, recipient: Any) -> int:
    """The person's unread notifications, counted up to UNREAD_COUNTED_UP_TO (the top bar's
    badge, on every page). Written in SQL: the ORM's count took longer to compile than the
    partial index `notification_unread` takes to answer it."""
    meta = Notification._meta
    quote = connection.ops.quote_name
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM {quote(meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {quote(meta.get_field('recipient').column)} = %s "
        f"AND {quote(meta.get_field('read_at').column)} IS NULL LIMIT %s) AS unread"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [recipient.pk, UNREAD_COUNTED_UP_TO])
        return int(cursor.fetchone()[0])
