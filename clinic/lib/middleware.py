from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

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
        return redirect(reverse("accounts:password-change"))
