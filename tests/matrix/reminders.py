"""Permission-matrix rows for the reminders URLs (see tests/permission_matrix.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.reminders.kinds import TEST
from clinic.reminders.models import Notification, Reminder, ReminderStatus
from tests.conftest import make_user
from tests.permission_matrix import (
    ADMIN,
    COORDINATOR,
    NOT_ALLOWED,
    REDIRECT,
    SIGNED_IN,
    Method,
    Route,
)

# Every signed-in person gets 404 for a notification that is someone else's: the matrix's
# notification belongs to a separate staff member (opening one's own: tests/reminders/).
NOT_FOUND = 404
QUEUE = frozenset({COORDINATOR, ADMIN})


def build_objects() -> dict[str, Any]:
    owner = make_user(Role.CLINICIAN)
    now = timezone.now()
    pending = Reminder.objects.create(
        kind=TEST, recipient=owner, due_at=now + timedelta(days=1), dedupe_key="matrix:pending"
    )
    failed = Reminder.objects.create(
        kind=TEST,
        recipient=owner,
        due_at=now,
        dedupe_key="matrix:failed",
        status=ReminderStatus.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: gone",
    )
    notification = Notification.objects.create(
        recipient=owner, title="Someone else's", link_url="/", created_at=now
    )
    return {
        "pending_reminder": pending,
        "failed_reminder": failed,
        "others_notification": notification,
    }


ROUTES: dict[str, Route] = {
    "reminders:notification-list": Route(get=Method(SIGNED_IN)),
    "reminders:notification-read-all": Route(
        get=Method(SIGNED_IN, ok=NOT_ALLOWED), post=Method(SIGNED_IN, ok=REDIRECT)
    ),
    "reminders:notification-open": Route(
        kwargs=lambda objects: {"code": objects["others_notification"].code},
        get=Method(SIGNED_IN, ok=NOT_ALLOWED),
        post=Method(SIGNED_IN, ok=NOT_FOUND),
    ),
    "reminders:reminder-list": Route(get=Method(QUEUE)),
    "reminders:reminder-retry": Route(
        kwargs=lambda objects: {"code": objects["failed_reminder"].code},
        get=Method(QUEUE),
        post=Method(QUEUE, ok=REDIRECT),
    ),
    "reminders:reminder-cancel": Route(
        kwargs=lambda objects: {"code": objects["pending_reminder"].code},
        get=Method(QUEUE),
        post=Method(QUEUE, ok=REDIRECT, data={"reason": "Patient moved to another clinic"}),
    ),
}
