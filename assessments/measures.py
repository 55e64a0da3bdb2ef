"""What a goal can be measured by: an instrument's total, subscore or single item.

A measure's key is `<instrument>.<what>`, e.g. `bpi.walking` (an item), `bpi.interference`
(a subscore) or `phq9.total`. `value_of()` reads it from a stored or freshly computed response.
Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assessments.instruments import INSTRUMENTS

TOTAL = "total"


@dataclass(frozen=True)
class Measure:
    key: str
    instrument: str
    part: str  # "total", a subscore name or an item key
    label: str
    lowest: int
    highest: int
    higher_is_worse: bool = True

    @property
    def is_pain_scale(self) -> bool:
        """Read on the 0-10 pain and interference axis of the chart."""
        return self.highest == 10


# Scales where a higher number means a better state.
_HIGHER_IS_BETTER = {"kps", "pps"}

_TOTAL_LABELS = {
    "nrs": ("NRS pain intensity", 0, 10),
    "bpi": ("BPI severity (mean of 4)", 0, 10),
    "esas_r": ("ESAS-r total", 0, 90),
    "phq9": ("PHQ-9 total", 0, 27),
    "gad7": ("GAD-7 total", 0, 21),
    "dn4": ("DN4 total", 0, 10),
    "ecog": ("ECOG grade", 0, 5),
    "kps": ("Karnofsky score", 0, 100),
    "pps": ("PPS level", 0, 100),
}


def _build() -> dict[str, Measure]:
    measures: dict[str, Measure] = {}
    for code, (label, lowest, highest) in _TOTAL_LABELS.items():
        worse = code not in _HIGHER_IS_BETTER
        measures[f"{code}.{TOTAL}"] = Measure(
            f"{code}.{TOTAL}", code, TOTAL, label, lowest, highest, worse
        )
    measures["bpi.interference"] = Measure(
        "bpi.interference", "bpi", "interference", "BPI interference (mean)", 0, 10
    )
    for code in ("bpi", "esas_r"):
        spec = INSTRUMENTS[code]
        for item in spec.items:
            if item.kind != "integer" or not item.scored or item.maximum != 10:
                continue
            key = f"{code}.{item.key}"
            prefix = "BPI interference:" if item.group == "interference" else f"{spec.name}:"
            measures[key] = Measure(key, code, item.key, f"{prefix} {item.label}", 0, 10)
    return measures


MEASURES: dict[str, Measure] = _build()


def measure_choices() -> list[tuple[str, str]]:
    return [(measure.key, measure.label) for measure in MEASURES.values()]


def value_of(measure: Measure, *, total: Any, subscores: Mapping[str, Any], answers: Any) -> Any:
    """The measure's value in one response, or None when it was not answered."""
    if measure.part == TOTAL:
        value = total
    elif measure.part in subscores:
        value = subscores.get(measure.part)
    else:
        value = answers.get(measure.part) if isinstance(answers, Mapping) else None
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value))


def reached(value: Decimal | None, *, target: Decimal, at_most: bool) -> bool:
    if value is None:
        return False
    return value <= target if at_most else value >= target
