"""The access log's rows, written in one pass."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from clinic.audit.models import AccessLog
from clinic.lib.rows import format_row, format_rows
from clinic.lib.template_library import day_time, iso

register = template.Library()

_ROW = (
    "<tr{}>\n"
    '<td><time datetime="{}">{}</time></td>\n'
    "<td>{}</td>\n"
    "<td>{}{}</td>\n"
    '<td class="small">{}</td>\n'
    '<td class="small text-break">{}</td>\n'
    '<td class="small">{}</td>\n'
    '<td class="small">{}</td>\n'
    "</tr>"
)


@register.simple_tag
def access_rows(events: Iterable[AccessLog]) -> SafeString:
    """The table rows of a page of access events (fifty): through the template language each
    row took some 50 µs, here a tenth of that. Every value is escaped by format_row."""
    badge = ' <span class="badge text-bg-warning">{}</span>'
    flagged_badge = format_row(badge, gettext("flagged"))
    flagged_row = mark_safe(' class="table-warning"')

    def cells() -> Iterator[tuple[Any, ...]]:
        for event in events:
            at = timezone.localtime(event.at)
            if event.actor is not None:
                who = format_row(
                    '{} <span class="text-secondary small">{}</span>',
                    event.actor.display_name,
                    event.actor.username,
                )
            else:
                who = format_row('<span class="text-secondary">{}</span>', event.actor_label or "—")
            yield (
                flagged_row if event.flagged else "",
                iso(at),
                day_time(at, "s"),
                who,
                event.get_action_display(),
                flagged_badge if event.flagged else "",
                event.patient_code or "",
                event.path,
                event.ip or "",
                event.note,
            )

    return format_rows("\n", _ROW, cells())
