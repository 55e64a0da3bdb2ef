"""The story chart: the patient's scores, opioid dose, treatments and goals on one time axis.

Drawn on the server with pygal as inline SVG, so it needs no network, no script and prints.
One figure of three panels that share the time axis (the same range, ticks and left margin):
pain and interference (0-10) with the goals measured on that scale; symptom and mood totals
(ESAS-r 0-90, PHQ-9 0-27, GAD-7 0-21) with their goals; oral morphine equivalents (mg/day).
Separate panels rather than a second y axis, because these are different units: one axis for
0-10 pain, 0-90 symptom totals and mg of morphine would flatten the pain line that matters most.
Chemotherapy cycles, procedures and other timeline events are vertical markers in every panel.

Under the Content-Security-Policy the SVG carries nothing inline: pygal's `<script>`, its
`<style>` and its tooltip group (which has a `style` attribute) are removed, and the chart is
styled by `static/css/assessments-chart.css` through classes (`series--pain` …) added to each
series. So the same SVG works on its page and when htmx swaps it into the patient's chart (a
fragment whose nonce would not be the page's). Each point keeps a `<title>`, which the browser
shows on hover, in place of pygal's script tooltips.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pygal
from django.core.cache import caches
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

# pygal appends an import hook for its map plugins (`pygal.maps.*`) that has no `find_spec`, so
# every later import that the other finders miss raises an ImportWarning (an error in the tests).
# We use no map plugin: take the hook out again.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"
]

# Above this many points a line is drawn without dots: 500 dots per series cost half a second,
# and the table under the chart gives every value.
MAX_DOTS = 80
WIDTH = 960
LABEL_WIDTH = 5  # characters of every y label, so the three panels' plot areas line up
# Drawn panels, kept in each process (settings.CACHES): raise the version when the drawing code
# changes what the same values look like, so no drawing of the old code is served.
DRAWINGS_CACHE = "drawings"
DRAWING_VERSION = 1
DRAWING_SECONDS = 15 * 60

# Series keys: each has its colour in assessments-chart.css (`.series--<key>`, `.swatch--<key>`).
SERIES_KEYS = frozenset(
    {
        "pain",
        "severity",
        "interference",
        "esas",
        "phq9",
        "gad7",
        "mme",
        "chemotherapy",
        "radiotherapy",
        "procedure",
        "event",
        "goal",
    }
)
MARKER = "marker"  # a vertical dashed line at a timeline event
TARGET = "target"  # a goal's target, dotted


@dataclass(frozen=True)
class Series:
    key: str  # one of SERIES_KEYS
    label: str
    points: Sequence[tuple[dt.datetime, Decimal | float | None]]
    line: str = ""  # "", MARKER or TARGET
    dots: bool = True
    interrupted: bool = False
    tooltip: str = ""  # a hover title for the whole line (markers: which events)

    @property
    def css_class(self) -> str:
        return f"series--{self.key}" + (f" series--{self.line}" if self.line else "")


@dataclass
class Panel:
    slug: str
    title: str
    low: float
    high: float
    series: list[Series] = field(default_factory=list)
    height: int = 220
    unit: str = ""


def naive_local(moment: dt.datetime | dt.date) -> dt.datetime:
    """pygal reads naive datetimes as UTC and prints them back unchanged: give it local time."""
    if isinstance(moment, dt.datetime):
        return timezone.localtime(moment).replace(tzinfo=None)
    return dt.datetime.combine(moment, dt.time(12))


def time_range(moments: Iterable[dt.datetime]) -> tuple[dt.datetime, dt.datetime]:
    values = sorted(moments)
    if not values:
        today = naive_local(timezone.now())
        return today - dt.timedelta(days=30), today + dt.timedelta(days=1)
    start, end = values[0], values[-1]
    span = max(end - start, dt.timedelta(days=14))
    margin = span / 40
    return start - margin, max(end, start + span) + margin


def time_ticks(start: dt.datetime, end: dt.datetime, *, most: int = 9) -> list[dt.datetime]:
    """Round dates between start and end: days, weeks, months or quarters, at most `most`."""
    span_days = max((end - start).days, 1)
    for step_months, step_days in ((0, 1), (0, 7), (0, 14), (1, 0), (2, 0), (3, 0), (6, 0)):
        count = span_days / (step_days or step_months * 30.4)
        if count <= most:
            break
    else:
        step_months, step_days = 12 * max(1, round(span_days / 365 / most + 0.5)), 0
    if step_days:
        first = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time())
        return _every(first, end, lambda d: d + dt.timedelta(days=step_days))
    first = dt.datetime(start.year, start.month, 1) + _months(1)
    return _every(first, end, lambda d: d + _months(step_months, d))


def _months(count: int, base: dt.datetime | None = None) -> dt.timedelta:
    base = base or dt.datetime(2000, 1, 1)
    month = base.month - 1 + count
    target = base.replace(year=base.year + month // 12, month=month % 12 + 1, day=1)
    return target - base


def _every(
    first: dt.datetime, end: dt.datetime, step: Callable[[dt.datetime], dt.datetime]
) -> list[dt.datetime]:
    ticks: list[dt.datetime] = []
    tick = first
    while tick <= end and len(ticks) < 40:
        ticks.append(tick)
        tick = step(tick)
    return ticks


def _tick_label(moment: dt.datetime, span: dt.timedelta) -> str:
    return date_format(moment, "j M" if span <= dt.timedelta(days=120) else "M Y")


def _pad(text: str) -> str:
    return text.rjust(LABEL_WIDTH)


def _y_labels(low: float, high: float) -> list[float]:
    span = high - low
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if span / step <= 6:
            break
    first = int(low // step) * step
    return [float(v) for v in range(first, int(high) + step, step) if low <= v <= high]


def _xml_filter(title: str, series: Sequence[Series]) -> Callable[[Any], Any]:
    """Make pygal's SVG fit the CSP: no script, no style, no tooltip; classes for the CSS."""

    def clean(root: Any) -> Any:
        root.set("role", "img")
        root.set("aria-label", title)
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
                classes = child.get("class", "").split()
                if tag in ("script", "style") or (tag == "g" and "tooltip" in classes):
                    parent.remove(child)
                elif tag == "title" and parent is root:
                    child.text = title
                elif tag == "desc" and classes == ["value"]:
                    # The point's value as its native tooltip.
                    child.tag = child.tag.replace("desc", "title")
                    child.attrib.pop("class", None)
                elif tag == "desc":
                    parent.remove(child)
                elif tag == "g" and "series" in classes:
                    _label_series(child, classes, series)
        return root

    return clean


def _label_series(group: Any, classes: list[str], series: Sequence[Series]) -> None:
    index = next((int(c[6:]) for c in classes if c.startswith("serie-")), len(series))
    if index >= len(series):
        return
    group.set("class", f"{group.get('class')} {series[index].css_class}")
    # pygal repeats a series' group in its overlays; the line itself is in the one with a path.
    has_line = any(str(child.tag).endswith("path") for child in group)
    if series[index].tooltip and has_line:
        title = group.makeelement("title", {})
        title.text = series[index].tooltip
        group.insert(0, title)


def render_panel(
    panel: Panel,
    *,
    start: dt.datetime,
    end: dt.datetime,
    ticks: Sequence[dt.datetime],
    value_format: Callable[[Any], str],
) -> SafeString:
    """One panel as inline SVG, styled by assessments-chart.css.

    Drawing is a pure function of the panel's values, the axis and the language, and pygal takes
    some 25 ms over a panel. So the SVG is kept in each process under a digest of all of those
    (the key below): a chart whose data did not change is not drawn again, and any change (a
    new score, an edit, another day's axis) is a new key, so a kept drawing is never stale.
    """
    inputs = (
        DRAWING_VERSION,
        get_language(),
        f"{value_format.__module__}.{value_format.__qualname__}",
        (panel.slug, panel.title, panel.low, panel.high, panel.height, panel.unit),
        [
            (s.key, s.label, s.line, s.dots, s.interrupted, s.tooltip, list(s.points))
            for s in panel.series
        ],
        (start, end, list(ticks)),
    )
    key = "story-panel:" + hashlib.sha256(repr(inputs).encode()).hexdigest()
    drawings = caches[DRAWINGS_CACHE]
    svg = drawings.get(key)
    if svg is None:
        svg = _draw(panel, (start, end, ticks), value_format)
        drawings.set(key, svg, DRAWING_SECONDS)
    return mark_safe(svg)  # noqa: S308 - pygal's own SVG, values formatted by us


def _draw(
    panel: Panel,
    axis: tuple[dt.datetime, dt.datetime, Sequence[dt.datetime]],
    value_format: Callable[[Any], str],
) -> str:
    start, end, ticks = axis
    span = end - start
    chart = pygal.DateTimeLine(
        width=WIDTH,
        height=panel.height,
        js=[],
        css=[],
        disable_xml_declaration=True,
        no_prefix=True,
        show_legend=False,
        allow_interruptions=True,
        range=(panel.low, panel.high),
        xrange=(start, end),
        x_labels=[{"label": _tick_label(t, span), "value": t} for t in ticks],
        x_value_formatter=lambda moment: date_format(moment, "j M Y H:i"),
        value_formatter=lambda value: _pad(value_format(value)),
        y_labels=_y_labels(panel.low, panel.high),
        show_x_guides=False,
        show_y_guides=True,
        margin=8,
        spacing=8,
        dots_size=3,
        truncate_label=-1,
        classes=["pygal-chart", "story-panel", f"story-panel--{panel.slug}"],
        no_data_text="",
    )
    chart.add_xml_filter(_xml_filter(panel.title, panel.series))
    for series in panel.series:
        chart.add(
            series.label,
            [(moment, None if value is None else float(value)) for moment, value in series.points],
            show_dots=series.dots and len(series.points) <= MAX_DOTS,
            allow_interruptions=series.interrupted,
        )
    if not panel.series:
        # An empty panel still draws its axes, so the three panels line up.
        chart.add("", [(start, None)])
    return str(chart.render())


def markers(events: Iterable[Any], *, low: float, high: float) -> list[Series]:
    """Vertical dashed lines, one series per kind of timeline event."""
    by_kind: dict[str, list[tuple[dt.datetime, float | None]]] = {}
    notes: dict[str, list[str]] = {}
    for event in events:
        key = _marker_key(event.kind)
        moment = naive_local(event.on)
        points = by_kind.setdefault(key, [])
        if points:
            points.append((moment, None))  # break the line between two markers
        points += [(moment, low), (moment, high)]
        notes.setdefault(key, []).append(f"{date_format(event.on, 'j M Y')}: {event.label}")
    return [
        Series(
            key,
            str(MARKER_LABELS.get(key, key)),
            points,
            line=MARKER,
            dots=False,
            interrupted=True,
            tooltip="\n".join(notes[key]),
        )
        for key, points in by_kind.items()
    ]


def _marker_key(kind: str) -> str:
    return kind if kind in SERIES_KEYS else "event"


# --- the story figure ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPanel:
    slug: str
    title: str
    svg: SafeString


@dataclass(frozen=True)
class LegendItem:
    key: str
    label: str
    dashed: bool = False


@dataclass(frozen=True)
class Figure:
    panels: tuple[RenderedPanel, ...]
    legend: tuple[LegendItem, ...]
    start: dt.datetime
    end: dt.datetime


def _number(value: Any) -> str:
    if value is None:
        return ""
    number = Decimal(str(value)).quantize(Decimal("0.01")).normalize()
    return f"{number:f}"


def _series(
    key: str, label: str, rows: Iterable[tuple[dt.datetime, Any]], attribute: str
) -> Series | None:
    """A line of one score over `rows`, each an assessment with its local time."""
    points = [(moment, getattr(row, attribute)) for moment, row in rows]
    points = [(moment, value) for moment, value in points if value is not None]
    return Series(key, label, points) if points else None


def _goal_series(
    goals: Iterable[Any], *, pain_scale: bool, start: dt.datetime, end: dt.datetime
) -> list[Series]:
    """Each measured goal: its target as a dotted line, and its measure's values over time."""
    series = []
    for progress in goals:
        measure = progress.measure
        if measure is None or measure.is_pain_scale != pain_scale:
            continue
        goal = progress.goal
        begin = max(naive_local(goal.created_at), start)
        finish = max(naive_local(goal.target_date) if goal.target_date else end, begin)
        label = f"{measure.label} {progress.symbol} {_number(goal.target)}"
        target = float(goal.target)
        series.append(
            Series(
                "goal",
                _("Goal: %(goal)s") % {"goal": label},
                [(begin, target), (finish, target)],
                line=TARGET,
                dots=False,
            )
        )
        if measure.key != "nrs.total":  # the pain line already draws the NRS
            values = [(naive_local(at), value) for at, value in progress.values]
            if values:
                series.append(Series("goal", measure.label, values))
    return series


def _legend(panels: Iterable[Panel]) -> tuple[LegendItem, ...]:
    seen: dict[str, LegendItem] = {}
    for panel in panels:
        for series in panel.series:
            label = series.label
            if series.key in ("chemotherapy", "radiotherapy", "procedure", "event"):
                label = str(MARKER_LABELS.get(series.key, series.label))
            name = f"{series.key}:{label}"
            if series.key == "goal":
                name, label = "goal", str(GOAL_LABEL)
            if name not in seen:
                dashed = bool(series.line)
                seen[name] = LegendItem(series.key, label, dashed)
    return tuple(seen.values())


MARKER_LABELS = {
    "chemotherapy": gettext_lazy("Chemotherapy cycle"),
    "radiotherapy": gettext_lazy("Radiotherapy"),
    "procedure": gettext_lazy("Procedure"),
    "event": gettext_lazy("Other event"),
}
GOAL_LABEL = gettext_lazy("Goal: target (dotted) and its measure")


def story_panels(story: Any) -> tuple[list[Panel], dt.datetime, dt.datetime]:
    """The three panels of the story, before drawing (tests read these)."""
    # Each assessment's local time, once for the six lines drawn from them.
    rows = [(naive_local(row.at), row) for row in story.rows]
    moments = [moment for moment, _row in rows]
    moments += [naive_local(point.on) for point in story.mme]
    moments += [naive_local(event.on) for event in story.events]
    start, end = time_range(moments)
    pain = Panel("pain", _("Pain and interference (0–10)"), 0, 10, height=260)
    for item in (
        _series("pain", _("Pain intensity (NRS, or BPI average pain)"), rows, "pain"),
        _series("severity", _("BPI severity (mean of 4)"), rows, "bpi_severity"),
        _series("interference", _("BPI interference"), rows, "interference"),
    ):
        if item:
            pain.series.append(item)
    pain.series += _goal_series(story.goals, pain_scale=True, start=start, end=end)
    symptoms = Panel("symptoms", _("Symptoms and mood (questionnaire totals)"), 0, 30)
    for item in (
        _series("esas", _("ESAS-r total (0–90)"), rows, "esas"),
        _series("phq9", _("PHQ-9 total (0–27)"), rows, "phq9"),
        _series("gad7", _("GAD-7 total (0–21)"), rows, "gad7"),
    ):
        if item:
            symptoms.series.append(item)
    symptoms.series += _goal_series(story.goals, pain_scale=False, start=start, end=end)
    symptoms.high = _top([v for s in symptoms.series for _m, v in s.points], floor=27)
    mme = Panel("mme", _("Oral morphine equivalent (mg/day)"), 0, 60, height=180)
    if story.mme:
        points: list[tuple[dt.datetime, Any]] = []
        for point in story.mme:
            moment = naive_local(point.on).replace(hour=0)
            if points:
                points.append((moment, points[-1][1]))  # a step: the dose held until it changed
            points.append((moment, point.scheduled))
        points.append((end, points[-1][1]))
        mme.series.append(Series("mme", _("Scheduled oral morphine equivalent"), points))
        mme.high = _top([value for _m, value in points], floor=30)
    for panel in (pain, symptoms, mme):
        panel.series += markers(story.events, low=panel.low, high=panel.high)
    return [pain, symptoms, mme], start, end


def _top(values: Iterable[Any], *, floor: float) -> float:
    # Some room above the highest value, so a line at the maximum does not run along the frame.
    highest = max([float(v) * 1.1 for v in values if v is not None] + [floor])
    for step in (10, 20, 50, 100, 200, 500, 1000):
        if highest <= step * 6:
            return float(-(-highest // step) * step)
    return float(highest)


def story_figure(story: Any) -> Figure:
    panels, start, end = story_panels(story)
    ticks = time_ticks(start, end)
    rendered = tuple(
        RenderedPanel(
            panel.slug,
            panel.title,
            render_panel(panel, start=start, end=end, ticks=ticks, value_format=_number),
        )
        for panel in panels
    )
    return Figure(rendered, _legend(panels), start, end)
