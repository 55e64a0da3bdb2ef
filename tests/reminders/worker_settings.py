"""Settings of the Celery workers that the delivery tests start: the project's, plus test knobs."""

from __future__ import annotations

import os

from clinic.settings import *  # noqa: F403
from clinic.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.reminders.apps.TestKindsConfig"]

if os.environ.get("TEST_EMAIL_BACKEND"):
    EMAIL_BACKEND = os.environ["TEST_EMAIL_BACKEND"]

# Small numbers, so that retries, sweeps and races happen within seconds.
REMINDERS_MAX_ATTEMPTS = 3
REMINDERS_RETRY_BACKOFF_SECONDS = 0.2
REMINDERS_RETRY_BACKOFF_MAX_SECONDS = 1
REMINDERS_CLAIM_TIMEOUT_SECONDS = float(os.environ.get("TEST_CLAIM_TIMEOUT", 900))
REMINDERS_DISPATCH_BATCH = int(os.environ.get("TEST_DISPATCH_BATCH", 1000))
REMINDERS_SEND_BATCH = int(os.environ.get("TEST_SEND_BATCH", 100))
