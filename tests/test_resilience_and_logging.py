"""Outages answer a clear 503; denied requests are audited; log lines cannot be forged."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import path, reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from clinic.accounts.models import User
from clinic.audit.models import AccessAction, AccessLog
from clinic.lib.logging import SingleLineFilter
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def database_down(request: object) -> None:
    raise OperationalError("connection to server failed: timeout expired")


def redis_down(request: object) -> None:
    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


database_down.allowed_roles = "any_staff"  # type: ignore[attr-defined]
redis_down.allowed_roles = "any_staff"  # type: ignore[attr-defined]
urlpatterns = [path("db/", database_down), path("redis/", redis_down)]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url", ["/db/", "/redis/"])
def test_an_outage_answers_a_clear_503_page(clinician: User, url: str) -> None:
    response = client_for(clinician, raise_request_exception=False).get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Temporarily unavailable" in page
    assert "Connection refused" not in page and "timeout expired" not in page


def test_a_denied_request_is_written_to_the_audit_log(clinician: User) -> None:
    response = client_for(clinician).get(reverse("accounts:staff-list"))
    assert response.status_code == 403
    entry = AccessLog.objects.get(action=AccessAction.DENIED)
    assert entry.actor == clinician
    assert entry.path == reverse("accounts:staff-list")


def test_user_input_cannot_forge_a_log_line() -> None:
    record = logging.LogRecord(
        "clinic",
        logging.INFO,
        __file__,
        1,
        "sign-in failed for %s",
        ("bob\n2026 INFO admin ok",),
        None,
    )
    SingleLineFilter().filter(record)
    message = record.getMessage()
    assert "\n" not in message
    assert message == "sign-in failed for bob\\n2026 INFO admin ok"


def test_the_console_handler_applies_the_filter(settings: object) -> None:
    from django.conf import settings as django_settings

    handler = django_settings.LOGGING["handlers"]["console"]
    assert "single_line" in handler["filters"]


def test_every_task_of_the_project_retries_a_database_outage_with_bounded_backoff() -> None:
    from django.db import OperationalError

    from clinic.celery import app

    app.loader.import_default_modules()
    ours = [
        task
        for name, task in app.tasks.items()
        if name.startswith(("clinic.", "patients.", "assessments.", "procedures.", "meetings."))
    ]
    assert len(ours) >= 5
    for task in ours:
        assert OperationalError in tuple(task.autoretry_for), task.name
        assert task.retry_backoff and task.retry_jitter, task.name
        assert 0 < task.max_retries <= 10, task.name
