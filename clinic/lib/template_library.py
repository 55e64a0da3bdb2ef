"""Template filters every template may use (built in: see settings.TEMPLATES).

`day` and `day_time` print dates the way `|date:"j M Y"` and `|date:"j M Y H:i"` do, in the
active language, at a fraction of the cost: lists print them in every row, and Django's `date`
filter parses its format string and builds a formatter each time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.dates import MONTHS_3

from clinic.lib.forms import select_options

register = template.Library()


@register.filter
def options(bound_field: Any) -> list[tuple[str, str, bool]]:
    """`{% for value, label, selected in form.status|options %}`: see `select_options`."""
    return select_options(bound_field)


@register.filter(expects_localtime=True)
def day(value: Any) -> str:
    """`5 Jan 2026`, as `|date:"j M Y"` (a datetime is shown in the current time zone)."""
    if not isinstance(value, dt.date):
        return ""
    return f"{value.day} {MONTHS_3[value.month].title()} {value.year}"


@register.filter(expects_localtime=True)
def day_time(value: Any, seconds: str = "") -> str:
    """`5 Jan 2026 09:30`, as `|date:"j M Y H:i"`; `|day_time:"s"` adds the seconds, as
    `|date:"j M Y H:i:s"` (a date alone: its day)."""
    if not isinstance(value, dt.datetime):
        return day(value)
    if seconds:
        return f"{day(value)} {value:%H:%M:%S}"
    return f"{day(value)} {value:%H:%M}"


@register.filter(expects_localtime=True)
def iso(value: Any) -> str:
    """ISO 8601, as `|date:"c"`: for `<time datetime="…">`."""
    return value.isoformat() if isinstance(value, dt.date) else ""
