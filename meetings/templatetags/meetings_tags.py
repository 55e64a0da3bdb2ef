"""Display helpers of the meetings pages, and the dashboard's meeting cards."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape
from django.utils.safestring import mark_safe

from clinic.accounts.roles import Role
from meetings import selectors

register = template.Library()


@register.filter
def isodate(value: Any) -> dt.date | dt.datetime | None:
    """A date (or date-time) kept as ISO text in a frozen summary, for the `date` filter."""
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return parse_datetime(str(value)) or parse_date(str(value))


@register.filter
def attendance_names(rows: list[dict[str, Any]], status: str) -> str:
    """The names in the minutes' attendance with `status`, with their discipline when present."""
    names = [
        f"{row['name']} ({row['discipline']})" if status == "present" else row["name"]
        for row in rows
        if row.get("status") == status
    ]
    return "; ".join(names) or "—"


_STYLE_TAG = re.compile(r"<style(?![^>]*\bnonce=)")


@register.filter
def chart_with_nonce(svg: str, nonce: str) -> str:
    """A frozen summary's chart (SVG drawn by the assessments app when the agenda was
    published), with this response's CSP nonce on its `<style>` so the browser applies it."""
    if not svg:
        return ""
    return mark_safe(_STYLE_TAG.sub(f'<style nonce="{escape(nonce)}"', str(svg)))  # noqa: S308


@register.inclusion_tag("meetings/_home_cards.html", takes_context=True)
def meeting_home_cards(context: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's coordinator card (next meeting, suggestions, open actions) and
    everyone's "My actions" (queries: a fixed few, none for people without actions)."""
    request = context["request"]
    user = request.user
    coordinator = user.has_role(Role.COORDINATOR)
    cards = selectors.home_cards(user, coordinator=coordinator)
    return {"cards": cards, "coordinator": coordinator, "today": timezone.localdate()}
