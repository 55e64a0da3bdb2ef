"""Fill the database with a clinic at scale for the benchmark (see clinic/scale/seed.py).

python manage.py seed_scale --patients 50000 --seed 7
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.scale.seed import ClinicSeeder
from patients.models import Patient


class Command(BaseCommand):
    help = "Seed a realistic clinic of N patients with COPY (deterministic with --seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--meeting-weeks",
            type=int,
            default=3 * 52,
            help="How many past weeks of team meetings (default three years).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add to a database that already holds patients.",
        )

    def handle(
        self, *args: Any, patients: int, seed: int, meeting_weeks: int, force: bool, **options: Any
    ) -> None:
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        existing = Patient.objects.count()
        if existing and not force:
            raise CommandError(
                f"The database already holds {existing} patients. Seed an empty database "
                "(or pass --force to add to it)."
            )
        started = time.monotonic()
        bar = ProgressBar(None if sys.stdout.isatty() else self._line)
        counts = ClinicSeeder(
            patients=patients, seed=seed, progress=bar, meeting_weeks=meeting_weeks
        ).run()
        bar.done()
        elapsed = time.monotonic() - started
        self.stdout.write(f"\nSeeded in {elapsed:.0f} s (seed {seed}):")
        width = max(len(label) for label in counts)
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label:<{width}}  {count:>12,}")
        self.stdout.write(f"  {'total rows':<{width}}  {sum(counts.values()):>12,}")

    def _line(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


class ProgressBar:
    """One line per stage: redrawn in place on a terminal, printed every 10 % otherwise."""

    def __init__(self, write_line: Any) -> None:
        self.write_line = write_line
        self.stage = ""
        self.last_tenth = -1
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            if self.stage and self.write_line is None:
                sys.stdout.write("\n")
            self.stage, self.last_tenth = stage, -1
        fraction = done / total if total else 1.0
        elapsed = time.monotonic() - self.started
        if self.write_line is None:
            filled = int(fraction * 30)
            sys.stdout.write(
                f"\r{stage:<18} [{'#' * filled}{'.' * (30 - filled)}] "
                f"{done:>7,}/{total:<7,} {elapsed:5.0f} s"
            )
            sys.stdout.flush()
            return
        tenth = int(fraction * 10)
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            self.write_line(f"{stage:<18} {fraction:4.0%}  {done:,}/{total:,}  {elapsed:.0f} s")

    def done(self) -> None:
        if self.write_line is None:
            sys.stdout.write("\n")
