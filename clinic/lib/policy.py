"""Clinic policy values that cross-cutting code reads (sessions, sign-in)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def session_idle_timeout() -> dt.timedelta:
    """How long a signed-in session may stay idle: the clinic policy, else the setting."""
    return settings.SESSION_IDLE_TIMEOUT


def two_factor_required_for_all() -> bool:
    """Whether every staff member, not only admins, must use a second factor (default on)."""
    return bool(settings.TWO_FACTOR_REQUIRED_FOR_ALL)
