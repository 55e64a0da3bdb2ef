from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from clinic.reminders import selectors


class UnreadCount:
    """The unread count of the top bar: one query, and only if a template shows it."""

    def __init__(self, recipient: Any) -> None:
        self._recipient = recipient

    @cached_property
    def count(self) -> int:
        if self._recipient is None:
            return 0
        return selectors.unread_count(recipient=self._recipient)

    @property
    def label(self) -> str:
        return "99+" if self.count > 99 else str(self.count)

    def __str__(self) -> str:
        return self.label


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {"unread_notifications": UnreadCount(user if signed_in else None)}
