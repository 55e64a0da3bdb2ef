"""Display helpers for procedure plans, and the chart's "Procedures" section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

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


@register.simple_tag
def outcome_rows(rows: Iterable[Any], by_operator: bool) -> SafeString:
    """The outcomes report's table body: a procedure (and operator) per group of rows, one row
    per follow-up point. Grouped by operator the report has a row for every operator and
    procedure (some 4,000 on a large clinic): written in one pass (clinic.lib.rows)."""
    day_label, no_follow_up = gettext("day %(day)s"), gettext("no follow-up")

    def share(reached: int, percent: Any) -> SafeString:
        return format_row("{}{}", reached, f" ({percent}%)" if percent is not None else "")

    def points(row: Any) -> list[SafeString]:
        return [
            format_row(
                '<td>{} <span class="small text-secondary">{}</span></td>\n'
                "<td>{} / {}</td>\n<td>{}</td>\n<td>{}</td>\n</tr>",
                point.kind,
                day_label % {"day": point.day},
                point.measured,
                point.due,
                share(point.reached[30], point.share_30),
                share(point.reached[50], point.share_50),
            )
            for point in row.point_list
        ] or [format_row('<td colspan="4" class="text-secondary">{}</td>\n</tr>', no_follow_up)]

    def group(row: Any) -> SafeString:
        cells = points(row)
        span = len(cells)  # a row per follow-up point, or one saying there is none
        complications = ""
        if row.with_complications:
            complications = format_row(
                ' <span class="small text-secondary">({})</span>',
                ", ".join(f"{count} {severity}" for severity, count in row.complication_counts),
            )
        first = format_row(
            '<tr class="border-top">\n<th scope="row" rowspan="{}">{}</th>\n{}'
            '<td rowspan="{}">{}</td>\n<td rowspan="{}">{}{}</td>\n{}',
            span,
            row.procedure_type,
            format_row('<td rowspan="{}">{}</td>\n', span, row.operator) if by_operator else "",
            span,
            row.performed,
            span,
            row.with_complications,
            complications,
            cells[0],
        )
        return SafeString("\n".join([first, *(format_row("<tr>\n{}", cell) for cell in cells[1:])]))

    return SafeString("\n".join(group(row) for row in rows))
