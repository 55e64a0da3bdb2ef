from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from assessments import reminders

        # The PHQ-9 item 9 alert and the "reassessment due" rule (clinic/reminders).
        reminders.register()
