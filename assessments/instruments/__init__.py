"""Scoring of the clinic's assessment instruments (DESIGN.md section 6), pure standard library.

`score(code, answers)` checks the answers and returns an `InstrumentScore`; anything that
cannot be scored raises `InstrumentError` with a message for the clinician. `INSTRUMENTS`
holds each instrument's spec (items, allowed answers, bands, source) for forms and detail pages.

Choices where DESIGN.md is silent:
- Totals that are sums are ints; means (BPI severity and interference) are `Decimal` rounded
  half up to two places, exact enough for a 0-10 mean and storable in a DecimalField.
- The BPI has no band: the BPI User Guide gives no cut-points for the severity mean, and
  cut-points derived for a single item (Serlin 1995, worst pain) would disagree with the total.
- Answers must be real ints (real booleans for DN4): "5", 5.0, True and None are refused
  rather than coerced, so a form slip cannot turn into a plausible score. None or blank text
  for an optional item means "not answered".
- ESAS-r: an `other` score needs an `other_label` and a label needs a score; `other` is not
  added to the total but is flagged `severe_other` at 7 or more like every other symptom.
- DN4 also reports `interview` (7 items) and `examination` (3 items) subscores.

`item_errors(code, answers)` (added for forms) reports every problem at once, keyed by item.
"""

from __future__ import annotations

from .base import (
    AnswerChoice,
    BandSpec,
    InstrumentError,
    InstrumentScore,
    InstrumentSpec,
    ItemSpec,
    Subscore,
)
from .catalogue import INSTRUMENTS, instrument_codes
from .items import GENERAL, item_errors
from .scoring import score

__all__ = [
    "GENERAL",
    "INSTRUMENTS",
    "AnswerChoice",
    "BandSpec",
    "InstrumentError",
    "InstrumentScore",
    "InstrumentSpec",
    "ItemSpec",
    "Subscore",
    "instrument_codes",
    "item_errors",
    "score",
]
