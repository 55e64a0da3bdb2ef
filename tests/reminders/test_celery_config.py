"""Celery is configured for reliability, and the beat schedule names real tasks."""

from __future__ import annotations

from clinic.celery import app


def test_celery_is_configured_for_reliability() -> None:
    conf = app.conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late
    assert conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_retry_on_startup
    # Longer than the longest task, so Redis never hands a running task to a second worker.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_the_beat_schedule_runs_the_reminder_tasks() -> None:
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule

    tasks = {entry["task"] for entry in schedule.values()}
    assert {
        "clinic.reminders.tasks.dispatch_due_reminders",
        "clinic.reminders.tasks.release_stale_claims",
        "clinic.reminders.tasks.run_reminder_rules",
    } <= tasks
    assert tasks <= set(app.tasks)
    assert schedule["reminders-dispatch"]["schedule"] == 60.0


def test_the_reminder_tasks_retry_with_bounded_backoff_and_jitter() -> None:
    app.loader.import_default_modules()
    for name in ("send_reminders", "dispatch_due_reminders"):
        task = app.tasks[f"clinic.reminders.tasks.{name}"]
        assert task.max_retries == 5
        assert task.retry_jitter
        assert task.retry_backoff
