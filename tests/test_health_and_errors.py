"""The health check, and the pages people see when something is missing or broken."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import path

from clinic.accounts.models import User
from tests.conftest import HttpsClient, client_for, unreachable_redis_caches

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_without_sign_in_and_shows_only_status() -> None:
    response = HttpsClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_healthz_answers_503_when_redis_does_not_respond() -> None:
    with override_settings(CACHES=unreachable_redis_caches()):
        response = HttpsClient().get("/healthz")
    caches["default"].close()
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "unavailable"}


def test_pages_name_the_clinic_icon_and_it_is_served(clinician: User) -> None:
    page = client_for(clinician).get("/").content.decode()
    link = re.search(r'<link rel="icon" href="(/static/favicon[.\w]*\.svg)" type="image/svg', page)
    assert link is not None
    icon = client_for(clinician).get(link.group(1))
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]


def test_an_unknown_address_shows_the_404_page_in_the_apps_layout(clinician: User) -> None:
    response = client_for(clinician).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Not found" in page
    assert 'href="/"' in page


def test_an_unknown_address_answers_an_anonymous_visitor_with_a_plain_404() -> None:
    response = HttpsClient().get("/no-such-page/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def broken_view(request: object) -> None:
    raise RuntimeError("secret detail: stack frames must not leak")


broken_view.allowed_roles = "any_staff"  # type: ignore[attr-defined]
urlpatterns = [path("boom/", broken_view)]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_shows_a_generic_page_without_details(clinician: User) -> None:
    client = client_for(clinician, raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "secret detail" not in page
    assert "Traceback" not in page


def test_the_sign_in_page_needs_no_session() -> None:
    response = Client(headers={"X-Forwarded-Proto": "https"}).get("/accounts/sign-in/")
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()
