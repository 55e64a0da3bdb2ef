"""Who may use which view.

Deny by default: Django's LoginRequiredMiddleware sends anonymous visitors to sign in, and
`RoleMiddleware` answers 403 to any view that has not declared its roles with `@roles(...)`,
`@any_staff` or `@public`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinic.accounts.roles import ROLE_NAMES

View = TypeVar("View", bound=Callable[..., Any])

ANY_STAFF = "any_staff"


def roles(*allowed: str) -> Callable[[View], View]:
    """Allow a view to signed-in staff holding at least one of `allowed` roles."""
    unknown = set(allowed) - ROLE_NAMES
    if unknown or not allowed:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")

    def decorate(view: View) -> View:
        view.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def any_staff(view: View) -> View:
    """Allow a view to every signed-in, active staff member, whatever their roles."""
    view.allowed_roles = ANY_STAFF  # type: ignore[attr-defined]
    return view


def public(view: View) -> View:
    """Allow a view without signing in (sign-in, password reset, health check)."""
    view.allowed_roles = ANY_STAFF  # type: ignore[attr-defined]
    return login_not_required(view)


def before_two_factor(view: View) -> View:
    """Reachable between the password and the second factor (set-up, verify, sign out)."""
    view.before_two_factor = True  # type: ignore[attr-defined]
    return view


def user_may(user: Any, allowed: frozenset[str] | str | None) -> bool:
    if allowed is None:
        return False
    if allowed == ANY_STAFF:
        return True
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*allowed))


class RoleMiddleware:
    """403 for views whose declared roles the user lacks, and for undeclared views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        allowed = getattr(view_func, "allowed_roles", None)
        if not user_may(request.user, allowed):
            raise PermissionDenied
