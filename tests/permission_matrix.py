"""Who may use every URL of the project: role × URL × method → expected status.

Each app adds its routes here. `tests/test_permission_matrix.py` fails when a URL pattern of the
project has no entry, so a new view cannot ship without declaring who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS = "anonymous"
INACTIVE = "inactive"
NO_ROLE = "no_role"
CLINICIAN = "clinician"
COORDINATOR = "coordinator"
ADMIN = "admin"

PERSONAS = (ANONYMOUS, INACTIVE, NO_ROLE, CLINICIAN, COORDINATOR, ADMIN)
SIGNED_IN = frozenset({NO_ROLE, CLINICIAN, COORDINATOR, ADMIN})
EVERYONE = frozenset(PERSONAS)

# Statuses with a name, so each row reads as a sentence.
OK = 200
REDIRECT = 302
LOGIN = "login"  # a redirect to the sign-in page
FORBIDDEN = 403
NOT_ALLOWED = 405


@dataclass(frozen=True)
class Method:
    """Who may use one method, and what they get when they do.

    `allowed` personas get `ok`; other signed-in personas get 403; anonymous and inactive
    visitors (whose session no longer counts) are sent to sign in, unless the route is public.
    `overrides` pins the answer for a persona where it differs (e.g. a signed-in person
    visiting the sign-in page is redirected home).
    """

    allowed: frozenset[str]
    ok: int = OK
    data: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, int | str] = field(default_factory=dict)

    def expected(self, persona: str) -> int | str:
        if persona in self.overrides:
            return self.overrides[persona]
        if persona in self.allowed:
            return self.ok
        if persona in (ANONYMOUS, INACTIVE):
            return LOGIN
        return FORBIDDEN


@dataclass(frozen=True)
class Route:
    """One URL name, how to fill its arguments, and its methods."""

    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = lambda objects: {}
    get: Method | None = None
    post: Method | None = None


def staff_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["target_staff"].code}


FOUNDATION_ROUTES: dict[str, Route] = {
    "home": Route(get=Method(SIGNED_IN)),
    "healthz": Route(get=Method(EVERYONE)),
    "bench-floor": Route(get=Method(SIGNED_IN)),
    # Accounts: sign-in and password reset are public; the rest needs a signed-in person.
    "accounts:login": Route(
        get=Method(EVERYONE, overrides={p: REDIRECT for p in SIGNED_IN}),
        post=Method(EVERYONE, overrides={p: REDIRECT for p in SIGNED_IN}),
    ),
    "accounts:logout": Route(
        get=Method(SIGNED_IN, ok=NOT_ALLOWED), post=Method(SIGNED_IN, ok=REDIRECT)
    ),
    "accounts:profile": Route(get=Method(SIGNED_IN)),
    "accounts:password-change": Route(get=Method(SIGNED_IN), post=Method(SIGNED_IN)),
    "accounts:password-change-done": Route(get=Method(SIGNED_IN)),
    "accounts:password-reset": Route(get=Method(EVERYONE), post=Method(EVERYONE)),
    "accounts:password-reset-done": Route(get=Method(EVERYONE)),
    "accounts:password-reset-confirm": Route(
        kwargs=lambda objects: {"uidb64": "MQ", "token": "set-password"},
        get=Method(EVERYONE),
    ),
    "accounts:password-reset-complete": Route(get=Method(EVERYONE)),
    # Two-factor pages come between password and second factor; everyone signed in may.
    "accounts:two-factor-setup": Route(get=Method(SIGNED_IN), post=Method(SIGNED_IN)),
    # Without an authenticator yet, verifying sends the person to set one up.
    "accounts:two-factor-verify": Route(
        get=Method(SIGNED_IN, ok=REDIRECT), post=Method(SIGNED_IN, ok=REDIRECT)
    ),
    "accounts:staff-two-factor-reset": Route(
        kwargs=staff_code,
        get=Method(frozenset({ADMIN})),
        post=Method(frozenset({ADMIN}), ok=REDIRECT),
    ),
    "accounts:staff-list": Route(get=Method(frozenset({ADMIN}))),
    "accounts:staff-create": Route(get=Method(frozenset({ADMIN})), post=Method(frozenset({ADMIN}))),
    "accounts:staff-edit": Route(
        kwargs=staff_code, get=Method(frozenset({ADMIN})), post=Method(frozenset({ADMIN}))
    ),
    "accounts:staff-deactivate": Route(
        kwargs=staff_code,
        get=Method(frozenset({ADMIN})),
        post=Method(frozenset({ADMIN}), ok=REDIRECT),
    ),
    "accounts:staff-reactivate": Route(
        kwargs=staff_code,
        get=Method(frozenset({ADMIN})),
        post=Method(frozenset({ADMIN}), ok=REDIRECT),
    ),
    # Audit: admins only.
    "audit:access-log": Route(get=Method(frozenset({ADMIN}))),
    "audit:staff-changes": Route(get=Method(frozenset({ADMIN}))),
}


def _matrix_modules() -> tuple[Any, ...]:
    from tests.matrix import assessments, meetings, patients, procedures, reminders

    return (patients, reminders, assessments, procedures, meetings)


def build_objects() -> dict[str, Any]:
    """Objects the routes' kwargs need: each matrix module may define `build_objects() -> dict`."""
    objects: dict[str, Any] = {}
    for module in _matrix_modules():
        build = getattr(module, "build_objects", None)
        if build is not None:
            objects.update(build())
    return objects


def _all_routes() -> dict[str, Route]:
    # Each app keeps its own rows in tests/matrix/<app>.py as a ROUTES dict.
    routes = dict(FOUNDATION_ROUTES)
    for module in _matrix_modules():
        overlap = set(routes) & set(module.ROUTES)
        assert not overlap, f"URL names listed twice in the matrix: {sorted(overlap)}"
        routes.update(module.ROUTES)
    return routes


ROUTES = _all_routes()
