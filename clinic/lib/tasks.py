"""What every Celery task of the project shares."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

# The database going away for a moment is worth a bounded retry with backoff and jitter;
# anything else is a bug that the task's log shows.
DATABASE_TROUBLE = (OperationalError, InterfaceError)
RETRY_OPTIONS = {
    "autoretry_for": DATABASE_TROUBLE,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}
