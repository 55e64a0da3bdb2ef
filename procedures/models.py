"""Procedure planning: the catalogue, plans and their stages, safety reviews, records, follow-ups.

DESIGN.md section 3. Clinical rows are never deleted (a plan is cancelled with a reason), keep
their history in the database (pghistory) and carry a `version` where people edit them.
Status changes go through `procedures/services.py`, which checks each transition.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.lib.choices import ChoiceLabels
from procedures import outcomes


def _history() -> Any:
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())


class ProcedureCategory(models.TextChoices):
    # The keys match the clinic policy's follow-up fields (patients.ClinicPolicy.followup_days_*).
    DIAGNOSTIC_BLOCK = "diagnostic_block", _("Diagnostic block")
    NEUROLYSIS = "neurolysis", _("Neurolysis")
    NEUROMODULATION = "neuromodulation", _("Neuromodulation")
    INTRATHECAL_DRUG_DELIVERY = "intrathecal_drug_delivery", _("Intrathecal drug delivery")
    ABLATION = "ablation", _("Ablation")
    VERTEBRAL_AUGMENTATION = "vertebral_augmentation", _("Vertebral augmentation")
    OTHER = "other", _("Other")


class BleedingRisk(models.TextChoices):
    # The keys of procedures/safety.py RISKS (Narouze 2018 procedure classes).
    LOW = "low", _("Low")
    INTERMEDIATE = "intermediate", _("Intermediate")
    HIGH = "high", _("High")


class ImplantKind(models.TextChoices):
    # The keys match patients.DeviceKind: recording an implant creates the patient's device.
    NONE = "", _("No implant")
    INTRATHECAL_PUMP = "intrathecal_pump", _("Intrathecal pump")
    SPINAL_CORD_STIMULATOR = "spinal_cord_stimulator", _("Spinal cord stimulator")
    DRG_STIMULATOR = "drg_stimulator", _("Dorsal root ganglion stimulator")
    PERIPHERAL_NERVE_STIMULATOR = "peripheral_nerve_stimulator", _("Peripheral nerve stimulator")


def _valid_follow_up_days(value: list[int]) -> None:
    try:
        outcomes.check_follow_up_days(value)
    except outcomes.OutcomeError as error:
        raise ValidationError(str(error)) from error


@_history()
class ProcedureType(ChoiceLabels, models.Model):
    """An entry of the procedure catalogue (seeded by migration 0002, edited by admins)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=150)
    category = models.CharField(_("category"), max_length=30, choices=ProcedureCategory.choices)
    bleeding_risk = models.CharField(
        _("bleeding-risk class"),
        max_length=12,
        choices=BleedingRisk.choices,
        help_text=_("Narouze et al. 2018 (ASRA): the class the hold rules use."),
    )
    neuraxial = models.BooleanField(_("neuraxial"), default=False)
    implant_kind = models.CharField(
        _("implanted device"),
        max_length=30,
        choices=ImplantKind.choices,
        blank=True,
        default="",
        help_text=_("Recording a definitive stage adds this device to the patient's record."),
    )
    follow_up_days = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=_("follow-up days"),
        blank=True,
        default=list,
        validators=[_valid_follow_up_days],
        help_text=_(
            "Days after the procedure, comma-separated (e.g. 1,14,42). Empty: the clinic "
            "policy's schedule for the category."
        ),
    )
    what_to_expect = models.TextField(_("what to expect"))
    activity_guidance = models.TextField(_("activity guidance"))
    warning_signs = models.TextField(
        _("warning signs"), help_text=_("One per line: when to seek help at once.")
    )
    whom_to_call = models.TextField(_("whom to call"))
    snomed_code = models.CharField(_("SNOMED CT code"), max_length=18, blank=True)
    is_active = models.BooleanField(_("available for new plans"), default=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("procedure type")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Upper("name"), name="procedure_type_name_ci_unique"),
            models.CheckConstraint(
                condition=Q(snomed_code="") | Q(snomed_code__regex=r"^[0-9]{6,18}$"),
                name="procedure_type_snomed_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def creates_device(self) -> bool:
        return bool(self.implant_kind)

    def warning_sign_lines(self) -> list[str]:
        return [line.strip() for line in self.warning_signs.splitlines() if line.strip()]

    def clean(self) -> None:
        self.name = " ".join(self.name.split())
        self.snomed_code = self.snomed_code.strip()
        if self.snomed_code and not (
            self.snomed_code.isdigit() and 6 <= len(self.snomed_code) <= 18
        ):
            raise ValidationError({"snomed_code": _("A SNOMED CT code is 6 to 18 digits.")})
        if self.follow_up_days:
            self.follow_up_days = sorted(self.follow_up_days)


# --- plans ---------------------------------------------------------------------------------------


class Stage(models.TextChoices):
    DIAGNOSTIC = "diagnostic", _("Diagnostic")
    TRIAL = "trial", _("Trial")
    DEFINITIVE = "definitive", _("Definitive")


STAGE_ORDER = {Stage.DIAGNOSTIC: 1, Stage.TRIAL: 2, Stage.DEFINITIVE: 3}


class Laterality(models.TextChoices):
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BILATERAL = "bilateral", _("Bilateral")
    MIDLINE = "midline", _("Midline")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ImagingGuidance(models.TextChoices):
    FLUOROSCOPY = "fluoroscopy", _("Fluoroscopy")
    CT = "ct", _("CT")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    FLUOROSCOPY_AND_ULTRASOUND = "fluoroscopy_ultrasound", _("Fluoroscopy and ultrasound")
    LANDMARK = "landmark", _("None (landmark technique)")


class InfectionScreen(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Not assessed yet")
    NONE = "none", _("None noted")
    NOTED = "noted", _("Active infection or neutropenia noted")


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AWAITING_MDT = "awaiting_mdt", _("Awaiting team meeting")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PERFORMED = "performed", _("Performed")
    FOLLOWED_UP = "followed_up", _("Followed up")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(
    {PlanStatus.PROPOSED, PlanStatus.AWAITING_MDT, PlanStatus.APPROVED, PlanStatus.SCHEDULED}
)
DONE_STATUSES = frozenset({PlanStatus.PERFORMED, PlanStatus.FOLLOWED_UP})


class ApprovalSource(models.TextChoices):
    NONE = "", _("Not approved")
    MEETING = "meeting", _("Team meeting")
    URGENT = "urgent", _("Urgent approval by a clinician")


class ProcedurePlanQuerySet(models.QuerySet["ProcedurePlan"]):
    def done(self) -> ProcedurePlanQuerySet:
        return self.filter(status__in=sorted(DONE_STATUSES))


@_history()
class ProcedurePlan(ChoiceLabels, models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="procedure_plans"
    )
    procedure_type = models.ForeignKey(
        ProcedureType, on_delete=models.PROTECT, related_name="plans", verbose_name=_("procedure")
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    builds_on = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="later_stages",
        verbose_name=_("builds on"),
    )
    stage_override_reason = models.TextField(
        _("reason to proceed without a met response"), blank=True
    )
    target = models.CharField(_("target"), max_length=150, help_text=_("e.g. celiac plexus"))
    level = models.CharField(_("level"), max_length=60, blank=True, help_text=_("e.g. L1, T10–T12"))
    laterality = models.CharField(
        _("laterality"),
        max_length=16,
        choices=Laterality.choices,
        default=Laterality.NOT_APPLICABLE,
    )
    indication = models.TextField(
        _("indication (pain generator)"),
        help_text=_("e.g. visceral upper abdominal pain from pancreatic cancer"),
    )
    response_criterion_percent = models.PositiveSmallIntegerField(
        _("response criterion (% NRS reduction)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    planned_date = models.DateField(_("planned date"))
    scheduled_date = models.DateField(_("scheduled date"), null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_plans",
        verbose_name=_("operator"),
    )
    imaging_guidance = models.CharField(
        _("imaging guidance"), max_length=24, choices=ImagingGuidance.choices
    )
    patient_high_bleeding_risk = models.BooleanField(
        _("patient at high bleeding risk"),
        default=False,
        help_text=_(
            "Older age, history of bleeding, liver cirrhosis, advanced renal disease: the "
            "procedure is then judged one risk class higher (Narouze 2018)."
        ),
    )
    infection_screen = models.CharField(
        _("active infection or neutropenia"),
        max_length=14,
        choices=InfectionScreen.choices,
        default=InfectionScreen.NOT_ASSESSED,
    )
    infection_note = models.CharField(_("infection note"), max_length=200, blank=True)
    consent_recorded = models.BooleanField(_("consent recorded"), default=False)
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approval_source = models.CharField(
        max_length=10, choices=ApprovalSource.choices, blank=True, default="", editable=False
    )
    approval_reference = models.CharField(max_length=200, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    urgent_reason = models.TextField(blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cancel_reason = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProcedurePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("procedure plan")
        ordering = ["-planned_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_criterion_percent__gte=1, response_criterion_percent__lte=100),
                name="plan_response_criterion_range",
            ),
            models.CheckConstraint(
                condition=~Q(builds_on=models.F("id")), name="plan_not_built_on_itself"
            ),
            models.CheckConstraint(
                condition=Q(consent_recorded=False) | Q(consent_date__isnull=False),
                name="plan_consent_has_date",
            ),
            models.CheckConstraint(
                condition=(
                    Q(approval_source="", approved_at__isnull=True)
                    | (~Q(approval_source="") & Q(approved_at__isnull=False))
                ),
                name="plan_approval_complete",
            ),
            models.CheckConstraint(
                condition=~Q(approval_source="urgent") | ~Q(urgent_reason=""),
                name="plan_urgent_approval_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled", cancelled_at__isnull=False) & ~Q(cancel_reason=""))
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="plan_cancelled_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "scheduled", "performed", "followed_up"])
                | Q(approved_at__isnull=False),
                name="plan_approved_before_scheduling",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_date__isnull=False),
                name="plan_scheduled_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-planned_date"], name="plan_patient_idx"),
            models.Index(fields=["status", "planned_date"], name="plan_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_type} ({self.get_stage_display().lower()})"

    @property
    def target_date(self) -> dt.date:
        """The date the procedure is expected: the scheduled date, else the planned date."""
        return self.scheduled_date or self.planned_date

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def urgent(self) -> bool:
        return self.approval_source == ApprovalSource.URGENT

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.consent_recorded and not self.consent_date:
            errors["consent_date"] = _("Give the date consent was recorded.")
        if not self.consent_recorded and self.consent_date:
            errors["consent_recorded"] = _("Tick consent recorded, or leave the date empty.")
        if self.consent_date and self.consent_date > timezone.localdate():
            errors["consent_date"] = _("Consent cannot be recorded in the future.")
        for name in ("target", "level", "infection_note"):
            setattr(self, name, " ".join(getattr(self, name).split()))
        self.indication = self.indication.strip()
        self.stage_override_reason = self.stage_override_reason.strip()
        if errors:
            raise ValidationError(errors)


# --- safety reviews ------------------------------------------------------------------------------


@_history()
class SafetyReview(ChoiceLabels, models.Model):
    """One evaluation of the safety checks of a plan for one procedure date."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(ProcedurePlan, on_delete=models.PROTECT, related_name="safety_reviews")
    evaluated_for = models.DateField(_("procedure date"))
    evaluated_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    base_risk = models.CharField(max_length=12, choices=BleedingRisk.choices)
    effective_risk = models.CharField(max_length=12, choices=BleedingRisk.choices)
    high_bleeding_risk_reasons = models.JSONField(default=list, blank=True)
    # [{"code", "status", "message", …details}], in panel order.
    results = models.JSONField(default=list)
    # {check code: {"reason", "by" (user id), "by_name", "at" (ISO time)}}
    overrides = models.JSONField(default=dict, blank=True)
    all_clear = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("safety review")
        ordering = ["-evaluated_at", "-id"]
        indexes = [
            models.Index(fields=["plan", "evaluated_for", "-evaluated_at"], name="review_plan_idx")
        ]

    def __str__(self) -> str:
        return f"Safety review for {self.evaluated_for}"


# --- records and follow-ups ----------------------------------------------------------------------


class ComplicationSeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


@_history()
class ProcedureRecord(ChoiceLabels, models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.OneToOneField(ProcedurePlan, on_delete=models.PROTECT, related_name="record")
    performed_at = models.DateTimeField(_("performed at"))
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="performed_procedures",
        verbose_name=_("performed by"),
    )
    imaging_guidance = models.CharField(
        _("imaging guidance"), max_length=24, choices=ImagingGuidance.choices
    )
    had_complications = models.BooleanField(_("complications"), default=False)
    # [{"description": str, "severity": "mild" | "moderate" | "severe"}]; empty when none.
    complications = models.JSONField(_("complications"), default=list, blank=True)
    immediate_relief_percent = models.PositiveSmallIntegerField(
        _("immediate relief (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    notes = models.TextField(_("notes"), blank=True)
    # The baseline pain (assessments app), refreshed when follow-ups are measured.
    baseline_pain = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    baseline_at = models.DateTimeField(null=True, blank=True)
    baseline_source = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("procedure record")
        ordering = ["-performed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(immediate_relief_percent__isnull=True)
                | Q(immediate_relief_percent__lte=100),
                name="record_relief_range",
            ),
            models.CheckConstraint(
                condition=Q(had_complications=False, complications=[])
                | (Q(had_complications=True) & ~Q(complications=[])),
                name="record_complications_listed",
            ),
        ]
        indexes = [models.Index(fields=["performed_at"], name="record_performed_idx")]

    def __str__(self) -> str:
        return f"{self.plan} performed {self.performed_at:%Y-%m-%d}"

    @property
    def severe_complications(self) -> int:
        return sum(1 for c in self.complications if c.get("severity") == "severe")


class FollowUpKind(models.TextChoices):
    PHONE_CHECK = outcomes.PHONE_CHECK, _("Phone check")
    REVIEW = outcomes.REVIEW, _("Review")
    REASSESSMENT = outcomes.REASSESSMENT, _("Reassessment")


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")


@_history()
class FollowUp(ChoiceLabels, models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(ProcedurePlan, on_delete=models.PROTECT, related_name="follow_ups")
    record = models.ForeignKey(ProcedureRecord, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=14, choices=FollowUpKind.choices)
    day = models.PositiveSmallIntegerField(_("day after the procedure"))
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="procedure_follow_ups",
        verbose_name=_("responsible clinician"),
    )
    # The assessment recorded for this follow-up (assessments app), by its public code.
    assessment_code = models.UUIDField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The pain measurement for this follow-up (linked assessment, else first in its window).
    pain = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    pain_at = models.DateTimeField(null=True, blank=True)
    pain_source = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("follow-up")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", completed_at__isnull=True)
                | (~Q(status="pending") & Q(completed_at__isnull=False)),
                name="follow_up_completed_when_not_pending",
            ),
            models.UniqueConstraint(fields=["record", "day"], name="follow_up_one_per_day"),
        ]
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(status="pending"),
                name="follow_up_pending_due_idx",
            ),
            # The worklist of done, missed or any follow-ups, in its order: without it, a page
            # sorted the clinic's whole history (over 100,000 rows on the scale seed).
            models.Index(fields=["status", "due_date", "id"], name="follow_up_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} day {self.day}"

    @property
    def is_pending(self) -> bool:
        return self.status == FollowUpStatus.PENDING
