"""The reminders and notifications of team meetings (through clinic/reminders).

Three kinds, registered from `MeetingsConfig.ready()`:

- `meeting_published`: each attendee, in the app and by email, when the agenda is published.
  One per meeting and person (the dedupe key), so publishing again never notifies twice.
- `meeting_changed`: each attendee of a published meeting whose time or place changes (one per
  version of the meeting and person) or that is cancelled (one per meeting and person).
- `action_due`: an action's owner, the day before its due date at 08:00 clinic time (or at once
  when that has passed); one per action; not sent once the action is done.

Titles and emails name the meeting's date, never a patient or a decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.reminders import registry

if TYPE_CHECKING:
    from clinic.reminders.models import Reminder
    from meetings.models import ActionItem, Meeting

MEETING_PUBLISHED = "meeting_published"
MEETING_CHANGED = "meeting_changed"
ACTION_DUE = "action_due"


def meeting_still_published(reminder: Reminder) -> bool:
    from meetings.models import Meeting, MeetingStatus

    if reminder.subject_code is None:
        return False
    return Meeting.objects.filter(
        code=reminder.subject_code,
        status__in=(MeetingStatus.PUBLISHED, MeetingStatus.IN_PROGRESS),
    ).exists()


def action_still_open(reminder: Reminder) -> bool:
    from meetings.models import ActionItem, ActionStatus

    if reminder.subject_code is None:
        return False
    return ActionItem.objects.filter(code=reminder.subject_code, status=ActionStatus.OPEN).exists()


def register_kinds() -> None:
    registry.register_kind(
        MEETING_PUBLISHED,
        label=gettext_lazy("Team meeting agenda published"),
        template="meeting-published",
        summary=gettext_lazy("The agenda of a team meeting you are invited to is published."),
        still_due=meeting_still_published,
    )
    registry.register_kind(
        MEETING_CHANGED,
        label=gettext_lazy("Team meeting changed or cancelled"),
        template="meeting-changed",
        summary=gettext_lazy("A team meeting you are invited to has changed or is cancelled."),
    )
    registry.register_kind(
        ACTION_DUE,
        label=gettext_lazy("Team meeting action due"),
        template="meeting-action-due",
        summary=gettext_lazy("An action from a team meeting is due tomorrow."),
        still_due=action_still_open,
    )


# --- scheduling ----------------------------------------------------------------------------------


def _when(meeting: Meeting) -> str:
    return date_format(timezone.localtime(meeting.starts_at), "D j M Y, H:i")


def _meeting_link(meeting: Meeting) -> str:
    return reverse("meetings:meeting-detail", kwargs={"code": meeting.code})


def notify_published(meeting: Meeting, people: Iterable[Any]) -> int:
    from clinic.reminders.services import reminder_schedule, request_dispatch_soon

    title = _("Team meeting on %(when)s: the agenda is published") % {"when": _when(meeting)}
    count = 0
    for person in people:
        reminder_schedule(
            kind=MEETING_PUBLISHED,
            dedupe_key=f"meeting-published:{meeting.code}:{person.pk}",
            due_at=timezone.now(),
            recipient=person,
            subject=meeting,
            link_url=_meeting_link(meeting),
            title=title,
        )
        count += 1
    if count:
        request_dispatch_soon()
    return count


def notify_changed(meeting: Meeting, people: Iterable[Any], *, cancelled: bool) -> int:
    from clinic.reminders.services import reminder_schedule, request_dispatch_soon

    if cancelled:
        title = _("Team meeting on %(when)s is cancelled") % {"when": _when(meeting)}
        key = f"meeting-cancelled:{meeting.code}"
    else:
        title = _("Team meeting changed: now %(when)s") % {"when": _when(meeting)}
        key = f"meeting-changed:{meeting.code}:v{meeting.version}"
    count = 0
    for person in people:
        reminder_schedule(
            kind=MEETING_CHANGED,
            dedupe_key=f"{key}:{person.pk}",
            due_at=timezone.now(),
            recipient=person,
            subject=meeting,
            link_url=_meeting_link(meeting),
            title=title,
            urgent=cancelled,
        )
        count += 1
    if count:
        request_dispatch_soon()
    return count


def action_reminder_due_at(due_date: dt.date, now: dt.datetime) -> dt.datetime:
    """08:00 clinic time the day before the due date; at once if that has passed."""
    from clinic.reminders.rules import morning_of

    return max(morning_of(due_date - dt.timedelta(days=1)), now)


def schedule_action_reminder(action: ActionItem, *, now: dt.datetime) -> Any:
    from clinic.reminders.services import reminder_schedule

    return reminder_schedule(
        kind=ACTION_DUE,
        dedupe_key=f"action-due:{action.code}",
        due_at=action_reminder_due_at(action.due_date, now),
        recipient=action.owner_id,
        subject=action,
        link_url=reverse("meetings:my-actions"),
        title=_("A team meeting action is due on %(date)s")
        % {"date": date_format(action.due_date, "D j M Y")},
        data={"due_on": action.due_date.isoformat()},
    )


def cancel_action_reminder(action: ActionItem, *, reason: str) -> int:
    from clinic.reminders.services import reminders_cancel_about

    return reminders_cancel_about(subject=action, reason=reason, kinds=[ACTION_DUE])


def cancel_published_reminders(meeting: Meeting, *, reason: str) -> int:
    from clinic.reminders.services import reminders_cancel_about

    return reminders_cancel_about(subject=meeting, reason=reason, kinds=[MEETING_PUBLISHED])
