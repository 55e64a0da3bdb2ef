from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Team meetings"

    def ready(self) -> None:
        from clinic.lib import timeline
        from meetings import notifications, selectors

        notifications.register_kinds()
        timeline.register(selectors.timeline_events)
