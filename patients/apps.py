from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from clinic.accounts.models import DISPLAY_NAME_FIELDS
        from clinic.lib import policy, record_version, timeline
        from patients import selectors

        # The name search's similarity threshold, set on each connection as it opens.
        connection_created.connect(selectors.set_similarity_threshold, dispatch_uid="trgm")

        # Session idle timeout and two-factor rules, read on every request (cached by lib).
        policy.register_source(selectors.policy_sign_in)

        # Chemotherapy cycles and radiotherapy courses on the assessments' story chart.
        timeline.register(selectors.timeline_events)

        # The rows of a patient's record, for its version (the chart is kept under it).
        record_version.register("patients.Patient")
        for model in ("Diagnosis", "OncologyEvent", "LabResult", "Allergy", "Goal", "Device"):
            record_version.register(f"patients.{model}")
        record_version.register("patients.Medication", shows=("drug",))
        record_version.register("patients.CareTeamMember")
        # The thresholds the header warns with, and the staff named (not their sign-ins).
        record_version.register_shared("patients.ClinicPolicy")
        record_version.register_shared("accounts.User", columns=DISPLAY_NAME_FIELDS)
