from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from pghistory.middleware import HistoryMiddleware

Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Give each request an id that ties its history events and access-log rows together."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = uuid.uuid4()  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-Id"] = str(request.request_id)  # type: ignore[attr-defined]
        return response


class HistoryContextMiddleware(HistoryMiddleware):
    """Attach the acting user, the URL and the request id to every history event."""

    def get_context(self, request: Any) -> dict[str, Any]:
        context = super().get_context(request)
        context["request_id"] = str(getattr(request, "request_id", ""))
        return context


class NoStoreMiddleware:
    """Pages for signed-in staff may show patient data: browsers and proxies must not keep them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


class TwoFactorMiddleware:
    """A person who must use a second factor reaches nothing else until they have."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        from clinic.accounts import two_factor

        user = request.user
        if not user.is_authenticated or getattr(view_func, "login_required", True) is False:
            return None
        if getattr(view_func, "before_two_factor", False):
            return None
        if not two_factor.requires_verification(user):  # type: ignore[arg-type]
            return None
        if two_factor.has_two_factor(user):  # type: ignore[arg-type]
            return redirect(reverse("accounts:two-factor-verify"))
        return redirect(reverse("accounts:two-factor-setup"))


class MustChangePasswordMiddleware:
    """Someone signed in with a password an admin set must choose their own first."""

    allowed_url_names = frozenset({"accounts:password-change", "accounts:logout"})

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not (user.is_authenticated and getattr(user, "must_change_password", False)):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.allowed_url_names:
            return None
        if getattr(view_func, "login_required", True) is False:
            return None
        if getattr(view_func, "before_two_factor", False):
            return None
        return redirect(reverse("accounts:password-change"))


class SessionTimeoutMiddleware:
    """End a signed-in session after the idle timeout and after its absolute lifetime.

    Requests marked as background polling (header `X-Background-Poll: 1`, which our polling
    elements send) do not count as activity, so an open tab does not keep a session alive.
    """

    # Writing the session on every click costs a query; a minute's precision is enough.
    touch_every = 60

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                from django.contrib import messages
                from django.contrib.auth import logout

                logout(request)
                messages.info(request, expired)
                # Encoded, so a path holding "&", "?" or "#" stays one `next` value.
                query = urlencode({"next": request.path})
                return redirect(f"{reverse('accounts:login')}?{query}")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        from django.conf import settings
        from django.utils.translation import gettext as _

        from clinic.lib.policy import session_idle_timeout

        now = time.time()
        session = request.session
        started = session.setdefault("signed_in_at", now)
        last = session.get("last_activity", started)
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
            return _("You were signed out: sessions last at most 12 hours. Please sign in again.")
        idle = session_idle_timeout()
        if now - last > idle.total_seconds():
            minutes = int(idle.total_seconds() // 60)
            return _("You were signed out after %(minutes)s minutes without activity.") % {
                "minutes": minutes
            }
        polling = request.headers.get("X-Background-Poll") == "1"
        if not polling and now - last >= self.touch_every:
            session["last_activity"] = now
        return ""


class ServiceUnavailableMiddleware:
    """A clear 503 page, quickly, when PostgreSQL or Redis does not answer.

    The database connects with a timeout and Redis with socket timeouts (settings), so a
    request fails within seconds instead of hanging; this turns that failure into a page that
    says what happened. Nothing on the page needs the database.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except Exception as error:
            if not is_outage(error):
                raise
            return outage_response(error)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(exception) if is_outage(exception) else None


def is_outage(error: BaseException) -> bool:
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    outages = (
        OperationalError,
        InterfaceError,
        RedisConnectionError,
        RedisTimeoutError,
        BrokerError,
    )
    return isinstance(error, outages)


def outage_response(error: BaseException) -> HttpResponse:
    import logging

    from django.template import loader

    logging.getLogger(__name__).error("service unavailable: %s", type(error).__name__)
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = "30"
    return response
