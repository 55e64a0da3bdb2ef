"""Periodic work of the meetings app (the beat schedule lives in clinic/celery.py)."""

from __future__ import annotations

from celery import shared_task

from clinic.lib.tasks import RETRY_OPTIONS
from meetings import services


@shared_task(name="meetings.tasks.keep_series_ahead", ignore_result=True, **RETRY_OPTIONS)
def keep_series_ahead() -> int:
    """Create the coming meetings of every active weekly series (idempotent; daily)."""
    return services.series_fill_all()
