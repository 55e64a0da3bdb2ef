"""The reminders this app owns: the PHQ-9 item 9 alert, and "reassessment due".

Registered from `AssessmentsConfig.ready()` through the reminders app's registry and rules; the
reminders app imports nothing from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import DateTimeField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.reminders import registry, rules

PHQ9_SELF_HARM = "phq9_self_harm"


def register() -> None:
    registry.register_kind(
        PHQ9_SELF_HARM,
        label=_("Questionnaire answer to review today"),
        template="phq9-self-harm",
        summary=_("A questionnaire answer of a patient you follow needs your review today."),
        still_due=self_harm_still_due,
    )
    rules.plug_reassessment(overdue=patients_overdue, still_due=reassessment_still_due)


def self_harm_still_due(reminder: Any) -> bool:
    """Due unless the assessment was marked as entered in error before the notice went out."""
    from assessments.models import Assessment

    return Assessment.objects.filter(
        code=reminder.subject_code, entered_in_error_at__isnull=True
    ).exists()


def _last_assessed() -> Subquery:
    from assessments.models import Assessment

    return Subquery(
        Assessment.objects.current()
        .filter(patient=OuterRef("pk"))
        .order_by("-assessed_at")
        .values("assessed_at")[:1],
        output_field=DateTimeField(),
    )


def patients_overdue(now: dt.datetime) -> Iterator[rules.ReassessmentDue]:
    """Active patients with an active primary clinician whose last assessment (or, never
    assessed, their referral or registration) is older than the policy's interval."""
    from patients.models import Patient, PatientStatus
    from patients.selectors import policy_get

    interval = dt.timedelta(days=policy_get().reassessment_interval_days)
    today = timezone.localdate(now)
    # Due on the last day plus the interval: anything on or before this day is due today.
    latest_due_day = today - interval
    cutoff = timezone.make_aware(
        dt.datetime.combine(latest_due_day + dt.timedelta(days=1), dt.time())
    )
    patients = (
        Patient.objects.filter(
            status=PatientStatus.ACTIVE,
            primary_clinician__isnull=False,
            primary_clinician__is_active=True,
        )
        .annotate(
            last_assessed_at=_last_assessed(),
            started_on=Coalesce("referral_date", TruncDate("created_at")),
        )
        .filter(
            Q(last_assessed_at__lt=cutoff)
            | Q(last_assessed_at__isnull=True, started_on__lte=latest_due_day)
        )
        .only("id", "code", "primary_clinician_id", "referral_date", "created_at")
        .order_by("id")
    )
    for patient in patients.iterator(chunk_size=2000):
        last_on = timezone.localdate(patient.last_assessed_at) if patient.last_assessed_at else None
        assert patient.primary_clinician_id is not None  # filtered above
        yield rules.ReassessmentDue(
            patient=patient,
            recipient_id=patient.primary_clinician_id,
            last_assessed_on=last_on,
            due_on=(last_on or patient.started_on) + interval,
            link_url=reverse(
                "assessments:assessment-create", kwargs={"patient_code": patient.code}
            ),
        )


def reassessment_still_due(reminder: Any) -> bool:
    """Still due while the patient is active and no assessment was recorded since the lapse."""
    from assessments.models import Assessment
    from patients.models import Patient, PatientStatus

    if not Patient.objects.filter(code=reminder.subject_code, status=PatientStatus.ACTIVE).exists():
        return False
    latest = (
        Assessment.objects.current()
        .filter(patient__code=reminder.subject_code)
        .order_by("-assessed_at")
        .values_list("assessed_at", flat=True)
        .first()
    )
    if latest is None:
        return True
    since = reminder.data.get("last_assessed_on", "never")
    if since == "never":
        return False
    return timezone.localdate(latest) <= dt.date.fromisoformat(since)
