"""Forms of the patient record: they validate and normalise; services save."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import STAFF_TABLES, Discipline
from clinic.lib.forms import KeptModelChoiceField
from patients import selectors
from patients.models import (
    FOLLOWUP_DAYS_FIELDS,
    LAB_SPECS,
    SESSION_IDLE_MINUTES_MAX,
    SESSION_IDLE_MINUTES_MIN,
    Allergy,
    ClinicalEntry,
    ClinicPolicy,
    Device,
    Diagnosis,
    Drug,
    DrugClass,
    Goal,
    LabResult,
    LabTest,
    Medication,
    OncologyEvent,
    Patient,
    PatientStatus,
)
from patients.services import PATIENT_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


# --- finding patients ----------------------------------------------------------------------------


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or MRN"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *PatientStatus.choices],
    )
    clinician = KeptModelChoiceField(
        label=_("Primary clinician"),
        queryset=selectors.clinicians().names_only(),
        required=False,
        to_field_name="code",
        empty_label=_("Any clinician"),
        kept_under=STAFF_TABLES,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Best match / name")),
            (selectors.SearchSort.NAME, _("Name")),
            (selectors.SearchSort.MRN, _("MRN")),
            (selectors.SearchSort.UPDATED, _("Last update")),
        ],
    )


# --- patients ------------------------------------------------------------------------------------


class PatientForm(forms.ModelForm):
    primary_clinician = forms.ModelChoiceField(
        label=_("Primary clinician"),
        queryset=selectors.clinicians(),
        required=False,
        to_field_name="code",
    )
    care_team = forms.ModelMultipleChoiceField(
        label=_("Care team"),
        queryset=selectors.care_team_candidates(),
        required=False,
        to_field_name="code",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Named staff who may open the record when it is restricted."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Patient
        fields = [*PATIENT_FIELDS]
        widgets: ClassVar[dict[str, Any]] = {
            "date_of_birth": DateInput(),
            "date_of_death": DateInput(),
            "referral_date": DateInput(),
            "address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields([*PATIENT_FIELDS, "care_team", "version"])
        if self.instance.pk and self.instance.primary_clinician_id:
            # The select is keyed by the staff member's code, not the primary key.
            self.initial["primary_clinician"] = self.instance.primary_clinician
        today = timezone.localdate().isoformat()
        for name in ("date_of_birth", "date_of_death", "referral_date"):
            self.fields[name].widget.attrs["max"] = today

    def clean_mrn(self) -> str:
        mrn: str = self.cleaned_data["mrn"].strip()
        existing = self.instance if self.instance.pk else None
        if selectors.mrn_is_registered(mrn, exclude=existing):
            raise forms.ValidationError(
                _("MRN %(mrn)s is already registered to another patient."), params={"mrn": mrn}
            )
        return mrn

    def patient_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PATIENT_FIELDS}


# --- clinical entries ----------------------------------------------------------------------------


class EntryForm(forms.ModelForm):
    """A clinical entry; on edit it carries the version the form was opened at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class DiagnosisForm(EntryForm):
    class Meta:
        model = Diagnosis
        fields = [
            "primary_site",
            "histology",
            "stage",
            "metastatic_sites",
            "diagnosed_on",
            "is_main",
            "notes",
        ]
        widgets: ClassVar[dict[str, Any]] = {
            "diagnosed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class OncologyEventForm(EntryForm):
    class Meta:
        model = OncologyEvent
        fields = [
            "kind",
            "occurred_on",
            "ended_on",
            "regimen",
            "cycle_number",
            "cycle_length_days",
            "site",
            "details",
        ]
        widgets: ClassVar[dict[str, Any]] = {"occurred_on": DateInput(), "ended_on": DateInput()}


class MedicationForm(EntryForm):
    drug = forms.ModelChoiceField(
        label=_("Drug"), queryset=Drug.objects.none(), to_field_name="code"
    )

    class Meta:
        model = Medication
        fields = [
            "drug",
            "strength",
            "unit",
            "route",
            "as_needed",
            "doses_per_day",
            "as_needed_max_doses_per_day",
            "started_on",
            "stopped_on",
            "indication",
        ]
        widgets: ClassVar[dict[str, Any]] = {"started_on": DateInput(), "stopped_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        drugs = Drug.objects.order_by("name")
        # A withdrawn drug stays selectable on the prescriptions that already use it.
        if self.instance.pk:
            self.fields["drug"].queryset = drugs.filter(is_active=True) | drugs.filter(
                pk=self.instance.drug_id
            )
            # The select is keyed by the drug's code, not the primary key.
            self.initial["drug"] = self.instance.drug
        else:
            self.fields["drug"].queryset = drugs.filter(is_active=True)
        self.fields["strength"].widget.attrs["min"] = "0"
        for name in ("doses_per_day", "as_needed_max_doses_per_day"):
            self.fields[name].widget.attrs.update({"min": "0", "max": "24"})


class LabResultForm(EntryForm):
    class Meta:
        model = LabResult
        fields = ["test", "value", "taken_at"]
        widgets: ClassVar[dict[str, Any]] = {"taken_at": DateTimeInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = "; ".join(f"{label}: {LAB_SPECS[value][0]}" for value, label in LabTest.choices)
        self.fields["value"].help_text = _("Units: %(units)s.") % {"units": units}


class AllergyForm(EntryForm):
    class Meta:
        model = Allergy
        fields = ["substance", "kind", "reaction", "severity", "noted_on"]
        widgets: ClassVar[dict[str, Any]] = {"noted_on": DateInput()}


class GoalForm(EntryForm):
    class Meta:
        model = Goal
        fields = ["patient_words", "measure", "baseline", "target", "target_date", "status"]
        widgets: ClassVar[dict[str, Any]] = {
            "patient_words": forms.Textarea(attrs={"rows": 2}),
            "target_date": DateInput(),
        }


class DeviceForm(EntryForm):
    class Meta:
        model = Device
        fields = [
            "kind",
            "model_name",
            "serial_number",
            "implanted_on",
            "removed_on",
            "drug",
            "concentration",
            "concentration_unit",
            "reservoir_volume_ml",
            "next_refill_due",
            "next_battery_check_due",
            "notes",
        ]
        widgets: ClassVar[dict[str, Any]] = {
            "implanted_on": DateInput(),
            "removed_on": DateInput(),
            "next_refill_due": DateInput(),
            "next_battery_check_due": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class InErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this entry in error?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The entry stays in the record, struck through, with your reason."),
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Say why this entry is in error."))
        return reason


ENTRY_FORMS: dict[type[ClinicalEntry], type[EntryForm]] = {
    Diagnosis: DiagnosisForm,
    OncologyEvent: OncologyEventForm,
    Medication: MedicationForm,
    LabResult: LabResultForm,
    Allergy: AllergyForm,
    Goal: GoalForm,
    Device: DeviceForm,
}


class LabFilterForm(forms.Form):
    test = forms.ChoiceField(
        label=_("Test"), required=False, choices=[("", _("All tests")), *LabTest.choices]
    )


# --- catalogue and policy ------------------------------------------------------------------------


class DrugSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    drug_class = forms.ChoiceField(
        label=_("Class"), required=False, choices=[("", _("Any class")), *DrugClass.choices]
    )


class DrugForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Drug
        fields = ["name", "drug_class", "opioid_key", "hold_key", "notes"]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        duplicate = Drug.objects.filter(name__iexact=name)
        if self.instance.pk:
            duplicate = duplicate.exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise forms.ValidationError(
                _("The catalogue already has %(name)s."), params={"name": name}
            )
        return name

    def drug_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


def _is_true(value: str) -> bool:
    return value == "True"


class PolicyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # Added by the meetings app: one checkbox per discipline.
    quorum_disciplines = forms.MultipleChoiceField(
        label=_("Disciplines a team meeting needs to be quorate"),
        choices=Discipline.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A meeting is quorate when someone of each of these disciplines is present."),
    )
    # Added by the assessments app: the instruments a new assessment starts with.
    default_instruments = forms.MultipleChoiceField(
        label=_("Instruments offered by default on a new assessment"),
        choices=ClinicPolicy._meta.get_field("default_instruments").base_field.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "The clinician can add or remove instruments on each assessment. None ticked: BPI, "
            "ESAS-r, PHQ-9, GAD-7 and ECOG."
        ),
    )
    # Left empty (or absent from an older form), these keep the saved value.
    assessment_edit_window_hours = forms.IntegerField(
        label=_("An assessment's author may edit it for (hours)"),
        min_value=0,
        max_value=24 * 14,
        required=False,
        help_text=_("Later corrections: mark it as entered in error and record a new one."),
    )
    reassessment_interval_days = forms.IntegerField(
        label=_("Remind the primary clinician to reassess after (days)"),
        min_value=1,
        max_value=365,
        required=False,
    )
    # Sign-in and sessions. Left empty or absent, these keep the saved value too: a form that
    # does not show the two-factor rule must not switch it off (an unticked checkbox would).
    session_idle_minutes = forms.IntegerField(
        label=_("Sign out after this many minutes without activity"),
        min_value=SESSION_IDLE_MINUTES_MIN,
        max_value=SESSION_IDLE_MINUTES_MAX,
        required=False,
        help_text=_("Between 5 and 120. A session ends after 12 hours whatever this says."),
    )
    two_factor_required_for_all = forms.TypedChoiceField(
        label=_("Who signs in with a second factor"),
        choices=[(True, _("Every staff member")), (False, _("Admins only"))],
        coerce=_is_true,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Admins always sign in with a second factor."),
    )
    sign_in_fields = ("session_idle_minutes", "two_factor_required_for_all")

    class Meta:
        model = ClinicPolicy
        fields = [
            "platelets_min_low",
            "platelets_min_high",
            "inr_max",
            "anc_min",
            "max_lab_age_days",
            "nadir_start_days",
            "nadir_end_days",
            "quorum_disciplines",
            # Assessments: default instruments, edit window, reassessment interval.
            "default_instruments",
            "assessment_edit_window_hours",
            "reassessment_interval_days",
            # Procedures: follow-up days per category (comma-separated; empty = 1,14,42).
            *FOLLOWUP_DAYS_FIELDS.values(),
            # Sign-in and sessions: idle timeout, two-factor for everyone.
            "session_idle_minutes",
            "two_factor_required_for_all",
        ]

    def policy_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}

    def clean_assessment_edit_window_hours(self) -> int:
        value = self.cleaned_data.get("assessment_edit_window_hours")
        return self.instance.assessment_edit_window_hours if value is None else value

    def clean_reassessment_interval_days(self) -> int:
        value = self.cleaned_data.get("reassessment_interval_days")
        return self.instance.reassessment_interval_days if value is None else value

    def clean_session_idle_minutes(self) -> int:
        value = self.cleaned_data.get("session_idle_minutes")
        return self.instance.session_idle_minutes if value is None else value

    def clean_two_factor_required_for_all(self) -> bool:
        value = self.cleaned_data.get("two_factor_required_for_all")
        return self.instance.two_factor_required_for_all if value is None else value
