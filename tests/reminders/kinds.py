"""Test-only kinds of reminder, registered in the test process and in the workers it starts."""

from __future__ import annotations

from typing import Any

from clinic.reminders import registry

# Stands in for an app's follow-up: still due while its subject (a staff member, for the test)
# is active. Deactivating the subject plays "the follow-up was done".
FOLLOWUP = "test_followup"


def followup_still_due(reminder: Any) -> bool:
    from clinic.accounts.models import User

    return User.objects.filter(code=reminder.subject_code, is_active=True).exists()


def register_test_kinds() -> None:
    registry.register_kind(
        FOLLOWUP,
        label="Test follow-up",
        template="generic",
        summary="A test follow-up is due.",
        still_due=followup_still_due,
    )
