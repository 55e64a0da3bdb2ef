"""clinic.lib.rows writes what format_html and format_html_join write, escaped the same way."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from clinic.lib.rows import format_row, format_rows

VALUES = [
    "<script>alert('x')</script> & \"quoted\"",
    mark_safe("<b>already safe</b>"),
    format_html("<i>{}</i>", "<made safe>"),
    gettext_lazy("Entered in error"),
    None,
    0,
    Decimal("2.50"),
    dt.date(2026, 1, 5),
    uuid.UUID(int=7),
    "",
    "× → “quotes”",
]


def test_a_row_is_what_format_html_writes():
    for value in VALUES:
        written = format_row('<td title="{}">{}</td>', value, value)
        assert written == format_html('<td title="{}">{}</td>', value, value)
        assert isinstance(written, SafeString)


def test_rows_are_what_format_html_join_writes():
    pairs = [(a, b) for a in VALUES for b in VALUES]
    written = format_rows("\n", "<tr><td>{}</td><td>{}</td></tr>", pairs)
    assert written == format_html_join("\n", "<tr><td>{}</td><td>{}</td></tr>", pairs)
    assert "<script>" not in written
    assert isinstance(written, SafeString)
