from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from assessments import reminders
        from clinic.lib import record_version

        # The PHQ-9 item 9 alert and the "reassessment due" rule (clinic/reminders).
        reminders.register()

        # The rows of a patient's record, for its version (the chart is kept under it).
        record_version.register("assessments.Assessment")
        record_version.register("assessments.InstrumentResponse", via="assessment")
        record_version.register("assessments.GoalMeasure", via="goal")
