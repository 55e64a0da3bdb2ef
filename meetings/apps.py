from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Team meetings"

    def ready(self) -> None:
        from clinic.lib import record_version, timeline
        from meetings import notifications, selectors

        notifications.register_kinds()
        timeline.register(selectors.timeline_events)
        # The team's decisions on a patient's time axis, for the record's version.
        record_version.register("meetings.AgendaItem", shows=("meeting",))
