from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "clinic.reminders"
    label = "reminders"
    verbose_name = "Reminders and notifications"

    def ready(self) -> None:
        from clinic.reminders import checks  # noqa: F401 - registers the system check
        from clinic.reminders.kinds import register_builtin_kinds

        register_builtin_kinds()
