"""Which kinds of reminder exist, who decides whether one is still due, and the periodic rules.

Each app registers its own kinds and rules from its `AppConfig.ready()`, so this app never
imports another app's models:

    from clinic.reminders import registry

    registry.register_kind(
        "followup_due",
        label=_("Follow-up due"),
        summary=_("A procedure follow-up is due."),
        template="followup-due",            # templates/emails/reminder-followup-due-*.txt|html
        still_due=followup_still_due,       # (reminder) -> bool, asked just before sending
    )
    registry.register_rule("followups-due", followup_reminders)  # (now) -> ReminderRequests

This module imports no models, so it is safe to import anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from clinic.reminders.models import Reminder

StillDue = Callable[["Reminder"], bool]


@dataclass(frozen=True)
class ReminderKind:
    name: str
    label: Any  # a lazy translation
    template: str = "generic"
    summary: Any = ""
    still_due: StillDue | None = None

    def is_still_due(self, reminder: Reminder) -> bool:
        return True if self.still_due is None else bool(self.still_due(reminder))

    def template_names(self) -> tuple[str, str, str]:
        """Subject, text body and HTML body of this kind's emails."""
        base = f"emails/reminder-{self.template}"
        return (f"{base}-subject.txt", f"{base}-body.txt", f"{base}-body.html")


@dataclass(frozen=True)
class ReminderRequest:
    """A reminder a rule wants to exist; scheduled idempotently through its dedupe key."""

    kind: str
    dedupe_key: str
    due_at: datetime
    recipient_id: int | None = None
    recipient_contact: str = ""
    channel: str = "both"
    subject: Any = None  # a model instance with a UUID `code`
    link_url: str = ""
    urgent: bool = False
    data: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[datetime], Iterable[ReminderRequest]]


class UnknownKind(LookupError):
    """A reminder kind that no app has registered."""


_kinds: dict[str, ReminderKind] = {}
_rules: dict[str, Rule] = {}


def register_kind(
    name: str,
    *,
    label: Any,
    template: str = "generic",
    summary: Any = "",
    still_due: StillDue | None = None,
) -> ReminderKind:
    """Declare a kind. Registering the same definition again is harmless; a different one is not."""
    kind = ReminderKind(
        name=name, label=label, template=template, summary=summary, still_due=still_due
    )
    existing = _kinds.get(name)
    if existing is not None and existing != kind:
        raise ImproperlyConfigured(f"Reminder kind {name!r} is already registered differently.")
    _kinds[name] = kind
    return kind


def register_rule(name: str, rule: Rule) -> Rule:
    """Declare a periodic rule: `rule(now)` returns the reminders that should exist."""
    existing = _rules.get(name)
    if existing is not None and existing is not rule:
        raise ImproperlyConfigured(f"Reminder rule {name!r} is already registered.")
    _rules[name] = rule
    return rule


def get_kind(name: str) -> ReminderKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownKind(f"No app registers the reminder kind {name!r}.") from None


def kinds() -> list[ReminderKind]:
    return sorted(_kinds.values(), key=lambda kind: kind.name)


def rules() -> dict[str, Rule]:
    return dict(_rules)


@contextmanager
def isolated() -> Iterator[None]:
    """For tests: registrations made inside are forgotten, and those made before come back."""
    kinds, rules = dict(_kinds), dict(_rules)
    try:
        yield
    finally:
        _kinds.clear()
        _kinds.update(kinds)
        _rules.clear()
        _rules.update(rules)


def unregister_kind(name: str) -> None:
    """For tests that register kinds of their own."""
    _kinds.pop(name, None)


def unregister_rule(name: str) -> None:
    """For tests that register rules of their own."""
    _rules.pop(name, None)
