"""A system check: every registered kind of reminder has its three email templates."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from clinic.reminders import registry


@register()
def reminder_templates_exist(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for kind in registry.kinds():
        for name in kind.template_names():
            try:
                get_template(name)
            except TemplateDoesNotExist:
                errors.append(
                    Error(
                        f"Reminder kind {kind.name!r} has no template {name!r}.",
                        id="reminders.E001",
                    )
                )
    return errors
