"""`get_FOO_display()` in one dictionary lookup, for the models whose choices pages list.

Django's own implementation rebuilds a hashable copy of the field's choices on every call, and
hashing each lazy label translates it: a call costs one translation per choice. The audit log's
fifty rows spent some 500 translations on their action and kind columns. `ChoiceLabels` keeps the
field's value → label table (labels stay lazy, so each call still answers in the active language)
and translates the one label it returns.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str


@cache
def _labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    return dict(field.flatchoices)


class ChoiceLabels:
    """Mix into a model before `models.Model`: its `get_FOO_display()` methods use the table."""

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:
        value = getattr(self, field.attname)
        if isinstance(field.choices, CallableChoiceIterator):  # choices that may change
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value (a list): Django's own lookup handles it
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        # Django answers plain values with force_str(strings_only=True): numbers stay numbers.
        return force_str(label, strings_only=True)
