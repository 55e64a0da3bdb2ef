"""Scores while the clinician types: what each chosen instrument scores so far.

An instrument with unanswered required items is "incomplete" (no score yet, no error); one with
an impossible answer is "invalid" with the rules' messages; a complete one is "scored".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assessments.instruments import INSTRUMENTS, InstrumentScore, InstrumentSpec, item_errors
from assessments.services import instruments_score, pain_intensity_of

EMPTY, INCOMPLETE, INVALID, SCORED = "empty", "incomplete", "invalid", "scored"


@dataclass(frozen=True)
class LiveScore:
    spec: InstrumentSpec
    state: str
    answered: int
    required: int
    score: InstrumentScore | None = None
    errors: tuple[str, ...] = ()

    @property
    def band_label(self) -> str:
        if self.score is None or not self.score.band:
            return ""
        return next((b.label for b in self.spec.bands if b.slug == self.score.band), "")

    @property
    def subscores(self) -> list[tuple[str, Any]]:
        if self.score is None:
            return []
        return [(name, value) for name, value in self.score.subscores.items()]


@dataclass(frozen=True)
class LiveSummary:
    scores: tuple[LiveScore, ...]
    pain_intensity: Decimal | None
    pain_source: str

    @property
    def self_harm(self) -> bool:
        return any(s.score and "self_harm" in s.score.flags for s in self.scores)

    @property
    def severe_flags(self) -> list[str]:
        flags: list[str] = []
        for live in self.scores:
            if live.score is None or live.spec.code != "esas_r":
                continue
            for flag in sorted(live.score.flags):
                key = flag.removeprefix("severe_")
                flags.append(live.spec.item(key).label)
        return flags


def live_scores(selected: Sequence[str], answers: Mapping[str, Mapping[str, Any]]) -> LiveSummary:
    lines = []
    scorable: dict[str, Mapping[str, Any]] = {}
    for code in selected:
        spec = INSTRUMENTS[code]
        given = answers.get(code, {})
        required = [item.key for item in spec.items if item.required]
        missing = {key for key in required if key not in given}
        problems = {k: v for k, v in item_errors(code, given).items() if k not in missing}
        answered = sum(1 for key in required if key in given)
        if problems:
            lines.append(
                LiveScore(spec, INVALID, answered, len(required), errors=tuple(problems.values()))
            )
        elif missing:
            lines.append(
                LiveScore(spec, EMPTY if not given else INCOMPLETE, answered, len(required))
            )
        else:
            scorable[code] = given
            lines.append(LiveScore(spec, SCORED, answered, len(required)))
    scored = instruments_score(scorable)
    final = tuple(
        LiveScore(
            line.spec,
            line.state,
            line.answered,
            line.required,
            scored.scores.get(line.spec.code),
            line.errors,
        )
        for line in lines
    )
    pain, source = pain_intensity_of(scored.scores, scorable)
    return LiveSummary(final, pain, source)
