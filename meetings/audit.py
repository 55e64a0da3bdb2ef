"""Access-log rows for pages that show many patients at once (agendas, summaries, minutes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from clinic.audit.models import AccessAction, AccessLog
from clinic.audit.services import client_ip


def log_patients(
    request: HttpRequest,
    *,
    action: AccessAction | str,
    patient_codes: Iterable[Any],
    obj: Any,
    note: str = "",
) -> int:
    """One access-log row per patient shown (by public code), in one insert (not one each)."""
    user = request.user if request.user.is_authenticated else None
    common = {
        "actor": user,
        "actor_label": user.get_username()[:150] if user else "",
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_code": obj.code,
        "path": request.path[:300],
        "request_id": getattr(request, "request_id", None),
        "ip": client_ip(request),
        "note": note[:300],
    }
    codes = list(dict.fromkeys(patient_codes))
    AccessLog.objects.bulk_create([AccessLog(patient_code=code, **common) for code in codes])
    return len(codes)
