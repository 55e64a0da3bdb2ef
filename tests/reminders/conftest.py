"""Fixtures of the reminders tests: test-only kinds, and real Redis + Celery worker stacks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from clinic.reminders.kinds import TEST
from clinic.reminders.models import Channel, Reminder
from clinic.reminders.services import reminder_schedule
from tests.reminders.harness import (
    Producer,
    RedisServer,
    Worker,
    database_url_of_tests,
    outbox_codes,
)
from tests.reminders.kinds import register_test_kinds

register_test_kinds()

DISPATCH = "clinic.reminders.tasks.dispatch_due_reminders"
SEND = "clinic.reminders.tasks.send_reminders"
SWEEP = "clinic.reminders.tasks.release_stale_claims"

_numbers = iter(range(1, 10**9))


def make_reminder(
    recipient: Any,
    *,
    due_at: datetime | None = None,
    kind: str = TEST,
    channel: str = Channel.BOTH,
    **extra: Any,
) -> Reminder:
    return reminder_schedule(
        kind=kind,
        dedupe_key=extra.pop("dedupe_key", f"test:{next(_numbers)}"),
        due_at=due_at or timezone.now(),
        recipient=recipient,
        channel=channel,
        link_url=extra.pop("link_url", "/reminders/inbox/"),
        **extra,
    )


class Stack:
    """A Redis of the test's own, the workers it starts, and the outbox they write to."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.outbox = folder / "outbox"
        self.redis = RedisServer(folder / "redis")
        self.redis.start()
        self.producer = Producer(self.redis.url)
        self.workers: list[Worker] = []

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("DEBUG", "TEST_EMAIL_BACKEND", "EMAIL_BACKEND"):
            env.pop(name, None)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.reminders.worker_settings",
            DATABASE_URL=database_url_of_tests(),
            REDIS_URL=self.redis.url,
            EMAIL_URL=f"file://{self.outbox}",
            SECRET_KEY=env.get("SECRET_KEY") or "worker-test-key",
            LOG_LEVEL="INFO",
        )
        return env

    def worker(self, name: str, *, pool: str = "solo", ready: bool = True, **extra: str) -> Worker:
        worker = Worker(name, self.env(), self.folder, pool=pool, extra_env=extra).start()
        self.workers.append(worker)
        if ready:
            worker.wait_ready()
        return worker

    def send(self, task: str, *args: Any) -> None:
        self.producer.send(task, *args)

    def emails(self) -> dict[str, int]:
        return dict(outbox_codes(self.outbox))

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.producer.close()
        self.redis.kill()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(tmp_path)
    try:
        yield stack
    finally:
        stack.close()
