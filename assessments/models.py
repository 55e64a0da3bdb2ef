"""Pain assessments (DESIGN.md section 3): one `Assessment` per encounter, one
`InstrumentResponse` per instrument used, and the links that make a patient's goal measurable.

Scores are computed by the pure `assessments.instruments` package and stored in columns
(`total`, `band`, `flags`, and the assessment's `pain_intensity` and `flags`) so trends are plain
queries.
Nothing is deleted: a wrong assessment is marked "entered in error" with a reason, and every
change is kept by pghistory.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.bodymap import REGION_KEYS
from assessments.instruments import INSTRUMENTS
from clinic.lib.choices import ChoiceLabels


def _history() -> Any:
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())


INSTRUMENT_CHOICES = [(spec.code, spec.name) for spec in INSTRUMENTS.values()]
# The clinic's default set when its policy names none (the "sensible default").
DEFAULT_INSTRUMENTS = ("bpi", "esas_r", "phq9", "gad7", "ecog")


class AssessmentContext(models.TextChoices):
    INITIAL = "initial", _("Initial assessment")
    REVIEW = "review", _("Review")
    POST_PROCEDURE = "post_procedure", _("Post-procedure follow-up")
    PRE_MEETING = "pre_meeting", _("Before a team meeting")


class PainPattern(models.TextChoices):
    CONSTANT = "constant", _("Constant")
    INTERMITTENT = "intermittent", _("Intermittent")
    BREAKTHROUGH = "breakthrough", _("Breakthrough")
    INCIDENT = "incident", _("Incident (on movement or activity)")


class PainMechanism(models.TextChoices):
    SOMATIC = "somatic", _("Somatic")
    VISCERAL = "visceral", _("Visceral")
    NEUROPATHIC = "neuropathic", _("Neuropathic")
    MIXED = "mixed", _("Mixed")


class PainQuality(models.TextChoices):
    ACHING = "aching", _("Aching")
    THROBBING = "throbbing", _("Throbbing")
    SHOOTING = "shooting", _("Shooting")
    STABBING = "stabbing", _("Stabbing")
    SHARP = "sharp", _("Sharp")
    CRAMPING = "cramping", _("Cramping")
    GNAWING = "gnawing", _("Gnawing")
    BURNING = "burning", _("Burning")
    ELECTRIC = "electric", _("Electric or shock-like")
    TINGLING = "tingling", _("Tingling")
    PRESSING = "pressing", _("Pressing or squeezing")
    HEAVY = "heavy", _("Heavy")
    TENDER = "tender", _("Tender to touch")
    TIRING = "tiring", _("Tiring or exhausting")
    FRIGHTENING = "frightening", _("Frightening")


class SleepQuality(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    VERY_POOR = "very_poor", _("Very poor")


class PainSource(models.TextChoices):
    NRS = "nrs", _("NRS")
    BPI_AVERAGE = "bpi_average", _("BPI average pain")


MAX_BREAKTHROUGH_PER_DAY = 48


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def current(self) -> AssessmentQuerySet:
        """Assessments not marked as entered in error."""
        return self.filter(entered_in_error_at__isnull=True)


@_history()
class Assessment(ChoiceLabels, models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_at = models.DateTimeField(_("assessed at"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessed by"),
    )
    context = models.CharField(
        _("context"),
        max_length=20,
        choices=AssessmentContext.choices,
        default=AssessmentContext.REVIEW,
    )
    # The procedures app's follow-up this assessment completes (no foreign key: apps meet
    # through services, and the follow-up belongs to the procedures app).
    follow_up_code = models.UUIDField(_("follow-up"), null=True, blank=True, editable=False)

    # --- the pain description
    pain_patterns = ArrayField(
        models.CharField(max_length=20, choices=PainPattern.choices),
        verbose_name=_("pattern"),
        default=list,
        blank=True,
    )
    pain_qualities = ArrayField(
        models.CharField(max_length=20, choices=PainQuality.choices),
        verbose_name=_("quality"),
        default=list,
        blank=True,
    )
    breakthrough_per_day = models.PositiveSmallIntegerField(
        _("breakthrough episodes per day"), null=True, blank=True
    )
    mechanism = models.CharField(
        _("suspected mechanism"), max_length=12, choices=PainMechanism.choices, blank=True
    )
    sleep_quality = models.CharField(
        _("sleep quality"), max_length=10, choices=SleepQuality.choices, blank=True
    )
    body_map_regions = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("painful regions"),
        default=list,
        blank=True,
    )
    worst_region = models.CharField(_("worst region"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=4000)

    # --- denormalised for trend queries: the NRS score if recorded, else the BPI average item.
    pain_intensity = models.DecimalField(
        _("pain intensity"), max_digits=4, decimal_places=2, null=True, blank=True, editable=False
    )
    pain_source = models.CharField(
        max_length=12, choices=PainSource.choices, blank=True, editable=False
    )
    # --- denormalised for clinic-wide questions ("a self-harm answer since the last meeting"):
    # the sorted union of the responses' flags, so they are found without reading the responses.
    # The database default lets code that predates the column still insert rows.
    flags = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("flags"),
        default=list,
        db_default=[],
        blank=True,
        editable=False,
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    entered_in_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    entered_in_error_reason = models.CharField(max_length=300, blank=True, editable=False)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        entered_in_error_at__isnull=True,
                        entered_in_error_by__isnull=True,
                        entered_in_error_reason="",
                    )
                    | (
                        Q(entered_in_error_at__isnull=False, entered_in_error_by__isnull=False)
                        & ~Q(entered_in_error_reason="")
                    )
                ),
                name="assessment_in_error_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(pain_intensity__isnull=True, pain_source="")
                | (
                    Q(pain_intensity__gte=0, pain_intensity__lte=10)
                    & Q(pain_source__in=PainSource.values)
                ),
                name="assessment_pain_intensity_with_source",
            ),
            models.CheckConstraint(
                condition=Q(breakthrough_per_day__isnull=True)
                | Q(breakthrough_per_day__lte=MAX_BREAKTHROUGH_PER_DAY),
                name="assessment_breakthrough_range",
            ),
            models.CheckConstraint(
                condition=Q(worst_region="") | ~Q(body_map_regions=[]),
                name="assessment_worst_region_needs_regions",
            ),
        ]
        indexes = [
            # Trend queries: a patient's assessments in time order, with the pain score.
            models.Index(
                fields=["patient", "assessed_at"],
                include=["pain_intensity"],
                name="assessment_patient_time_idx",
            ),
            # Clinic-wide "since" questions: worsening pain and self-harm answers since the
            # last meeting look at the latest days of every patient.
            models.Index(fields=["assessed_at"], name="assessment_time_idx"),
            # Self-harm answers since the last meeting (the agenda's suggested cases): only the
            # few current assessments with the flag, newest first.
            models.Index(
                fields=["assessed_at"],
                condition=Q(flags__contains=["self_harm"], entered_in_error_at__isnull=True),
                name="assessment_self_harm_time_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_context_display()} {timezone.localtime(self.assessed_at):%Y-%m-%d %H:%M}"

    @property
    def in_error(self) -> bool:
        return self.entered_in_error_at is not None

    @property
    def pain_quality_labels(self) -> list[str]:
        labels = dict(PainQuality.choices)
        return [str(labels.get(value, value)) for value in self.pain_qualities]

    @property
    def pain_pattern_labels(self) -> list[str]:
        labels = dict(PainPattern.choices)
        return [str(labels.get(value, value)) for value in self.pain_patterns]

    def clean_description(self) -> dict[str, Any]:
        """Errors of the pain description, keyed by field (the service raises them)."""
        errors: dict[str, Any] = {}
        unknown = [key for key in self.body_map_regions if key not in REGION_KEYS]
        if unknown:
            errors["body_map_regions"] = _("Unknown body-map regions: %(keys)s.") % {
                "keys": ", ".join(unknown)
            }
        if len(set(self.body_map_regions)) != len(self.body_map_regions):
            errors["body_map_regions"] = _("A region is marked twice.")
        if self.worst_region and self.worst_region not in self.body_map_regions:
            errors["worst_region"] = _("The worst region must be one of the marked regions.")
        if (
            self.breakthrough_per_day is not None
            and not 0 <= self.breakthrough_per_day <= MAX_BREAKTHROUGH_PER_DAY
        ):
            errors["breakthrough_per_day"] = _(
                "Between 0 and %(max)s breakthrough episodes a day."
            ) % {"max": MAX_BREAKTHROUGH_PER_DAY}
        return errors


@_history()
class InstrumentResponse(ChoiceLabels, models.Model):
    """One instrument's answers in an assessment, with its score computed when saved."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="responses")
    instrument = models.CharField(_("instrument"), max_length=10, choices=INSTRUMENT_CHOICES)
    answers = models.JSONField(_("answers"), encoder=DjangoJSONEncoder)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2)
    band = models.CharField(_("band"), max_length=24, blank=True)
    # Means are kept as exact decimal strings ("2.75"), counts as numbers, unscored as null.
    subscores = models.JSONField(_("subscores"), default=dict, encoder=DjangoJSONEncoder)
    flags = ArrayField(models.CharField(max_length=40), verbose_name=_("flags"), default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("instrument response")
        verbose_name_plural = _("instrument responses")
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "instrument"], name="response_one_per_instrument"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="response_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["instrument", "assessment"], name="response_instrument_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.total}"

    @property
    def spec(self) -> Any:
        return INSTRUMENTS[self.instrument]

    def subscore(self, name: str) -> Decimal | None:
        value = (self.subscores or {}).get(name)
        return None if value is None else Decimal(str(value))


# --- measurable goals ----------------------------------------------------------------------------


class Comparison(models.TextChoices):
    AT_MOST = "at_most", "≤"
    AT_LEAST = "at_least", "≥"


class GoalOutcome(models.TextChoices):
    ACHIEVED = "achieved", _("Achieved")
    PARTLY_ACHIEVED = "partly_achieved", _("Partly achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")


@_history()
class GoalMeasure(ChoiceLabels, models.Model):
    """Ties a patient's goal (patients.Goal) to an instrument item, e.g. BPI walking ≤ 3.

    The target is the goal's own `target`; `measure` names what is read from each assessment
    (`assessments.measures`).
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    goal = models.OneToOneField(
        "patients.Goal", on_delete=models.PROTECT, related_name="instrument_measure"
    )
    measure = models.CharField(_("measured by"), max_length=40)
    comparison = models.CharField(
        _("target is reached when the value is"), max_length=8, choices=Comparison.choices
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("goal measure")
        verbose_name_plural = _("goal measures")

    def __str__(self) -> str:
        return f"{self.measure} {self.get_comparison_display()}"


@_history()
class GoalReview(ChoiceLabels, models.Model):
    """A review of a goal: achieved, partly or not, with a note and the value at that time."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    goal = models.ForeignKey("patients.Goal", on_delete=models.PROTECT, related_name="reviews")
    outcome = models.CharField(_("outcome"), max_length=16, choices=GoalOutcome.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    value_at_review = models.DecimalField(
        _("latest value"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("goal review")
        verbose_name_plural = _("goal reviews")
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.reviewed_at:%Y-%m-%d}"
