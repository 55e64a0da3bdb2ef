"""Display helpers for procedure plans, and the chart's "Procedures" section."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures import labels, selectors

register = template.Library()

STATUS_CLASSES = {
    "pass": "success",
    "warn": "warning",
    "fail": "danger",
    "unknown": "secondary",
}
STATUS_LABELS = {
    "pass": _("pass"),
    "warn": _("warn"),
    "fail": _("fail"),
    "unknown": _("unknown"),
}
PLAN_STATUS_CLASSES = {
    "proposed": "secondary",
    "awaiting_mdt": "info",
    "approved": "primary",
    "scheduled": "primary",
    "performed": "success",
    "followed_up": "success",
    "cancelled": "dark",
}


@register.filter
def check_class(status: str) -> str:
    """The Bootstrap colour of a safety check status."""
    return STATUS_CLASSES.get(status, "secondary")


@register.filter
def check_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def plan_status_class(status: str) -> str:
    return PLAN_STATUS_CLASSES.get(status, "secondary")


@register.filter
def isodate(value: Any) -> dt.date | dt.datetime | None:
    """An ISO date or date-time string from a stored review, as a value `|date` can format."""
    if not value:
        return None
    try:
        if len(str(value)) == 10:
            return dt.date.fromisoformat(str(value))
        return timezone.localtime(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return None


@register.filter
def signed_percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}%"


@register.inclusion_tag("procedures/_chart_section.html", takes_context=True)
def procedures_section(context: template.Context, patient: Any) -> dict[str, Any]:
    """The chart's "Procedures" section: the patient's plans (one query)."""
    return {
        "patient": patient,
        "plans": selectors.plans_for_chart(patient),
        "can_edit_clinical": context.get("can_edit_clinical", False),
    }


@register.filter
def check_title(result: dict[str, Any]) -> str:
    """What a check is about: the drug's name for a medication, else the check's name."""
    return labels.check_title(result)
