"""Scoring rules, one function per instrument; each follows the source named in its spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import CheckedAnswers, InstrumentError, InstrumentScore, check_answers, mean
from .catalogue import (
    BPI_INTERFERENCE_KEYS,
    BPI_MIN_INTERFERENCE_ANSWERS,
    BPI_SEVERITY_KEYS,
    DN4,
    DN4_EXAMINATION_KEYS,
    DN4_INTERVIEW_KEYS,
    ESAS_R_EMOTIONAL_KEYS,
    ESAS_R_PHYSICAL_KEYS,
    ESAS_R_SCORED_KEYS,
    ESAS_R_SEVERE_FROM,
    GAD7,
    INSTRUMENTS,
    KPS_TO_ECOG,
    NRS,
    PHQ9,
    instrument_codes,
)

__all__ = ["score"]


def score(code: str, answers: dict[str, Any]) -> InstrumentScore:
    """Score one instrument's answers, or raise InstrumentError saying what to correct."""
    spec = INSTRUMENTS.get(code) if isinstance(code, str) else None
    if spec is None:
        raise InstrumentError(
            f"Unknown instrument {code!r}. Known instruments: {', '.join(instrument_codes())}."
        )
    return _SCORERS[spec.code](check_answers(spec, answers))


def _score_nrs(answers: CheckedAnswers) -> InstrumentScore:
    total = answers.numbers["score"]
    return InstrumentScore(total=total, band=NRS.band_for(total))


def _score_bpi(answers: CheckedAnswers) -> InstrumentScore:
    """BPI User Guide (Cleeland): severity and interference are means, not sums."""
    numbers = answers.numbers
    if numbers["least"] > numbers["worst"]:
        raise InstrumentError(
            f"BPI: 'least' pain ({numbers['least']}) cannot be above "
            f"'worst' pain ({numbers['worst']})."
        )
    severity = mean([numbers[key] for key in BPI_SEVERITY_KEYS])
    answered = [numbers[key] for key in BPI_INTERFERENCE_KEYS if key in numbers]
    interference = mean(answered) if len(answered) >= BPI_MIN_INTERFERENCE_ANSWERS else None
    return InstrumentScore(
        total=severity,
        subscores={"severity": severity, "interference": interference},
    )


def _score_esas_r(answers: CheckedAnswers) -> InstrumentScore:
    """Watanabe 2011 for the items and sums; Selby 2010 for 7-10 as severe."""
    numbers = answers.numbers
    has_other = "other" in numbers
    has_label = "other_label" in answers.texts
    if has_other and not has_label:
        raise InstrumentError(
            f"ESAS-r: the 'other' problem is scored ({numbers['other']}) but not named; "
            "give its name in 'other_label'."
        )
    if has_label and not has_other:
        raise InstrumentError(
            f"ESAS-r: the other problem '{answers.texts['other_label']}' is named but has no "
            "score; give it a score in 'other' or remove the name."
        )
    severe = {f"severe_{key}" for key, value in numbers.items() if value >= ESAS_R_SEVERE_FROM}
    return InstrumentScore(
        total=sum(numbers[key] for key in ESAS_R_SCORED_KEYS),
        subscores={
            "physical": sum(numbers[key] for key in ESAS_R_PHYSICAL_KEYS),
            "emotional": sum(numbers[key] for key in ESAS_R_EMOTIONAL_KEYS),
        },
        flags=frozenset(severe),
    )


def _score_phq9(answers: CheckedAnswers) -> InstrumentScore:
    """Kroenke 2001. q9 is flagged on any positive answer: risk does not wait for the total."""
    numbers = answers.numbers
    total = sum(numbers[f"q{number}"] for number in range(1, 10))
    flags = frozenset({"self_harm"}) if numbers["q9"] > 0 else frozenset()
    return InstrumentScore(total=total, band=PHQ9.band_for(total), flags=flags)


def _score_gad7(answers: CheckedAnswers) -> InstrumentScore:
    """Spitzer 2006."""
    total = sum(answers.numbers[f"q{number}"] for number in range(1, 8))
    return InstrumentScore(total=total, band=GAD7.band_for(total))


def _score_dn4(answers: CheckedAnswers) -> InstrumentScore:
    """Bouhassira 2005: one point per yes; 4 or more of 10 is positive."""
    interview = sum(answers.booleans[key] for key in DN4_INTERVIEW_KEYS)
    examination = sum(answers.booleans[key] for key in DN4_EXAMINATION_KEYS)
    total = interview + examination
    return InstrumentScore(
        total=total,
        band=DN4.band_for(total),
        subscores={"interview": interview, "examination": examination},
    )


def _score_ecog(answers: CheckedAnswers) -> InstrumentScore:
    """Oken 1982."""
    return InstrumentScore(total=answers.numbers["grade"])


def _score_kps(answers: CheckedAnswers) -> InstrumentScore:
    """Karnofsky 1949, with the conventional ECOG equivalent."""
    total = answers.numbers["score"]
    return InstrumentScore(total=total, subscores={"ecog_equivalent": KPS_TO_ECOG[total]})


def _score_pps(answers: CheckedAnswers) -> InstrumentScore:
    """Victoria Hospice PPSv2."""
    return InstrumentScore(total=answers.numbers["score"])


_SCORERS: dict[str, Callable[[CheckedAnswers], InstrumentScore]] = {
    "nrs": _score_nrs,
    "bpi": _score_bpi,
    "esas_r": _score_esas_r,
    "phq9": _score_phq9,
    "gad7": _score_gad7,
    "dn4": _score_dn4,
    "ecog": _score_ecog,
    "kps": _score_kps,
    "pps": _score_pps,
}
