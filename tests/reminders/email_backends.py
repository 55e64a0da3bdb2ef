"""Email backends for the delivery tests, loaded by the workers through TEST_EMAIL_BACKEND."""

from __future__ import annotations

import os
import smtplib
import time
from pathlib import Path
from typing import Any

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class AlwaysFailingBackend(FileBackend):
    """A mail server that drops the connection every time."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("the test mail server hung up")


class SlowFirstBackend(FileBackend):
    """Hangs on the first message ever (TEST_SLOW_MARKER says it started), then works.

    The hang comes before anything is written: killing the worker then is "mid-send".
    """

    def send_messages(self, email_messages: Any) -> int:
        marker = Path(os.environ["TEST_SLOW_MARKER"])
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(60)
        return super().send_messages(email_messages)


class SteadyBackend(FileBackend):
    """Takes TEST_EMAIL_DELAY seconds per message, like a real mail server."""

    def send_messages(self, email_messages: Any) -> int:
        time.sleep(float(os.environ.get("TEST_EMAIL_DELAY", "0.01")) * len(email_messages))
        return super().send_messages(email_messages)
