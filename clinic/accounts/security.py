"""Sign-in throttling helpers (django-axes and the per-address limit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from clinic.audit.models import AccessAction, AccessLog
from clinic.audit.services import client_ip


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Usernames are case-insensitive, so failures for 'Clara' and 'clara' count together."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().lower()


def address_is_spraying(request: HttpRequest) -> bool:
    """Too many failed sign-ins from this address, whatever usernames were tried."""
    ip = client_ip(request)
    if ip is None:
        return False
    since = timezone.now() - dt.timedelta(minutes=15)
    failures = AccessLog.objects.filter(
        action=AccessAction.SIGN_IN_FAILED, ip=ip, at__gte=since
    ).count()
    return failures >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
