"""Celery tasks of the reminders app: thin wrappers that take ids and call a service.

PostgreSQL is the source of truth; the broker only carries "look at these ids now". A task that is
lost (a Redis restart) or run twice (a redelivery) changes nothing: see services.py.
"""

from __future__ import annotations

import logging

from celery import shared_task

from clinic.lib.tasks import RETRY_OPTIONS
from clinic.reminders import delivery, services

logger = logging.getLogger(__name__)


@shared_task(name="clinic.reminders.tasks.dispatch_due_reminders", **RETRY_OPTIONS)
def dispatch_due_reminders() -> int:
    """Claim due reminders and queue their sending (beat: every minute)."""
    return delivery.reminders_dispatch(queue_send=_queue_send)


def _queue_send(reminder_ids: list[int]) -> None:
    send_reminders.delay(reminder_ids)


@shared_task(name="clinic.reminders.tasks.send_reminders", **RETRY_OPTIONS)
def send_reminders(reminder_ids: list[int]) -> dict[str, int]:
    """Deliver claimed reminders; a failed one is retried alone, after a backoff with jitter."""
    report = delivery.reminders_deliver(reminder_ids=reminder_ids)
    for reminder_id, delay in report.retries:
        _queue_later([reminder_id], delay)
    if report.unprocessed:
        _queue_later(report.unprocessed, 0)
    return report.counts()


def _queue_later(reminder_ids: list[int], delay: float) -> None:
    try:
        send_reminders.apply_async(args=(reminder_ids,), countdown=delay)
    except Exception:
        # The reminders stay claimed: the sweeper hands them back when their claim expires.
        logger.warning("could not queue reminders %s again", reminder_ids, exc_info=True)


@shared_task(name="clinic.reminders.tasks.release_stale_claims", **RETRY_OPTIONS)
def release_stale_claims() -> int:
    """Hand back reminders whose claim outlived its timeout (beat: every five minutes)."""
    return delivery.reminders_release_stale()


@shared_task(name="clinic.reminders.tasks.run_reminder_rules", **RETRY_OPTIONS)
def run_reminder_rules() -> dict[str, int]:
    """Create the reminders the registered periodic rules ask for (beat: hourly)."""
    return services.rules_run()
