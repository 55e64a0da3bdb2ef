"""Clinic policy values that cross-cutting code reads (sessions, sign-in)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def session_idle_timeout() -> dt.timedelta:
    """How long a signed-in session may stay idle: the clinic policy, else the setting."""
    return settings.SESSION_IDLE_TIMEOUT
