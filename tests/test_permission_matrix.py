"""Every URL of the project answers every persona as the permission matrix says."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.accounts.roles import Role
from tests.conftest import client_for, make_user
from tests.permission_matrix import (
    ADMIN,
    ANONYMOUS,
    CLINICIAN,
    COORDINATOR,
    INACTIVE,
    LOGIN,
    NO_ROLE,
    PERSONAS,
    ROUTES,
    build_objects,
)


def url_names(patterns: list[Any] | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            names.add(
                f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>"
            )
    return names


def test_every_url_pattern_has_an_entry_in_the_matrix() -> None:
    missing = url_names() - set(ROUTES)
    assert not missing, f"URLs without a permission-matrix entry: {sorted(missing)}"


def test_the_matrix_names_no_url_that_does_not_exist() -> None:
    stale = set(ROUTES) - url_names()
    assert not stale, f"Matrix entries for URLs that do not exist: {sorted(stale)}"


CASES = [
    (name, method, persona)
    for name, route in sorted(ROUTES.items())
    for method in ("get", "post")
    if getattr(route, method) is not None
    for persona in PERSONAS
]


PERSONA_ROLES = {
    NO_ROLE: (),
    CLINICIAN: (Role.CLINICIAN,),
    COORDINATOR: (Role.COORDINATOR,),
    ADMIN: (Role.ADMIN,),
    INACTIVE: (Role.ADMIN, Role.CLINICIAN, Role.COORDINATOR),
}


@pytest.mark.parametrize(("name", "method", "persona"), CASES)
@pytest.mark.django_db
def test_url_answers_persona_as_the_matrix_says(name: str, method: str, persona: str) -> None:
    objects = {"target_staff": make_user(Role.CLINICIAN), **build_objects()}
    # A second admin, so deactivating the target never trips the last-admin rule.
    make_user(Role.ADMIN)
    user = None
    if persona != ANONYMOUS:
        user = make_user(*PERSONA_ROLES[persona], is_active=persona != INACTIVE)
    client = client_for(user)
    route = ROUTES[name]
    spec = getattr(route, method)
    url = reverse(name, kwargs=route.kwargs(objects))

    response = getattr(client, method)(url, data=spec.data)

    expected = spec.expected(persona)
    if expected == LOGIN:
        assert response.status_code == 302, f"{method.upper()} {url} as {persona}"
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    else:
        assert response.status_code == expected, f"{method.upper()} {url} as {persona}"
