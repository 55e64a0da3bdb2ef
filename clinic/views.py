"""Pages of the project that belong to no app: the dashboard, the health check, error pages."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.lib.access import any_staff, public

logger = logging.getLogger(__name__)


@any_staff
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/home.html")


@any_staff
@require_http_methods(["GET"])
def bench_floor(request: HttpRequest) -> HttpResponse:
    """The benchmark's floor: one query of a dozen rows and a small template, through the full
    middleware stack (sessions, sign-in, two-factor, roles, CSP). `make bench` compares every
    page with it; it shows only the medication catalogue, no patient data."""
    from patients.models import Drug

    drugs = list(Drug.objects.order_by("name").values_list("name", "drug_class")[:12])
    return render(request, "clinic/bench_floor.html", {"drugs": drugs})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not healthy"; the reason goes to the log
        logger.warning("health check: database unavailable", exc_info=True)
        return False


def _redis_ok() -> bool:
    try:
        return bool(cache._cache.get_client().ping())  # type: ignore[attr-defined]
    except Exception:
        logger.warning("health check: redis unavailable", exc_info=True)
        return False


@public
@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> JsonResponse:
    status = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(status.values())
    body = {name: "ok" if ok else "unavailable" for name, ok in status.items()}
    return JsonResponse(body, status=200 if healthy else 503)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Denied requests are part of the audit trail: who tried to reach what.
    from clinic.audit.models import AccessAction
    from clinic.audit.services import access_log_record
    from patients.access import BreakGlassRequired

    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        access_log_record(request=request, action=AccessAction.DENIED)
    if isinstance(exception, BreakGlassRequired):
        context = {"patient_code": exception.patient_code, "next": request.get_full_path()}
        return render(request, "patients/break_glass.html", context, status=403)
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request, so no context processor touches the database: the error
    # may be the database.
    return HttpResponseServerError(loader.get_template("500.html").render())
