from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from pghistory.models import Events

from clinic.accounts.models import User, UserGroupsEvent
from clinic.audit.models import AccessLog
from clinic.lib.dates import within_days


@dataclass(frozen=True)
class AccessFilter:
    actor: User | None = None
    patient_code: uuid.UUID | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def access_log_list(filters: AccessFilter) -> QuerySet[AccessLog]:
    events = AccessLog.objects.select_related("actor").order_by("-at", "-id")
    if filters.actor is not None:
        events = events.filter(actor=filters.actor)
    if filters.patient_code is not None:
        events = events.filter(patient_code=filters.patient_code)
    if filters.action:
        events = events.filter(action=filters.action)
    return events.filter(within_days("at", filters.date_from, filters.date_to))


def staff_change_list(
    *, actor: User | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[Events]:
    """Changes to staff accounts and roles, newest first, with the diff of each."""
    user_event_model = User.pgh_event_models["insert"]  # type: ignore[attr-defined]
    events = Events.objects.across(user_event_model, UserGroupsEvent).order_by("-pgh_created_at")
    if actor is not None:
        events = events.filter(pgh_context__user=actor.pk)
    return events.filter(within_days("pgh_created_at", date_from, date_to))


@dataclass(frozen=True)
class StaffChangeRow:
    at: dt.datetime
    changed_by: str
    subject: str
    change: str
    details: str


HIDDEN_FIELDS = frozenset({"updated_at", "pgh_obj", "id", "code", "date_joined"})


def staff_change_rows(events: list[Events]) -> list[StaffChangeRow]:
    """Readable rows for one page of staff changes, in two queries whatever the page holds."""
    from django.contrib.auth.models import Group

    user_ids: set[int] = set()
    group_ids: set[int] = set()
    for event in events:
        context = event.pgh_context or {}
        if context.get("user"):
            user_ids.add(int(context["user"]))
        data = event.pgh_data or {}
        if "group_id" in data:
            group_ids.add(int(data["group_id"]))
            user_ids.add(int(data["user_id"]))
    names = {
        user.pk: f"{user.display_name} ({user.username})"
        for user in User.objects.filter(pk__in=user_ids)
    }
    groups = dict(Group.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    rows = []
    for event in events:
        context = event.pgh_context or {}
        data = event.pgh_data or {}
        changer = names.get(int(context["user"]), "") if context.get("user") else ""
        if "group_id" in data:
            subject = names.get(int(data["user_id"]), str(data["user_id"]))
            role = groups.get(int(data["group_id"]), str(data["group_id"]))
            change = "Role added" if event.pgh_label == "role.add" else "Role removed"
            details = role
        else:
            full_name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
            subject = f"{full_name} ({data.get('username', '')})"
            change = "Account created" if event.pgh_label == "insert" else "Account changed"
            diff = event.pgh_diff or {}
            details = "; ".join(
                f"{field}: {before!r} → {after!r}"
                for field, (before, after) in sorted(diff.items())
                if field not in HIDDEN_FIELDS
            )
        rows.append(
            StaffChangeRow(
                at=event.pgh_created_at,
                changed_by=changer or "system",
                subject=subject,
                change=change,
                details=details,
            )
        )
    return rows
