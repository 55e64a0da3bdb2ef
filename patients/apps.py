from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from clinic.lib import timeline
        from patients import selectors

        # Chemotherapy cycles and radiotherapy courses on the assessments' story chart.
        timeline.register(selectors.timeline_events)
