"""Builders for assessments, through the service (as the app writes them), and form data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from assessments import services
from assessments.models import Assessment
from clinic.accounts.models import User
from patients.models import Patient

VALID: dict[str, dict[str, Any]] = {
    "nrs": {"score": 5},
    "bpi": {
        "worst": 8,
        "least": 3,
        "average": 6,
        "now": 5,
        "general_activity": 6,
        "mood": 5,
        "walking": 7,
        "sleep": 6,
    },
    "esas_r": {
        "pain": 6,
        "tiredness": 7,
        "drowsiness": 3,
        "nausea": 1,
        "appetite": 4,
        "shortness_of_breath": 0,
        "depression": 3,
        "anxiety": 4,
        "wellbeing": 5,
    },
    "phq9": {f"q{n}": 1 for n in range(1, 10)} | {"q9": 0},
    "gad7": {f"q{n}": 1 for n in range(1, 8)},
    "dn4": {
        "burning": True,
        "painful_cold": False,
        "electric_shocks": True,
        "tingling": True,
        "pins_and_needles": False,
        "numbness": True,
        "itching": False,
        "hypoesthesia_touch": False,
        "hypoesthesia_pinprick": False,
        "brushing": False,
    },
    "ecog": {"grade": 2},
    "kps": {"score": 60},
    "pps": {"score": 60},
}


def answers(code: str, **overrides: Any) -> dict[str, Any]:
    return {**VALID[code], **overrides}


def record(
    patient: Patient,
    *,
    by: User | None = None,
    at: dt.datetime | None = None,
    instruments: Mapping[str, Mapping[str, Any]] | None = None,
    context: str = "review",
    **description: Any,
) -> Assessment:
    return services.assessment_record(
        by=by or patient.created_by,
        patient=patient,
        assessed_at=at or timezone.now() - dt.timedelta(minutes=1),
        context=context,
        instruments=instruments if instruments is not None else {"nrs": answers("nrs")},
        **description,
    )


def record_pain(patient: Patient, value: int, *, at: dt.datetime, **kwargs: Any) -> Assessment:
    return record(patient, at=at, instruments={"nrs": {"score": value}}, **kwargs)


def form_data(
    instruments: Mapping[str, Mapping[str, Any]],
    *,
    assessed_at: dt.datetime | None = None,
    context: str = "review",
    **extra: Any,
) -> dict[str, Any]:
    """What the record page posts for these answers."""
    moment = timezone.localtime(assessed_at or timezone.now() - dt.timedelta(minutes=2))
    data: dict[str, Any] = {
        "assessed_at": moment.strftime("%Y-%m-%dT%H:%M"),
        "context": context,
        "instruments": list(instruments),
        "action": "save",
    }
    for code, given in instruments.items():
        for key, value in given.items():
            if isinstance(value, bool):
                value = "yes" if value else "no"
            data[f"{code}-{key}"] = str(value)
    data.update(extra)
    return data
