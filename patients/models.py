"""The shared record of each patient (DESIGN.md section 3).

Clinical rows are never deleted: a wrong entry is marked "entered in error" with a reason, and
stays visible in the chart's history. Every clinical model keeps its history in the database
(pghistory triggers), and rows people edit together carry a `version` for optimistic locking.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.instruments import INSTRUMENTS
from clinic.accounts.models import Discipline
from clinic.lib.choices import ChoiceLabels
from patients import opioids
from patients.text import normalised_name
from procedures import outcomes as follow_up_schedule
from procedures.safety import HOLD_TABLE

# --- shared pieces -------------------------------------------------------------------------------


def _history() -> Any:
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())


class Timestamped(ChoiceLabels, models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class ClinicalEntryQuerySet(models.QuerySet[Any]):
    def current(self) -> ClinicalEntryQuerySet:
        """Entries not marked as entered in error."""
        return self.filter(entered_in_error_at__isnull=True)


class ClinicalEntry(Timestamped):
    """A row of a patient's record: never deleted, marked "entered in error" instead."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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

    objects = ClinicalEntryQuerySet.as_manager()

    class Meta:
        abstract = True
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
                name="%(app_label)s_%(class)s_in_error_has_reason",
            ),
        ]

    @property
    def in_error(self) -> bool:
        return self.entered_in_error_at is not None


# --- patients ------------------------------------------------------------------------------------


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not stated")


class PatientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISCHARGED = "discharged", _("Discharged")
    DECEASED = "deceased", _("Deceased")


mrn_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9/.\-]*$",
    _("Use letters, digits, '-', '/' or '.', without spaces."),
)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), exclude=["search_name"])
class Patient(Timestamped):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mrn = models.CharField(
        _("MRN"),
        max_length=32,
        validators=[mrn_validator],
        help_text=_("The hospital's medical record number."),
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    # Lower-case, accents stripped, "given family": what the trigram search matches.
    search_name = models.CharField(max_length=201, blank=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    referral_date = models.DateField(_("referral date"), null=True, blank=True)
    referral_source = models.CharField(_("referred by"), max_length=200, blank=True)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_patients",
        verbose_name=_("primary clinician"),
    )
    restricted = models.BooleanField(
        _("restricted record"),
        default=False,
        help_text=_("Only the care team and the primary clinician can open a restricted chart."),
    )
    care_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CareTeamMember",
        related_name="care_team_patients",
        blank=True,
        verbose_name=_("care team"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        constraints = [
            models.UniqueConstraint(Upper("mrn"), name="patient_mrn_ci_unique"),
            models.CheckConstraint(
                condition=Q(status=PatientStatus.DECEASED, date_of_death__isnull=False)
                | (~Q(status=PatientStatus.DECEASED) & Q(date_of_death__isnull=True)),
                name="patient_date_of_death_iff_deceased",
            ),
            models.CheckConstraint(
                condition=Q(date_of_death__isnull=True) | Q(date_of_death__gte=F("date_of_birth")),
                name="patient_death_after_birth",
            ),
            models.CheckConstraint(
                condition=Q(referral_date__isnull=True) | Q(referral_date__gte=F("date_of_birth")),
                name="patient_referral_after_birth",
            ),
            models.CheckConstraint(condition=~Q(search_name=""), name="patient_search_name_set"),
        ]
        indexes = [
            GinIndex(
                fields=["search_name"], opclasses=["gin_trgm_ops"], name="patient_search_trgm"
            ),
            models.Index(fields=["family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["-updated_at"], name="patient_updated_idx"),
            # New referrals since the last meeting (the agenda's suggested cases).
            models.Index(
                fields=["referral_date"],
                condition=Q(status=PatientStatus.ACTIVE),
                name="patient_active_referral_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def listing_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"

    def age_on(self, day: dt.date) -> int:
        end = self.date_of_death or day
        years = end.year - self.date_of_birth.year
        if (end.month, end.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years

    def clean(self) -> None:
        self.mrn = self.mrn.strip()
        self.given_name = " ".join(self.given_name.split())
        self.family_name = " ".join(self.family_name.split())
        self.search_name = normalised_name(f"{self.given_name} {self.family_name}")
        errors: dict[str, Any] = {}
        today = timezone.localdate()
        if self.date_of_birth and self.date_of_birth > today:
            errors["date_of_birth"] = _("The date of birth cannot be in the future.")
        if self.status == PatientStatus.DECEASED and not self.date_of_death:
            errors["date_of_death"] = _("Give the date of death.")
        if self.status != PatientStatus.DECEASED and self.date_of_death:
            errors["date_of_death"] = _("Only a deceased patient has a date of death.")
        if self.date_of_death and self.date_of_death > today:
            errors["date_of_death"] = _("The date of death cannot be in the future.")
        for field in ("date_of_death", "referral_date"):
            value = getattr(self, field)
            if value and self.date_of_birth and value < self.date_of_birth:
                errors.setdefault(field, _("This date is before the date of birth."))
        if errors:
            raise ValidationError(errors)


@pghistory.track(
    pghistory.InsertEvent("care_team.add"),
    pghistory.DeleteEvent("care_team.remove"),
)
class CareTeamMember(ChoiceLabels, models.Model):
    """A named member of a patient's care team (who may open a restricted chart)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_links"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "user"], name="care_team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.patient_id}"


# --- cancer and its treatment --------------------------------------------------------------------


@_history()
class Diagnosis(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    primary_site = models.CharField(_("primary site"), max_length=120)
    histology = models.CharField(_("histology"), max_length=120, blank=True)
    stage = models.CharField(_("stage"), max_length=40, blank=True, help_text=_("e.g. IV, T3N1M1"))
    metastatic_sites = models.CharField(
        _("metastatic sites"), max_length=300, blank=True, help_text=_("e.g. bone, liver")
    )
    diagnosed_on = models.DateField(_("date of diagnosis"))
    is_main = models.BooleanField(
        _("main diagnosis"), default=True, help_text=_("Shown in the chart header.")
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("cancer diagnosis")
        verbose_name_plural = _("cancer diagnoses")
        ordering = ["-diagnosed_on", "-id"]
        constraints = [
            *ClinicalEntry.Meta.constraints,
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(is_main=True, entered_in_error_at__isnull=True),
                name="diagnosis_one_main_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.primary_site, self.histology, self.stage) if part)

    def clean(self) -> None:
        if self.diagnosed_on and self.diagnosed_on > timezone.localdate():
            raise ValidationError(
                {"diagnosed_on": _("The date of diagnosis cannot be in the future.")}
            )


class OncologyEventKind(models.TextChoices):
    CHEMOTHERAPY = "chemotherapy", _("Systemic therapy cycle")
    RADIOTHERAPY = "radiotherapy", _("Radiotherapy course")
    SURGERY = "surgery", _("Surgery")
    PROGRESSION = "progression", _("Progression")
    NEW_METASTASIS = "new_metastasis", _("New metastasis")


@_history()
class OncologyEvent(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="oncology_events")
    kind = models.CharField(_("event"), max_length=20, choices=OncologyEventKind.choices)
    occurred_on = models.DateField(
        _("date"), help_text=_("Date given, course start, operation or finding.")
    )
    ended_on = models.DateField(_("course end"), null=True, blank=True)
    regimen = models.CharField(_("regimen"), max_length=120, blank=True)
    cycle_number = models.PositiveSmallIntegerField(_("cycle number"), null=True, blank=True)
    cycle_length_days = models.PositiveSmallIntegerField(
        _("cycle length (days)"), null=True, blank=True
    )
    site = models.CharField(_("site"), max_length=120, blank=True)
    details = models.CharField(
        _("details"), max_length=200, blank=True, help_text=_("e.g. 20 Gy in 5 fractions")
    )

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("oncology event")
        verbose_name_plural = _("oncology events")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            *ClinicalEntry.Meta.constraints,
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("occurred_on")),
                name="oncology_event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="chemotherapy") | (Q(cycle_number__gte=1) & ~Q(regimen="")),
                name="oncology_event_chemotherapy_has_regimen_and_cycle",
            ),
            models.CheckConstraint(
                condition=Q(cycle_length_days__isnull=True)
                | Q(cycle_length_days__gte=1, cycle_length_days__lte=120),
                name="oncology_event_cycle_length_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind == OncologyEventKind.CHEMOTHERAPY:
            if not self.regimen.strip():
                errors["regimen"] = _("Give the regimen of this cycle.")
            if not self.cycle_number:
                errors["cycle_number"] = _("Give the cycle number (1 or more).")
        elif self.regimen or self.cycle_number or self.cycle_length_days:
            errors["regimen"] = _("Regimen and cycle apply to systemic therapy cycles only.")
        if self.kind != OncologyEventKind.RADIOTHERAPY and self.ended_on:
            errors["ended_on"] = _("Only a radiotherapy course has an end date.")
        if self.ended_on and self.occurred_on and self.ended_on < self.occurred_on:
            errors["ended_on"] = _("The course cannot end before it starts.")
        if self.cycle_length_days is not None and not 1 <= self.cycle_length_days <= 120:
            errors["cycle_length_days"] = _("A cycle lasts between 1 and 120 days.")
        needs_site = {OncologyEventKind.RADIOTHERAPY, OncologyEventKind.NEW_METASTASIS}
        if self.kind in needs_site and not self.site.strip():
            errors["site"] = _("Give the site.")
        past_only = {
            OncologyEventKind.SURGERY,
            OncologyEventKind.PROGRESSION,
            OncologyEventKind.NEW_METASTASIS,
        }
        if self.kind in past_only and self.occurred_on and self.occurred_on > timezone.localdate():
            errors["occurred_on"] = _("This event cannot be in the future.")
        if errors:
            raise ValidationError(errors)


# --- medicines -----------------------------------------------------------------------------------


class DrugClass(models.TextChoices):
    OPIOID = "opioid", _("Opioid")
    ANTICOAGULANT = "anticoagulant", _("Anticoagulant")
    ANTIPLATELET = "antiplatelet", _("Antiplatelet")
    NSAID = "nsaid", _("NSAID")
    ADJUVANT = "adjuvant", _("Adjuvant analgesic")
    OTHER = "other", _("Other")


BLEEDING_CLASSES = frozenset({DrugClass.ANTICOAGULANT, DrugClass.ANTIPLATELET, DrugClass.NSAID})
OPIOID_KEY_CHOICES = [(key, key) for key in sorted(opioids.OPIOID_DRUGS)]
HOLD_KEY_CHOICES = [(key, key) for key in HOLD_TABLE]


@_history()
class Drug(Timestamped):
    """An entry of the medication catalogue (admin-edited; prescriptions point to it)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    drug_class = models.CharField(_("class"), max_length=20, choices=DrugClass.choices)
    opioid_key = models.CharField(
        _("opioid key"),
        max_length=40,
        blank=True,
        choices=OPIOID_KEY_CHOICES,
        help_text=_("For opioids: the drug the morphine-equivalent calculation knows."),
    )
    hold_key = models.CharField(
        _("procedure safety key"),
        max_length=40,
        blank=True,
        choices=HOLD_KEY_CHOICES,
        help_text=_(
            "For anticoagulants, antiplatelets and NSAIDs: the hold rule before procedures."
        ),
    )
    is_active = models.BooleanField(
        _("available for new prescriptions"), default=True, editable=False
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("catalogue drug")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Upper("name"), name="drug_name_ci_unique"),
            models.CheckConstraint(
                condition=Q(drug_class=DrugClass.OPIOID, opioid_key__gt="")
                | (~Q(drug_class=DrugClass.OPIOID) & Q(opioid_key="")),
                name="drug_opioid_key_iff_opioid",
            ),
            models.CheckConstraint(
                condition=Q(hold_key="") | Q(drug_class__in=sorted(BLEEDING_CLASSES)),
                name="drug_hold_key_only_for_bleeding_classes",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = " ".join(self.name.split())
        errors: dict[str, Any] = {}
        if self.drug_class == DrugClass.OPIOID and not self.opioid_key:
            errors["opioid_key"] = _("An opioid needs its opioid key.")
        if self.drug_class != DrugClass.OPIOID and self.opioid_key:
            errors["opioid_key"] = _("Only opioids have an opioid key.")
        if self.hold_key and self.drug_class not in BLEEDING_CLASSES:
            errors["hold_key"] = _(
                "Only anticoagulants, antiplatelets and NSAIDs have a procedure safety key."
            )
        if errors:
            raise ValidationError(errors)


class Route(models.TextChoices):
    # The first four are the keys of patients/opioids.py.
    ORAL = "oral", _("Oral")
    TRANSDERMAL = "transdermal", _("Transdermal patch")
    IV = "iv", _("Intravenous (IV)")
    SC = "sc", _("Subcutaneous (SC)")
    SUBLINGUAL = "sublingual", _("Sublingual / buccal")
    INTRANASAL = "intranasal", _("Intranasal")
    IM = "im", _("Intramuscular (IM)")
    RECTAL = "rectal", _("Rectal")
    INTRATHECAL = "intrathecal", _("Intrathecal")
    EPIDURAL = "epidural", _("Epidural")
    TOPICAL = "topical", _("Topical")
    INHALED = "inhaled", _("Inhaled")


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    MCG = "mcg", "mcg"
    MCG_PER_HOUR = "mcg/h", "mcg/h"
    G = "g", "g"
    ML = "mL", "mL"
    UNITS = "units", _("units")


CONTINUOUS_ROUTES = frozenset({Route.TRANSDERMAL, Route.IV, Route.SC})
MAX_DOSES_PER_DAY = Decimal(24)


@_history()
class Medication(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    drug = models.ForeignKey(
        Drug, on_delete=models.PROTECT, related_name="prescriptions", verbose_name=_("drug")
    )
    strength = models.DecimalField(
        _("strength"), max_digits=10, decimal_places=3, help_text=_("Per dose (patch: per hour).")
    )
    unit = models.CharField(_("unit"), max_length=8, choices=DoseUnit.choices)
    route = models.CharField(_("route"), max_length=12, choices=Route.choices)
    as_needed = models.BooleanField(_("as needed (PRN)"), default=False)
    doses_per_day = models.DecimalField(
        _("doses per day"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Scheduled doses per day. Not needed for a patch."),
    )
    as_needed_max_doses_per_day = models.DecimalField(
        _("maximum doses per day (as needed)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    started_on = models.DateField(_("start date"))
    stopped_on = models.DateField(_("stop date"), null=True, blank=True)
    indication = models.CharField(_("indication"), max_length=200, blank=True)

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ["stopped_on", "-started_on", "-id"]
        constraints = [
            *ClinicalEntry.Meta.constraints,
            models.CheckConstraint(
                condition=Q(strength__gt=0), name="medication_strength_positive"
            ),
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=F("started_on")),
                name="medication_stops_after_start",
            ),
            models.CheckConstraint(
                condition=Q(doses_per_day__isnull=True)
                | Q(doses_per_day__gt=0, doses_per_day__lte=MAX_DOSES_PER_DAY),
                name="medication_doses_per_day_range",
            ),
            models.CheckConstraint(
                condition=Q(as_needed_max_doses_per_day__isnull=True)
                | Q(
                    as_needed_max_doses_per_day__gt=0,
                    as_needed_max_doses_per_day__lte=MAX_DOSES_PER_DAY,
                ),
                name="medication_as_needed_max_range",
            ),
            models.CheckConstraint(
                condition=Q(as_needed=False) | Q(as_needed_max_doses_per_day__isnull=False),
                name="medication_as_needed_has_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.strength.normalize():f} {self.unit} {self.route}"

    def is_active_on(self, day: dt.date) -> bool:
        return (
            not self.in_error
            and self.started_on <= day
            and (self.stopped_on is None or self.stopped_on >= day)
        )

    @property
    def is_continuous(self) -> bool:
        """A patch or infusion in mcg/h: its strength is a rate, not a dose."""
        return self.unit == DoseUnit.MCG_PER_HOUR

    def dose_for_mme(self) -> opioids.MedicationDose | None:
        """This line as patients/opioids.py needs it, or None for a non-opioid."""
        if not self.drug.opioid_key:
            return None
        return opioids.MedicationDose(
            drug=self.drug.opioid_key,
            route=self.route,
            strength=self.strength,
            unit=self.unit,
            doses_per_day=self.doses_per_day if self.doses_per_day is not None else Decimal(0),
            as_needed=self.as_needed,
            as_needed_max_doses_per_day=self.as_needed_max_doses_per_day,
        )

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.strength is not None and self.strength <= 0:
            errors["strength"] = _("The strength must be greater than zero.")
        if self.stopped_on and self.started_on and self.stopped_on < self.started_on:
            errors["stopped_on"] = _("The stop date cannot be before the start date.")
        self._clean_frequency(errors)
        self._clean_unit(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_frequency(self, errors: dict[str, Any]) -> None:
        if self.as_needed:
            if self.as_needed_max_doses_per_day is None:
                errors["as_needed_max_doses_per_day"] = _(
                    "Give the maximum number of as-needed doses per day."
                )
            if self.doses_per_day is not None:
                errors["doses_per_day"] = _(
                    "An as-needed medication has a maximum per day instead of scheduled doses."
                )
            if self.route == Route.TRANSDERMAL:
                errors["as_needed"] = _("A patch is not given as needed.")
        else:
            if self.as_needed_max_doses_per_day is not None:
                errors["as_needed_max_doses_per_day"] = _(
                    "Only an as-needed medication has a maximum number of doses per day."
                )
            if self.doses_per_day is None and not self.is_continuous:
                errors["doses_per_day"] = _("Give the number of doses per day.")
        for field in ("doses_per_day", "as_needed_max_doses_per_day"):
            value = getattr(self, field)
            if value is not None and not Decimal(0) < value <= MAX_DOSES_PER_DAY:
                errors.setdefault(field, _("Between more than 0 and 24 doses per day."))

    def _clean_unit(self, errors: dict[str, Any]) -> None:
        if self.unit == DoseUnit.MCG_PER_HOUR and self.route not in CONTINUOUS_ROUTES:
            errors["unit"] = _("mcg/h is a rate: use it for a patch or an infusion only.")
            return
        if self.route == Route.TRANSDERMAL and self.unit != DoseUnit.MCG_PER_HOUR:
            errors["unit"] = _("A patch's strength is given in mcg/h.")
            return
        drug = self.drug if self.drug_id else None
        if drug is None or not drug.opioid_key:
            return
        conversion = opioids.CONVERSIONS.get((drug.opioid_key, self.route))
        if conversion is not None and conversion.unit != self.unit:
            errors["unit"] = _("%(drug)s by this route is measured in %(unit)s, not %(given)s.") % {
                "drug": drug.name,
                "unit": conversion.unit,
                "given": self.unit,
            }


# --- laboratory ----------------------------------------------------------------------------------


class LabTest(models.TextChoices):
    PLATELETS = "platelets", _("Platelets")
    INR = "inr", _("INR")
    ANC = "anc", _("Neutrophils (ANC)")
    HAEMOGLOBIN = "haemoglobin", _("Haemoglobin")
    CREATININE = "creatinine", _("Creatinine")
    EGFR = "egfr", _("eGFR")


# Unit and physiologically possible range of each test; a value outside is a typing error.
LAB_SPECS: dict[str, tuple[str, Decimal, Decimal]] = {
    LabTest.PLATELETS: ("×10⁹/L", Decimal(0), Decimal(2000)),
    LabTest.INR: ("ratio", Decimal("0.5"), Decimal(15)),
    LabTest.ANC: ("×10⁹/L", Decimal(0), Decimal(100)),
    LabTest.HAEMOGLOBIN: ("g/L", Decimal(20), Decimal(250)),
    LabTest.CREATININE: ("µmol/L", Decimal(10), Decimal(3000)),
    LabTest.EGFR: ("mL/min/1.73m²", Decimal(0), Decimal(200)),
}


def _lab_range_condition() -> Q:
    condition = Q()
    for test, (unit, low, high) in LAB_SPECS.items():
        condition |= Q(test=test, unit=unit, value__gte=low, value__lte=high)
    return condition


@_history()
class LabResult(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_results")
    test = models.CharField(_("test"), max_length=20, choices=LabTest.choices)
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, blank=True, editable=False)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["-taken_at", "-id"]
        constraints = [
            *ClinicalEntry.Meta.constraints,
            models.CheckConstraint(
                condition=_lab_range_condition(), name="lab_result_value_in_range"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "test", "-taken_at"], name="lab_result_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_test_display()} {self.value} {self.unit}"

    def clean(self) -> None:
        spec = LAB_SPECS.get(self.test)
        if spec is None:
            return
        unit, low, high = spec
        self.unit = unit
        errors: dict[str, Any] = {}
        if self.value is not None and not low <= self.value <= high:
            errors["value"] = _(
                "%(test)s of %(value)s %(unit)s is not physiologically possible "
                "(%(low)s–%(high)s); check the value."
            ) % {
                "test": self.get_test_display(),
                "value": self.value,
                "unit": unit,
                "low": low,
                "high": high,
            }
        # Allow a few minutes for clocks that disagree.
        if self.taken_at and self.taken_at > timezone.now() + dt.timedelta(minutes=5):
            errors["taken_at"] = _("A result cannot be taken in the future.")
        if errors:
            raise ValidationError(errors)


# --- allergies, goals, devices -------------------------------------------------------------------


class AllergySeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe / anaphylaxis")
    UNKNOWN = "unknown", _("Unknown")


class AllergyKind(models.TextChoices):
    ALLERGY = "allergy", _("Allergy")
    INTOLERANCE = "intolerance", _("Intolerance / side effect")


@_history()
class Allergy(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=120)
    kind = models.CharField(
        _("type"), max_length=12, choices=AllergyKind.choices, default=AllergyKind.ALLERGY
    )
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=AllergySeverity.choices, default="unknown"
    )
    noted_on = models.DateField(_("noted on"), null=True, blank=True)

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["substance", "id"]

    def __str__(self) -> str:
        return self.substance

    def clean(self) -> None:
        if self.noted_on and self.noted_on > timezone.localdate():
            raise ValidationError({"noted_on": _("This date cannot be in the future.")})


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACHIEVED = "achieved", _("Achieved")
    PARTLY_ACHIEVED = "partly_achieved", _("Partly achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


@_history()
class Goal(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="goals")
    patient_words = models.TextField(
        _("goal in the patient's own words"), help_text=_("e.g. “Walk my dog to the park.”")
    )
    measure = models.CharField(
        _("measure"),
        max_length=120,
        help_text=_("e.g. worst pain NRS (0–10), walking distance (m)"),
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=8, decimal_places=2)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE
    )

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["status", "target_date", "id"]

    def __str__(self) -> str:
        return self.patient_words[:60]

    def clean(self) -> None:
        if self.baseline is not None and self.target is not None and self.baseline == self.target:
            raise ValidationError({"target": _("The target is the same as the baseline.")})


class DeviceKind(models.TextChoices):
    INTRATHECAL_PUMP = "intrathecal_pump", _("Intrathecal pump")
    SPINAL_CORD_STIMULATOR = "spinal_cord_stimulator", _("Spinal cord stimulator")
    DRG_STIMULATOR = "drg_stimulator", _("Dorsal root ganglion stimulator")
    PERIPHERAL_NERVE_STIMULATOR = "peripheral_nerve_stimulator", _("Peripheral nerve stimulator")


class ConcentrationUnit(models.TextChoices):
    MG_PER_ML = "mg/mL", "mg/mL"
    MCG_PER_ML = "mcg/mL", "mcg/mL"


@_history()
class Device(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(_("device"), max_length=30, choices=DeviceKind.choices)
    model_name = models.CharField(_("model"), max_length=120)
    serial_number = models.CharField(_("serial number"), max_length=80)
    implanted_on = models.DateField(_("implanted on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    drug = models.CharField(_("drug in the pump"), max_length=120, blank=True)
    concentration = models.DecimalField(
        _("concentration"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    concentration_unit = models.CharField(
        _("concentration unit"), max_length=8, choices=ConcentrationUnit.choices, blank=True
    )
    reservoir_volume_ml = models.DecimalField(
        _("reservoir volume (mL)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    next_refill_due = models.DateField(_("next refill due"), null=True, blank=True)
    next_battery_check_due = models.DateField(_("next battery check due"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ClinicalEntry.Meta):
        verbose_name = _("implanted device")
        verbose_name_plural = _("implanted devices")
        ordering = ["removed_on", "-implanted_on", "-id"]
        constraints = [
            *ClinicalEntry.Meta.constraints,
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=F("implanted_on")),
                name="device_removed_after_implant",
            ),
            models.CheckConstraint(
                condition=Q(kind=DeviceKind.INTRATHECAL_PUMP)
                | Q(
                    drug="",
                    concentration__isnull=True,
                    reservoir_volume_ml__isnull=True,
                    next_refill_due__isnull=True,
                ),
                name="device_drug_fields_for_pumps_only",
            ),
            models.CheckConstraint(
                condition=Q(concentration__isnull=True, concentration_unit="")
                | (Q(concentration__gt=0) & ~Q(concentration_unit="")),
                name="device_concentration_with_unit",
            ),
            models.CheckConstraint(
                condition=Q(reservoir_volume_ml__isnull=True)
                | Q(reservoir_volume_ml__gt=0, reservoir_volume_ml__lte=100),
                name="device_reservoir_range",
            ),
        ]
        indexes = [
            # Refills and battery checks due (reminders, the agenda's suggested cases): implanted
            # devices in the order `devices_due_by` reads them, so a limited read stops early.
            models.Index(
                fields=["next_refill_due", "next_battery_check_due", "id"],
                condition=Q(entered_in_error_at__isnull=True, removed_on__isnull=True),
                name="device_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.model_name}"

    @property
    def is_pump(self) -> bool:
        return self.kind == DeviceKind.INTRATHECAL_PUMP

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        today = timezone.localdate()
        if self.implanted_on and self.implanted_on > today:
            errors["implanted_on"] = _("The implant date cannot be in the future.")
        if self.removed_on and self.implanted_on and self.removed_on < self.implanted_on:
            errors["removed_on"] = _("A device cannot be removed before it was implanted.")
        if self.is_pump:
            self._clean_pump(errors)
        else:
            for field in ("drug", "concentration", "reservoir_volume_ml", "next_refill_due"):
                if getattr(self, field) not in (None, ""):
                    errors[field] = _("Only an intrathecal pump holds a drug.")
            self.concentration_unit = ""
        if errors:
            raise ValidationError(errors)

    def _clean_pump(self, errors: dict[str, Any]) -> None:
        if (self.concentration is None) != (not self.concentration_unit):
            errors["concentration"] = _("Give the concentration with its unit.")
        elif self.concentration is not None and self.concentration <= 0:
            errors["concentration"] = _("The concentration must be greater than zero.")
        if self.concentration is not None and not self.drug.strip():
            errors["drug"] = _("Name the drug this concentration is for.")
        volume = self.reservoir_volume_ml
        if volume is not None and not Decimal(0) < volume <= Decimal(100):
            errors["reservoir_volume_ml"] = _("A pump reservoir holds between 0 and 100 mL.")


# --- clinic policy -------------------------------------------------------------------------------


def _instrument_choices() -> list[tuple[str, str]]:
    return [(spec.code, spec.name) for spec in INSTRUMENTS.values()]


def default_instrument_codes() -> list[str]:
    # BPI, ESAS-r, PHQ-9, GAD-7 and ECOG: the clinic may change the set.
    return ["bpi", "esas_r", "phq9", "gad7", "ecog"]


def default_quorum_disciplines() -> list[str]:
    """The disciplines a team meeting needs by default (DESIGN.md section 3)."""
    return [
        Discipline.PAIN_ANAESTHESIA,
        Discipline.PALLIATIVE_CARE,
        Discipline.INTERVENTIONAL_RADIOLOGY,
        Discipline.ONCOLOGY,
    ]


# Procedure category (procedures.models.ProcedureCategory) -> its ClinicPolicy field.
FOLLOWUP_DAYS_FIELDS = {
    category: f"followup_days_{category}"
    for category in (
        "diagnostic_block",
        "neurolysis",
        "neuromodulation",
        "intrathecal_drug_delivery",
        "ablation",
        "vertebral_augmentation",
        "other",
    )
}


SESSION_IDLE_MINUTES_DEFAULT = 15
SESSION_IDLE_MINUTES_MIN = 5
SESSION_IDLE_MINUTES_MAX = 120


def _followup_days_field(verbose_name: Any) -> Any:
    return ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=verbose_name,
        blank=True,
        default=list,
        help_text=_("Comma-separated days after the procedure, e.g. 1,14,42. Empty: 1,14,42."),
    )


@_history()
class ClinicPolicy(ChoiceLabels, models.Model):
    """The clinic's editable thresholds (one row). Defaults follow DESIGN.md section 6."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    platelets_min_low = models.PositiveIntegerField(
        _("minimum platelets, low-risk procedures (×10⁹/L)"),
        default=50,
        help_text=_("Also the threshold of the chart's low-platelet alert."),
    )
    platelets_min_high = models.PositiveIntegerField(
        _("minimum platelets, intermediate- and high-risk procedures (×10⁹/L)"), default=75
    )
    inr_max = models.DecimalField(
        _("maximum INR, intermediate- and high-risk procedures"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.4"),
    )
    anc_min = models.DecimalField(
        _("minimum neutrophils (ANC, ×10⁹/L)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.0"),
    )
    max_lab_age_days = models.PositiveIntegerField(
        _("labs no older than (days before the procedure)"), default=7
    )
    nadir_start_days = models.PositiveIntegerField(
        _("chemotherapy nadir window starts (days after a cycle)"), default=7
    )
    nadir_end_days = models.PositiveIntegerField(
        _("chemotherapy nadir window ends (days after a cycle)"), default=14
    )
    # --- meetings (added by the meetings app) ---
    quorum_disciplines = ArrayField(
        models.CharField(max_length=40, choices=Discipline.choices),
        verbose_name=_("disciplines a team meeting needs to be quorate"),
        default=default_quorum_disciplines,
        blank=True,
        help_text=_("A meeting is quorate when someone of each of these disciplines is present."),
    )
    # --- assessments (added with the assessments app)
    default_instruments = ArrayField(
        models.CharField(max_length=10, choices=_instrument_choices()),
        verbose_name=_("instruments offered by default on a new assessment"),
        default=default_instrument_codes,
        blank=True,
        help_text=_("The clinician can add or remove instruments on each assessment."),
    )
    assessment_edit_window_hours = models.PositiveIntegerField(
        _("an assessment's author may edit it for (hours)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text=_("Later corrections: mark it as entered in error and record a new one."),
    )
    reassessment_interval_days = models.PositiveIntegerField(
        _("remind the primary clinician to reassess after (days)"),
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # --- procedures (added by the procedures app): follow-up days per procedure category.
    # Empty means the default schedule (procedures/outcomes.py DEFAULT_FOLLOW_UP_DAYS: a phone
    # check on day 1, a review on day 14, a reassessment on day 42). A procedure type with days
    # of its own uses those instead.
    followup_days_diagnostic_block = _followup_days_field(
        _("follow-up days after diagnostic blocks")
    )
    followup_days_neurolysis = _followup_days_field(_("follow-up days after neurolysis"))
    followup_days_neuromodulation = _followup_days_field(_("follow-up days after neuromodulation"))
    followup_days_intrathecal_drug_delivery = _followup_days_field(
        _("follow-up days after intrathecal drug delivery")
    )
    followup_days_ablation = _followup_days_field(_("follow-up days after ablation"))
    followup_days_vertebral_augmentation = _followup_days_field(
        _("follow-up days after vertebral augmentation")
    )
    followup_days_other = _followup_days_field(_("follow-up days after other procedures"))
    # --- sign-in and sessions (read on every signed-in request through clinic/lib/policy.py,
    # which caches them). Five minutes is the floor because the session middleware records
    # activity once a minute and a clinician typing a long note must not lose it; two hours is
    # the ceiling because a longer idle session on a shared ward computer is an open chart.
    session_idle_minutes = models.PositiveSmallIntegerField(
        _("sign out after this many minutes without activity"),
        default=SESSION_IDLE_MINUTES_DEFAULT,
        validators=[
            MinValueValidator(SESSION_IDLE_MINUTES_MIN),
            MaxValueValidator(SESSION_IDLE_MINUTES_MAX),
        ],
        help_text=_("Between 5 and 120. A session ends after 12 hours whatever this says."),
    )
    two_factor_required_for_all = models.BooleanField(
        _("every staff member signs in with a second factor"),
        default=True,
        help_text=_("Admins always sign in with a second factor."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("clinic policy")
        verbose_name_plural = _("clinic policy")
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="clinic_policy_single_row"),
            models.CheckConstraint(
                condition=Q(platelets_min_low__lte=F("platelets_min_high")),
                name="clinic_policy_platelet_order",
            ),
            models.CheckConstraint(
                condition=Q(nadir_start_days__lte=F("nadir_end_days")),
                name="clinic_policy_nadir_order",
            ),
            models.CheckConstraint(condition=Q(inr_max__gt=0), name="clinic_policy_inr_positive"),
            models.CheckConstraint(
                condition=Q(
                    session_idle_minutes__gte=SESSION_IDLE_MINUTES_MIN,
                    session_idle_minutes__lte=SESSION_IDLE_MINUTES_MAX,
                ),
                name="clinic_policy_session_idle_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Clinic policy"))

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.platelets_min_low > self.platelets_min_high:
            errors["platelets_min_high"] = _(
                "The minimum for higher-risk procedures cannot be below the low-risk minimum."
            )
        if self.nadir_start_days > self.nadir_end_days:
            errors["nadir_end_days"] = _("The window cannot end before it starts.")
        if self.inr_max is not None and self.inr_max <= 0:
            errors["inr_max"] = _("The INR maximum must be greater than zero.")
        for name in FOLLOWUP_DAYS_FIELDS.values():
            try:
                days = follow_up_schedule.check_follow_up_days(getattr(self, name) or [])
            except follow_up_schedule.OutcomeError as error:
                errors[name] = str(error)
            else:
                setattr(self, name, list(days))
        if errors:
            raise ValidationError(errors)

    def follow_up_days_for(self, category: str) -> tuple[int, ...]:
        """The follow-up days after a procedure of `category` (the default when empty)."""
        days = getattr(self, FOLLOWUP_DAYS_FIELDS[category])
        return tuple(days) if days else follow_up_schedule.DEFAULT_FOLLOW_UP_DAYS
