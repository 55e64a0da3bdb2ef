"""Measured outcomes (procedures/outcomes.py): pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procedures import outcomes


@pytest.mark.parametrize(
    ("baseline", "value", "expected"),
    [
        ("8", "4", "50.0"),
        ("8", "5", "37.5"),
        ("7", "5", "28.6"),
        ("6", "7", "-16.7"),
        ("5", "0", "100.0"),
    ],
)
def test_reduction_is_relative_to_the_baseline(baseline: str, value: str, expected: str) -> None:
    assert outcomes.reduction_percent(Decimal(baseline), Decimal(value)) == Decimal(expected)


def test_no_reduction_without_both_scores_or_from_a_baseline_of_zero() -> None:
    assert outcomes.reduction_percent(None, Decimal(3)) is None
    assert outcomes.reduction_percent(Decimal(3), None) is None
    assert outcomes.reduction_percent(Decimal(0), Decimal(0)) is None


def test_negative_scores_are_refused() -> None:
    with pytest.raises(outcomes.OutcomeError):
        outcomes.reduction_percent(Decimal(-1), Decimal(3))


def test_the_response_is_met_when_a_follow_up_reaches_the_criterion() -> None:
    assert outcomes.response_met([Decimal(20), Decimal(55)], 50) is True
    assert outcomes.response_met([Decimal(20), Decimal("49.9")], 50) is False
    assert outcomes.response_met([None, None], 50) is None
    assert outcomes.meets(Decimal(50), 50) is True
    assert outcomes.meets(None, 50) is None


@pytest.mark.parametrize(
    ("day", "kind"),
    [(1, "phone_check"), (3, "phone_check"), (7, "review"), (14, "review"), (42, "reassessment")],
)
def test_follow_up_kinds_by_day(day: int, kind: str) -> None:
    assert outcomes.kind_for_day(day) == kind


def test_windows_are_a_quarter_of_the_offset_either_side() -> None:
    performed = dt.date(2026, 3, 1)

    assert outcomes.follow_up_window(performed, 1) == (dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    assert outcomes.follow_up_window(performed, 14) == (dt.date(2026, 3, 12), dt.date(2026, 3, 18))
    assert outcomes.follow_up_window(performed, 42) == (dt.date(2026, 4, 2), dt.date(2026, 4, 22))


@pytest.mark.parametrize("days", [[0, 14], [1, 1], [1, 400], [1, 2, 3, 4, 5, 6, 7], ["1"]])
def test_a_schedule_that_makes_no_sense_is_refused(days: list[int]) -> None:
    with pytest.raises(outcomes.OutcomeError):
        outcomes.check_follow_up_days(days)


def test_a_schedule_is_sorted() -> None:
    assert outcomes.check_follow_up_days([42, 1, 14]) == (1, 14, 42)
    assert outcomes.check_follow_up_days([]) == ()
