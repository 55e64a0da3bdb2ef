"""Show how PostgreSQL runs the patient search on a clinic-sized table.

    python manage.py explain_patient_search --patients 50000 "Jonhson" "mar" "T0001234"

Seeds synthetic patients inside a transaction, prints EXPLAIN ANALYZE of the search query for
each term, then rolls everything back: the database is left as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from clinic.accounts.models import Group, User
from clinic.accounts.roles import Role
from patients import selectors
from patients.models import Patient
from patients.text import normalised_name

GIVEN = [
    "Maria",
    "José",
    "Anna",
    "John",
    "Fatima",
    "Mohammed",
    "Li",
    "Wei",
    "Olga",
    "Ivan",
    "Aoife",
    "Siobhán",
    "Chloé",
    "François",
    "Zoë",
    "Jürgen",
    "Amélie",
    "Kwame",
    "Ngozi",
    "Priya",
    "Arjun",
    "Sofía",
    "Mateo",
    "Émilie",
    "Lukas",
    "Björn",
    "Ingrid",
    "Yusuf",
    "Aylin",
    "Hana",
    "Kenji",
]
FAMILY = [
    "Johnson",
    "Smith",
    "García",
    "Müller",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Novák",
    "Papadopoulos",
    "Öztürk",
    "Silva",
    "Jansen",
    "Andersson",
    "Mensah",
    "Okafor",
    "Khan",
    "Patel",
    "Tanaka",
    "Kim",
    "Hernández",
    "López",
    "Łukasiewicz",
    "Søndergaard",
    "Fernández",
    "Byrne",
    "Murphy",
    "Schmidt",
    "Wagner",
    "Lefèvre",
    "Costa",
    "Ivanova",
    "Yilmaz",
    "Cohen",
]


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "EXPLAIN ANALYZE the patient search over synthetic patients (rolled back afterwards)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("terms", nargs="*", default=["Jonhson", "mar", "T0001234"])
        parser.add_argument("--patients", type=int, default=50_000)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                self._run(options["patients"], options["terms"])
                raise _Rollback
        except _Rollback:
            self.stdout.write("Rolled back: the synthetic patients are gone.")

    def _run(self, count: int, terms: list[str]) -> None:
        rng = random.Random(42)
        author = User.objects.create(username="explain-search-seed", discipline="nursing")
        author.groups.add(Group.objects.get(name=Role.CLINICIAN))
        batch = []
        for number in range(count):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            if rng.random() < 0.5:
                family = f"{family}{rng.randint(1, 999)}" if rng.random() < 0.3 else family
            batch.append(
                Patient(
                    mrn=f"T{number:07d}",
                    given_name=given,
                    family_name=family,
                    search_name=normalised_name(f"{given} {family}"),
                    date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 25000)),
                    created_by=author,
                )
            )
        Patient.objects.bulk_create(batch, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE patients_patient")
        for term in terms:
            queryset = selectors.patient_search(user=author, query=term)
            page = queryset[:25]
            self.stdout.write(
                self.style.MIGRATE_HEADING(f"\n=== {term!r}: {queryset.count()} matches")
            )
            self.stdout.write(page.explain(analyze=True))
