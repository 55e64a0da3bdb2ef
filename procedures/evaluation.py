"""The safety panel of a procedure plan: every check for one procedure date, as plain data.

Pure module: standard library and `procedures.safety` only, no database. The selectors load
the patient's medications, labs and chemotherapy cycles into the dataclasses below; `evaluate`
turns them into check results that a safety review stores as JSON.

Choices made here (README.md repeats them):
- The procedure day starts at 00:00 in the clinic's time zone for the stop intervals (the
  planned time is not recorded, so the earliest possible time is assumed). The restart
  interval is counted from the end of the procedure and shown as such.
- A medication's stop date is its last day of use: the last dose is taken as 23:59 that day.
  A medication still running with no stop date has no known last dose: `unknown`, with the
  date to stop by; once that moment has passed it is a `fail` (the drug was not stopped).
- A patient is at high bleeding risk when the plan says so (clinician's judgement: age,
  bleeding history, liver or renal disease) or when two or more anticoagulants or
  antiplatelets are active at once (Narouze 2018 names concurrent antithrombotics).
- Infection or neutropenia not yet assessed and consent not yet recorded are `unknown`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from procedures import safety

ANTITHROMBOTIC_CLASSES = frozenset({"anticoagulant", "antiplatelet"})
BLEEDING_CLASSES = frozenset({"anticoagulant", "antiplatelet", "nsaid"})

# Worst first: the order a panel summarises statuses in.
SEVERITY = {safety.FAIL: 3, safety.UNKNOWN: 2, safety.WARN: 1, safety.PASS: 0}


@dataclass(frozen=True)
class MedicationFact:
    """One medication line of the record, as the safety rules need it."""

    name: str
    drug_class: str
    hold_key: str
    started_on: dt.date
    stopped_on: dt.date | None


@dataclass(frozen=True)
class LabFact:
    value: Decimal
    taken_on: dt.date


@dataclass(frozen=True)
class SafetyInputs:
    procedure_date: dt.date
    now: dt.datetime  # aware, in the clinic's time zone
    base_risk: str
    marked_high_bleeding_risk: bool
    medications: Sequence[MedicationFact]
    labs: dict[str, LabFact]  # "platelets", "inr", "anc"
    chemotherapy_dates: Sequence[dt.date]
    infection_screen: str  # "not_assessed", "none", "noted"
    infection_note: str
    consent_recorded: bool
    consent_date: dt.date | None
    policy: safety.LabPolicy = field(default_factory=safety.LabPolicy)


@dataclass(frozen=True)
class Evaluation:
    base_risk: str
    effective_risk: str
    high_bleeding_risk_reasons: tuple[str, ...]
    results: list[dict[str, Any]]


def _day_start(day: dt.date, tz: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)


def _last_dose(medication: MedicationFact, tz: dt.tzinfo | None) -> dt.datetime | None:
    if medication.stopped_on is None:
        return None
    return dt.datetime.combine(medication.stopped_on, dt.time(23, 59), tzinfo=tz)


def relevant_medications(
    medications: Iterable[MedicationFact], procedure_date: dt.date
) -> list[MedicationFact]:
    """Bleeding-class medications that may still act on the procedure date.

    Started by the procedure date and not stopped more than 30 days before it (the longest
    hold in the table is 10 days).
    """
    horizon = procedure_date - dt.timedelta(days=30)
    return [
        m
        for m in medications
        if m.drug_class in BLEEDING_CLASSES
        and m.started_on <= procedure_date
        and (m.stopped_on is None or m.stopped_on >= horizon)
    ]


def high_bleeding_risk_reasons(
    inputs: SafetyInputs, medications: Sequence[MedicationFact]
) -> tuple[str, ...]:
    reasons = []
    if inputs.marked_high_bleeding_risk:
        reasons.append("marked on the plan")
    running = {
        m.name
        for m in medications
        if m.drug_class in ANTITHROMBOTIC_CLASSES
        and (m.stopped_on is None or m.stopped_on >= inputs.procedure_date)
    }
    if len(running) >= 2:
        reasons.append(f"two or more antithrombotics ({', '.join(sorted(running))})")
    return tuple(reasons)


def _medication_result(
    medication: MedicationFact, *, risk: str, inputs: SafetyInputs
) -> dict[str, Any]:
    tz = inputs.now.tzinfo
    if not medication.hold_key:
        return {
            "code": f"medication:{medication.name.lower()}",
            "status": safety.UNKNOWN,
            "message": (
                f"{medication.name}: the catalogue gives no hold rule for this drug; decide "
                "with the prescriber and record the decision."
            ),
            "drug": medication.name,
        }
    procedure_at = _day_start(inputs.procedure_date, tz)
    last_dose = _last_dose(medication, tz)
    result = safety.check_anticoagulant(
        medication.hold_key, risk=risk, procedure_at=procedure_at, last_dose_at=last_dose
    )
    schedule = safety.hold_schedule(medication.hold_key, risk, procedure_at)
    rule = schedule.rule
    status, message = result.status, result.message
    if (
        status == safety.UNKNOWN
        and last_dose is None
        and schedule.stop_by is not None
        and inputs.now > schedule.stop_by
    ):
        # Still running after the moment it had to stop by: the hold did not happen.
        status = safety.FAIL
        message = (
            f"{medication.name} is still active with no stop date, but the last dose had to "
            f"be no later than {schedule.stop_by:%Y-%m-%d %H:%M}. {rule.note}"
        )
    restart_hours = (
        int(rule.restart_after.total_seconds() // 3600) if rule.restart_after is not None else None
    )
    return {
        "code": result.code,
        "status": status,
        "message": message,
        "drug": medication.name,
        "action": rule.action,
        "stop_by": schedule.stop_by.isoformat() if schedule.stop_by else None,
        "last_day": (schedule.stop_by - dt.timedelta(minutes=1)).date().isoformat()
        if schedule.stop_by
        else None,
        "restart_after_hours": restart_hours,
        "stopped_on": medication.stopped_on.isoformat() if medication.stopped_on else None,
        "source": rule.source,
    }


def _lab_detail(fact: LabFact | None, procedure_date: dt.date) -> dict[str, Any]:
    if fact is None:
        return {"value": None, "taken_on": None, "age_days": None}
    return {
        "value": format(fact.value.normalize(), "f"),
        "taken_on": fact.taken_on.isoformat(),
        "age_days": (procedure_date - fact.taken_on).days,
    }


def _as_dict(result: safety.CheckResult, **extra: Any) -> dict[str, Any]:
    return {"code": result.code, "status": result.status, "message": result.message, **extra}


def _lab_results(inputs: SafetyInputs, risk: str) -> list[dict[str, Any]]:
    policy, day = inputs.policy, inputs.procedure_date
    platelets, inr, anc = (inputs.labs.get(test) for test in ("platelets", "inr", "anc"))
    minimum = policy.platelets_min_low if risk == safety.LOW else policy.platelets_min_high
    return [
        _as_dict(
            safety.check_platelets(
                platelets and platelets.value,
                platelets and platelets.taken_on,
                procedure_date=day,
                risk=risk,
                policy=policy,
            ),
            **_lab_detail(platelets, day),
            threshold=f"≥ {minimum}",
        ),
        _as_dict(
            safety.check_inr(
                inr and inr.value,
                inr and inr.taken_on,
                procedure_date=day,
                risk=risk,
                policy=policy,
            ),
            **_lab_detail(inr, day),
            threshold=f"≤ {format(policy.inr_max.normalize(), 'f')}",
        ),
        _as_dict(
            safety.check_anc(
                anc and anc.value, anc and anc.taken_on, procedure_date=day, policy=policy
            ),
            **_lab_detail(anc, day),
            threshold=f"≥ {format(policy.anc_min.normalize(), 'f')}",
        ),
    ]


def _nadir_result(inputs: SafetyInputs) -> dict[str, Any]:
    anc = inputs.labs.get("anc")
    past_cycles = [day for day in inputs.chemotherapy_dates if day <= inputs.procedure_date]
    result = safety.check_nadir(
        past_cycles,
        inputs.procedure_date,
        recent_anc=anc and anc.value,
        anc_taken_at=anc and anc.taken_on,
        policy=inputs.policy,
    )
    latest = max(past_cycles, default=None)
    return _as_dict(result, last_cycle=latest.isoformat() if latest else None)


def _infection_result(inputs: SafetyInputs) -> dict[str, Any]:
    note = f" ({inputs.infection_note})" if inputs.infection_note else ""
    if inputs.infection_screen == "noted":
        return {
            "code": "infection",
            "status": safety.FAIL,
            "message": f"Active infection or neutropenia is noted on the plan{note}.",
        }
    if inputs.infection_screen == "none":
        return {
            "code": "infection",
            "status": safety.PASS,
            "message": f"No active infection or neutropenia noted{note}.",
        }
    return {
        "code": "infection",
        "status": safety.UNKNOWN,
        "message": "Active infection or neutropenia has not been assessed on the plan.",
    }


def _consent_result(inputs: SafetyInputs) -> dict[str, Any]:
    if inputs.consent_recorded:
        when = f" on {inputs.consent_date.isoformat()}" if inputs.consent_date else ""
        return {"code": "consent", "status": safety.PASS, "message": f"Consent recorded{when}."}
    return {"code": "consent", "status": safety.UNKNOWN, "message": "Consent not yet recorded."}


def _worst_per_code(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Two lines of the same drug (a duplicate prescription) make one check: the worst counts.
    kept: dict[str, dict[str, Any]] = {}
    for result in results:
        current = kept.get(result["code"])
        if current is None or SEVERITY[result["status"]] > SEVERITY[current["status"]]:
            kept[result["code"]] = result
    return list(kept.values())


def evaluate(inputs: SafetyInputs) -> Evaluation:
    """Every check of the safety panel for `inputs.procedure_date`."""
    medications = relevant_medications(inputs.medications, inputs.procedure_date)
    reasons = high_bleeding_risk_reasons(inputs, medications)
    risk = safety.effective_risk(inputs.base_risk, patient_high_bleeding_risk=bool(reasons))
    drug_results = [_medication_result(m, risk=risk, inputs=inputs) for m in medications]
    if not drug_results:
        drug_results = [
            {
                "code": "antithrombotics",
                "status": safety.PASS,
                "message": "No anticoagulant, antiplatelet or NSAID is recorded as active.",
            }
        ]
    results = [
        *_worst_per_code(drug_results),
        *_lab_results(inputs, risk),
        _nadir_result(inputs),
        _infection_result(inputs),
        _consent_result(inputs),
    ]
    return Evaluation(
        base_risk=inputs.base_risk,
        effective_risk=risk,
        high_bleeding_risk_reasons=reasons,
        results=results,
    )


def all_clear(results: Iterable[dict[str, Any]], overrides: dict[str, Any]) -> bool:
    """Every check passed or was overridden with a reason."""
    return all(r["status"] == safety.PASS or r["code"] in overrides for r in results)


def same_findings(first: Iterable[dict[str, Any]], second: Iterable[dict[str, Any]]) -> bool:
    """Whether two evaluations say the same (codes, statuses and messages)."""

    def key(results: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
        return sorted((r["code"], r["status"], r["message"]) for r in results)

    return key(first) == key(second)
