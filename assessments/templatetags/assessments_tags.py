"""Display helpers of assessments, and the panels other apps' pages include.

`{% assessment_summary patient %}` (the patient's chart: PHQ-9 banner, alerts, latest scores and
the story chart) and `{% worsening_pain_panel %}` (the clinician's dashboard) each run a fixed
number of queries through `assessments.selectors`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from assessments import selectors
from assessments.bodymap import region_label
from assessments.instruments import INSTRUMENTS
from clinic.lib.rows import format_row, format_rows
from clinic.lib.template_library import day

register = template.Library()


@register.filter
def number(value: Any) -> str:
    """A score without trailing zeros: 4.50 -> 4.5, 12.00 -> 12."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        normalised = Decimal(str(value)).normalize()
    except ArithmeticError:
        return str(value)
    return f"{normalised:f}"


@register.filter
def signed(value: Any) -> str:
    """A change with its sign: +2, -1.5 (a typographic minus), 0."""
    if value is None:
        return ""
    text = number(abs(Decimal(str(value))))
    if Decimal(str(value)) > 0:
        return f"+{text}"
    if Decimal(str(value)) < 0:
        return f"\u2212{text}"  # MINUS SIGN, as clinicians read it in print
    return "0"


_ARROWS = {"up": "↑", "down": "↓"}


@register.simple_tag
def change_badge(change: Any) -> str:
    """A score's change from the one before: an arrow and the signed difference, coloured and
    spelt out (for screen readers) when clinically important; the earlier value on hover.
    Written in one pass: the chart's score tiles and the lists show one on every row."""
    if not change:
        return ""
    tone = change.tone
    note = {
        "worse": gettext("clinically important worsening"),
        "better": gettext("clinically important improvement"),
    }.get(tone, "")
    return format_row(
        '<span class="change{}" title="{}{}">{}&#8239;{}<span class="visually-hidden">{}</span>'
        "</span>",
        f" change--{tone}" if tone else "",
        gettext("from %(previous)s") % {"previous": number(change.previous)},
        f" — {note}" if note else "",
        _ARROWS.get(change.direction, "→"),
        signed(change.delta),
        f" ({note})" if note else "",
    )


_PAIN_TILE = (
    '<div class="score-tile score-tile--pain">\n'
    '<span class="small text-secondary d-block">{} '
    '<span class="visually-hidden">({})</span></span>\n'
    '<strong class="fs-5" data-testid="latest-pain">{}</strong><span class="small">/10</span> {}\n'
    '<span class="small text-secondary d-block">{} · {}</span>\n'
    "</div>"
)
_SCORE_TILE = (
    '<div class="score-tile" data-instrument="{}">\n'
    '<span class="small text-secondary d-block">{}</span>\n'
    '<strong class="fs-5">{}</strong>{} {}\n'
    '<span class="small text-secondary d-block">{}</span>\n'
    "</div>"
)


@register.simple_tag
def score_tiles(latest: Any) -> SafeString:
    """The chart's tiles: the latest pain intensity and the latest score of each instrument,
    each with its change (selectors.LatestScores), written in one pass."""
    tiles = []
    if latest.pain:
        source = "NRS" if latest.pain.source == "nrs" else gettext("BPI average")
        tiles.append(
            format_row(
                _PAIN_TILE,
                gettext("Pain intensity"),
                source,
                number(latest.pain.value),
                change_badge(latest.pain_change),
                day(template_localtime(latest.pain.at)),
                source,
            )
        )
    for line in latest.lines:
        band = line.band_label
        tiles.append(
            format_row(
                _SCORE_TILE,
                line.instrument,
                line.name,
                number(line.total),
                format_row(' <span class="small">{}</span>', band) if band else "",
                change_badge(line.change),
                day(template_localtime(line.at)),
            )
        )
    return format_row(
        '<div class="d-flex flex-wrap gap-2 latest-scores">\n{}\n</div>',
        SafeString("\n".join(tiles)),
    )


@register.filter
def percent_change(change: Any) -> str:
    if change is None or not change.previous:
        return ""
    return f"{(change.delta / change.previous * 100).quantize(Decimal('1')):+}%"


@register.filter
def region_name(key: str) -> str:
    return region_label(key)


@register.filter
def instrument_name(code: str) -> str:
    spec = INSTRUMENTS.get(code)
    return spec.name if spec else code


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def flag_label(flag: str, instrument: str) -> str:
    """`severe_nausea` → "Severe: nausea"; `self_harm` → "Item 9 above 0"."""
    if flag == "self_harm":
        return gettext("Item 9 above 0")
    spec = INSTRUMENTS.get(instrument)
    key = flag.removeprefix("severe_")
    if spec is not None and flag.startswith("severe_"):
        try:
            return gettext("Severe: %(item)s") % {"item": spec.item(key).label}
        except KeyError:
            pass
    return flag


@register.filter
def band_label(response: Any) -> str:
    spec = INSTRUMENTS.get(getattr(response, "instrument", ""))
    if spec is None:
        return ""
    return next((b.label for b in spec.bands if b.slug == response.band), "")


@register.inclusion_tag("assessments/_summary.html", takes_context=True)
def assessment_summary(context: Any, patient: Any) -> dict[str, Any]:
    """Latest scores, alerts and the story chart for the patient's chart page (one query).

    The chart's content is rendered without a request (it is kept for every viewer with the
    same rights): recording an assessment is a clinical edit, as the chart's `can_edit_clinical`
    says."""
    return {
        "patient": patient,
        "latest": selectors.latest_scores(patient),
        "can_record": bool(context.get("can_edit_clinical")),
    }


@register.inclusion_tag("assessments/_worsening_panel.html", takes_context=True)
def worsening_pain_panel(context: Any, limit: int = 10) -> dict[str, Any]:
    """The clinician's dashboard: patients whose pain is worsening (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = selectors.patients_with_worsening_pain(user=user, limit=limit) if user else []
    return {"rows": rows, "limit": limit}


@register.simple_tag
def story_rows(story: Any) -> str:
    """The rows of the story table, built in one pass: 500 assessments are 4,000 cells, which
    the template language renders ten times slower than format_row."""
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.timezone import localtime

    sources = {"nrs": "NRS", "bpi_average": gettext("BPI average")}
    contexts: dict[str, str] = {}
    detail = reverse(
        "assessments:assessment-detail", kwargs={"code": "00000000-0000-0000-0000-000000000000"}
    )

    def cells(row: Any) -> tuple[Any, ...]:
        if row.context not in contexts:
            contexts[row.context] = row.context_label
        pain = (
            format_row(
                '{} <span class="small text-secondary">{}</span>',
                number(row.pain),
                sources.get(row.pain_source, ""),
            )
            if row.pain is not None
            else "—"
        )
        return (
            detail.replace("00000000-0000-0000-0000-000000000000", str(row.code)),
            date_format(localtime(row.at), "j M Y H:i"),
            contexts[row.context],
            pain,
            *(
                number(value) or "—"
                for value in (row.bpi_severity, row.interference, row.esas, row.phq9, row.gad7)
            ),
        )

    return format_rows(
        "\n",
        '<tr><th scope="row" class="fw-normal text-nowrap"><a href="{}">{}</a></th><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (cells(row) for row in story.rows),
    )
