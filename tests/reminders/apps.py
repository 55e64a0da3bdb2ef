from django.apps import AppConfig


class TestKindsConfig(AppConfig):
    """Installed only in the workers the delivery tests start (see worker_settings.py)."""

    name = "tests.reminders"
    label = "reminders_test_kinds"

    def ready(self) -> None:
        from tests.reminders.kinds import register_test_kinds

        register_test_kinds()
