"""Fetching reminders and notifications for the person asking: 404 outside what they may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from clinic.reminders import selectors
from clinic.reminders.models import Notification, Reminder


def get_own_notification(request: HttpRequest, code: str) -> Notification:
    """Someone else's notification answers 404, exactly like one that does not exist."""
    try:
        return selectors.notification_for(recipient=request.user, code=code)
    except (Notification.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing


def get_queue_reminder(request: HttpRequest, code: str) -> Reminder:
    """A reminder of the clinic queue; the view's role check already limited who asks."""
    try:
        return selectors.reminder_get(code)
    except (Reminder.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
