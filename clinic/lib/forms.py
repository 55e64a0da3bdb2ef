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
