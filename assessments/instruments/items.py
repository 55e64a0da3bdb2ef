"""Item-by-item checking, for forms that show each problem next to its question.

`score()` stops at the first problem, which is right for an API but slow for a person filling
a form: `item_errors()` reports every problem at once, keyed by item, with the same messages
`score()` would give. Rules that involve two items (BPI least above worst, the ESAS-r other
problem without its name) are reported on the item a person would correct.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    InstrumentError,
    InstrumentSpec,
    _check_boolean,
    _check_integer,
    _check_text,
    _describe,
    _is_blank,
    _name,
)
from .catalogue import INSTRUMENTS
from .scoring import score

__all__ = ["GENERAL", "item_errors"]

# The key of a problem that belongs to no single item (answers given in the wrong shape).
GENERAL = "__all__"

# Where a rule between two items is shown: the item the clinician would change.
_CROSS_ITEM_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "bpi": (("'least' pain", "least"),),
    "esas_r": (("but not named", "other_label"), ("has no score", "other")),
}


def item_errors(code: str, answers: Any) -> dict[str, str]:
    """Every problem with `answers`, keyed by item key (or GENERAL); empty when they score."""
    spec = INSTRUMENTS.get(code) if isinstance(code, str) else None
    if spec is None:
        known = ", ".join(INSTRUMENTS)
        return {GENERAL: f"Unknown instrument {code!r}. Known instruments: {known}."}
    if not isinstance(answers, Mapping):
        return {
            GENERAL: f"{spec.name}: answers must be given item by item, not as "
            f"{_describe(answers)}."
        }
    errors = _each_item(spec, answers)
    if errors:
        return errors
    try:
        score(code, dict(answers))
    except InstrumentError as error:
        return {_item_of_rule(code, str(error)): str(error)}
    return {}


def _each_item(spec: InstrumentSpec, answers: Mapping[Any, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    known = {item.key for item in spec.items}
    unknown = sorted(repr(key) for key in answers if key not in known)
    if unknown:
        errors[GENERAL] = (
            f"{spec.name}: {', '.join(unknown)} "
            f"{'is not a question' if len(unknown) == 1 else 'are not questions'} "
            "of this instrument."
        )
    for item in spec.items:
        value = answers.get(item.key)
        if _is_blank(value):
            if item.required:
                errors[item.key] = f"{spec.name}: no answer for {_name(item)}."
            continue
        try:
            if item.kind == "boolean":
                _check_boolean(spec, item, value)
            elif item.kind == "text":
                _check_text(spec, item, value)
            else:
                _check_integer(spec, item, value)
        except InstrumentError as error:
            errors[item.key] = str(error)
    return errors


def _item_of_rule(code: str, message: str) -> str:
    for fragment, key in _CROSS_ITEM_RULES.get(code, ()):
        if fragment in message:
            return key
    return GENERAL
