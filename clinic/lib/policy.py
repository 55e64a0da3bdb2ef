"""Clinic policy values that cross-cutting code reads (sessions, sign-in).

The values live in the clinic policy that admins edit (`patients.ClinicPolicy`). This module
sits below the apps and imports none of them: the patients app registers the function that
reads the row, in its `AppConfig.ready()`:

    from clinic.lib import policy
    policy.register_source(selectors.policy_sign_in)

Every signed-in request reads these values, so they are cached in Redis, shared by all web
processes; saving the policy forgets the cached copy (`forget_cached`). The settings
`SESSION_IDLE_TIMEOUT` and `TWO_FACTOR_REQUIRED_FOR_ALL` apply only while no policy row exists.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# An invalidation can lose a race with a request that read the old row just before the save
# committed; the cached copy lives at most this long, so such a stale value does not last.
CACHE_SECONDS = 60


@dataclass(frozen=True)
class SignInPolicy:
    session_idle_minutes: int
    two_factor_required_for_all: bool


Source = Callable[[], SignInPolicy | None]

_sources: list[Source] = []


def register_source(source: Source) -> None:
    """The function that reads the policy row (None when there is no row)."""
    _sources[:] = [source]


def _cache_key() -> str:
    # Test workers (and clinics) may share one Redis while each has its own database.
    database = connection.settings_dict
    return f"policy:sign-in:v1:{database['HOST']}:{database['PORT']}:{database['NAME']}"


def from_settings() -> SignInPolicy:
    """The fallback while no policy row exists (the migration carried these into the row)."""
    return SignInPolicy(
        session_idle_minutes=int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60),
        two_factor_required_for_all=bool(settings.TWO_FACTOR_REQUIRED_FOR_ALL),
    )


def _load() -> SignInPolicy:
    for source in _sources:
        found = source()
        if found is not None:
            return found
    return from_settings()


def sign_in_policy() -> SignInPolicy:
    key = _cache_key()
    try:
        cached = cache.get(key)
    except RedisError:
        # Without Redis the database still answers; signing in must not depend on the cache.
        logger.warning("clinic policy cache unavailable; reading the database", exc_info=True)
        return _load()
    if cached is not None:
        return SignInPolicy(**cached)
    loaded = _load()
    remember(loaded)
    return loaded


def remember(policy: SignInPolicy) -> None:
    """Cache `policy` as the current one for CACHE_SECONDS."""
    try:
        cache.set(_cache_key(), asdict(policy), CACHE_SECONDS)
    except RedisError:
        logger.warning("clinic policy cache unavailable; not caching", exc_info=True)


def clear_cache() -> None:
    """Forget the cached values now."""
    try:
        cache.delete(_cache_key())
    except RedisError:
        logger.warning("clinic policy cache unavailable; nothing to forget", exc_info=True)


def forget_cached() -> None:
    """Called by the service that saves the policy.

    Forgets now, and again once the save commits: a request may have cached the old row
    between the two.
    """
    clear_cache()
    transaction.on_commit(clear_cache)


def session_idle_timeout() -> dt.timedelta:
    """How long a signed-in session may stay idle (clinic policy, default 15 minutes)."""
    return dt.timedelta(minutes=sign_in_policy().session_idle_minutes)


def two_factor_required_for_all() -> bool:
    """Whether every staff member, not only admins, must use a second factor (default on)."""
    return sign_in_policy().two_factor_required_for_all
