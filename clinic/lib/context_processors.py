from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the top navigation may show: the person's roles, read once per request."""
    user = getattr(request, "user", None)
    roles = user.roles if user is not None and user.is_authenticated else frozenset()
    return {
        "user_roles": roles,
        "user_roles_key": "-".join(sorted(roles)),
        "clinic_name": settings.CLINIC_NAME,
    }


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """The nonce of this response's Content-Security-Policy, under the name django-htmx reads."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
