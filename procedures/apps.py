from __future__ import annotations

import importlib.util
import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        from clinic.lib import record_version, timeline
        from clinic.reminders import registry
        from procedures import selectors, services

        registry.register_kind(
            services.FOLLOWUP_DUE,
            label=_("Follow-up due"),
            summary=_("A procedure follow-up is due."),
            template="followup-due",
            still_due=services.followup_still_due,
        )
        timeline.register(selectors.timeline_events)
        # The rows of a patient's record, for its version (the chart is kept under it).
        record_version.register("procedures.ProcedurePlan", shows=("procedure_type",))
        record_version.register("procedures.ProcedureRecord", via="plan")
        record_version.register("procedures.FollowUp", via="plan")
        # Completing a follow-up when its assessment is saved (assessments/hooks.py). Looked up
        # rather than imported so that this app works while the assessments app has no hooks.
        if importlib.util.find_spec("assessments.hooks") is not None:
            from assessments import hooks

            hooks.register_recorded_handler(services.assessment_recorded)
        else:
            logger.warning("assessments.hooks is missing: follow-ups are not completed by it")
