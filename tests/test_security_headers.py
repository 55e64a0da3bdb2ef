"""Headers and cookies that protect every response, and the session lifetime rules."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from patients.models import ClinicPolicy
from tests.conftest import PASSWORD, HttpsClient, client_for, sign_in, unreachable_redis_caches
from tests.patients.helpers import edit_policy

pytestmark = pytest.mark.django_db


def csp_of(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/accounts/sign-in/", "/no-such-page/", "/healthz"])
def test_every_response_carries_a_strict_content_security_policy(path: str) -> None:
    response = HttpsClient().get(path)
    policy = csp_of(response)
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    # The nonce appears when the page has a script that needs it.
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9+/=]+')?", policy["script-src"])
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_forbidden_pages_carry_the_policy_too(clinician: User) -> None:
    response = client_for(clinician).get(reverse("accounts:staff-list"))
    assert response.status_code == 403
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_every_script_tag_carries_this_responses_nonce(clinician: User) -> None:
    response = client_for(clinician).get(reverse("home"))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    page = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert all(f'nonce="{nonce}"' in tag for tag in inline_scripts)
    assert "<style" not in page and " style=" not in page


def test_production_headers_and_cookies() -> None:
    response = HttpsClient().get(reverse("accounts:login"))
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csrf = response.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]


def test_the_session_cookie_is_a_secure_host_only_cookie(clinician: User) -> None:
    client = HttpsClient()
    response = client.post(
        reverse("accounts:login"), {"username": "clinician", "password": PASSWORD}
    )
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/"


def test_plain_http_is_sent_to_https() -> None:
    from django.test import Client

    response = Client().get("/accounts/sign-in/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def signed_in(clinician: User) -> HttpsClient:
    client = HttpsClient()
    sign_in(client, "clinician")
    return client


def test_a_session_ends_after_fifteen_idle_minutes(clinician: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(clinician)
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=28), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=44), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.get(reverse("home")).status_code == 302


def test_the_idle_timeout_follows_the_clinic_policy(clinician: User, admin: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(clinician)
        assert client.get(reverse("home")).status_code == 200  # reads the 15-minute default
        saved = edit_policy(client_for(admin), session_idle_minutes="30")
        assert saved.status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=51), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_change_of_the_idle_timeout_is_kept_in_the_policy_history(admin: User) -> None:
    edit_policy(client_for(admin), session_idle_minutes="30")

    event = ClinicPolicy.pgh_event_models["insert"].objects.get(pgh_label="update")
    assert (event.session_idle_minutes, event.pgh_context.metadata["user"]) == (30, admin.pk)


@pytest.mark.parametrize("minutes", ["4", "121"])
def test_the_idle_timeout_stays_between_five_minutes_and_two_hours(
    admin: User, minutes: str
) -> None:
    response = edit_policy(client_for(admin), session_idle_minutes=minutes)

    assert "session_idle_minutes" in response.context["form"].errors
    assert ClinicPolicy.objects.get().session_idle_minutes == 15


def test_the_idle_timeout_is_read_from_the_cache_not_the_database(clinician: User) -> None:
    client = client_for(clinician)
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200

    assert not [query for query in queries if "patients_clinicpolicy" in query["sql"]]


def test_the_sign_in_rules_come_from_the_database_while_redis_is_down(
    clinician: User, admin: User
) -> None:
    client = client_for(clinician)
    edit_policy(client_for(admin), two_factor_required_for_all="False")
    with override_settings(CACHES=unreachable_redis_caches()):
        page = client.get(reverse("home"))
        password_only = HttpsClient()
        password_only.post(
            reverse("accounts:login"), {"username": "clinician", "password": PASSWORD}
        )
        home = password_only.get(reverse("home"))
    caches["default"].close()

    assert page.status_code == 200
    assert home.status_code == 200  # the policy row (two-factor off), not the cache


def test_background_polling_does_not_keep_a_session_alive(clinician: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(clinician)
        client.get(reverse("home"))
    for minutes in (5, 10, 14):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            polled = client.get(reverse("home"), headers={"X-Background-Poll": "1"})
            assert polled.status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert client.get(reverse("home")).status_code == 302


def test_a_session_ends_after_twelve_hours_however_busy(clinician: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(clinician)
        client.get(reverse("home"))
    for hour in range(1, 12):
        for quarter in (0, 10, 20, 30, 40, 50):
            moment = start + dt.timedelta(hours=hour - 1, minutes=quarter)
            with time_machine.travel(moment, tick=False):
                client.get(reverse("home"))
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
