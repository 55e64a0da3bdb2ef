"""Template filters every template may use (built in: see settings.TEMPLATES).

`row_url` is `{% url %}` for URLs whose arguments are UUID codes, reversed once per process.

`day` and `day_time` print dates the way `|date:"j M Y"` and `|date:"j M Y H:i"` do, in the
active language, at a fraction of the cost: lists print them in every row, and Django's `date`
filter parses its format string and builds a formatter each time.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms, template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from clinic.lib.forms import select_options
from clinic.lib.rows import format_row, format_rows

register = template.Library()


@register.filter
def option_tags(bound_field: Any) -> str:
    """A choice field's `<option>`s, for `includes/select.html` (see `select_options`).

    Written in one pass: the staff filters list a hundred people, and a template loop spent
    some 40 µs on each option.
    """
    selected = mark_safe(" selected")
    return format_rows(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, selected if chosen else "", label)
            for value, label, chosen in select_options(bound_field)
        ),
    )


@register.filter
def input_tag(bound_field: Any) -> str:
    """`{{ field }}` for a field whose widget is an `<input>` (text, search, date, number),
    written in one pass: Django writes each through three templates (some 300 µs a field, a
    millisecond for a filter form). The same HTML, from the widget's own context (its value as
    the widget formats it, `required`, `aria-invalid`, `aria-describedby`); any other widget is
    rendered by Django."""
    field = bound_field.field
    widget = field.widget
    if (
        not isinstance(widget, forms.widgets.Input)
        or widget.template_name != f"django/forms/widgets/{widget.input_type}.html"
        or field.show_hidden_initial
        or field.localize
    ):
        return str(bound_field)
    attrs = bound_field.build_widget_attrs({}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    context = widget.get_context(bound_field.html_name, bound_field.value(), attrs)["widget"]
    parts = [format_row('<input type="{}" name="{}"', context["type"], context["name"])]
    if context["value"] is not None:
        parts.append(format_row(' value="{}"', context["value"]))
    for name, value in context["attrs"].items():
        if value is True:
            parts.append(format_row(" {}", name))
        elif value is not False:
            parts.append(format_row(' {}="{}"', name, value))
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308 - each part escaped by format_row


# The month abbreviations of each language used so far (a lazy label is translated on each use).
_MONTHS: dict[str | None, tuple[str, ...]] = {}


def _months() -> tuple[str, ...]:
    language = get_language()
    if language not in _MONTHS:
        _MONTHS[language] = ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))
    return _MONTHS[language]


@register.filter(expects_localtime=True)
def day(value: Any) -> str:
    """`5 Jan 2026`, as `|date:"j M Y"` (a datetime is shown in the current time zone)."""
    if not isinstance(value, dt.date):
        return ""
    return f"{value.day} {_months()[value.month]} {value.year}"


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


# (name, argument names, URLconf, script prefix) -> the reversed URL cut at its arguments: the
# even pieces are text, the odd ones the names of the arguments that go there.
_ROW_URLS: dict[tuple[Any, ...], list[str]] = {}


def reverse_in_rows(name: str, **codes: Any) -> str:
    """`reverse(name, kwargs=codes)` for a URL whose arguments are all UUID codes, in each row of
    a long list (an agenda, the chart's entries, the suggested cases).

    Reversing a URL matches it against the URL patterns each time (some 40 µs): the agenda's
    thirty rows with five links each spent 6 ms there. So each URL is reversed once per process
    with a stand-in UUID for each argument (and again if the URLconf or the script prefix
    changes), and each row puts its own codes in their places. A value that is not a UUID
    raises `ValueError`, as reversing would fail on it.
    """
    key = (name, tuple(sorted(codes)), get_urlconf(), get_script_prefix())
    pieces = _ROW_URLS.get(key)
    if pieces is None:
        stand_ins = {str(uuid.UUID(int=number)): arg for number, arg in enumerate(key[1], 1)}
        url = reverse(name, kwargs={arg: stand_in for stand_in, arg in stand_ins.items()})
        pattern = "(" + "|".join(re.escape(stand_in) for stand_in in stand_ins) + ")"
        pieces = [
            stand_ins[piece] if index % 2 else piece
            for index, piece in enumerate(re.split(pattern, url))
        ]
        _ROW_URLS[key] = pieces
    values = {
        arg: str(code if isinstance(code, uuid.UUID) else uuid.UUID(code))
        for arg, code in codes.items()
    }
    return "".join(values[piece] if index % 2 else piece for index, piece in enumerate(pieces))


@register.simple_tag
def row_url(name: str, **codes: Any) -> str:
    """`{% row_url name key=code ... %}`: `{% url %}` for a URL whose arguments are UUID codes,
    in a list's rows or on a page that links to one record many times (see
    `reverse_in_rows`)."""
    return reverse_in_rows(name, **codes)
