from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from clinic.audit.models import AccessAction, AccessLog


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is set by the client and proves nothing,
    # unless a trusted proxy rewrites REMOTE_ADDR before us.
    return request.META.get("REMOTE_ADDR") or None


def access_log_record(
    *,
    request: HttpRequest,
    action: AccessAction | str,
    patient_code: uuid.UUID | None = None,
    obj: Any = None,
    actor: Any = None,
    actor_label: str = "",
    flagged: bool = False,
    note: str = "",
) -> AccessLog:
    """Append one access event for the request's user (or `actor`, for sign-in events)."""
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    return AccessLog.objects.create(
        actor=user,
        actor_label=(actor_label or (user.get_username() if user else ""))[:150],
        action=action,
        patient_code=patient_code,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_code=getattr(obj, "code", None),
        path=request.path[:300],
        request_id=getattr(request, "request_id", None),
        ip=client_ip(request),
        flagged=flagged,
        note=note[:300],
    )
