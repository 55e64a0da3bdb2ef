"""Tunables of the reminder machinery, with defaults; a settings module may override each one."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def _setting(name: str, default: int | float) -> float:
    return float(getattr(settings, name, default))


def max_attempts() -> int:
    """Send attempts before a reminder is marked failed (an attempt is counted before it starts)."""
    return int(_setting("REMINDERS_MAX_ATTEMPTS", 5))


def retry_backoff() -> float:
    """Seconds before the first retry; each further retry waits twice as long, with jitter."""
    return _setting("REMINDERS_RETRY_BACKOFF_SECONDS", 30)


def retry_backoff_max() -> float:
    # Below the claim timeout, so a reminder waiting for its retry is never swept as lost.
    return _setting("REMINDERS_RETRY_BACKOFF_MAX_SECONDS", 10 * 60)


def claim_timeout() -> timedelta:
    """How long a claim may last before the sweeper hands the reminder back to the dispatcher.

    Longer than a send batch takes and than the longest retry wait; shorter than the broker's
    visibility timeout is not needed: the database, not the broker, decides who sends.
    """
    return timedelta(seconds=_setting("REMINDERS_CLAIM_TIMEOUT_SECONDS", 15 * 60))


def dispatch_batch() -> int:
    """Reminders claimed per transaction by the dispatcher."""
    return int(_setting("REMINDERS_DISPATCH_BATCH", 1000))


def send_batch() -> int:
    """Reminder ids per send task."""
    return int(_setting("REMINDERS_SEND_BATCH", 100))


def dispatch_time_budget() -> float:
    """Seconds one dispatch run keeps claiming before it leaves the rest to the next run."""
    return _setting("REMINDERS_DISPATCH_TIME_BUDGET_SECONDS", 45)


def email_window() -> float:
    """At most this many seconds of email sending share one COMMIT (see README, "the window").

    With a mail server that takes longer than this per message, every reminder commits alone.
    """
    return _setting("REMINDERS_EMAIL_WINDOW_SECONDS", 0.05)


def group_max() -> int:
    """At most this many reminders share one transaction."""
    return int(_setting("REMINDERS_GROUP_MAX", 50))
