"""One time axis for a patient's story, filled by each app.

Apps register a provider in their `AppConfig.ready()`:

    from clinic.lib import timeline
    timeline.register(selectors.timeline_events)

A provider takes a patient and returns `TimelineEvent`s (chemotherapy cycles, procedures, …);
the assessments chart draws them as markers. Providers are selectors: reads only, a fixed number
of queries each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Provider = Callable[[Any], Iterable["TimelineEvent"]]

_providers: list[Provider] = []


@dataclass(frozen=True)
class TimelineEvent:
    on: dt.date
    kind: str  # a slug: "chemotherapy", "radiotherapy", "procedure", …
    label: str
    link_url: str = ""


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def events_for(patient: Any) -> list[TimelineEvent]:
    events = [event for provider in _providers for event in provider(patient)]
    return sorted(events, key=lambda event: (event.on, event.kind, event.label))
