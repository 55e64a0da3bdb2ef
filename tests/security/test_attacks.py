"""Tests that attack the app the way an insider or a malicious page would.

They run over every route of the permission matrix, so a new page is attacked as soon as it is
listed there: stored script injection in every free-text field, fuzzed query parameters, CSRF on
every state-changing request, and GET requests that must change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.test import Client
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from tests.conftest import client_for, make_user, verify_two_factor
from tests.permission_matrix import ADMIN, CLINICIAN, COORDINATOR, ROUTES, build_objects

PAYLOAD = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
OUR_APPS = ("accounts", "audit", "reminders", "patients", "assessments", "procedures", "meetings")
EVERY_ROLE = (Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN)

pytestmark = pytest.mark.django_db


def world() -> tuple[dict[str, Any], User]:
    objects = {"target_staff": make_user(Role.CLINICIAN), **build_objects()}
    make_user(Role.ADMIN)
    return objects, make_user(*EVERY_ROLE, first_name="Sec", last_name="Tester")


def get_routes() -> list[str]:
    return sorted(name for name, route in ROUTES.items() if route.get is not None)


def post_routes() -> list[str]:
    return sorted(name for name, route in ROUTES.items() if route.post is not None)


def allowed_persona(method_spec: Any) -> bool:
    return bool({CLINICIAN, COORDINATOR, ADMIN} & set(method_spec.allowed))


def free_text_fields(model: type[models.Model]) -> list[str]:
    names = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if field.choices or field.unique or field.primary_key:
            continue
        if field.name in {"username", "email", "password", "link_url", "dedupe_key"}:
            continue
        if isinstance(field, models.CharField) and (field.max_length or 0) < len(PAYLOAD):
            continue
        names.append(field.name)
    return names


def poison_every_free_text_field() -> int:
    poisoned = 0
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or model._meta.proxy:
            continue
        if model._meta.db_table.endswith("event") or not model._meta.managed:
            continue
        fields = free_text_fields(model)
        if not fields:
            continue
        # The access log refuses updates by design; it is poisoned through new rows instead.
        if model._meta.label == "audit.AccessLog":
            continue
        for field in fields:
            # A field a database constraint keeps empty (a reason only for entries in error)
            # cannot hold the payload; every other one does.
            try:
                with transaction.atomic():
                    poisoned += model._default_manager.update(**{field: PAYLOAD})
            except IntegrityError:
                continue
    return poisoned


def test_stored_script_injection_in_every_free_text_field_is_escaped_on_every_page() -> None:
    objects, user = world()
    assert poison_every_free_text_field() > 10
    client = client_for(user)
    for name in get_routes():
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(objects))
        response = client.get(url, follow=False)
        assert response.status_code < 500, f"{url} failed with stored payloads"
        if not response.get("Content-Type", "").startswith("text/html"):
            # Calendar files and CSV exports are not rendered by a browser as pages.
            continue
        body = response.content.decode(errors="replace")
        assert "<script>alert(1)</script>" not in body, f"{url} renders an unescaped script"
        assert "onerror=alert(2)>" not in body, f"{url} renders an unescaped attribute"


FUZZ_VALUES = [
    "' OR '1'='1",
    "'; DROP TABLE patients_patient; --",
    "1 UNION SELECT password FROM accounts_user",
    "%00",
    "\x00",
    "-1",
    "99999999999999999999",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "name,-id,(select 1)",
    "2026-13-45",
    "🙂" * 50,
    "a" * 5000,
]
FUZZ_PARAMS = [
    "q",
    "sort",
    "page",
    "status",
    "clinician",
    "role",
    "person",
    "patient",
    "mrn",
    "action",
    "date_from",
    "date_to",
    "kind",
    "recipient",
    "due_from",
    "due_to",
    "in_error",
    "test",
    "type",
    "operator",
    "from",
    "to",
]


def test_fuzzed_query_parameters_never_cause_a_server_error() -> None:
    objects, user = world()
    client = client_for(user)
    for name in get_routes():
        route = ROUTES[name]
        if not allowed_persona(route.get):
            continue
        url = reverse(name, kwargs=route.kwargs(objects))
        for value in FUZZ_VALUES:
            response = client.get(url, dict.fromkeys(FUZZ_PARAMS, value))
            assert response.status_code < 500, f"{url} with {value!r}"


def test_fuzzing_cannot_widen_a_search() -> None:
    from tests.patients.helpers import make_patient

    _objects, user = world()
    for number in range(3):
        make_patient(family_name=f"Zzyzx{number}")
    client = client_for(user)
    url = reverse("patients:patient-list")
    for value in ("' OR '1'='1", "%", "_", "*", ".*"):
        page = client.get(url, {"q": value})
        assert page.status_code == 200
        assert "Zzyzx" not in page.content.decode(), f"{value!r} matched every patient"


def row_counts() -> dict[str, int]:
    skip = ("django_session", "axes_", "audit_accesslog", "pghistory_context", "otp_")
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            meta = model._meta
            if table.startswith(skip) or not meta.managed or meta.proxy:
                continue
            if meta.app_label == "pghistory":
                continue
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def test_no_get_request_changes_anything() -> None:
    objects, user = world()
    client = client_for(user)
    client.get(reverse("home"))
    before = row_counts()
    for name in get_routes():
        route = ROUTES[name]
        client.get(reverse(name, kwargs=route.kwargs(objects)))
    after = row_counts()
    changed = {
        table: (before[table], after[table]) for table in before if before[table] != after[table]
    }
    assert changed == {}


def test_every_state_changing_request_needs_the_csrf_token() -> None:
    objects, user = world()
    client = Client(enforce_csrf_checks=True, headers={"X-Forwarded-Proto": "https"})
    client.force_login(user)
    verify_two_factor(client, user)
    for name in post_routes():
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(objects))
        response = client.post(url, route.post.data)
        assert response.status_code == 403, f"POST {url} without a CSRF token"
