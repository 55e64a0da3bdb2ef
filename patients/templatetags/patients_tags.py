"""Display helpers for the patient record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from clinic.lib.rows import format_row, format_rows
from clinic.lib.template_library import day, day_time, iso, reverse_in_rows

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """A decimal without trailing zeros: Decimal('2.500') -> '2.5', Decimal('60.0') -> '60'."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@register.filter
def mme(value: Any) -> str:
    """Morphine equivalents to one decimal place, trailing zero dropped: 22.5, 60."""
    if value is None:
        return ""
    rounded = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or None: for dictionaries keyed by something a template cannot spell."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


_ACTIONS = (
    '<span class="d-print-none d-inline-flex flex-wrap justify-content-end gap-1">\n'
    '<a class="btn btn-sm btn-outline-secondary" href="{}">{}</a>\n'
    '<a class="btn btn-sm btn-outline-danger" href="{}">{}</a>\n'
    "</span>"
)
_IN_ERROR_NOTE = (
    '<span class="badge text-bg-danger">{}</span>\n<span class="small d-block">{} — {}, {}</span>'
)


class EntryActions:
    """An entry's Edit / Entered-in-error links, or its "entered in error" note.

    Every row of the chart has them: what the rows of one kind share (the right to edit, the
    labels, the patient's code) is worked out once, and each row's addresses are written from
    a URL reversed once per process (`reverse_in_rows`).
    """

    def __init__(self, context: Any, kind: str) -> None:
        self.can_edit = bool(context.get("can_edit_clinical"))
        self.patient_code = context["patient"].code
        self.edit_name = f"patients:{kind}-edit"
        self.in_error_name = f"patients:{kind}-in-error"
        self.edit_label = gettext("Edit")
        self.in_error_label = gettext("Entered in error")

    def __call__(self, entry: Any) -> SafeString | str:
        if entry.in_error:
            return format_row(
                _IN_ERROR_NOTE,
                self.in_error_label,
                entry.entered_in_error_reason,
                entry.entered_in_error_by.display_name if entry.entered_in_error_by else "",
                day_time(timezone.localtime(entry.entered_in_error_at)),
            )
        if not self.can_edit:
            return ""
        codes = {"code": self.patient_code, "entry": entry.code}
        return format_row(
            _ACTIONS,
            reverse_in_rows(self.edit_name, **codes),
            self.edit_label,
            reverse_in_rows(self.in_error_name, **codes),
            self.in_error_label,
        )


@register.simple_tag(takes_context=True)
def entry_actions(context: Any, entry: Any, kind: str) -> SafeString | str:
    """`{% entry_actions entry kind %}`: one entry's links (a table's rows use EntryActions)."""
    return EntryActions(context, kind)(entry)


_PATIENT_ROW = (
    "<tr>\n"
    '<td><a href="{}">{}</a>{}</td>\n'
    "<td>{}</td>\n"
    '<td><time datetime="{}">{}</time></td>\n'
    '<td><span class="badge {}">{}</span></td>\n'
    "<td>{}</td>\n"
    '<td><time datetime="{}">{}</time></td>\n'
    "</tr>"
)
_STATUS_BADGES = {"active": "text-bg-success", "deceased": "text-bg-dark"}


@register.simple_tag
def patient_rows(patients: Iterable[Any]) -> SafeString:
    """The patient list's rows (a page of 25, after every keystroke of a search), written in one
    pass: through the template language each row took some 100 µs. Escaped by format_row."""
    restricted = format_row(' <span class="badge text-bg-info">{}</span>', gettext("restricted"))

    def cells() -> Iterator[tuple[Any, ...]]:
        for patient in patients:
            url = reverse_in_rows("patients:patient-detail", code=patient.code)
            clinician = patient.primary_clinician
            updated = timezone.localtime(patient.updated_at)
            yield (
                url,
                patient.listing_name,
                restricted if patient.restricted else "",
                patient.mrn,
                iso(patient.date_of_birth),
                day(patient.date_of_birth),
                _STATUS_BADGES.get(patient.status, "text-bg-secondary"),
                patient.get_status_display(),
                clinician.display_name if clinician else "—",
                iso(updated),
                day(updated),
            )

    return format_rows("\n", _PATIENT_ROW, cells())


# --- the chart's sections ---------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def section_heading(context: Any, title: str, anchor: str, section: Any) -> SafeString:
    """A chart section's heading: its title, how many entries in error it hides (a link that
    shows them) and, for those who may edit the record, its Add button. The section's name is
    its kind of entry (the `patients:<kind>-add` URL, the `<kind>-heading` id)."""
    kind = section.name
    hidden = ""
    if section.hidden_in_error:
        hidden = format_row(
            '\n  <a class="small me-3 d-print-none" href="?in_error=1#{}">{}</a>',
            anchor,
            ngettext(
                "%(hidden)s entry in error hidden",
                "%(hidden)s entries in error hidden",
                section.hidden_in_error,
            )
            % {"hidden": section.hidden_in_error},
        )
    add = ""
    if context.get("can_edit_clinical"):
        add = format_row(
            '\n  <a class="btn btn-sm btn-outline-primary d-print-none" href="{}">{}</a>',
            reverse_in_rows(f"patients:{kind}-add", code=context["patient"].code),
            gettext("Add"),
        )
    return format_row(
        '<div class="d-flex align-items-center mb-2">\n'
        '  <h2 class="h5 me-auto mb-0" id="{}-heading">{}</h2>{}{}\n'
        "</div>",
        kind,
        title,
        hidden,
        add,
    )


# --- the chart's tables --------------------------------------------------------------------------
# A chart shows a few dozen rows across its tables, each with its Edit / Entered-in-error links:
# written in one pass (clinic.lib.rows), as the patient list's rows are. Through the template
# language the rows were a fifth of the chart's rendering. Each table's header and empty state
# stay in the template; these write its `<tr>…</tr>` only.

_IN_ERROR_ROW = SafeString(' class="text-secondary entry-in-error"')


def _table_rows(context: Any, section: Any, cells: Any, *tds: str) -> SafeString:
    """`<tr>` rows of the section's entries: the row's class, then `tds` filled from
    `cells(entry)`, then the entry's actions (the section's name is their kind)."""
    actions = EntryActions(context, section.name)
    template_ = (
        "<tr{}>\n" + "".join(f"{td}\n" for td in tds) + '<td class="text-end">{}</td>\n</tr>'
    )
    return format_rows(
        "\n",
        template_,
        (
            (_IN_ERROR_ROW if entry.in_error else "", *cells(entry), actions(entry))
            for entry in section.entries
        ),
    )


def _or_dash(value: Any) -> Any:
    return value or "—"


@register.simple_tag(takes_context=True)
def medication_rows(context: Any, chart: Any) -> SafeString:
    """The current medications: drug, dose, route, frequency, dates, MME/day."""
    today = chart.today
    not_started = format_row(
        ' <span class="badge text-bg-secondary">{}</span>', gettext("not started")
    )
    as_needed_max = format_row(' <span class="small text-secondary">{}</span>', gettext("max"))
    estimate = format_row(
        ' <span class="badge text-bg-warning" title="{}">{}</span>',
        gettext("NCI PDQ oral:parenteral ratio"),
        gettext("estimate"),
    )
    not_converted = format_row(
        '<span class="small text-danger-emphasis">{}</span>', gettext("not converted")
    )
    since, until, continuous = gettext("from"), gettext("to"), gettext("continuous")

    def frequency(entry: Any) -> str:
        if entry.as_needed:
            return gettext("as needed, max %(max)s/day") % {
                "max": plain(entry.as_needed_max_doses_per_day)
            }
        if entry.doses_per_day:
            return gettext("%(n)s×/day") % {"n": plain(entry.doses_per_day)}
        return continuous

    def mme_cell(entry: Any) -> SafeString | str:
        line = chart.mme_by_medication.get(entry.pk)
        if not line:
            return ""
        if line.mme is None:
            return not_converted
        return format_row(
            "{}{}{}",
            mme(line.mme),
            as_needed_max if entry.as_needed else "",
            estimate if line.estimate else "",
        )

    def cells(entry: Any) -> tuple[Any, ...]:
        return (
            entry.drug.name,
            entry.drug.get_drug_class_display(),
            format_row('<span class="d-block small text-secondary">{}</span>', entry.indication)
            if entry.indication
            else "",
            plain(entry.strength),
            entry.unit,
            entry.get_route_display(),
            frequency(entry),
            since,
            day(entry.started_on),
            format_row(" {} {}", until, day(entry.stopped_on)) if entry.stopped_on else "",
            not_started if entry.started_on > today else "",
            mme_cell(entry),
        )

    return _table_rows(
        context,
        chart.current_medications,
        cells,
        '<td>{} <span class="badge text-bg-light border">{}</span>{}</td>',
        "<td>{} {}</td>",
        "<td>{}</td>",
        "<td>{}</td>",
        '<td class="text-nowrap">{} {}{}{}</td>',
        "<td>{}</td>",
    )


@register.simple_tag(takes_context=True)
def lab_rows(context: Any, chart: Any) -> SafeString:
    """The recent lab results: when, which test, the value."""

    def cells(entry: Any) -> tuple[Any, ...]:
        return (
            day_time(timezone.localtime(entry.taken_at)),
            entry.get_test_display(),
            plain(entry.value),
            entry.unit if entry.unit != "ratio" else "",
        )

    return _table_rows(
        context,
        chart.recent_labs,
        cells,
        "<td>{}</td>",
        "<td>{}</td>",
        "<td>{} {}</td>",
    )


@register.simple_tag(takes_context=True)
def diagnosis_rows(context: Any, chart: Any) -> SafeString:
    """The cancer diagnoses: site (the main one marked), histology, stage, metastases, date."""
    main = format_row(' <span class="badge text-bg-primary">{}</span>', gettext("main"))

    def cells(entry: Any) -> tuple[Any, ...]:
        return (
            entry.primary_site,
            main if entry.is_main and not entry.in_error else "",
            _or_dash(entry.histology),
            _or_dash(entry.stage),
            _or_dash(entry.metastatic_sites),
            day(entry.diagnosed_on),
        )

    return _table_rows(
        context,
        chart.diagnoses,
        cells,
        "<td>{}{}</td>",
        "<td>{}</td>",
        "<td>{}</td>",
        "<td>{}</td>",
        "<td>{}</td>",
    )


@register.simple_tag(takes_context=True)
def oncology_event_rows(context: Any, chart: Any) -> SafeString:
    """The oncology events: dates, kind, and the regimen and cycle of a chemotherapy."""
    cycle, cycle_length = gettext("cycle %(n)s"), gettext("%(days)s-day cycle")

    def details(entry: Any) -> SafeString:
        chemotherapy: SafeString | str = ""
        if entry.kind == "chemotherapy":
            chemotherapy = format_row(
                "{}, {}{}",
                entry.regimen,
                cycle % {"n": entry.cycle_number},
                format_row(" ({})", cycle_length % {"days": entry.cycle_length_days})
                if entry.cycle_length_days
                else "",
            )
        return format_row(
            "{}{}{}",
            chemotherapy,
            format_row(" {}", entry.site) if entry.site else "",
            format_row(" — {}", entry.details) if entry.details else "",
        )

    def cells(entry: Any) -> tuple[Any, ...]:
        return (
            day(entry.occurred_on),
            format_row(" – {}", day(entry.ended_on)) if entry.ended_on else "",
            entry.get_kind_display(),
            details(entry),
        )

    return _table_rows(
        context,
        chart.oncology_events,
        cells,
        "<td>{}{}</td>",
        "<td>{}</td>",
        "<td>{}</td>",
    )


@register.simple_tag(takes_context=True)
def goal_rows(context: Any, chart: Any) -> SafeString:
    """The goals: in the patient's words, the measure, baseline → target, by when, status."""

    def cells(entry: Any) -> tuple[Any, ...]:
        return (
            entry.patient_words,
            entry.measure,
            _or_dash(plain(entry.baseline)),
            plain(entry.target),
            _or_dash(day(entry.target_date)),
            entry.get_status_display(),
        )

    return _table_rows(
        context,
        chart.goals,
        cells,
        "<td>“{}”</td>",
        "<td>{}</td>",
        "<td>{} → {}</td>",
        "<td>{}</td>",
        "<td>{}</td>",
    )
