"""Form helpers shared by the apps' views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def add_validation_errors(form: Any, error: ValidationError) -> None:
    """Field errors go next to their field; others (or unknown fields) above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def select_options(bound_field: Any) -> list[tuple[str, str, bool]]:
    """A choice field's options as (value, label, selected), for a hand-written `<select>`.

    The bound value is read once, and a model choice field's rows come from one plain query
    (iterating `field.choices` would count them first and read them through a server cursor).
    """
    field = bound_field.field
    chosen = bound_field.value()
    chosen = (
        {str(value) for value in chosen}
        if isinstance(chosen, list | tuple)
        else {"" if chosen is None else str(chosen)}
    )
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        pairs = [(str(value), str(label)) for value, label in field.choices]
    else:
        empty = [("", str(field.empty_label))] if field.empty_label is not None else []
        pairs = empty + [
            (str(field.prepare_value(obj)), field.label_from_instance(obj)) for obj in queryset
        ]
    return [(value, label, value in chosen) for value, label in pairs]
