"""The types every instrument shares: its spec, its score, its error, and answer checking.

Answers are checked against the spec (the same spec the forms and detail pages are built
from), so what a form offers and what `score()` accepts cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

ItemKind = Literal["integer", "boolean", "text"]
Subscore = int | Decimal | None

# Means (BPI severity and interference) are reported to two decimal places, rounded half up,
# which fits a DecimalField(max_digits=4, decimal_places=2) for trend queries.
_TWO_PLACES = Decimal("0.01")


class InstrumentError(ValueError):
    """Answers that cannot be scored; the message is written for the clinician entering them."""


@dataclass(frozen=True)
class AnswerChoice:
    """One allowed answer with its standard wording, e.g. PHQ-9 `3` "Nearly every day"."""

    value: int | bool
    label: str


@dataclass(frozen=True)
class ItemSpec:
    """One question of an instrument.

    `question` is our own short paraphrase, not the instrument's copyrighted wording.
    `choices` labels every allowed value where the instrument has standard labels;
    `anchors` labels the two ends of a 0-10 style scale instead.
    `scored` is False for items that are recorded but do not enter the total.
    """

    key: str
    label: str
    question: str
    kind: ItemKind = "integer"
    minimum: int | None = None
    maximum: int | None = None
    step: int = 1
    required: bool = True
    scored: bool = True
    group: str = ""
    choices: tuple[AnswerChoice, ...] = ()
    anchors: tuple[str, str] | None = None

    @property
    def allowed_values(self) -> tuple[int | bool, ...]:
        """Every value a form may offer; empty for free text."""
        if self.kind == "boolean":
            return (False, True)
        if self.kind == "integer" and self.minimum is not None and self.maximum is not None:
            return tuple(range(self.minimum, self.maximum + 1, self.step))
        return ()


@dataclass(frozen=True)
class BandSpec:
    """A named range of the total, both ends inclusive."""

    slug: str
    label: str
    lowest: int
    highest: int


@dataclass(frozen=True)
class InstrumentSpec:
    """What a form or detail page needs to know about an instrument, with its source."""

    code: str
    name: str
    title: str
    source: str
    items: tuple[ItemSpec, ...]
    recall: str = ""
    scoring: str = ""
    bands: tuple[BandSpec, ...] = ()

    def item(self, key: str) -> ItemSpec:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def band_for(self, total: int) -> str | None:
        for band in self.bands:
            if band.lowest <= total <= band.highest:
                return band.slug
        return None


@dataclass(frozen=True)
class InstrumentScore:
    """The computed result of one instrument, ready to store in columns for trend queries.

    `total` is an int for sums and a `Decimal` to two places for means (BPI).
    """

    total: int | Decimal
    band: str | None = None
    subscores: dict[str, Subscore] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CheckedAnswers:
    """Answers that passed the spec, split by kind; unanswered optional items are absent."""

    numbers: dict[str, int]
    booleans: dict[str, bool]
    texts: dict[str, str]


def mean(values: list[int]) -> Decimal:
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(_TWO_PLACES, ROUND_HALF_UP)


def check_answers(spec: InstrumentSpec, answers: Any) -> CheckedAnswers:
    """Check answers against the spec or raise InstrumentError naming the first problem.

    None (or blank text) for an optional item means "not answered"; for a required item it
    is reported as missing.
    """
    if not isinstance(answers, Mapping):
        raise InstrumentError(
            f"{spec.name}: answers must be given item by item, not as {_describe(answers)}."
        )
    _reject_unknown_keys(spec, answers)
    missing = [item for item in spec.items if item.required and _is_blank(answers.get(item.key))]
    if missing:
        names = ", ".join(_name(item) for item in missing)
        raise InstrumentError(f"{spec.name}: no answer for {names}.")

    checked = CheckedAnswers(numbers={}, booleans={}, texts={})
    for item in spec.items:
        value = answers.get(item.key)
        if _is_blank(value):
            continue
        if item.kind == "boolean":
            checked.booleans[item.key] = _check_boolean(spec, item, value)
        elif item.kind == "text":
            checked.texts[item.key] = _check_text(spec, item, value)
        else:
            checked.numbers[item.key] = _check_integer(spec, item, value)
    return checked


def _reject_unknown_keys(spec: InstrumentSpec, answers: Mapping[Any, Any]) -> None:
    known = {item.key for item in spec.items}
    unknown = sorted(repr(key) for key in answers if key not in known)
    if not unknown:
        return
    if len(unknown) == 1:
        raise InstrumentError(f"{spec.name}: {unknown[0]} is not a question of this instrument.")
    raise InstrumentError(
        f"{spec.name}: {', '.join(unknown)} are not questions of this instrument."
    )


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_boolean(spec: InstrumentSpec, item: ItemSpec, value: object) -> bool:
    # Only real booleans: 1/0 or "yes" could be a slip between instruments, so they are refused.
    if not isinstance(value, bool):
        raise InstrumentError(
            f"{spec.name}: {_name(item)} must be yes (True) or no (False), not {_describe(value)}."
        )
    return value


def _check_text(spec: InstrumentSpec, item: ItemSpec, value: object) -> str:
    if not isinstance(value, str):
        raise InstrumentError(f"{spec.name}: {_name(item)} must be text, not {_describe(value)}.")
    return value.strip()


def _check_integer(spec: InstrumentSpec, item: ItemSpec, value: object) -> int:
    assert item.minimum is not None and item.maximum is not None, item.key
    # bool is an int subclass in Python, but True is not a score of 1 on a clinical scale.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstrumentError(
            f"{spec.name}: {_name(item)} must be a whole number from {item.minimum} "
            f"to {item.maximum}, not {_describe(value)}."
        )
    if not item.minimum <= value <= item.maximum:
        raise InstrumentError(
            f"{spec.name}: {_name(item)} must be between {item.minimum} and {item.maximum}, "
            f"not {value}."
        )
    if (value - item.minimum) % item.step:
        raise InstrumentError(
            f"{spec.name}: {_name(item)} must be in steps of {item.step} "
            f"({item.minimum}, {item.minimum + item.step}, … {item.maximum}), not {value}."
        )
    return value


def _name(item: ItemSpec) -> str:
    # "'q9' (thoughts of death or self-harm)", but plain "'pain'" when the key says it all.
    if item.label.startswith(item.key.replace("_", " ")):
        return f"'{item.key}'"
    return f"'{item.key}' ({item.label})"


def _describe(value: object) -> str:
    """Say what was received in words a clinician reads without knowing Python types."""
    if value is None:
        return "an empty answer"
    if isinstance(value, bool):
        return f"yes/no ({value})"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, float | Decimal):
        return f"the decimal number {value}"
    if isinstance(value, int):
        return str(value)
    return f"a {type(value).__name__}"
