"""Measured outcomes of a procedure: pain reduction against the baseline, follow-up windows.

Pure module: no database. Pain values are NRS scores or BPI average pain (0–10), as the
assessments app reports them.

- Baseline: the latest pain intensity at or before the procedure (or, before it is
  performed, at or before the plan was made).
- A follow-up's measurement: the assessment linked to the follow-up, else the first pain
  intensity inside its window (`follow_up_window`).
- Reduction: (baseline - value) / baseline × 100. A baseline of 0 has no reduction to measure.
- A stage met its response criterion when at least one follow-up measurement reached it.
- Follow-up kinds by day: up to day 3 a phone check, up to day 28 a review, later a
  reassessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_FOLLOW_UP_DAYS = (1, 14, 42)
MAX_FOLLOW_UP_DAY = 365
MAX_FOLLOW_UPS = 6

PHONE_CHECK = "phone_check"
REVIEW = "review"
REASSESSMENT = "reassessment"

REPORT_THRESHOLDS = (30, 50)


class OutcomeError(ValueError):
    """Input an outcome calculation cannot use; the message is meant for a clinician."""


def kind_for_day(day: int) -> str:
    if day <= 3:
        return PHONE_CHECK
    if day <= 28:
        return REVIEW
    return REASSESSMENT


def check_follow_up_days(days: Iterable[int]) -> tuple[int, ...]:
    """The days as a sorted tuple; raises OutcomeError for a schedule that makes no sense."""
    values = list(days)
    if len(values) > MAX_FOLLOW_UPS:
        raise OutcomeError(f"At most {MAX_FOLLOW_UPS} follow-ups.")
    if any(not isinstance(day, int) or not 1 <= day <= MAX_FOLLOW_UP_DAY for day in values):
        raise OutcomeError(f"Follow-up days run from 1 to {MAX_FOLLOW_UP_DAY} after the procedure.")
    if len(set(values)) != len(values):
        raise OutcomeError("Each follow-up day may appear once.")
    return tuple(sorted(values))


def follow_up_window(performed_on: dt.date, day: int) -> tuple[dt.date, dt.date]:
    """The dates whose pain score counts for the follow-up `day` days after the procedure.

    A quarter of the offset either side (at least one day), never before the procedure day:
    day 1 → days 0–2, day 14 → 11–17, day 42 → 32–52.
    """
    spread = max(1, day // 4)
    start = performed_on + dt.timedelta(days=max(0, day - spread))
    return start, performed_on + dt.timedelta(days=day + spread)


def reduction_percent(baseline: Decimal | None, value: Decimal | None) -> Decimal | None:
    """Percent reduction from the baseline (negative when the pain got worse), one decimal."""
    if baseline is None or value is None:
        return None
    if baseline < 0 or value < 0:
        raise OutcomeError("Pain scores cannot be negative.")
    if baseline == 0:
        return None
    percent = (baseline - value) / baseline * 100
    return percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def meets(reduction: Decimal | None, criterion_percent: int) -> bool | None:
    """Whether a reduction reaches the criterion; None when there is nothing to judge."""
    if reduction is None:
        return None
    return reduction >= criterion_percent


def response_met(reductions: Iterable[Decimal | None], criterion_percent: int) -> bool | None:
    """True when any measured follow-up reached the criterion; False when measured but none
    did; None when nothing was measured."""
    measured = [r for r in reductions if r is not None]
    if not measured:
        return None
    return any(r >= criterion_percent for r in measured)
