"""The story chart's pieces (no database) and the body map's regions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from assessments import bodymap, chart
from assessments.selectors import Story, StoryRow
from clinic.lib.timeline import TimelineEvent

T0 = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def story_of(rows: int = 3, **extra: object) -> Story:
    return Story(
        rows=[
            StoryRow(
                at=T0 + dt.timedelta(days=14 * n),
                code=__import__("uuid").uuid4(),
                context="review",
                pain=Decimal(6 - n),
                pain_source="nrs",
                interference=Decimal(5),
                esas=Decimal(40 - n),
                phq9=Decimal(9),
                gad7=None,
            )
            for n in range(rows)
        ],
        mme=extra.get("mme", []),  # type: ignore[arg-type]
        events=extra.get("events", []),  # type: ignore[arg-type]
        goals=[],
    )


def render(story: Story) -> str:
    return "".join(str(panel.svg) for panel in chart.story_figure(story).panels)


def test_the_figure_has_three_panels_on_one_time_axis() -> None:
    figure = chart.story_figure(story_of())

    assert [panel.slug for panel in figure.panels] == ["pain", "symptoms", "mme"]
    # Same ticks and the same padded y labels: the plot areas line up.
    boxes = [
        re.search(r'transform="translate\(([\d.]+), [\d.]+\)" class="plot', str(p.svg))
        for p in figure.panels
    ]
    assert all(boxes)
    assert len({box.group(1) for box in boxes if box}) == 1


def test_the_svg_carries_nothing_the_csp_would_block() -> None:
    svg = render(story_of(events=[TimelineEvent(dt.date(2026, 1, 20), "chemotherapy", "C2")]))

    assert "<script" not in svg and "<style" not in svg
    assert " style=" not in svg and "href=" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert 'role="img"' in svg


def test_each_point_keeps_its_value_as_a_tooltip() -> None:
    svg = render(story_of())

    assert "<title>19 Jan 2026 09:30:     5</title>" in svg


def test_series_carry_their_class_for_the_stylesheet() -> None:
    events = [
        TimelineEvent(dt.date(2026, 1, 12), "chemotherapy", "FOLFOX cycle 1"),
        TimelineEvent(dt.date(2026, 1, 26), "chemotherapy", "FOLFOX cycle 2"),
        TimelineEvent(dt.date(2026, 1, 20), "procedure", "Coeliac plexus block"),
    ]
    svg = render(story_of(events=events))

    for css in ("series--pain", "series--interference", "series--esas", "series--phq9"):
        assert css in svg
    tooltip = "<title>12 Jan 2026: FOLFOX cycle 1\n26 Jan 2026: FOLFOX cycle 2</title>"
    assert svg.count(tooltip) == 3  # one marker line per panel
    assert "series--chemotherapy series--marker" in svg
    assert "series--procedure series--marker" in svg


def test_markers_are_vertical_lines_broken_between_events() -> None:
    events = [
        TimelineEvent(dt.date(2026, 1, 12), "chemotherapy", "C1"),
        TimelineEvent(dt.date(2026, 1, 26), "chemotherapy", "C2"),
        TimelineEvent(dt.date(2026, 1, 20), "surgery", "Stent"),
    ]

    lines = {series.key: series for series in chart.markers(events, low=0, high=10)}

    assert [value for _m, value in lines["chemotherapy"].points] == [0, 10, None, 0, 10]
    assert lines["event"].label == "Other event"  # kinds without a colour of their own


def test_the_mme_is_a_step_line_until_the_end_of_the_axis() -> None:
    from patients.selectors import MmePoint

    story = story_of(
        mme=[
            MmePoint(dt.date(2026, 1, 1), Decimal(30)),
            MmePoint(dt.date(2026, 1, 20), Decimal(60)),
        ]
    )

    panels, _start, end = chart.story_panels(story)

    values = [value for _moment, value in panels[2].series[0].points]
    assert values == [Decimal(30), Decimal(30), Decimal(60), Decimal(60)]
    assert panels[2].series[0].points[-1][0] == end
    assert panels[2].high >= 66  # room above the highest dose


def test_an_empty_story_still_draws_aligned_axes() -> None:
    figure = chart.story_figure(story_of(rows=0))

    assert len(figure.panels) == 3


@pytest.mark.parametrize("days", [3, 40, 200, 800, 4000])
def test_time_ticks_are_few_and_inside_the_axis(days: int) -> None:
    start = dt.datetime(2025, 3, 17)
    end = start + dt.timedelta(days=days)

    ticks = chart.time_ticks(start, end)

    assert 1 <= len(ticks) <= 10
    assert all(start <= tick <= end for tick in ticks)
    assert ticks == sorted(ticks)


def test_local_time_is_drawn(settings: object) -> None:
    settings.TIME_ZONE = "Europe/Madrid"  # type: ignore[attr-defined]
    from django.utils import timezone

    with timezone.override("Europe/Madrid"):
        assert chart.naive_local(T0) == dt.datetime(2026, 1, 5, 10, 30)


# --- the body map --------------------------------------------------------------------------------


def test_every_region_has_a_unique_key_a_label_and_a_shape() -> None:
    keys = [region.key for region in bodymap.REGIONS]

    assert len(keys) == len(set(keys)) == 52
    for region in bodymap.REGIONS:
        assert region.view in ("front", "back")
        assert region.key.startswith(region.view + "_")
        assert region.label and region.path.startswith("M") and region.path.endswith("Z")


def test_sides_are_the_patients_on_both_figures() -> None:
    front_right = bodymap.REGIONS_BY_KEY["front_hand_right"]
    back_right = bodymap.REGIONS_BY_KEY["back_hand_right"]

    # The patient's right is on the viewer's left from the front, on the right from behind.
    assert front_right.centre[0] < bodymap.FIGURE_WIDTH / 2
    assert back_right.centre[0] > bodymap.FIGURE_WIDTH / 2
    assert bodymap.region_label("back_lumbar_spine") == "Lumbar spine (back)"
    assert bodymap.region_label("unknown") == "unknown"


# --- drawn once, never stale ---------------------------------------------------------------------


@pytest.fixture
def pygal_draws(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each panel pygal draws, with no drawing kept from an earlier test."""
    from django.core.cache import caches

    caches[chart.DRAWINGS_CACHE].clear()
    draws: list[object] = []
    original = chart.pygal.DateTimeLine.render

    def counted(self: object, *args: object, **kwargs: object) -> object:
        draws.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(chart.pygal.DateTimeLine, "render", counted)
    return draws


def test_a_figure_whose_values_did_not_change_is_not_drawn_again(
    pygal_draws: list[object],
) -> None:
    first = render(story_of())
    again = render(story_of())  # the same values (a new Story object, as on a new request)

    assert again == first
    assert len(pygal_draws) == 3  # three panels, drawn for the first request only


def test_a_changed_score_is_drawn_at_once(pygal_draws: list[object]) -> None:
    story = story_of()
    before = render(story)
    story.rows[1] = dataclasses.replace(story.rows[1], pain=Decimal(9))

    after = render(story)

    # On 19 Jan the pain was 5, as was the interference; now the pain is 9.
    assert before.count("<title>19 Jan 2026 09:30:     5</title>") == 2
    assert after.count("<title>19 Jan 2026 09:30:     5</title>") == 1
    assert "<title>19 Jan 2026 09:30:     9</title>" in after
    # Only the pain panel's values changed: the other two panels are the drawings kept.
    assert len(pygal_draws) == 4
