"""Display helpers for the patient record."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

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
