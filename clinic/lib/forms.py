"""Form helpers shared by the apps' views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language

from clinic.lib.record_version import kept, tables_version


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
        pairs = empty + _model_options(field, queryset)
    return [(value, label, value in chosen) for value, label in pairs]


class KeptModelChoiceField(forms.ModelChoiceField):
    """A model choice field of a filter form (a staff list a hundred people long) whose options
    `select_options` keeps in the process while the tables `kept_under` stay the same: it then
    reads their version (one small query) instead of the rows, and writes no row object."""

    def __init__(self, *args: Any, kept_under: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_under = kept_under

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = super().__deepcopy__(memo)
        # Each form gets a copy of the field with a copy of its queryset: the same query, whose
        # SQL is then written once for all of them.
        result.query_sql = self.query_sql
        return result

    def _set_queryset(self, queryset: Any) -> None:
        super()._set_queryset(queryset)
        self.query_sql: dict[str, Any] = {}  # another queryset: its own SQL

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def options_query(self) -> Any:
        """The SQL and parameters of the options' query."""
        if "sql" not in self.query_sql:
            self.query_sql["sql"] = self.queryset.query.sql_with_params()
        return self.query_sql["sql"]


def _model_options(field: Any, queryset: Any) -> list[tuple[str, str]]:
    def read() -> list[tuple[str, str]]:
        return [(str(field.prepare_value(obj)), field.label_from_instance(obj)) for obj in queryset]

    if not isinstance(field, KeptModelChoiceField):
        return read()
    query = field.options_query()
    state = (query, field.to_field_name, get_language(), tables_version(*field.kept_under))
    return kept("options", state, read)
