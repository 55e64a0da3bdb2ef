"""The Celery app and the one beat schedule of the project."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task of the project is listed here, each with why it runs when it does.
app.conf.beat_schedule = {
    # Reminders live in PostgreSQL, not in the broker (no far-future ETAs): every minute the
    # dispatcher claims the due ones and queues their sending. A run that waited behind a backlog
    # for most of a minute is dropped: the next one does the same work.
    "reminders-dispatch": {
        "task": "clinic.reminders.tasks.dispatch_due_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Reminders claimed by a worker that died, or whose task Redis lost, go back to pending once
    # their claim is older than the claim timeout (15 minutes); checking every 5 minutes is enough.
    "reminders-sweep-stale-claims": {
        "task": "clinic.reminders.tasks.release_stale_claims",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60},
    },
    # Periodic rules that create reminders (reassessment due, device checks, …): hourly, off the
    # hour, is fresh enough for tasks measured in days; each rule is idempotent by dedupe key.
    "reminders-rules": {
        "task": "clinic.reminders.tasks.run_reminder_rules",
        "schedule": crontab(minute=7),
        "options": {"expires": 30 * 60},
    },
    # Weekly meeting series keep their next meetings created ahead; once a night is enough
    # (closing a meeting also tops its series up), and the task is idempotent.
    "meetings-keep-series-ahead": {
        "task": "meetings.tasks.keep_series_ahead",
        "schedule": crontab(hour=2, minute=17),
        "options": {"expires": 60 * 60},
    },
}
