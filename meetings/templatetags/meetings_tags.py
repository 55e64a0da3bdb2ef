"""Display helpers of the meetings pages, and the dashboard's meeting cards."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django import template
from django.core.cache import cache
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from clinic.accounts.roles import Role
from clinic.lib.rows import format_row, format_rows
from clinic.lib.template_library import reverse_in_rows
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


# Stands for the response's nonce in cached summary HTML; only `nonce="<mark>"` is replaced, which
# escaped text from the record can never contain (its quotes are escaped).
_NONCE_MARK = "frozen-summary-nonce"
SUMMARY_HTML_SECONDS = 60 * 60 * 24 * 30


@register.simple_tag(takes_context=True)
def frozen_summary(context: template.Context, item: Any) -> str:
    """A case summary as frozen at publishing, as HTML.

    A frozen summary never changes, so neither does its HTML: it is rendered once and kept in
    the cache under the item, the moment it was frozen and the language (an agenda of thirty
    cases would otherwise render thirty summaries on every view). The response's CSP nonce is
    put into the chart's `<style>` afterwards.
    """
    # `summary_frozen_at` is set with the summary (a constraint pairs them): the summary itself is
    # read only to draw the HTML, so a page that keeps it unread (the run view) reads it once.
    if item.summary_frozen_at is None:
        return ""
    key = f"meetings:summary-html:{item.code}:{item.summary_frozen_at.timestamp()}:{get_language()}"
    html = cache.get(key)
    if html is None:
        if not item.summary:
            return ""
        html = render_to_string(
            "meetings/_summary.html",
            {"summary": item.summary, "item": item, "csp_nonce": _NONCE_MARK},
        )
        cache.set(key, html, SUMMARY_HTML_SECONDS)
    nonce = escape(str(context.get("csp_nonce", "")))
    return mark_safe(html.replace(f'nonce="{_NONCE_MARK}"', f'nonce="{nonce}"'))  # noqa: S308


@register.inclusion_tag("meetings/_home_cards.html", takes_context=True)
def meeting_home_cards(context: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's coordinator card (next meeting, suggestions, open actions) and
    everyone's "My actions" (queries: a fixed few, none for people without actions)."""
    request = context["request"]
    user = request.user
    coordinator = user.has_role(Role.COORDINATOR)
    cards = selectors.home_cards(user, coordinator=coordinator)
    return {"cards": cards, "coordinator": coordinator, "today": timezone.localdate()}


def _with_name(message: str, name: str) -> SafeString:
    """A translated message with the %(name)s of {% blocktranslate %}, the name escaped."""
    return format_row(message.replace("{", "{{").replace("}", "}}").replace("%(name)s", "{}"), name)


_SUGGESTION_ROW = """<li class="list-group-item" data-testid="suggestion">
    <div class="d-flex gap-2 align-items-start">
      <div class="me-auto">
        <a href="{}">{}</a>
        <div class="suggestion-reasons">{}</div>
        <div class="small text-secondary">{}</div>
      </div>
      <form method="post" action="{}">{}
        <input type="hidden" name="patient" value="{}">
        <input type="hidden" name="reason" value="{}">
        <input type="hidden" name="detail" value="{}">{}
        <button class="btn btn-sm btn-outline-primary" type="submit" aria-label="{}">{}</button>
      </form>
    </div>
  </li>"""


@register.simple_tag(takes_context=True)
def suggestion_rows(context: Any, meeting: Any, cases: Iterable[Any]) -> SafeString:
    """The suggested cases, each with its one-click Add, written in one pass (up to 90 rows,
    each a form: through the template language they took some 15 ms). Escaped by format_row;
    the detail is cut to the 300 characters the agenda item keeps."""
    add_url = reverse("meetings:item-add", kwargs={"code": meeting.code})
    csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} writes, once for all rows
    add, add_name = gettext("Add"), gettext("Add %(name)s to the agenda")

    def cells() -> Iterator[tuple[Any, ...]]:
        for case in cases:
            patient = case.patient
            name = patient.listing_name
            detail = case.detail
            plan = case.plan_code
            chart = reverse_in_rows("patients:patient-detail", code=patient.code)
            yield (
                chart,
                name,
                format_rows(
                    "",
                    '<span class="badge text-bg-light border me-1">{}</span>',
                    ((suggestion.reason_label,) for suggestion in case.suggestions),
                ),
                detail,
                add_url,
                csrf,
                patient.code,
                case.primary.reason,
                Truncator(detail).chars(300),
                format_row('<input type="hidden" name="plan" value="{}">', plan) if plan else "",
                _with_name(add_name, name),
                add,
            )

    return format_rows("\n  ", _SUGGESTION_ROW, cells())


_AGENDA_ROW = """<li class="list-group-item d-flex gap-2" id="item-{}">
      <div class="flex-grow-1">
      <div class="d-flex flex-wrap gap-2 align-items-start">
        <div class="me-auto">
          {}
          <span class="badge text-bg-light border">{}</span>
          {}{}{}
          <div class="small">{}
            · {}</div>
        </div>
        {}
      </div>
      {}
      </div>
    </li>"""

# One form, two buttons: the one pressed sends its direction.
_MOVE_BUTTON = (
    '<button class="btn btn-sm btn-outline-secondary" type="submit" name="direction"'
    ' value="{}"{} aria-label="{}">{}</button>'
)
_AGENDA_MOVES = (
    '<div class="agenda-move d-print-none text-nowrap">\n'
    '          <form method="post" action="{}">{}{}\n'
    "          {}</form>\n"
    "          {}\n"
    "        </div>"
)
_AGENDA_SUMMARY = (
    '<details class="mt-2" hx-get="{}" hx-trigger="toggle once" hx-target="find .summary-body"'
    ' hx-swap="innerHTML"><summary>{}</summary>\n'
    '        <div class="summary-body"><a href="{}">{}</a></div></details>'
)


@register.simple_tag(takes_context=True)
def agenda_rows(context: Any, meeting: Any, rows: Sequence[Any], can_change: bool) -> SafeString:
    """The agenda's cases (thirty at a team meeting), written in one pass: through the template
    language, with a form and four links each, they took some 10 ms. Escaped by format_row.

    A restricted record the viewer may not open shows its reason only: no name, MRN, detail,
    question or link to its summary (meetings.selectors.agenda decides `visible`).
    """
    csrf = CsrfTokenNode().render(context)
    labels = {
        "mrn": gettext("MRN"),
        "late": format_row('<span class="badge text-bg-warning">{}</span>', gettext("late")),
        "question": gettext("Question:"),
        "restricted": format_row(
            '<span class="fw-semibold">{}</span>', gettext("Restricted record")
        ),
        "no_presenter": format_row(
            '<span class="text-secondary">{}</span>', gettext("No presenter yet")
        ),
        "move_up": gettext("Move up"),
        "move_down": gettext("Move down"),
        "edit": gettext("Presenter and question"),
        "remove": gettext("Remove"),
        "summary": gettext("Case summary (as published)"),
        "open_summary": gettext("Open the case summary"),
    }
    messages = {
        "presenter": gettext("Presenter: %(name)s"),
        "proposed_by": gettext("proposed by %(name)s"),
        "up": gettext("Move %(name)s up"),
        "down": gettext("Move %(name)s down"),
    }
    last = len(rows) - 1

    def item_url(name: str, item: Any) -> str:
        return reverse_in_rows(f"meetings:{name}", code=meeting.code, item=item.code)

    def cells() -> Iterator[tuple[Any, ...]]:
        for index, row in enumerate(rows):
            item = row.item
            visible = row.visible
            name = item.patient.listing_name if visible else ""
            if visible:
                chart = reverse_in_rows("patients:patient-detail", code=item.patient.code)
                who = format_row(
                    '<a class="fw-semibold" href="{}">{}</a>'
                    ' <span class="small text-secondary">{} {}</span>',
                    chart,
                    name,
                    labels["mrn"],
                    item.patient.mrn,
                )
            else:
                who = labels["restricted"]
            if item.status == "discussed":
                status = format_row(
                    '<span class="badge text-bg-success">{}</span>', row.decision_label
                )
            elif item.status == "deferred":
                status = format_row(
                    '<span class="badge text-bg-secondary">{}</span>', row.status_label
                )
            else:
                status = ""
            details = ""
            if visible:
                details = format_row(
                    "{}{}",
                    format_row('<div class="small text-secondary">{}</div>', item.reason_detail)
                    if item.reason_detail
                    else "",
                    format_row(
                        '<div><span class="text-secondary">{}</span> {}</div>',
                        labels["question"],
                        item.question,
                    )
                    if item.question
                    else "",
                )
            presenter = (
                _with_name(messages["presenter"], item.presenter.display_name)
                if item.presenter
                else labels["no_presenter"]
            )
            moves = ""
            if can_change and item.status == "accepted":
                up = _with_name(messages["up"], name) if visible else labels["move_up"]
                down = _with_name(messages["down"], name) if visible else labels["move_down"]
                moves = format_row(
                    _AGENDA_MOVES,
                    item_url("item-move", item),
                    csrf,
                    format_row(_MOVE_BUTTON, "up", " disabled" if index == 0 else "", up, "↑"),
                    format_row(
                        _MOVE_BUTTON, "down", " disabled" if index == last else "", down, "↓"
                    ),
                    format_row(
                        '<a class="btn btn-sm btn-outline-secondary" href="{}">{}</a>\n'
                        '          <a class="btn btn-sm btn-outline-danger" href="{}">{}</a>',
                        item_url("item-edit", item),
                        labels["edit"],
                        item_url("item-remove", item),
                        labels["remove"],
                    )
                    if visible
                    else "",
                )
            summary = ""
            if visible and item.summary_frozen_at:
                url = item_url("item-summary", item)
                summary = format_row(
                    _AGENDA_SUMMARY, url, labels["summary"], url, labels["open_summary"]
                )
            yield (
                item.code,
                who,
                row.reason_label,
                labels["late"] if item.late else "",
                status,
                details,
                presenter,
                _with_name(messages["proposed_by"], item.proposed_by.display_name),
                moves,
                summary,
            )

    return format_rows("\n    ", _AGENDA_ROW, cells())


@register.simple_tag
def run_case_links(rows: Sequence[Any], current: Any) -> SafeString:
    """The run view's list of cases, each a link to it, written in one pass (thirty cases took
    a millisecond through the template language). A restricted record the viewer may not open
    is listed without its name."""
    restricted = gettext("Restricted record")
    decided = format_row(' <span class="badge text-bg-success">{}</span>', gettext("decided"))
    active = mark_safe(" active-case")
    here = mark_safe(' aria-current="true"')
    return format_rows(
        "\n",
        '<li class="mb-1{}"><a href="?item={}"{}>{}. {}</a>{}</li>',
        (
            (
                active if row is current else "",
                row.item.code,
                here if row is current else "",
                number,
                row.item.patient.listing_name if row.visible else restricted,
                decided if row.item.status == "discussed" else "",
            )
            for number, row in enumerate(rows, start=1)
        ),
    )
