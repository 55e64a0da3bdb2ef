from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.reminders import registry
from clinic.reminders.models import ReminderStatus


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ReminderStatus.choices],
    )
    recipient = forms.CharField(label=_("Recipient"), required=False, max_length=100)
    due_from = forms.DateField(
        label=_("Due from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = forms.DateField(
        label=_("Due until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [
            ("", _("Any kind")),
            *[(kind.name, kind.label) for kind in registry.kinds()],
        ]
        for name, field in self.fields.items():
            css = "form-select" if name in ("kind", "status") else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("due_from") and data.get("due_to") and data["due_from"] > data["due_to"]:
            raise forms.ValidationError(_("The first day comes after the last one."))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why cancel it?"),
        max_length=300,
        help_text=_("Kept with the reminder's history."),
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the reminder is cancelled."))
        return reason
