"""Template filters every template may use (built in: see settings.TEMPLATES).

`row_url` reverses a URL once per page for the rows of a long list.

`day` and `day_time` print dates the way `|date:"j M Y"` and `|date:"j M Y H:i"` do, in the
active language, at a fraction of the cost: lists print them in every row, and Django's `date`
filter parses its format string and builds a formatter each time.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import template
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from clinic.lib.forms import select_options

register = template.Library()


@register.filter
def option_tags(bound_field: Any) -> str:
    """A choice field's `<option>`s, for `includes/select.html` (see `select_options`).

    Written in one pass: the staff filters list a hundred people, and a template loop spent
    some 40 µs on each option.
    """
    selected = mark_safe(" selected")
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, selected if chosen else "", label)
            for value, label, chosen in select_options(bound_field)
        ),
    )


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


_ROW_URLS = "clinic:row-urls"


def reverse_in_rows(render_context: Any, name: str, **codes: Any) -> str:
    """`reverse(name, kwargs=codes)` for a URL whose arguments are all UUID codes, in each row of
    a long list (an agenda, the chart's entries, the suggested cases).

    Reversing a URL matches it against the URL patterns each time (some 40 µs): the agenda's
    thirty rows with five links each spent 6 ms there. So the URL is reversed once per page
    with a stand-in UUID for each argument, and each row puts its own codes in their place. A
    value that is not a UUID raises `ValueError`, as reversing would fail on it.
    `render_context` lives for one rendering of the page.
    """
    urls: dict[tuple[str, tuple[str, ...]], tuple[str, dict[str, str], re.Pattern[str]]]
    urls = render_context.setdefault(_ROW_URLS, {})
    key = (name, tuple(sorted(codes)))
    if key not in urls:
        stand_ins = {str(uuid.UUID(int=number)): arg for number, arg in enumerate(key[1], 1)}
        pattern = re.compile("|".join(re.escape(stand_in) for stand_in in stand_ins))
        urls[key] = (reverse(name, kwargs={a: s for s, a in stand_ins.items()}), stand_ins, pattern)
    url, stand_ins, pattern = urls[key]
    values = {
        stand_in: str(code if isinstance(code, uuid.UUID) else uuid.UUID(code))
        for stand_in, code in ((stand_in, codes[arg]) for stand_in, arg in stand_ins.items())
    }
    # One pass: a row's own code may look like another argument's stand-in.
    return pattern.sub(lambda found: values[found.group(0)], url)


@register.simple_tag(takes_context=True)
def row_url(context: template.Context, name: str, **codes: Any) -> str:
    """`{% row_url name key=code ... %}`: `{% url %}` for the rows of a long list (see
    `reverse_in_rows`)."""
    return reverse_in_rows(context.render_context, name, **codes)
