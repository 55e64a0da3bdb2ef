"""Personas and helpers shared by the whole suite.

The suite runs against the real PostgreSQL and Redis named by DATABASE_URL and REDIS_URL
(`make test` starts embedded ones when they are unset).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from django.test import Client

from clinic.accounts.models import Discipline, User
from clinic.accounts.roles import Role

PASSWORD = "correct-horse-battery-staple-42"
_counter = itertools.count(1)


def make_user(
    *roles: str,
    username: str | None = None,
    is_active: bool = True,
    discipline: str = Discipline.PAIN_ANAESTHESIA,
    password: str = PASSWORD,
    **extra: object,
) -> User:
    """A staff member with `roles`, a known password and no pending password change."""
    from django.contrib.auth.models import Group

    number = next(_counter)
    username = username or f"staff{number}"
    user = User(
        username=username,
        email=f"{username}@example.org",
        first_name=extra.pop("first_name", "Test"),  # type: ignore[arg-type]
        last_name=extra.pop("last_name", f"Person{number}"),  # type: ignore[arg-type]
        discipline=discipline,
        is_active=is_active,
        **extra,
    )
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


class HttpsClient(Client):
    """The test client as production sees requests: over HTTPS behind the TLS proxy."""

    def __init__(self, **defaults: object) -> None:
        defaults.setdefault("headers", {"X-Forwarded-Proto": "https"})
        super().__init__(**defaults)  # type: ignore[arg-type]


def verify_two_factor(client: Client, user: User) -> None:
    """Mark the client's session as having passed the second factor, as a code would."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def client_for(user: User | None, **kwargs: object) -> Client:
    """A client signed in as `user`, past the second factor."""
    client = HttpsClient(**kwargs)
    if user is not None:
        client.force_login(user)
        verify_two_factor(client, user)
    return client


def backup_code_for(user: User) -> str:
    """A fresh single-use backup code for `user` (what the person would read off their list)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="backup codes", defaults={"confirmed": True}
    )
    token = StaticToken.random_token()
    StaticToken.objects.create(device=device, token=token)
    return token


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the pages: password, then a backup code when the password was right."""
    from django.urls import reverse

    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    if response.status_code == 302:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = User.objects.get(username__iexact=username)
        # Someone who set up their authenticator earlier and now uses a backup code.
        TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "authenticator"}
        )
        client.post(reverse("accounts:two-factor-verify"), {"code": backup_code_for(user)})
    return response


def restore_seeded_catalogues() -> None:
    """Tests that run outside a wrapping transaction (browser tests, the scale seed) end with a
    flush that empties every table, seeded rows included: put back the medication and procedure
    catalogues and the clinic policy, as their migrations do (idempotent)."""
    import importlib

    from django.apps import apps as installed_apps

    for module, function in (
        ("patients.migrations.0003_catalogue_and_policy", "seed"),
        ("procedures.migrations.0002_seed_catalogue", "seed"),
    ):
        getattr(importlib.import_module(module), function)(installed_apps, None)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Production hashing is slow on purpose; the tests create hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_sign_in_policy() -> Iterator[None]:
    """Start each test with the sign-in rules of the migrated policy row already cached.

    They are cached in Redis, which a test's rolled-back transaction does not undo. Warm, as in
    production after the first request, so that pinned query counts do not depend on whether
    a request is the test's first.
    """
    from clinic.lib import policy

    policy.remember(policy.from_settings())
    yield
    policy.clear_cache()


@pytest.fixture(autouse=True)
def no_kept_pages() -> Iterator[None]:
    """Pages kept under a record's version live in the process; a test starts without them."""
    from django.core.cache import caches

    caches["records"].clear()
    yield
    caches["records"].clear()


@pytest.fixture
def client() -> Client:
    return HttpsClient()


@pytest.fixture
def clinician(db: None) -> User:
    return make_user(Role.CLINICIAN, username="clinician", first_name="Clara", last_name="Nguyen")


@pytest.fixture
def coordinator(db: None) -> User:
    return make_user(
        Role.COORDINATOR,
        username="coordinator",
        discipline=Discipline.COORDINATION,
        first_name="Cora",
        last_name="Osei",
    )


@pytest.fixture
def admin(db: None) -> User:
    return make_user(
        Role.ADMIN,
        username="admin",
        discipline=Discipline.ADMINISTRATION,
        first_name="Ada",
        last_name="Mensah",
    )


@pytest.fixture
def inactive_user(db: None) -> User:
    return make_user(Role.CLINICIAN, username="leaver", is_active=False)


@pytest.fixture
def no_role_user(db: None) -> User:
    return make_user(username="norole")


def free_port_for_tests() -> int:
    """A loopback port nothing listens on (for "service is down" tests)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable_redis_caches() -> dict[str, Any]:
    """The project's caches with the default one pointing at a Redis nobody listens on (for
    `override_settings(CACHES=...)`): the other caches stay as they are."""
    from django.conf import settings

    return {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port_for_tests()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }


def role_names(user: User) -> Iterable[str]:
    return sorted(user.groups.values_list("name", flat=True))
