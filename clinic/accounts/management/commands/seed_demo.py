"""Create the demo clinic on the first `make run`: one staff member per role.

Their usernames and one-time passwords are printed once, here; each must choose a new password
at first sign-in. Development only: the command refuses to run unless DEBUG is on.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.accounts import services
from clinic.accounts.models import Discipline, User
from clinic.accounts.roles import Role

DEMO_STAFF = [
    ("demo-clinician", "Alex", "Morgan", "Dr", Discipline.PAIN_ANAESTHESIA, [Role.CLINICIAN]),
    ("demo-coordinator", "Sam", "Patel", "", Discipline.COORDINATION, [Role.COORDINATOR]),
    ("demo-admin", "Jo", "Fischer", "", Discipline.ADMINISTRATION, [Role.ADMIN]),
]


class Command(BaseCommand):
    help = "Create demo staff (one per role) on an empty development database."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known demo accounts; it runs only with DEBUG=1.")
        if User.objects.exists():
            self.stdout.write(
                "Demo clinic already set up; its passwords were printed on first run."
            )
            return
        lines = []
        for username, first, last, title, discipline, roles in DEMO_STAFF:
            password = secrets.token_urlsafe(12)
            services.staff_create(
                username=username,
                email=f"{username}@example.org",
                first_name=first,
                last_name=last,
                title=title,
                discipline=discipline,
                roles=roles,
                password=password,
            )
            lines.append(f"  {username:<18} {password}   ({', '.join(roles)})")
        self.stdout.write(self.style.SUCCESS("Demo clinic created. Sign in with (shown once):"))
        for line in lines:
            self.stdout.write(line)
        self.stdout.write("Each demo user chooses a new password at first sign-in.")
