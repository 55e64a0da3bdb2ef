"""`ChoiceLabels`: every model's `get_FOO_display()` answers what Django's own would."""

from __future__ import annotations

import pghistory.models
import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from clinic.lib.choices import ChoiceLabels
from clinic.reminders.models import Reminder


def _choice_fields():
    for model in apps.get_models():
        if not issubclass(model, ChoiceLabels):
            continue
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def test_the_project_models_with_choices_use_the_table():
    uncovered = [
        model.__name__
        for model in apps.get_models()
        if model.__module__.split(".")[0] in {"patients", "assessments", "procedures", "meetings"}
        and any(field.choices for field in model._meta.concrete_fields)
        and not issubclass(model, ChoiceLabels | pghistory.models.Event)  # history: rarely read
    ]
    assert uncovered == []


def test_every_label_is_djangos_label():
    checked = 0
    for model, field in _choice_fields():
        for value, _label in field.flatchoices:
            instance = model(**{field.attname: value})
            ours = getattr(instance, f"get_{field.name}_display")()
            assert ours == models.Model._get_FIELD_display(instance, field), (model, field, value)
            assert isinstance(ours, str)
            checked += 1
    assert checked > 100  # the project's choices, not an empty loop


def test_a_value_outside_the_choices_is_shown_as_it_is():
    reminder = Reminder(status="not-a-status")
    assert reminder.get_status_display() == "not-a-status"


@pytest.mark.parametrize("language", ["en-gb", "fr"])
def test_the_label_is_translated_when_asked_for(language):
    field = Reminder._meta.get_field("status")
    value, lazy_label = field.flatchoices[0]
    with translation.override(language):
        assert Reminder(status=value).get_status_display() == str(lazy_label)
