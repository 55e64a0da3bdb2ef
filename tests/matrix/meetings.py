"""Permission-matrix rows for the meetings URLs (see tests/permission_matrix.py)."""

from __future__ import annotations

from tests.permission_matrix import Route

ROUTES: dict[str, Route] = {}
