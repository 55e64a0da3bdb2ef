"""Permission-matrix rows for the meetings URLs (see tests/permission_matrix.py).

Coordinators run meetings; clinicians read meetings and agendas, propose cases and record
decisions and actions; admins get 403 on every page holding patient data but have "My actions".
An action belongs to its owner: anyone else but a coordinator gets 404 (tests/meetings/ check
owners marking their own done).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clinic.accounts.roles import Role
from meetings import services
from tests.conftest import make_user
from tests.meetings.helpers import add_case, make_meeting
from tests.patients.helpers import make_patient
from tests.permission_matrix import (
    ADMIN,
    CLINICIAN,
    COORDINATOR,
    NO_ROLE,
    REDIRECT,
    SIGNED_IN,
    Method,
    Route,
)

NOT_FOUND = 404
PARTICIPANTS = frozenset({CLINICIAN, COORDINATOR})
COORDINATORS = frozenset({COORDINATOR})


def build_objects(new_patient: Callable[[], Any] = make_patient) -> dict[str, Any]:
    coordinator = make_user(Role.COORDINATOR)
    owner = make_user(Role.CLINICIAN)
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator, new_patient())
    held = make_meeting(coordinator)
    add_case(held, coordinator, new_patient())
    services.meeting_publish(by=coordinator, meeting=held)
    services.meeting_start(by=coordinator, meeting=held)
    action = services.action_add(
        by=coordinator,
        meeting=held,
        owner=owner,
        what="Call the family",
        due_date=held.ends_at.date(),
    )
    series = services.series_create(
        by=coordinator,
        weekday=2,
        start_time=meeting.starts_at.time(),
        chair=coordinator,
        place="Room 1",
        weeks_ahead=1,
    )
    return {
        "mtg_meeting": meeting,
        "mtg_item": item,
        "mtg_held": held,
        "mtg_action": action,
        "mtg_series": series,
        "mtg_patient": new_patient(),
    }


def meeting_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["mtg_meeting"].code}


def held_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["mtg_held"].code}


def item_codes(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["mtg_meeting"].code, "item": objects["mtg_item"].code}


def held_item_codes(objects: dict[str, Any]) -> dict[str, Any]:
    item = objects["mtg_held"].items.get()
    return {"code": objects["mtg_held"].code, "item": item.code}


def read(ok: int = 200) -> Method:
    return Method(PARTICIPANTS, ok=ok)


def manage(ok: int = 200) -> Method:
    return Method(COORDINATORS, ok=ok)


# An empty POST re-renders a form with its errors (200), or refuses the change with a message
# and redirects (302); either way nothing changes.
ROUTES: dict[str, Route] = {
    "meetings:meeting-list": Route(get=read()),
    "meetings:meeting-create": Route(get=manage(), post=manage()),
    "meetings:series-create": Route(get=manage(), post=manage()),
    "meetings:series-stop": Route(
        kwargs=lambda objects: {"code": objects["mtg_series"].code},
        get=manage(),
        post=manage(REDIRECT),
    ),
    "meetings:case-propose": Route(
        kwargs=lambda objects: {"patient": objects["mtg_patient"].code}, get=read(), post=read()
    ),
    "meetings:meeting-detail": Route(kwargs=meeting_code, get=read()),
    # The agenda's suggested cases: for those who build the agenda.
    "meetings:meeting-suggestions": Route(kwargs=meeting_code, get=manage()),
    "meetings:meeting-edit": Route(kwargs=meeting_code, get=manage(), post=manage()),
    "meetings:meeting-cancel": Route(kwargs=meeting_code, get=manage(), post=manage()),
    "meetings:meeting-publish": Route(kwargs=meeting_code, get=manage(), post=manage(REDIRECT)),
    "meetings:meeting-start": Route(kwargs=meeting_code, post=manage(REDIRECT)),
    "meetings:meeting-run": Route(kwargs=held_code, get=read()),
    "meetings:meeting-attendance": Route(kwargs=held_code, get=manage(), post=manage(REDIRECT)),
    "meetings:meeting-close": Route(kwargs=held_code, get=manage(), post=manage(REDIRECT)),
    "meetings:meeting-agenda-print": Route(kwargs=meeting_code, get=read()),
    "meetings:meeting-minutes": Route(kwargs=held_code, get=read()),
    "meetings:meeting-ics": Route(kwargs=meeting_code, get=read()),
    "meetings:item-add": Route(kwargs=meeting_code, post=manage(REDIRECT)),
    "meetings:item-accept": Route(kwargs=item_codes, post=manage(REDIRECT)),
    "meetings:item-move": Route(kwargs=item_codes, post=manage(REDIRECT)),
    "meetings:item-edit": Route(kwargs=item_codes, get=manage(), post=manage()),
    "meetings:item-remove": Route(kwargs=item_codes, get=manage(), post=manage()),
    "meetings:item-decide": Route(kwargs=held_item_codes, post=read(REDIRECT)),
    # A published case's frozen summary (the held meeting's case has one).
    "meetings:item-summary": Route(kwargs=held_item_codes, get=read()),
    "meetings:action-add": Route(kwargs=held_code, post=read(REDIRECT)),
    "meetings:my-actions": Route(get=Method(SIGNED_IN)),
    "meetings:action-list": Route(get=manage()),
    "meetings:action-done": Route(
        kwargs=lambda objects: {"code": objects["mtg_action"].code},
        post=Method(
            SIGNED_IN,
            ok=REDIRECT,
            overrides={CLINICIAN: NOT_FOUND, ADMIN: NOT_FOUND, NO_ROLE: NOT_FOUND},
        ),
    ),
}
