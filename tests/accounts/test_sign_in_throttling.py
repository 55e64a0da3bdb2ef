"""Sign-in throttling: five failures lock a username and address; spraying is stopped too."""

from __future__ import annotations

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from clinic.accounts.models import User
from tests.conftest import PASSWORD, HttpsClient

pytestmark = pytest.mark.django_db

LOCKED = "Too many sign-in attempts failed."


def attempt(client: HttpsClient, username: str, password: str) -> object:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_five_failures_lock_the_username_for_fifteen_minutes(clinician: User) -> None:
    client = HttpsClient()
    for _ in range(5):
        attempt(client, "clinician", "wrong-guess")

    locked = attempt(client, "Clinician", PASSWORD)

    assert locked.status_code in (403, 429)
    assert LOCKED in locked.content.decode()
    with _later(minutes=16):
        again = attempt(HttpsClient(), "clinician", PASSWORD)
    assert again.status_code == 302


def _later(*, minutes: int) -> time_machine.travel:
    import datetime as dt

    from django.utils import timezone

    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False)


def test_a_locked_out_stranger_sees_the_same_page_as_a_real_user(clinician: User) -> None:
    for username in ("clinician", "nobody-by-this-name"):
        client = HttpsClient()
        for _ in range(5):
            attempt(client, username, "wrong-guess")
        page = attempt(client, username, "wrong-guess").content.decode()
        assert LOCKED in page


@override_settings(SIGN_IN_ADDRESS_FAILURE_LIMIT=8)
def test_spraying_many_usernames_from_one_address_is_stopped(clinician: User) -> None:
    client = HttpsClient()
    for number in range(8):
        attempt(client, f"guess{number}", "Winter2026!")

    refused = attempt(client, "clinician", PASSWORD)

    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
