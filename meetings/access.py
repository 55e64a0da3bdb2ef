"""Who may do what with team meetings (DESIGN.md section 4).

Coordinators run everything; clinicians read meetings and agendas, propose cases and record
decisions and actions during a meeting; admins see no meeting page (they hold patient data) but
have their own actions. A case whose patient record the user may not open is shown without
details; the case's own pages answer 404 to them. Actions belong to their owner (and
coordinators).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from clinic.accounts.roles import Role
from meetings.models import ActionItem, AgendaItem, Meeting, MeetingSeries
from patients.access import visible_patients

PARTICIPANTS = (Role.CLINICIAN, Role.COORDINATOR)
MANAGERS = (Role.COORDINATOR,)


def can_manage(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(*MANAGERS))


def can_take_part(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(*PARTICIPANTS))


def get_meeting(request: HttpRequest, code: Any) -> Meeting:
    try:
        return Meeting.objects.select_related("chair", "series").get(code=code)
    except (Meeting.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing


def get_series(request: HttpRequest, code: Any) -> MeetingSeries:
    try:
        return MeetingSeries.objects.get(code=code)
    except (MeetingSeries.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing


def get_item(request: HttpRequest, code: Any, *, meeting: Meeting | None = None) -> AgendaItem:
    """A case whose patient the user may open; of `meeting` when given (else any meeting)."""
    items = AgendaItem.objects.select_related("patient", "meeting").filter(
        patient__in=visible_patients(request.user)
    )
    if meeting is not None:
        items = items.filter(meeting=meeting)
    try:
        return items.get(code=code)
    except (AgendaItem.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing


def get_action(request: HttpRequest, code: Any) -> ActionItem:
    """An action the user owns, or any action for a coordinator; 404 otherwise."""
    actions = ActionItem.objects.select_related("owner", "meeting")
    if not can_manage(request.user):
        actions = actions.filter(owner=request.user)
    try:
        return actions.get(code=code)
    except (ActionItem.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing
