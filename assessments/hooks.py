"""What other apps may run when an assessment is recorded.

The procedures app completes a follow-up when the assessment that answers it is saved:

    from assessments import hooks
    hooks.register_recorded_handler(complete_follow_up)   # in ProceduresConfig.ready()

A handler is `fn(assessment, *, follow_up_code: UUID | None) -> None`. It runs inside the
transaction of `assessments.services.assessment_record`, after the assessment and its responses
are saved: if it raises, nothing is saved. A `ValueError` it raises reaches the clinician as the
form's message (e.g. "This follow-up is already done").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

RecordedHandler = Callable[..., None]

_handlers: list[RecordedHandler] = []


def register_recorded_handler(fn: RecordedHandler) -> RecordedHandler:
    """Add a handler; registering the same function again is harmless."""
    if fn not in _handlers:
        _handlers.append(fn)
    return fn


def unregister_recorded_handler(fn: RecordedHandler) -> None:
    """For tests that register handlers of their own."""
    if fn in _handlers:
        _handlers.remove(fn)


def recorded_handlers() -> tuple[RecordedHandler, ...]:
    return tuple(_handlers)


def run_recorded_handlers(assessment: Any, *, follow_up_code: uuid.UUID | None) -> None:
    for handler in tuple(_handlers):
        handler(assessment, follow_up_code=follow_up_code)
