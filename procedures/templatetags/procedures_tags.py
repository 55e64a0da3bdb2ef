"""Display helpers for procedure plans, and the chart's "Procedures" section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.lib.rows import format_row, format_rows
from clinic.lib.template_library import day, reverse_in_rows
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


_PLAN_ROW = (
    "<tr>\n"
    '<td><a href="{}">{}</a>{}</td>\n'
    "<td>{}</td>\n"
    '<td class="text-nowrap">{}</td>\n'
    "<td>{}</td>\n"
    '<td><span class="badge text-bg-{}">{}</span>{}</td>\n'
    "</tr>"
)


@register.simple_tag
def plan_rows(plans: Iterable[Any]) -> SafeString:
    """The chart's procedure plans: procedure and target, stage, date, operator, status and
    follow-ups pending, written in one pass (clinic.lib.rows)."""

    def target(plan: Any) -> SafeString | str:
        if not plan.target:
            return ""
        return format_row(
            '<span class="d-block small text-secondary">{}{}{}</span>',
            plan.target,
            f", {plan.level}" if plan.level else "",
            f", {plan.get_laterality_display().lower()}"
            if plan.laterality != "not_applicable"
            else "",
        )

    def pending(plan: Any) -> SafeString | str:
        if not plan.pending_follow_ups:
            return ""
        return format_row(
            ' <span class="badge text-bg-warning">{}</span>',
            ngettext("%(n)s follow-up pending", "%(n)s follow-ups pending", plan.pending_follow_ups)
            % {"n": plan.pending_follow_ups},
        )

    return format_rows(
        "\n",
        _PLAN_ROW,
        (
            (
                reverse_in_rows("procedures:plan-detail", code=plan.code),
                plan.procedure_type.name,
                target(plan),
                plan.get_stage_display(),
                day(plan.target_date),
                (plan.operator.display_name if plan.operator else "") or "—",
                plan_status_class(plan.status),
                plan.get_status_display(),
                pending(plan),
            )
            for plan in plans
        ),
    )
