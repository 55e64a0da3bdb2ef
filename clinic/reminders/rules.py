"""Periodic rules other apps plug in: reassessment due, and device refill or battery check near.

The reminder side of each rule lives here (kinds, templates, due times, dedupe keys, links); the
facts come from the app that owns them, which calls one `plug_…` function from its
`AppConfig.ready()`. Nothing here imports another app. README.md shows the calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.reminders import registry
from clinic.reminders.kinds import DEVICE_BATTERY_CHECK_DUE, DEVICE_REFILL_DUE, REASSESSMENT_DUE
from clinic.reminders.registry import ReminderRequest, StillDue

if TYPE_CHECKING:
    from clinic.reminders.models import Reminder

# Reminders of the day go out at this local time, not at midnight.
MORNING = time(8, 0)
DEFAULT_DEVICE_LEAD = timedelta(days=7)


def morning_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, MORNING))


def reminder_date(reminder: Reminder, key: str = "due_on") -> date | None:
    """The date a rule's reminder is about, for the owner's "still due?" check."""
    value = reminder.data.get(key)
    return date.fromisoformat(value) if value else None


# --- Reassessment due ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReassessmentDue:
    """An active patient whose last assessment is older than clinic policy allows.

    The owner applies the policy: `due_on` is the last assessment's date plus the allowed
    interval (or the referral date for a patient never assessed).
    """

    patient: Any  # the patient record (a model with a UUID `code`)
    recipient_id: int  # usually the primary clinician
    last_assessed_on: date | None
    due_on: date
    link_url: str  # where the reassessment is recorded, e.g. the patient's chart


def reassessment_requests(
    items: Iterable[ReassessmentDue], *, now: datetime
) -> Iterator[ReminderRequest]:
    for item in items:
        if item.due_on > timezone.localdate(now):
            continue
        since = item.last_assessed_on.isoformat() if item.last_assessed_on else "never"
        yield ReminderRequest(
            kind=REASSESSMENT_DUE,
            # One reminder per patient, recipient and lapse: a new assessment starts a new lapse.
            dedupe_key=f"reassessment:{item.patient.code}:{since}:{item.recipient_id}",
            due_at=max(morning_of(item.due_on), now),
            recipient_id=item.recipient_id,
            subject=item.patient,
            link_url=item.link_url,
            data={"due_on": item.due_on.isoformat(), "last_assessed_on": since},
        )


def plug_reassessment(
    *, overdue: Callable[[datetime], Iterable[ReassessmentDue]], still_due: StillDue
) -> None:
    """For the assessments app: `overdue(now)` lists who is due; `still_due(reminder)` re-checks."""
    registry.register_kind(
        REASSESSMENT_DUE,
        label=_("Reassessment due"),
        template="reassessment-due",
        summary=_("A patient you follow is due for a pain reassessment."),
        still_due=still_due,
    )
    registry.register_rule(
        REASSESSMENT_DUE, lambda now: reassessment_requests(overdue(now), now=now)
    )


# --- Implanted device checks -----------------------------------------------------------------

REFILL = "refill"
BATTERY = "battery"
DEVICE_KINDS = {REFILL: DEVICE_REFILL_DUE, BATTERY: DEVICE_BATTERY_CHECK_DUE}


@dataclass(frozen=True)
class DeviceCheck:
    """A refill or battery check of an implanted device, due on a date."""

    device: Any  # the device record (a model with a UUID `code`)
    check: str  # REFILL or BATTERY
    due_on: date
    recipient_id: int
    link_url: str


def device_check_requests(
    checks: Iterable[DeviceCheck], *, now: datetime, lead: timedelta = DEFAULT_DEVICE_LEAD
) -> Iterator[ReminderRequest]:
    for check in checks:
        if check.check not in DEVICE_KINDS:
            raise ValueError(f"Unknown device check: {check.check!r}")
        remind_on = check.due_on - lead
        if remind_on > timezone.localdate(now):
            continue
        yield ReminderRequest(
            kind=DEVICE_KINDS[check.check],
            # The date is in the key: moving the check to another date makes a new reminder,
            # and the owner's still-due check cancels the old one.
            dedupe_key=(
                f"device-{check.check}:{check.device.code}:{check.due_on.isoformat()}"
                f":{check.recipient_id}"
            ),
            due_at=max(morning_of(remind_on), now),
            recipient_id=check.recipient_id,
            subject=check.device,
            link_url=check.link_url,
            data={"due_on": check.due_on.isoformat()},
        )


def plug_device_checks(
    *,
    due_by: Callable[[date], Iterable[DeviceCheck]],
    still_due: StillDue,
    lead: timedelta = DEFAULT_DEVICE_LEAD,
) -> None:
    """For the patients app: `due_by(day)` lists checks due on or before `day`."""
    for check, kind in DEVICE_KINDS.items():
        registry.register_kind(
            kind,
            label=_("Device refill due") if check == REFILL else _("Device battery check due"),
            template=kind.replace("_", "-"),
            summary=_("An implanted device of a patient you follow needs a check soon."),
            still_due=still_due,
        )

    def rule(now: datetime) -> Iterator[ReminderRequest]:
        return device_check_requests(due_by(timezone.localdate(now) + lead), now=now, lead=lead)

    registry.register_rule("device_checks", rule)
