"""What an htmx request asks for (django-htmx sets `request.htmx`)."""

from __future__ import annotations

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """True when htmx asks for a part of a page to swap in; False for a page in full, which is
    what a browser without JavaScript, or htmx restoring its history, gets."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)
