"""Worlds for the security tests: the permission matrix's objects, built for patients whose
identifying details and free text are known, so a page that leaks them can be caught."""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from patients.models import Patient
from tests.conftest import make_user
from tests.patients.helpers import make_patient
from tests.permission_matrix import _matrix_modules

OUR_APPS = ("accounts", "audit", "reminders", "patients", "assessments", "procedures", "meetings")
_mrn_numbers = itertools.count(1)


@dataclass(frozen=True)
class Identity:
    """What identifies the patients of a world, and the word planted in their free text."""

    given_name: str
    family_name: str
    mrn_prefix: str
    date_of_birth: dt.date
    phone: str
    email: str
    address: str
    free_text: str

    def strings(self) -> list[str]:
        """Every string that must not reach someone who may not see these patients: the
        names, MRN, contact details, the birth date as the pages write dates, and free text."""
        born = self.date_of_birth
        return [
            self.given_name,
            self.family_name,
            # Lists write the family name in capitals ("QUORVATH, Ysolde").
            self.family_name.upper(),
            self.mrn_prefix,
            self.phone.replace(" ", "")[-6:],
            self.email,
            self.address.split()[1],
            self.free_text,
            f"{born.day} {born:%b %Y}",
            f"{born:%d %b %Y}",
            f"{born.day} {born:%B %Y}",
            f"{born:%B} {born.day}, {born.year}",
            born.isoformat(),
            f"{born:%d/%m/%Y}",
            f"{born:%m/%d/%Y}",
            f"{born:%d.%m.%Y}",
        ]

    def leaks(self, body: str) -> list[str]:
        return [text for text in self.strings() if text in body]


RESTRICTED = Identity(
    given_name="Ysolde",
    family_name="Quorvath",
    mrn_prefix="QVX-7704",
    date_of_birth=dt.date(1947, 3, 9),
    phone="07700 900461",
    email="ysolde.quorvath@example.org",
    address="12 Wrenfield Lane",
    free_text="Zorblaxian",
)
OPEN = Identity(
    given_name="Odalys",
    family_name="Brennquist",
    mrn_prefix="OBQ-5518",
    date_of_birth=dt.date(1952, 11, 23),
    phone="07700 900872",
    email="odalys.brennquist@example.org",
    address="4 Harrowgate Row",
    free_text="Vexmarrowish",
)


def patient_maker(
    identity: Identity, *, restricted: bool = False, owner: User | None = None
) -> Callable[[], Patient]:
    """Makes patients with `identity`; restricted ones open only to `owner` (their primary
    clinician and care team), who also writes their records."""
    owner = owner or make_user(Role.CLINICIAN)

    def new_patient() -> Patient:
        return make_patient(
            by=owner,
            mrn=f"{identity.mrn_prefix}{next(_mrn_numbers)}",
            given_name=identity.given_name,
            family_name=identity.family_name,
            date_of_birth=identity.date_of_birth,
            phone=identity.phone,
            email=identity.email,
            address=identity.address,
            restricted=restricted,
            primary_clinician=owner if restricted else None,
            care_team=[owner] if restricted else [],
        )

    return new_patient


def patient_objects(new_patient: Callable[[], Patient]) -> dict[str, Any]:
    """The matrix's patient-owned objects (every module that can build them for given
    patients), all belonging to patients `new_patient` makes."""
    objects: dict[str, Any] = {}
    for module in _matrix_modules():
        build = getattr(module, "build_objects", None)
        if build is not None and "new_patient" in inspect.signature(build).parameters:
            objects.update(build(new_patient=new_patient))
    return objects


def build_world(new_patient: Callable[[], Patient]) -> dict[str, Any]:
    """Everything the matrix's routes need (like `build_objects()`), patients made by
    `new_patient`."""
    objects: dict[str, Any] = {"target_staff": make_user(Role.CLINICIAN)}
    for module in _matrix_modules():
        build = getattr(module, "build_objects", None)
        if build is not None and "new_patient" not in inspect.signature(build).parameters:
            objects.update(build())
    objects.update(patient_objects(new_patient))
    return objects


# --- what belongs to a patient -------------------------------------------------------------------


def _our_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        and model._meta.managed
        and not model._meta.proxy
        and not model._meta.db_table.endswith("event")
    ]


def patient_lookup(model: type[models.Model], depth: int = 0) -> str | None:
    """The lookup from `model` to its patient ("patient", "plan__patient", …), or None."""
    if model is Patient:
        return "pk"
    if depth > 3:
        return None
    relations = [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model._meta.app_label in OUR_APPS
    ]
    for field in relations:
        if field.related_model is Patient:
            return field.name
    for field in relations:
        if field.related_model is model:
            continue
        further = patient_lookup(field.related_model, depth + 1)  # type: ignore[arg-type]
        if further is not None and further != "pk":
            return f"{field.name}__{further}"
    return None


def owned_rows(patients: Iterable[Patient]) -> list[models.QuerySet[Any]]:
    """For each model of ours that belongs to a patient, its rows of `patients`."""
    chosen = [patient.pk for patient in patients]
    querysets = []
    for model in _our_models():
        lookup = patient_lookup(model)
        if lookup is not None:
            querysets.append(model._default_manager.filter(**{f"{lookup}__in": chosen}))
    return querysets


def owned_codes(patients: Iterable[Patient]) -> set[str]:
    """The URL codes of `patients` and of everything that belongs to them."""
    codes: set[str] = set()
    for rows in owned_rows(patients):
        if any(field.name == "code" for field in rows.model._meta.concrete_fields):
            codes.update(str(code) for code in rows.values_list("code", flat=True))
    return codes


def _free_text_fields(model: type[models.Model]) -> list[str]:
    names = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if field.choices or field.unique or field.primary_key or not field.editable:
            continue
        # Short character fields hold codes and units the pages look up, not free text.
        if isinstance(field, models.CharField) and (field.max_length or 0) < 50:
            continue
        names.append(field.name)
    return names


def plant_free_text(patients: Iterable[Patient], text: str) -> int:
    """Write `text` into every free-text field of everything that belongs to `patients`."""
    planted = 0
    for rows in owned_rows(patients):
        if rows.model is Patient:
            continue
        for name in _free_text_fields(rows.model):
            # A field a constraint keeps empty (the reason of an entry not in error) stays so.
            try:
                with transaction.atomic():
                    planted += rows.update(**{name: text})
            except IntegrityError:
                continue
    return planted


# --- requests ------------------------------------------------------------------------------------


def body_of(response: Any) -> str:
    return response.content.decode(errors="replace")


def template_names(response: Any) -> list[str]:
    return [template.name for template in getattr(response, "templates", []) or []]


def is_break_glass_page(response: Any) -> bool:
    return response.status_code == 403 and "patients/break_glass.html" in template_names(response)


def uuid_kwargs(kwargs: dict[str, Any]) -> list[str]:
    return [name for name, value in kwargs.items() if isinstance(value, uuid.UUID)]


def snapshot() -> dict[str, str]:
    """A digest of every row of our tables but the logs, to show a request changed nothing."""
    skip = ("django_session", "axes_", "audit_accesslog", "pghistory_context", "otp_")
    digests = {}
    with connection.cursor() as cursor:
        for model in _our_models():
            table = model._meta.db_table
            if table.startswith(skip):
                continue
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: E501
            )
            digests[table] = cursor.fetchone()[0]
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before if before[table] != after.get(table))


def rendered_data(response: Any, name: str = "form") -> dict[str, Any]:
    """What the browser would post back for the form `name` of a rendered page, unchanged."""
    from django import forms

    data: dict[str, Any] = {}
    for field in response.context[name]:
        value = field.value()
        widget = field.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[field.html_name] = "on"
            continue
        if value is None:
            continue
        shown = widget.format_value(value)
        if shown is not None:
            data[field.html_name] = shown
    return data
