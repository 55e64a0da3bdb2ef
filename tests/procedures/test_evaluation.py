"""The safety panel's checks (procedures/evaluation.py): pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from procedures import evaluation, safety
from procedures.evaluation import LabFact, MedicationFact, SafetyInputs

TZ = dt.UTC
DAY = dt.date(2026, 3, 20)  # a Friday
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)


def inputs(**overrides: Any) -> SafetyInputs:
    values: dict[str, Any] = {
        "procedure_date": DAY,
        "now": NOW,
        "base_risk": "intermediate",
        "marked_high_bleeding_risk": False,
        "medications": [],
        "labs": {
            "platelets": LabFact(Decimal(200), DAY - dt.timedelta(days=2)),
            "inr": LabFact(Decimal("1.1"), DAY - dt.timedelta(days=2)),
            "anc": LabFact(Decimal("3.5"), DAY - dt.timedelta(days=2)),
        },
        "chemotherapy_dates": [],
        "infection_screen": "none",
        "infection_note": "",
        "consent_recorded": True,
        "consent_date": DAY - dt.timedelta(days=10),
    }
    values.update(overrides)
    return SafetyInputs(**values)


def apixaban(**fields: Any) -> MedicationFact:
    values: dict[str, Any] = {
        "name": "Apixaban",
        "drug_class": "anticoagulant",
        "hold_key": "apixaban",
        "started_on": dt.date(2025, 1, 1),
        "stopped_on": None,
    }
    values.update(fields)
    return MedicationFact(**values)


def by_code(evaluation_result: evaluation.Evaluation) -> dict[str, dict[str, Any]]:
    return {result["code"]: result for result in evaluation_result.results}


def test_a_complete_record_passes_every_check() -> None:
    result = evaluation.evaluate(inputs())

    assert {r["status"] for r in result.results} == {"pass"}
    assert [r["code"] for r in result.results] == [
        "antithrombotics",
        "platelets",
        "inr",
        "anc",
        "nadir",
        "infection",
        "consent",
    ]
    assert evaluation.all_clear(result.results, {})


def test_running_apixaban_gives_the_last_day_and_the_restart_interval() -> None:
    result = by_code(evaluation.evaluate(inputs(medications=[apixaban()])))[
        "anticoagulant:apixaban"
    ]

    # Narouze 2018: apixaban 3–5 days before an intermediate-risk procedure (5 used).
    assert result["status"] == "unknown"
    assert result["action"] == "stop"
    assert result["last_day"] == "2026-03-14"
    assert result["stop_by"] == "2026-03-15T00:00:00+00:00"
    assert result["restart_after_hours"] == 24
    assert "2026-03-15 00:00" in result["message"]


def test_apixaban_still_running_after_the_stop_moment_fails() -> None:
    late = dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ)

    result = by_code(evaluation.evaluate(inputs(medications=[apixaban()], now=late)))

    assert result["anticoagulant:apixaban"]["status"] == "fail"
    assert "still active" in result["anticoagulant:apixaban"]["message"]


@pytest.mark.parametrize(
    ("stopped_on", "status"),
    [(dt.date(2026, 3, 14), "pass"), (dt.date(2026, 3, 15), "fail")],
)
def test_a_stop_date_is_the_last_day_of_use(stopped_on: dt.date, status: str) -> None:
    result = by_code(evaluation.evaluate(inputs(medications=[apixaban(stopped_on=stopped_on)])))

    assert result["anticoagulant:apixaban"]["status"] == status


def test_a_drug_stopped_long_before_is_not_listed() -> None:
    old = apixaban(stopped_on=DAY - dt.timedelta(days=31))

    result = by_code(evaluation.evaluate(inputs(medications=[old])))

    assert "anticoagulant:apixaban" not in result
    assert result["antithrombotics"]["status"] == "pass"


def test_a_drug_started_after_the_procedure_is_not_listed() -> None:
    later = apixaban(started_on=DAY + dt.timedelta(days=1))

    assert "anticoagulant:apixaban" not in by_code(evaluation.evaluate(inputs(medications=[later])))


def test_a_bleeding_drug_without_a_hold_rule_is_unknown() -> None:
    celecoxib = MedicationFact("Celecoxib", "nsaid", "", dt.date(2025, 1, 1), None)

    result = by_code(evaluation.evaluate(inputs(medications=[celecoxib])))

    assert result["medication:celecoxib"]["status"] == "unknown"
    assert "no hold rule" in result["medication:celecoxib"]["message"]


def test_aspirin_for_primary_prevention_is_a_shared_decision_for_intermediate_risk() -> None:
    aspirin = MedicationFact(
        "Aspirin (primary prevention)", "antiplatelet", "aspirin_primary", dt.date(2025, 1, 1), None
    )

    result = by_code(evaluation.evaluate(inputs(medications=[aspirin])))

    assert result["anticoagulant:aspirin_primary"]["status"] == "warn"
    assert result["anticoagulant:aspirin_primary"]["action"] == "shared_decision"


def test_two_antithrombotics_make_the_patient_high_bleeding_risk() -> None:
    clopidogrel = MedicationFact(
        "Clopidogrel", "antiplatelet", "clopidogrel", dt.date(2025, 1, 1), None
    )

    result = evaluation.evaluate(inputs(medications=[apixaban(), clopidogrel]))

    assert result.effective_risk == "high"
    assert "two or more antithrombotics" in result.high_bleeding_risk_reasons[0]


def test_a_plan_marked_high_bleeding_risk_moves_a_low_risk_procedure_up() -> None:
    result = evaluation.evaluate(inputs(base_risk="low", marked_high_bleeding_risk=True))

    assert result.effective_risk == "intermediate"
    assert result.high_bleeding_risk_reasons == ("marked on the plan",)


def test_an_nsaid_alone_does_not_raise_the_risk() -> None:
    ibuprofen = MedicationFact("Ibuprofen", "nsaid", "ibuprofen", dt.date(2025, 1, 1), None)
    naproxen = MedicationFact("Naproxen", "nsaid", "naproxen", dt.date(2025, 1, 1), None)

    result = evaluation.evaluate(inputs(medications=[ibuprofen, naproxen]))

    assert result.effective_risk == "intermediate"
    assert by_code(result)["anticoagulant:ibuprofen"]["status"] == "pass"


def test_platelets_of_60_fail_an_intermediate_risk_procedure_with_the_threshold_shown() -> None:
    labs = {"platelets": LabFact(Decimal(60), DAY - dt.timedelta(days=3))}

    result = by_code(evaluation.evaluate(inputs(labs=labs)))

    assert result["platelets"]["status"] == "fail"
    assert result["platelets"]["threshold"] == "≥ 75"
    assert result["platelets"]["value"] == "60"
    assert result["platelets"]["age_days"] == 3
    assert result["inr"]["status"] == "unknown"
    assert result["anc"]["status"] == "unknown"


def test_labs_older_than_the_policy_allows_are_unknown_not_pass() -> None:
    labs = {"platelets": LabFact(Decimal(300), DAY - dt.timedelta(days=8))}

    result = by_code(evaluation.evaluate(inputs(labs=labs)))

    assert result["platelets"]["status"] == "unknown"
    assert "too old" in result["platelets"]["message"]


def test_a_policy_with_other_thresholds_is_used() -> None:
    labs = {"platelets": LabFact(Decimal(80), DAY)}
    policy = safety.LabPolicy(platelets_min_low=50, platelets_min_high=100)

    result = by_code(evaluation.evaluate(inputs(labs=labs, policy=policy)))

    assert result["platelets"]["status"] == "fail"
    assert result["platelets"]["threshold"] == "≥ 100"


def test_a_chemotherapy_cycle_ten_days_before_warns_of_the_nadir() -> None:
    labs = {"platelets": LabFact(Decimal(200), DAY)}

    result = by_code(
        evaluation.evaluate(inputs(labs=labs, chemotherapy_dates=[DAY - dt.timedelta(days=10)]))
    )

    assert result["nadir"]["status"] == "warn"
    assert "10 days after chemotherapy" in result["nadir"]["message"]
    assert result["nadir"]["last_cycle"] == "2026-03-10"


def test_a_recent_good_anc_after_the_cycle_clears_the_nadir_warning() -> None:
    labs = {"anc": LabFact(Decimal("2.0"), DAY - dt.timedelta(days=1))}

    result = by_code(
        evaluation.evaluate(inputs(labs=labs, chemotherapy_dates=[DAY - dt.timedelta(days=10)]))
    )

    assert result["nadir"]["status"] == "pass"


def test_a_cycle_after_the_procedure_date_is_ignored() -> None:
    result = by_code(evaluation.evaluate(inputs(chemotherapy_dates=[DAY + dt.timedelta(days=3)])))

    assert result["nadir"]["status"] == "pass"
    assert result["nadir"]["last_cycle"] is None


@pytest.mark.parametrize(
    ("screen", "status"), [("not_assessed", "unknown"), ("none", "pass"), ("noted", "fail")]
)
def test_infection_or_neutropenia(screen: str, status: str) -> None:
    result = by_code(evaluation.evaluate(inputs(infection_screen=screen, infection_note="UTI")))

    assert result["infection"]["status"] == status


def test_consent_not_recorded_is_unknown() -> None:
    result = by_code(evaluation.evaluate(inputs(consent_recorded=False, consent_date=None)))

    assert result["consent"]["status"] == "unknown"


def test_a_duplicated_prescription_makes_one_check_with_the_worst_status() -> None:
    stopped = apixaban(stopped_on=dt.date(2026, 3, 1))
    running = apixaban()

    result = evaluation.evaluate(inputs(medications=[stopped, running]))

    apixaban_rows = [r for r in result.results if r["code"] == "anticoagulant:apixaban"]
    assert [r["status"] for r in apixaban_rows] == ["unknown"]


def test_an_unknown_risk_class_is_refused() -> None:
    with pytest.raises(safety.SafetyRuleError):
        evaluation.evaluate(inputs(base_risk="moderate"))


def test_overrides_clear_the_checks_that_did_not_pass() -> None:
    results = evaluation.evaluate(inputs(consent_recorded=False, consent_date=None)).results

    assert not evaluation.all_clear(results, {})
    assert evaluation.all_clear(results, {"consent": {"reason": "Verbal, to be signed"}})


def test_findings_compare_by_code_status_and_message() -> None:
    first = evaluation.evaluate(inputs()).results
    second = evaluation.evaluate(inputs(consent_recorded=False, consent_date=None)).results

    assert evaluation.same_findings(first, list(reversed(first)))
    assert not evaluation.same_findings(first, second)
