"""A patient's record version, and the pages drawn from the record kept under it.

PostgreSQL stamps every row version with the transaction that wrote it (`xmin`). A record's
version is a digest of the id and `xmin` of every row of the patient's record, in each table an
app registers here, and of the rows those rows show (a medication's drug, a plan's procedure
type). Any insert, update or delete changes it, through the ORM or not (a bulk `update()`, a
migration, SQL by hand), and it changes in the same transaction as the data. Reading it is one
query of index scans over the patient's own rows.

Apps register their tables in `AppConfig.ready()`:

    record_version.register("patients.Diagnosis")                # a row with a `patient`
    record_version.register("patients.Medication", shows=("drug",))
    record_version.register("assessments.InstrumentResponse", via="assessment")
    record_version.register_shared("patients.ClinicPolicy")      # a small table, all of it
    record_version.register_shared("accounts.User", columns=("first_name", "last_name"))

`cached_page(...)` keeps a page (its HTML) under the version: a page read again for an unchanged
record is not read from the database again, and a changed record is never served from before the
change. The version is read before anything the page shows, so a page built while the record
changes is stored under the older version, which nobody asks for again. Pages hold patient data,
so they stay in the process that drew them (never in Redis), for a while.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

T = TypeVar("T")


@dataclass(frozen=True)
class _Part:
    model: str  # "app_label.ModelName"
    via: str = ""  # the field of a parent row that has the patient, or "" for `patient`
    shows: tuple[str, ...] = ()  # foreign keys to rows the record shows (their own versions)
    shared: bool = False  # a table read whole (the clinic's policy, the staff's names)
    columns: tuple[str, ...] = ()  # for a shared table: the columns that count (else `xmin`)


_parts: list[_Part] = []
_sql: str | None = None


def register(model: str, *, via: str = "", shows: tuple[str, ...] = ()) -> None:
    """Rows of `model` belong to a patient's record: through its `patient` field, or through the
    parent row of its field `via` (which has a `patient`)."""
    _add(_Part(model, via=via, shows=shows))


def register_shared(model: str, *, columns: tuple[str, ...] = ()) -> None:
    """Every record shows rows of `model` (a small table). With `columns`, only their values
    count: a staff member signing in (`last_login`) leaves every record as it was."""
    _add(_Part(model, shared=True, columns=columns))


def _add(part: _Part) -> None:
    global _sql
    if part not in _parts:
        _parts.append(part)
        _sql = None


def registered_tables() -> set[str]:
    """Every table the version reads (for the test that keeps it complete)."""
    tables = set()
    for part in _parts:
        model = apps.get_model(part.model)
        tables.add(model._meta.db_table)
        for name in (*part.shows, *([part.via] if part.via else [])):
            tables.add(model._meta.get_field(name).related_model._meta.db_table)
    return tables


def _part_sql(part: _Part, index: int) -> str:
    quote = connection.ops.quote_name
    model = apps.get_model(part.model)
    row = f"r{index}"
    table = f"{quote(model._meta.db_table)} {row}"
    if part.shared:
        if part.columns:
            values = ", ".join(
                f"{row}.{quote(model._meta.get_field(name).column)}" for name in part.columns
            )
            cell = f"{row}.id || ':' || concat_ws('|', {values})"
        else:
            cell = f"{row}.id || ':' || {row}.xmin"
        # Names from the models' metadata, quoted; the one value (the patient) is bound.
        return f"(SELECT md5(string_agg({cell}, ',' ORDER BY {row}.id)) FROM {table})"  # noqa: S608
    cell = f"{row}.id || ':' || {row}.xmin"
    joins = []
    for number, name in enumerate(part.shows):
        field = model._meta.get_field(name)
        shown = f"{row}s{number}"
        joins.append(
            f"LEFT JOIN {quote(field.related_model._meta.db_table)} {shown} "
            f"ON {shown}.id = {row}.{quote(field.column)}"
        )
        cell += f" || ':' || coalesce({shown}.xmin::text, '')"
    if model._meta.label == "patients.Patient":
        where = f"{row}.id = %(patient)s"
    elif part.via:
        field = model._meta.get_field(part.via)
        parent = field.related_model
        joins.append(
            f"JOIN {quote(parent._meta.db_table)} {row}p ON {row}p.id = {row}.{quote(field.column)}"
        )
        where = f"{row}p.{quote(parent._meta.get_field('patient').column)} = %(patient)s"
    else:
        where = f"{row}.{quote(model._meta.get_field('patient').column)} = %(patient)s"
    joined = " ".join(joins)
    return f"(SELECT string_agg({cell}, ',' ORDER BY {row}.id) FROM {table} {joined} WHERE {where})"  # noqa: S608


def _digest_sql(parts: list[_Part]) -> str:
    """One query: the digest of the parts' digests."""
    sql = ",\n".join(_part_sql(part, index) for index, part in enumerate(parts))
    return f"SELECT md5(concat_ws('|', {sql}))"


def _digest(sql: str, params: dict[str, Any] | None = None) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return str(cursor.fetchone()[0])


def version(patient_id: int) -> str:
    """The version of the patient's record: changes with any row of it (one query)."""
    global _sql
    if _sql is None:
        _sql = _digest_sql(_parts)
    return _digest(_sql, {"patient": patient_id})


def tables_version(*models: str) -> str:
    """The version of these small tables, read whole ("accounts.User", "accounts.User_groups"):
    a digest of the id and `xmin` of every row, which changes with any insert, update or delete
    of them (one query)."""
    return _digest(_digest_sql([_Part(model, shared=True) for model in models]))


def kept(name: str, state: Hashable, build: Callable[[], T], timeout: Any = DEFAULT_TIMEOUT) -> T:
    """What `build()` gives, kept in this process (the `records` cache) under `name` and
    `state`: everything the value depends on, a version among them. Kept values may hold
    patient data: they never go to Redis."""
    key = f"{name}:" + hashlib.sha256(repr(state).encode()).hexdigest()
    cache = caches["records"]
    value: T | None = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value


# A kept page is drawn without the request, for whoever asks next: its forms carry this in
# place of the CSRF token, and `with_csrf_token` puts each viewer's own token there.
CSRF_STAND_IN = "csrf-token-of-the-viewer"


def with_csrf_token(html: str, request: HttpRequest) -> SafeString:
    """A kept page's HTML, drawn with `csrf_token=CSRF_STAND_IN`, with the request's token."""
    return mark_safe(html.replace(CSRF_STAND_IN, get_token(request)))  # noqa: S308 - our HTML


def cached_page(
    name: str, patient_id: int, variant: tuple[Hashable, ...], build: Callable[[], str]
) -> SafeString:
    """The page `name` of the patient, as `build()` draws it, kept under the record's version.

    `variant` is everything else the page depends on: the viewer's rights, the day, the options
    asked for. `build` must read the record itself (after this reads its version)."""
    state = (name, patient_id, version(patient_id), get_language(), variant)
    html = kept("record", state, lambda: str(build()))
    return mark_safe(html)  # noqa: S308 - the HTML `build` rendered, escaped by its templates
