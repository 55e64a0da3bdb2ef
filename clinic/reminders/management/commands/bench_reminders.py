"""Benchmark (not a test): schedule N reminders due now and time one Celery worker delivering them.

    DATA_DIR=/tmp/bench DEBUG=1 python -m clinic.lib.embedded -- \\
        sh -c 'python manage.py migrate -v0 && python manage.py bench_reminders --count 100000'

It starts its own worker (DEBUG off, emails to a fresh file outbox), schedules the reminders
through the scheduling service, asks for a dispatch as the beat would (and again every minute,
as the beat does), waits until every reminder is sent, then counts the emails in the outbox by
their X-Clinic-Reminder header to confirm that none is missing or duplicated. It removes what it
created unless --keep. Use a scratch database: it writes N reminders, deliveries and notifications.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import Count
from django.utils import timezone

from clinic.accounts.models import Discipline, User
from clinic.reminders.kinds import TEST
from clinic.reminders.models import Delivery, Notification, Reminder, ReminderStatus
from clinic.reminders.registry import ReminderRequest
from clinic.reminders.services import DISPATCH_TASK, reminders_schedule_many

HEADER = re.compile(rb"^X-Clinic-Reminder: ([0-9a-f-]{36})\r?$", re.MULTILINE)
BEAT_INTERVAL = 60.0


class Command(BaseCommand):
    help = "Benchmark reminder delivery with one Celery worker; reports time and duplicates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--recipients", type=int, default=50)
        parser.add_argument("--channel", default="both", choices=["email", "in_app", "both"])
        parser.add_argument("--concurrency", type=int, default=1, help="worker processes")
        parser.add_argument("--timeout", type=float, default=30 * 60)
        parser.add_argument("--keep", action="store_true", help="keep the rows and the outbox")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "bench_reminders writes test rows: run it with DEBUG=1 on a scratch database."
            )
        run = secrets.token_hex(4)
        outbox = Path(tempfile.mkdtemp(prefix=f"bench-outbox-{run}-"))
        worker = self._start_worker(outbox, options["concurrency"], run)
        recipients: list[User] = []
        try:
            recipients = self._recipients(run, options["recipients"])
            started = time.monotonic()
            created = self._schedule(run, recipients, options["count"], options["channel"])
            scheduled = time.monotonic()
            self.stdout.write(f"scheduled {created} reminders in {scheduled - started:.1f} s")
            elapsed = self._wait(run, created, scheduled, options["timeout"], worker)
            self._report(run, outbox, created, elapsed, options)
        finally:
            self._stop(worker)
            if not options["keep"]:
                self._clean(run, recipients)
                shutil.rmtree(outbox, ignore_errors=True)

    def _start_worker(self, outbox: Path, concurrency: int, run: str) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        # DEBUG off in the worker: with DEBUG Django keeps every query in memory.
        env.update(
            DEBUG="",
            EMAIL_URL=f"file://{outbox}",
            SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(40),
            LOG_LEVEL="WARNING",
        )
        log = open(outbox.parent / f"bench-worker-{run}.log", "wb")  # noqa: SIM115 - lives as long as the worker
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clinic",
            "worker",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "-n",
            f"bench-{run}@%h",
            "--without-mingle",
            "--without-gossip",
        ]
        self.stdout.write(f"worker: {' '.join(command[2:])} (log {log.name})")
        # The project's own worker command, with arguments built above.
        worker = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise CommandError(f"The worker exited; see {log.name}")
            if current_app.control.ping(
                destination=[f"bench-{run}@{os.uname().nodename}"], timeout=1.0
            ):
                return worker
        self._stop(worker)
        raise CommandError("The worker did not start within a minute.")

    def _recipients(self, run: str, count: int) -> list[User]:
        users = [
            User(
                username=f"bench-{run}-{number}",
                email=f"bench-{run}-{number}@example.invalid",
                first_name="Bench",
                last_name=f"Recipient {number}",
                discipline=Discipline.NURSING,
            )
            for number in range(count)
        ]
        return User.objects.bulk_create(users)

    def _schedule(self, run: str, recipients: list[User], count: int, channel: str) -> int:
        now = timezone.now()
        requests = (
            ReminderRequest(
                kind=TEST,
                dedupe_key=f"bench:{run}:{number}",
                due_at=now - timedelta(seconds=1),
                recipient_id=recipients[number % len(recipients)].pk,
                channel=channel,
                link_url="/reminders/inbox/",
            )
            for number in range(count)
        )
        return reminders_schedule_many(requests, chunk=5000)

    def _wait(
        self, run: str, total: int, since: float, timeout: float, worker: subprocess.Popen[bytes]
    ) -> float:
        reminders = Reminder.objects.filter(dedupe_key__startswith=f"bench:{run}:")
        next_beat = time.monotonic()
        last_report = 0.0
        while True:
            now = time.monotonic()
            if now >= next_beat:
                current_app.send_task(DISPATCH_TASK)  # what the beat does every minute
                next_beat = now + BEAT_INTERVAL
            counts = dict(
                reminders.values_list("status").annotate(n=Count("id")).values_list("status", "n")
            )
            finished = sum(
                counts.get(status, 0)
                for status in (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.CANCELLED)
            )
            if now - last_report >= 10 or finished == total:
                self.stdout.write(f"  {now - since:6.1f} s  {counts}")
                last_report = now
            if finished == total:
                return time.monotonic() - since
            if now - since > timeout or worker.poll() is not None:
                raise CommandError(f"Gave up after {now - since:.0f} s: {counts}")
            time.sleep(1)

    def _report(
        self, run: str, outbox: Path, total: int, elapsed: float, options: dict[str, Any]
    ) -> None:
        codes: Counter[bytes] = Counter()
        for path in outbox.iterdir():
            codes.update(HEADER.findall(path.read_bytes()))
        reminders = Reminder.objects.filter(dedupe_key__startswith=f"bench:{run}:")
        sent = reminders.filter(status=ReminderStatus.SENT).count()
        deliveries = Delivery.objects.filter(reminder__in=reminders).count()
        notifications = Notification.objects.filter(reminder__in=reminders).count()
        emails_expected = total if options["channel"] != "in_app" else 0
        duplicates = sum(n - 1 for n in codes.values() if n > 1)
        missing = emails_expected - len(codes)
        lines = [
            f"reminders: {total}, channel {options['channel']}, "
            f"worker concurrency {options['concurrency']}",
            f"all delivered in {elapsed:.1f} s ({total / elapsed:.0f} a second)",
            f"sent: {sent}; delivery rows: {deliveries}; notifications: {notifications}",
            f"emails in the outbox: {sum(codes.values())} for {len(codes)} reminders "
            f"(expected {emails_expected})",
            f"duplicate emails: {duplicates}; missing emails: {missing}",
        ]
        self.stdout.write("\n".join(lines))

    def _stop(self, worker: subprocess.Popen[bytes]) -> None:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

    def _clean(self, run: str, recipients: list[User]) -> None:
        reminders = Reminder.objects.filter(dedupe_key__startswith=f"bench:{run}:")
        Notification.objects.filter(reminder__in=reminders).delete()
        Delivery.objects.filter(reminder__in=reminders).delete()
        reminders.delete()
        try:
            User.objects.filter(pk__in=[user.pk for user in recipients]).delete()
        except DatabaseError as error:  # e.g. another app's tables not migrated yet
            self.stderr.write(f"the benchmark's recipients stay (bench-{run}-*): {error}")
