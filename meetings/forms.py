"""Forms of the meetings pages: they validate and normalise; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import User
from meetings import selectors
from meetings.models import (
    ActionItem,
    AgendaItem,
    AttendanceStatus,
    DecisionKind,
    ItemReason,
    Meeting,
    MeetingSeries,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_discipline_display()})"


class StaffMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_discipline_display()})"


def _video_link_field() -> forms.URLField:
    return forms.URLField(
        label=_("Video link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("https://… for those who join by video."),
    )


def _invitees_field() -> StaffMultipleChoice:
    return StaffMultipleChoice(
        label=_("Invited"),
        queryset=selectors.staff_choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("They are told when the agenda is published and when the meeting changes."),
    )


class MeetingForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    chair = StaffChoice(label=_("Chair"), queryset=selectors.staff_choices())
    video_link = _video_link_field()
    invitees = _invitees_field()

    class Meta:
        model = Meeting
        fields = ["name", "starts_at", "ends_at", "place", "video_link", "chair", "agenda_deadline"]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "agenda_deadline": DateTimeInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at", "agenda_deadline"):
            self.fields[name].input_formats = [DATETIME_FORMAT]

    def clean_video_link(self) -> str:
        link = self.cleaned_data["video_link"].strip()
        if link and not link.lower().startswith("https://"):
            raise forms.ValidationError(_("Give a secure link that starts with https://."))
        return link

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("place") or "").strip() and not data.get("video_link"):
            self.add_error("place", _("Give a place or a video link."))
        return data

    def meeting_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class SeriesForm(forms.ModelForm):
    chair = StaffChoice(label=_("Chair"), queryset=selectors.staff_choices())
    video_link = _video_link_field()
    invitees = _invitees_field()

    class Meta:
        model = MeetingSeries
        fields = [
            "name",
            "weekday",
            "start_time",
            "duration_minutes",
            "place",
            "video_link",
            "chair",
            "deadline_days_before",
            "weeks_ahead",
        ]
        widgets = {"start_time": TimeInput()}

    def clean_video_link(self) -> str:
        link = self.cleaned_data["video_link"].strip()
        if link and not link.lower().startswith("https://"):
            raise forms.ValidationError(_("Give a secure link that starts with https://."))
        return link

    def series_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        data["invitees"] = list(self.cleaned_data["invitees"])
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- the agenda ----------------------------------------------------------------------------------


class SuggestionAddForm(forms.Form):
    """One click from the suggestions panel: the patient, the reason and what was found."""

    patient = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(choices=ItemReason.choices, widget=forms.HiddenInput)
    detail = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)
    plan = forms.UUIDField(required=False, widget=forms.HiddenInput)


class PatientAddForm(forms.Form):
    """A coordinator adds any patient by MRN."""

    mrn = forms.CharField(label=_("MRN"), max_length=32)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(v, label) for v, label in ItemReason.choices if v != ItemReason.CARRIED_OVER],
        initial=ItemReason.OTHER,
    )
    question = forms.CharField(
        label=_("Question for the team"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProposeForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=Meeting.objects.none())
    question = forms.CharField(
        label=_("Question for the team"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What should the team answer? e.g. “Is a coeliac plexus block reasonable?”"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        field.queryset = selectors.proposable_meetings(timezone.now())  # type: ignore[attr-defined]
        field.label_from_instance = lambda meeting: str(meeting)  # type: ignore[attr-defined]
        field.empty_label = None  # type: ignore[attr-defined]


class ItemEditForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    presenter = StaffChoice(
        label=_("Presenter"), queryset=selectors.staff_choices(), required=False
    )

    class Meta:
        model = AgendaItem
        fields = ["presenter", "reason", "question"]
        widgets = {"question": forms.Textarea(attrs={"rows": 3})}


class DecisionForm(forms.Form):
    discussion = forms.CharField(
        label=_("Discussion"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    decision_kind = forms.ChoiceField(
        label=_("Decision"), choices=[("", "---------"), *DecisionKind.choices]
    )
    plan = forms.ChoiceField(
        label=_("Procedure plan to approve"), required=False, choices=[("", "---------")]
    )
    decision = forms.CharField(
        label=_("Decision in words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for refer, change medication and other."),
    )

    def __init__(self, *args: Any, plan_options: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", "---------"), *plan_options]  # type: ignore[attr-defined]


class ActionForm(forms.ModelForm):
    owner = StaffChoice(label=_("Owner"), queryset=selectors.staff_choices())
    item = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ActionItem
        fields = ["owner", "what", "due_date"]
        widgets = {"due_date": DateInput()}


class AttendanceForm(forms.Form):
    """One choice per invited person, and anyone else who came."""

    add = StaffMultipleChoice(
        label=_("Also present (not invited)"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        choices = [
            (value, label)
            for value, label in AttendanceStatus.choices
            if value != AttendanceStatus.EXPECTED
        ]
        for row in rows:
            self.fields[f"person_{row.person_id}"] = forms.ChoiceField(
                label=f"{row.person.display_name} ({row.person.get_discipline_display()})",
                choices=choices,
                required=False,
                initial=row.status if row.status != AttendanceStatus.EXPECTED else "",
                widget=forms.RadioSelect,
            )
        self.fields["add"].queryset = selectors.staff_choices().exclude(  # type: ignore[attr-defined]
            pk__in=[row.person_id for row in rows]
        )

    def statuses(self) -> dict[int, str]:
        return {
            row.person_id: self.cleaned_data[f"person_{row.person_id}"]
            for row in self.rows
            if self.cleaned_data.get(f"person_{row.person_id}")
        }
