"""Forms of the procedures app: they validate and normalise; services save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import ConcentrationUnit
from procedures import selectors
from procedures.models import (
    ComplicationSeverity,
    ImagingGuidance,
    ProcedurePlan,
    ProcedureType,
    Stage,
)
from procedures.services import PLAN_FIELDS, TYPE_FIELDS

MAX_COMPLICATIONS = 4


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


# --- catalogue -----------------------------------------------------------------------------------


class ProcedureTypeForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProcedureType
        fields = list(TYPE_FIELDS)
        widgets = {
            "what_to_expect": forms.Textarea(attrs={"rows": 3}),
            "activity_guidance": forms.Textarea(attrs={"rows": 3}),
            "warning_signs": forms.Textarea(attrs={"rows": 5}),
            "whom_to_call": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        duplicate = ProcedureType.objects.filter(name__iexact=name)
        if self.instance.pk:
            duplicate = duplicate.exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise forms.ValidationError(
                _("The catalogue already has %(name)s."), params={"name": name}
            )
        return name

    def type_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TYPE_FIELDS}


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)


# --- plans ---------------------------------------------------------------------------------------


class EarlierStageChoice(forms.ModelChoiceField):
    """An earlier stage, labelled with its measured response so the choice is informed."""

    def __init__(self, options: list[selectors.EarlierStage], **kwargs: Any) -> None:
        self.responses = {option.plan.pk: option.response for option in options}
        queryset = ProcedurePlan.objects.filter(pk__in=list(self.responses))
        super().__init__(queryset=queryset, to_field_name="code", **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        response = self.responses.get(obj.pk)
        performed = obj.planned_date.strftime("%d %b %Y")
        if response is None or response.met is None:
            outcome = _("response not measured yet")
        elif response.met:
            outcome = _("response met (best %(best)s%% reduction)") % {"best": response.best}
        else:
            outcome = _("response NOT met (best %(best)s%% reduction)") % {"best": response.best}
        return (
            f"{obj.procedure_type.name}, {obj.get_stage_display().lower()}, {performed}: {outcome}"
        )


class PlanForm(forms.ModelForm):
    """Propose or edit a plan. `patient` limits the earlier stages offered to that patient's."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProcedurePlan
        fields = list(PLAN_FIELDS)
        widgets = {
            "planned_date": DateInput(),
            "consent_date": DateInput(),
            "indication": forms.Textarea(attrs={"rows": 2}),
            "stage_override_reason": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "builds_on": _(
                "A later stage builds on an earlier one whose response was measured at its "
                "follow-ups."
            ),
            "stage_override_reason": _(
                "Only when proceeding without an earlier stage, or when the earlier stage did "
                "not meet its response criterion."
            ),
        }

    def __init__(self, *args: Any, patient: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current_type = self.instance.procedure_type_id if self.instance.pk else None
        types = ProcedureType.objects.filter(is_active=True)
        if current_type:
            types = ProcedureType.objects.filter(is_active=True) | ProcedureType.objects.filter(
                pk=current_type
            )
        self.fields["procedure_type"] = forms.ModelChoiceField(
            label=_("Procedure"),
            queryset=types.order_by("name"),
            to_field_name="code",
        )
        self.fields["operator"] = forms.ModelChoiceField(
            label=_("Operator"),
            queryset=selectors.operators(),
            to_field_name="code",
            required=False,
        )
        options = [
            option
            for option in selectors.earlier_stage_options(patient)
            if option.plan.pk != self.instance.pk
        ]
        self.fields["builds_on"] = EarlierStageChoice(
            options,
            label=_("Builds on (earlier stage)"),
            required=False,
            help_text=self._meta.help_texts["builds_on"],
        )
        if self.instance.pk:
            # These selects are keyed by code, not by the primary key the instance's initial
            # holds: without this an edit page selects nothing and saving clears the operator.
            for name in ("procedure_type", "operator", "builds_on"):
                self.initial[name] = getattr(self.instance, name)
        self.fields["planned_date"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.order_fields(["version", *PLAN_FIELDS])

    def plan_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in PLAN_FIELDS}


class ScheduleForm(forms.Form):
    scheduled_date = forms.DateField(label=_("Scheduled date"), widget=DateInput())


class SafetyRunForm(forms.Form):
    on = forms.DateField(widget=forms.HiddenInput)


class OverrideForm(forms.Form):
    check_code = forms.CharField(widget=forms.HiddenInput, max_length=120)
    reason = forms.CharField(label=_("Reason for the override"), max_length=500)


# --- recording -----------------------------------------------------------------------------------


class RecordForm(forms.Form):
    performed_at = forms.DateTimeField(label=_("Performed at"), widget=DateTimeInput())
    performed_by = forms.ModelChoiceField(
        label=_("Performed by"), queryset=selectors.operators(), to_field_name="code"
    )
    imaging_guidance = forms.ChoiceField(
        label=_("Imaging guidance"), choices=ImagingGuidance.choices
    )
    had_complications = forms.TypedChoiceField(
        label=_("Complications"),
        choices=[("no", _("None")), ("yes", _("Yes, listed below"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="no",
    )
    immediate_relief_percent = forms.IntegerField(
        label=_("Immediate relief (%)"), min_value=0, max_value=100, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, plan: ProcedurePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["performed_by"].queryset = selectors.operators()
        for number in range(1, MAX_COMPLICATIONS + 1):
            self.fields[f"complication_{number}"] = forms.CharField(
                label=_("Complication %(n)s") % {"n": number}, max_length=200, required=False
            )
            self.fields[f"severity_{number}"] = forms.ChoiceField(
                label=_("Severity %(n)s") % {"n": number},
                choices=[("", "—"), *ComplicationSeverity.choices],
                required=False,
            )
        self.records_device = bool(plan.procedure_type.implant_kind) and plan.stage != Stage.TRIAL
        self.pump = plan.procedure_type.implant_kind == "intrathecal_pump"
        if self.records_device:
            self._add_device_fields()

    def _add_device_fields(self) -> None:
        self.fields["device_model_name"] = forms.CharField(label=_("Device model"), max_length=120)
        self.fields["device_serial_number"] = forms.CharField(
            label=_("Serial number"), max_length=80
        )
        if self.pump:
            self.fields["device_drug"] = forms.CharField(
                label=_("Drug in the pump"), max_length=120, required=False
            )
            self.fields["device_concentration"] = forms.DecimalField(
                label=_("Concentration"), max_digits=9, decimal_places=3, required=False
            )
            self.fields["device_concentration_unit"] = forms.ChoiceField(
                label=_("Concentration unit"),
                choices=[("", "—"), *ConcentrationUnit.choices],
                required=False,
            )
            self.fields["device_reservoir_volume_ml"] = forms.DecimalField(
                label=_("Reservoir volume (mL)"), max_digits=5, decimal_places=1, required=False
            )
            self.fields["device_next_refill_due"] = forms.DateField(
                label=_("Next refill due"), widget=DateInput(), required=False
            )
        else:
            self.fields["device_next_battery_check_due"] = forms.DateField(
                label=_("Next battery check due"), widget=DateInput(), required=False
            )

    def complication_fields(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"complication_{n}"], self[f"severity_{n}"])
            for n in range(1, MAX_COMPLICATIONS + 1)
        ]

    def device_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("device_")]

    def complications(self) -> list[dict[str, str]]:
        return [
            {
                "description": self.cleaned_data.get(f"complication_{n}", ""),
                "severity": self.cleaned_data.get(f"severity_{n}", ""),
            }
            for n in range(1, MAX_COMPLICATIONS + 1)
        ]

    def device(self) -> dict[str, Any] | None:
        if not self.records_device:
            return None
        values = {
            name.removeprefix("device_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("device_")
        }
        return {
            name: ("" if value is None and name in {"drug", "concentration_unit"} else value)
            for name, value in values.items()
        }


# --- follow-ups and reports ----------------------------------------------------------------------


class FollowUpCompleteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FollowUpFilterForm(forms.Form):
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("pending", _("Pending")),
            ("done", _("Done")),
            ("missed", _("Missed")),
            ("", _("Any")),
        ],
    )
    due_by = forms.DateField(label=_("Due by"), required=False, widget=DateInput())


class OutcomesFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Performed from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("to"), required=False, widget=DateInput())
    procedure_type = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=ProcedureType.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("All procedures"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    by_operator = forms.BooleanField(label=_("By operator"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end is before the start."))
        return data
