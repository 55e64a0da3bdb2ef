"""The kinds of reminder this app owns, and the names of the kinds other apps plug in."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinic.reminders import registry

# Owned here.
NOTIFICATION = "notification"  # notify(): an immediate in-app item
TEST = "test"  # manage.py schedule_test_reminder and the benchmark

# Declared here so their templates and rules live in one place; registered when the owning app
# plugs in (see clinic/reminders/rules.py and README.md).
REASSESSMENT_DUE = "reassessment_due"
DEVICE_REFILL_DUE = "device_refill_due"
DEVICE_BATTERY_CHECK_DUE = "device_battery_check_due"


def register_builtin_kinds() -> None:
    registry.register_kind(
        NOTIFICATION,
        label=_("Notification"),
        template="notification",
        summary=_("Something in the clinic app needs your attention."),
    )
    registry.register_kind(
        TEST,
        label=_("Test reminder"),
        template="test",
        summary=_("A test of the clinic's reminders; there is nothing to do."),
    )
