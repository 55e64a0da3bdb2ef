from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from clinic.lib import policy, timeline
        from patients import selectors

        # The name search's similarity threshold, set on each connection as it opens.
        connection_created.connect(selectors.set_similarity_threshold, dispatch_uid="trgm")

        # Session idle timeout and two-factor rules, read on every request (cached by lib).
        policy.register_source(selectors.policy_sign_in)

        # Chemotherapy cycles and radiotherapy courses on the assessments' story chart.
        timeline.register(selectors.timeline_events)
