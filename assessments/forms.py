"""Forms of the record page: they parse and normalise; the scoring rules and the service judge.

The record page is three kinds of form submitted together: `SetupForm` (when, context, which
instruments), one `InstrumentForm` per instrument (built from its spec, prefixed with its code)
and `DescriptionForm` (body map and pain description). Answers are left to
`assessments.instruments.item_errors` to judge, so the messages next to the items are the
scoring rules' own, whatever the instrument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.bodymap import REGIONS
from assessments.instruments import GENERAL, INSTRUMENTS, InstrumentSpec, ItemSpec
from assessments.measures import measure_choices
from assessments.models import (
    INSTRUMENT_CHOICES,
    MAX_BREAKTHROUGH_PER_DAY,
    AssessmentContext,
    Comparison,
    GoalOutcome,
    PainMechanism,
    PainPattern,
    PainQuality,
    SleepQuality,
)

YES, NO = "yes", "no"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class SetupForm(forms.Form):
    assessed_at = forms.DateTimeField(
        label=_("Assessed at"),
        widget=DateTimeInput(attrs={"class": "form-control"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    context = forms.ChoiceField(label=_("Context"), choices=AssessmentContext.choices)
    instruments = forms.MultipleChoiceField(
        label=_("Instruments"),
        choices=INSTRUMENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    follow_up = forms.UUIDField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_instruments(self) -> list[str]:
        chosen = self.cleaned_data["instruments"]
        return [code for code in INSTRUMENTS if code in chosen]

    def clean_assessed_at(self) -> dt.datetime:
        moment = self.cleaned_data["assessed_at"]
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _item_field(item: ItemSpec) -> forms.Field:
    """A field that only carries the answer: the scoring rules judge it, with their messages."""
    label = item.question
    if item.kind == "boolean":
        choices = [(YES, _("Yes")), (NO, _("No"))]
        return forms.CharField(
            label=label, required=False, widget=forms.RadioSelect(choices=choices)
        )
    if item.kind == "text":
        return forms.CharField(label=label, max_length=60, required=False)
    if item.choices:
        choices = [(str(choice.value), choice.label) for choice in item.choices]
        return forms.CharField(
            label=label, required=False, widget=forms.RadioSelect(choices=choices)
        )
    # A 0-10 (or 0-100 in tens) scale: a number box is the fastest by keyboard.
    attrs = {
        "type": "number",
        "min": item.minimum,
        "max": item.maximum,
        "step": item.step,
        "inputmode": "numeric",
        "class": "form-control form-control-sm score-input",
        "autocomplete": "off",
    }
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))


class InstrumentForm(forms.Form):
    """One instrument's items, named `<code>-<item>`; `answers()` gives what score() takes."""

    def __init__(self, spec: InstrumentSpec, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", spec.code)
        super().__init__(*args, **kwargs)
        self.spec = spec
        for item in spec.items:
            self.fields[item.key] = _item_field(item)

    def answers(self) -> dict[str, Any]:
        """The answers given so far as typed values (unanswered items left out); text that is
        not a number is passed on for the scoring rules to refuse with their message."""
        answers: dict[str, Any] = {}
        for item in self.spec.items:
            raw = self[item.key].value()
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            answers[item.key] = _typed(item, raw)
        return answers

    def add_answer_errors(self, errors: Mapping[str, str]) -> None:
        for key, message in errors.items():
            self.add_error(key if key in self.fields and key != GENERAL else None, message)

    def items(self) -> list[tuple[ItemSpec, forms.BoundField]]:
        return [(item, self[item.key]) for item in self.spec.items]

    def groups(self) -> list[tuple[str, list[tuple[ItemSpec, forms.BoundField]]]]:
        """Items in their groups (BPI severity, interference …), in order."""
        grouped: list[tuple[str, list[tuple[ItemSpec, forms.BoundField]]]] = []
        for item, field in self.items():
            if not grouped or grouped[-1][0] != item.group:
                grouped.append((item.group, []))
            grouped[-1][1].append((item, field))
        return grouped


def _typed(item: ItemSpec, raw: Any) -> Any:
    text = str(raw).strip()
    if item.kind == "boolean":
        return {YES: True, NO: False}.get(text, text)
    if item.kind == "text":
        return text
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number


def initial_answers(spec: InstrumentSpec, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A saved response as the form's initial values."""
    initial = {}
    for item in spec.items:
        value = answers.get(item.key)
        if value is None:
            continue
        if item.kind == "boolean":
            initial[item.key] = YES if value else NO
        else:
            initial[item.key] = str(value)
    return initial


REGION_CHOICES = [(region.key, region.label) for region in REGIONS]


class DescriptionForm(forms.Form):
    body_map_regions = forms.MultipleChoiceField(
        label=_("Painful regions"),
        choices=REGION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    worst_region = forms.ChoiceField(
        label=_("Worst region"),
        choices=[("", _("— not marked —")), *REGION_CHOICES],
        required=False,
    )
    pain_qualities = forms.MultipleChoiceField(
        label=_("Quality"),
        choices=PainQuality.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    pain_patterns = forms.MultipleChoiceField(
        label=_("Pattern"),
        choices=PainPattern.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    breakthrough_per_day = forms.IntegerField(
        label=_("Breakthrough episodes per day"),
        min_value=0,
        max_value=MAX_BREAKTHROUGH_PER_DAY,
        required=False,
        widget=forms.NumberInput(
            attrs={"class": "form-control score-input", "inputmode": "numeric"}
        ),
    )
    mechanism = forms.ChoiceField(
        label=_("Suspected mechanism"),
        choices=[("", _("— not stated —")), *PainMechanism.choices],
        required=False,
    )
    sleep_quality = forms.ChoiceField(
        label=_("Sleep quality"),
        choices=[("", _("— not asked —")), *SleepQuality.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        worst = data.get("worst_region")
        regions = data.get("body_map_regions") or []
        # Marking a worst region marks the region too.
        if worst and worst not in regions:
            data["body_map_regions"] = [*regions, worst]
        return data

    def description(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "body_map_regions": data.get("body_map_regions") or [],
            "worst_region": data.get("worst_region") or "",
            "pain_qualities": data.get("pain_qualities") or [],
            "pain_patterns": data.get("pain_patterns") or [],
            "breakthrough_per_day": data.get("breakthrough_per_day"),
            "mechanism": data.get("mechanism") or "",
            "sleep_quality": data.get("sleep_quality") or "",
            "note": data.get("note") or "",
        }


class InErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this assessment in error?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The assessment stays in the record, struck through, with your reason."),
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Say why this assessment is in error."))
        return reason


class MeasuredGoalForm(forms.Form):
    patient_words = forms.CharField(
        label=_("Goal in the patient's own words"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("e.g. “Walk my dog to the park.”"),
    )
    measure = forms.ChoiceField(label=_("Measured by"), choices=measure_choices)
    comparison = forms.ChoiceField(
        label=_("The goal is reached when the value is"),
        choices=[
            (Comparison.AT_MOST, _("at most the target (≤)")),
            (Comparison.AT_LEAST, _("at least the target (≥)")),
        ],
    )
    target = forms.DecimalField(label=_("Target"), max_digits=6, decimal_places=2)
    baseline = forms.DecimalField(
        label=_("Baseline"), max_digits=6, decimal_places=2, required=False
    )
    target_date = forms.DateField(
        label=_("Target date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class GoalReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=GoalOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class RecordForms:
    """The record page's forms together: setup, one form per instrument, description."""

    def __init__(
        self,
        data: Any = None,
        *,
        setup_initial: Mapping[str, Any] | None = None,
        answers_initial: Mapping[str, Mapping[str, Any]] | None = None,
        description_initial: Mapping[str, Any] | None = None,
        locked: frozenset[str] = frozenset(),
    ) -> None:
        self._data = data
        self._answers_initial = answers_initial or {}
        self._instrument_forms: dict[str, InstrumentForm] = {}
        self.setup = SetupForm(data, initial=setup_initial)
        self.description = DescriptionForm(data, initial=description_initial)
        self.locked = locked  # instruments a saved assessment keeps (edit page)

    def _instrument(self, code: str) -> InstrumentForm:
        # Built when first needed: saving reads the chosen instruments' forms only, and each
        # form of the nine builds a field per item.
        if code not in self._instrument_forms:
            spec = INSTRUMENTS[code]
            initial = initial_answers(spec, self._answers_initial.get(code, {}))
            self._instrument_forms[code] = InstrumentForm(spec, self._data, initial=initial)
        return self._instrument_forms[code]

    @cached_property
    def instruments(self) -> dict[str, InstrumentForm]:
        """Every instrument's form, in the catalogue's order (the page offers them all)."""
        return {code: self._instrument(code) for code in INSTRUMENTS}

    @property
    def selected(self) -> list[str]:
        if self.setup.is_bound:
            chosen = set(self.setup.data.getlist("instruments")) | self.locked
        else:
            chosen = set(self.setup.initial.get("instruments") or ())
        return [code for code in INSTRUMENTS if code in chosen]

    def selected_forms(self) -> list[InstrumentForm]:
        return [self._instrument(code) for code in self.selected]

    def is_valid(self) -> bool:
        valid = self.setup.is_valid()
        valid = self.description.is_valid() and valid
        for form in self.selected_forms():
            valid = form.is_valid() and valid
        return valid

    def answers(self) -> dict[str, dict[str, Any]]:
        return {form.spec.code: form.answers() for form in self.selected_forms()}

    def add_answer_errors(self, errors: Mapping[str, Mapping[str, str]]) -> None:
        for code, problems in errors.items():
            if code in INSTRUMENTS:
                self._instrument(code).add_answer_errors(problems)
            else:
                for message in problems.values():
                    self.setup.add_error("instruments", message)

    def add_field_errors(self, errors: Mapping[str, str]) -> None:
        for name, message in errors.items():
            if name in self.setup.fields:
                self.setup.add_error(name, message)
            elif name in self.description.fields:
                self.description.add_error(name, message)
            else:
                self.setup.add_error(None, message)

    @property
    def error_count(self) -> int:
        forms_ = [self.setup, self.description, *self.selected_forms()]
        return sum(len(messages) for form in forms_ for messages in form.errors.values())
