"""Breaking the glass: opening a restricted record outside its care team, with a reason."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction, AccessLog
from clinic.audit.services import access_log_record

MIN_REASON_LENGTH = 10


class BreakGlassError(ValueError):
    pass


@transaction.atomic
def break_glass(*, request: HttpRequest, patient_code: uuid.UUID, reason: str) -> AccessLog:
    """Open a restricted record for an hour: a flagged audit entry, and every admin is told."""
    from clinic.reminders.services import notify

    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise BreakGlassError(_("Say why you need this record (at least 10 characters)."))
    entry = access_log_record(
        request=request,
        action=AccessAction.BREAK_GLASS,
        patient_code=patient_code,
        flagged=True,
        note=reason,
    )
    audit_url = f"{reverse('audit:access-log')}?action={AccessAction.BREAK_GLASS}"
    for admin in User.objects.active().with_role(Role.ADMIN):
        notify(
            recipient=admin,
            title=_("A restricted record was opened by breaking the glass"),
            body=_("Review the flagged entry in the audit log."),
            link_url=audit_url,
            urgent=True,
            dedupe_key=f"break-glass:{entry.pk}:{admin.pk}",
        )
    return entry
