"""Builders for meetings, through the services (as the app writes them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from clinic.accounts.models import Discipline, User
from clinic.accounts.roles import Role
from clinic.reminders import delivery
from clinic.reminders.emails import Mailer
from clinic.reminders.models import Reminder, ReminderStatus
from meetings import services
from meetings.models import AgendaItem, ItemReason, Meeting
from patients.models import Patient
from tests.conftest import make_user
from tests.patients.helpers import make_patient


def coordinator_user(**extra: Any) -> User:
    return make_user(Role.COORDINATOR, discipline=Discipline.COORDINATION, **extra)


def clinician_user(discipline: str = Discipline.PAIN_ANAESTHESIA, **extra: Any) -> User:
    return make_user(Role.CLINICIAN, discipline=discipline, **extra)


def restricted_patient(owner: User, **fields: Any) -> Patient:
    """A restricted record of `owner`'s, whom only its care team (`owner`) may open."""
    return make_patient(
        by=owner, primary_clinician=owner, restricted=True, care_team=[owner], **fields
    )


def make_meeting(
    by: User,
    *,
    starts_in: dt.timedelta = dt.timedelta(days=3),
    invitees: list[User] | None = None,
    deadline: dt.datetime | None = None,
    **fields: Any,
) -> Meeting:
    start = timezone.now().replace(second=0, microsecond=0) + starts_in
    values: dict[str, Any] = {
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=1, minutes=30),
        "chair": by,
        "place": "Seminar room 2",
        "agenda_deadline": deadline,
    }
    values.update(fields)
    return services.meeting_create(by=by, invitees=invitees or [], **values)


def add_case(
    meeting: Meeting,
    by: User,
    patient: Patient | None = None,
    *,
    reason: str = ItemReason.OTHER,
    **fields: Any,
) -> AgendaItem:
    return services.item_add(
        by=by, meeting=meeting, patient=patient or make_patient(), reason=reason, **fields
    )


def published(meeting: Meeting, by: User) -> Meeting:
    return services.meeting_publish(by=by, meeting=meeting)


def running(meeting: Meeting, by: User) -> Meeting:
    if meeting.status == "draft":
        meeting = services.meeting_publish(by=by, meeting=meeting)
    return services.meeting_start(by=by, meeting=meeting)


def plan_awaiting(by: User, patient: Patient | None = None, **overrides: Any) -> Any:
    """A procedure plan submitted to the team meeting (status awaiting_mdt)."""
    from procedures import services as procedure_services
    from tests.procedures.helpers import propose

    plan = propose(by, patient, **overrides)
    return procedure_services.plan_submit_for_mdt(by=by, plan=plan)


def record_pain(patient: Patient, by: User, score: int, *, at: dt.datetime, **extra: Any) -> Any:
    from assessments import services as assessment_services

    instruments: dict[str, Any] = {"nrs": {"score": score}, **extra.pop("instruments", {})}
    return assessment_services.assessment_record(
        by=by, patient=patient, assessed_at=at, context="review", instruments=instruments, **extra
    )


def phq9(q9: int) -> dict[str, Any]:
    return {"phq9": {f"q{n}": 1 for n in range(1, 9)} | {"q9": q9}}


def deliver_due(now: dt.datetime | None = None) -> int:
    """Send every reminder due now, in the test process (what the beat and a worker do)."""
    now = now or timezone.now()
    ids = list(Reminder.objects.due(now).values_list("pk", flat=True))
    if not ids:
        return 0
    Reminder.objects.filter(pk__in=ids).update(status=ReminderStatus.CLAIMED, claimed_at=now)
    delivery.deliver_group(ids, mailer=Mailer())
    return len(ids)
