"""Schedule a test reminder for a staff member, to watch it reach the inbox and the outbox once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from clinic.reminders.kinds import TEST
from clinic.reminders.models import Channel
from clinic.reminders.services import reminder_schedule


class Command(BaseCommand):
    help = "Schedule a test reminder (email and in the app) due in N seconds. DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--in", dest="seconds", type=int, default=60, help="seconds from now (default 60)"
        )
        parser.add_argument("--channel", choices=Channel.values, default=Channel.BOTH)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("schedule_test_reminder runs only with DEBUG=1.")
        try:
            user = User.objects.get(username__iexact=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No staff member is called {options['username']!r}.") from None
        due_at = timezone.now() + timedelta(seconds=options["seconds"])
        reminder = reminder_schedule(
            kind=TEST,
            dedupe_key=f"test:{user.code}:{uuid.uuid4()}",
            due_at=due_at,
            recipient=user,
            channel=options["channel"],
            link_url=reverse("reminders:notification-list"),
        )
        outbox = getattr(settings, "EMAIL_FILE_PATH", "the email backend")
        self.stdout.write(
            f"Test reminder {reminder.code} for {user.username} is due at "
            f"{timezone.localtime(due_at):%H:%M:%S}. The beat dispatches due reminders every "
            f"minute: it appears once in the inbox and once in {outbox}."
        )
