"""Bulk loading with PostgreSQL COPY, row by row from Python, with the models' own columns.

`Table(model)` knows the model's concrete columns and fills what a row leaves out from the
field's default (or NULL / an empty string where the field allows it); a column with neither
must be given, so a forgotten NOT NULL column fails on the first row, not deep inside COPY.
Identifiers are assigned here (continuing after the table's highest id) so that child rows can
point at their parents before anything reaches the database; `finish()` moves the table's
identity sequence past them.

Rows are formatted here in COPY's text format and written by one background thread on its own
connection, so Python draws the next rows while PostgreSQL stores the last ones (the two cores
of a small machine both work). Batches are written in order, parents before children, so
foreign keys always find their row.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, connections, models

_REQUIRED = object()
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class JsonText(str):
    """A JSON document already serialised (for values reused on many rows)."""


def _text(value: Any) -> str:
    return str(value).translate(_ESCAPES)


def _plain(value: Any) -> str:
    return str(value)


def _boolean(value: Any) -> str:
    return "t" if value else "f"


def _moment(value: dt.date | dt.datetime) -> str:
    return value.isoformat()


def _json(value: Any) -> str:
    text = value if isinstance(value, JsonText) else json.dumps(value, ensure_ascii=False)
    return text.translate(_ESCAPES)


def _array(value: Any) -> str:
    inner = ",".join(
        '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value
    )
    return ("{" + inner + "}").translate(_ESCAPES)


def _formatter(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, ArrayField):
        return _array
    if isinstance(field, models.BooleanField):
        return _boolean
    if isinstance(field, models.DateField | models.DateTimeField):  # DateTimeField is a DateField
        return _moment
    if isinstance(field, models.CharField | models.TextField | models.GenericIPAddressField):
        return _text
    return _plain  # numbers, UUIDs, foreign keys


def _column_default(field: models.Field[Any, Any]) -> Any:
    if field.has_default():
        default = field.default
        if default is uuid.uuid4:
            return _REQUIRED  # codes are drawn from the seeded random generator instead
        return default() if callable(default) else default
    if field.null:
        return None
    if isinstance(field, models.CharField | models.TextField) and field.blank:
        return ""
    return _REQUIRED


class Table:
    """One model's rows. `add(**values)` takes attribute names (`patient_id`, ...)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = [field for field in model._meta.concrete_fields if field.attname != "id"]
        self.defaults = {field.attname: _column_default(field) for field in fields}
        self.formatters = [_formatter(field) for field in fields]
        columns = ", ".join(['"id"', *(f'"{field.column}"' for field in fields)])
        self.statement = f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN'
        self.lines: list[str] = []
        self.count = 0
        with connection.cursor() as cursor:
            table = model._meta.db_table  # a model's table name, not input
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
            self.next_id = cursor.fetchone()[0] + 1

    def add(self, **values: Any) -> int:
        """Queue one row and return its id."""
        row_id = self.next_id
        self.next_id += 1
        if "updated_at" in self.defaults and "updated_at" not in values:
            values["updated_at"] = values.get("created_at")
        cells = [str(row_id)]
        for (name, default), formatter in zip(self.defaults.items(), self.formatters, strict=True):
            value = values.pop(name, default)
            if value is None:
                cells.append("\\N")
            elif value is _REQUIRED:
                raise ValueError(f"{self.model.__name__}.{name} needs a value")
            else:
                cells.append(formatter(value))
        if values:
            raise ValueError(f"{self.model.__name__} has no columns {sorted(values)}")
        self.lines.append("\t".join(cells))
        self.count += 1
        return row_id

    def take(self) -> str:
        data = "\n".join(self.lines) + "\n" if self.lines else ""
        self.lines = []
        return data


class _Writer(threading.Thread):
    """Runs the COPY statements, in the order they were queued, on its own connection."""

    def __init__(self, session_settings: list[str]) -> None:
        super().__init__(daemon=True)
        self.jobs: queue.Queue[list[tuple[str, str]] | None] = queue.Queue(maxsize=2)
        self.session_settings = session_settings
        self.error: BaseException | None = None

    def run(self) -> None:
        db = connections.create_connection("default")
        try:
            with db.cursor() as cursor:
                for statement in self.session_settings:
                    cursor.execute(statement)
            while (batch := self.jobs.get()) is not None:
                if self.error is not None:
                    continue
                try:
                    with db.cursor() as cursor:
                        for statement, data in batch:
                            with cursor.cursor.copy(statement) as copy:
                                copy.write(data.encode())
                except BaseException as error:  # reported by the thread that queued the work
                    self.error = error
        finally:
            db.close()

    def put(self, batch: list[tuple[str, str]]) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put(batch)

    def close(self) -> None:
        self.jobs.put(None)
        self.join()
        if self.error is not None:
            raise self.error


class Loader:
    """Tables in dependency order: a flush writes parents before children, so foreign keys hold."""

    def __init__(
        self,
        *models_in_order: type[models.Model],
        batch: int = 50_000,
        session_settings: tuple[str, ...] = (),
    ) -> None:
        self.tables = {model: Table(model) for model in models_in_order}
        self.batch = batch
        self.pending = 0
        self.writer = _Writer(list(session_settings))
        self.writer.start()

    def __getitem__(self, model: type[models.Model]) -> Table:
        return self.tables[model]

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None and self.writer.is_alive():
            # Stop the writer so its connection closes; what it wrote stays (autocommit).
            self.writer.jobs.put(None)
            self.writer.join(timeout=60)

    def add(self, model: type[models.Model], **values: Any) -> int:
        row_id = self.tables[model].add(**values)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()
        return row_id

    def flush(self) -> None:
        batch = [(table.statement, table.take()) for table in self.tables.values()]
        self.writer.put([(statement, data) for statement, data in batch if data])
        self.pending = 0

    def finish(self) -> dict[str, int]:
        self.flush()
        self.writer.close()
        with connection.cursor() as cursor:
            for model in self.tables:
                table = model._meta.db_table  # a model's table name, not input
                sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
                highest = f'(SELECT GREATEST(MAX(id), 1) FROM "{table}")'  # noqa: S608
                cursor.execute(f"SELECT setval({sequence}, {highest})")
        return {model._meta.label: table.count for model, table in self.tables.items()}
