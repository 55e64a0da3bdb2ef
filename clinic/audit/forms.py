from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import STAFF_TABLES, User
from clinic.audit.models import AccessAction
from clinic.lib.forms import KeptModelChoiceField


class AuditFilterForm(forms.Form):
    person = KeptModelChoiceField(
        label=_("Person"),
        queryset=User.objects.names_only().order_by("last_name", "first_name", "username"),
        required=False,
        to_field_name="code",
        empty_label=_("Anyone"),
        kept_under=STAFF_TABLES,
    )
    patient = forms.UUIDField(
        label=_("Patient code"),
        required=False,
        help_text=_("The code in the address of the patient's chart."),
    )
    mrn = forms.CharField(
        label=_("Patient MRN"),
        required=False,
        max_length=32,
        help_text=_("The events of the patient with this MRN; the log shows no patient details."),
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any action")), *AccessAction.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the selects are written out (includes/select.html)
            field.widget.attrs.setdefault("class", "form-control")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
