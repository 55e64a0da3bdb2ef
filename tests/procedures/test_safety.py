"""Tests for procedures.safety against Narouze 2018 and the clinic-policy defaults.

Pure functions: no database, no Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from procedures.safety import (
    ACTIONS,
    DRUG_NAMES,
    HOLD_TABLE,
    RISKS,
    CheckResult,
    HoldRule,
    LabPolicy,
    SafetyRuleError,
    check_anc,
    check_anticoagulant,
    check_inr,
    check_nadir,
    check_platelets,
    effective_risk,
    hold_rule,
    hold_schedule,
)

POLICY = LabPolicy()
PROCEDURE_DATE = date(2024, 6, 10)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def hours(n: int) -> timedelta:
    return timedelta(hours=n)


CONTINUE = ("continue", None, None)

# Written out from DESIGN.md section 6 (Narouze 2018), independently of the module's table:
# drug -> (high, intermediate, low), each (action, stop_before, restart_after).
EXPECTED = {
    "aspirin_primary": (
        ("stop", days(6), hours(24)),
        ("shared_decision", None, hours(24)),
        CONTINUE,
    ),
    "aspirin_secondary": (
        ("shared_decision", None, hours(24)),
        ("shared_decision", None, hours(24)),
        CONTINUE,
    ),
    "ibuprofen": (("stop", days(1), hours(24)), CONTINUE, CONTINUE),
    "diclofenac": (("stop", days(1), hours(24)), CONTINUE, CONTINUE),
    "ketorolac": (("stop", days(1), hours(24)), CONTINUE, CONTINUE),
    "etodolac": (("stop", days(2), hours(24)), CONTINUE, CONTINUE),
    "indomethacin": (("stop", days(2), hours(24)), CONTINUE, CONTINUE),
    "naproxen": (("stop", days(4), hours(24)), CONTINUE, CONTINUE),
    "meloxicam": (("stop", days(4), hours(24)), CONTINUE, CONTINUE),
    "nabumetone": (("stop", days(6), hours(24)), CONTINUE, CONTINUE),
    "oxaprozin": (("stop", days(10), hours(24)), CONTINUE, CONTINUE),
    "piroxicam": (("stop", days(10), hours(24)), CONTINUE, CONTINUE),
    "cilostazol": (("stop", days(2), hours(24)), CONTINUE, CONTINUE),
    "dipyridamole": (("stop", days(2), hours(24)), CONTINUE, CONTINUE),
    "warfarin": (
        ("stop", days(5), hours(6)),
        ("stop", days(5), hours(6)),
        ("shared_decision", None, hours(6)),
    ),
    "acenocoumarol": (
        ("stop", days(3), hours(6)),
        ("stop", days(3), hours(6)),
        ("shared_decision", None, hours(6)),
    ),
    "heparin_iv": (
        ("stop", hours(6), hours(2)),
        ("stop", hours(6), hours(2)),
        ("stop", hours(6), hours(2)),
    ),
    "heparin_sc": (
        ("stop", hours(24), hours(6)),
        ("stop", hours(6), hours(2)),
        ("stop", hours(6), hours(2)),
    ),
    "enoxaparin_prophylactic": (
        ("stop", hours(12), hours(24)),
        ("stop", hours(12), hours(24)),
        ("stop", hours(12), hours(4)),
    ),
    "enoxaparin_therapeutic": (
        ("stop", hours(24), hours(24)),
        ("stop", hours(24), hours(24)),
        ("stop", hours(24), hours(4)),
    ),
    "dalteparin": (
        ("stop", hours(24), hours(24)),
        ("stop", hours(24), hours(24)),
        ("stop", hours(24), hours(4)),
    ),
    "clopidogrel": (
        ("stop", days(7), hours(24)),
        ("stop", days(7), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "prasugrel": (
        ("stop", days(10), hours(24)),
        ("stop", days(10), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "ticagrelor": (
        ("stop", days(5), hours(24)),
        ("stop", days(5), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "dabigatran": (
        ("stop", days(5), hours(24)),
        ("stop", days(5), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "rivaroxaban": (
        ("stop", days(3), hours(24)),
        ("stop", days(3), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "apixaban": (
        ("stop", days(5), hours(24)),
        ("stop", days(5), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "edoxaban": (
        ("stop", days(3), hours(24)),
        ("stop", days(3), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
    "fondaparinux": (
        ("stop", days(4), hours(24)),
        ("stop", days(4), hours(24)),
        ("shared_decision", None, hours(24)),
    ),
}

EXPECTED_CASES = [
    pytest.param(drug, risk, expected, id=f"{drug}-{risk}")
    for drug, by_risk in EXPECTED.items()
    for risk, expected in zip(("high", "intermediate", "low"), by_risk, strict=True)
]


def all_rules() -> Iterator[tuple[str, str, HoldRule]]:
    for drug, by_risk in HOLD_TABLE.items():
        for risk, rule in by_risk.items():
            yield drug, risk, rule


# --- hold table -------------------------------------------------------------------------


def test_hold_table_covers_exactly_the_drugs_in_the_design() -> None:
    assert set(HOLD_TABLE) == set(EXPECTED)
    assert len(HOLD_TABLE) == 29


def test_every_drug_has_a_rule_for_every_risk_class() -> None:
    for drug, by_risk in HOLD_TABLE.items():
        assert set(by_risk) == set(RISKS), drug


@pytest.mark.parametrize(("drug", "risk", "expected"), EXPECTED_CASES)
def test_hold_rule_matches_the_guideline_interval(
    drug: str, risk: str, expected: tuple[str, timedelta | None, timedelta | None]
) -> None:
    rule = hold_rule(drug, risk)

    assert (rule.action, rule.stop_before, rule.restart_after) == expected


def test_every_rule_cites_narouze_2018_and_has_a_note() -> None:
    for drug, risk, rule in all_rules():
        assert "Narouze" in rule.source, (drug, risk)
        assert "Reg Anesth Pain Med 2018;43:225–262" in rule.source, (drug, risk)
        assert rule.note.strip(), (drug, risk)


def test_stop_before_is_set_only_when_the_action_is_stop() -> None:
    for drug, risk, rule in all_rules():
        assert rule.action in ACTIONS, (drug, risk)
        if rule.action == "stop":
            assert rule.stop_before is not None and rule.stop_before > timedelta(0), (drug, risk)
        else:
            assert rule.stop_before is None, (drug, risk)


def test_continued_drugs_have_no_restart_interval_and_held_drugs_have_one() -> None:
    for drug, risk, rule in all_rules():
        if rule.action == "continue":
            assert rule.restart_after is None, (drug, risk)
        else:
            assert rule.restart_after is not None and rule.restart_after > timedelta(0), (
                drug,
                risk,
            )


def test_rules_never_get_less_strict_as_procedure_risk_rises() -> None:
    strictness = {"continue": 0, "shared_decision": 1, "stop": 2}
    for drug, by_risk in HOLD_TABLE.items():
        low, intermediate, high = by_risk["low"], by_risk["intermediate"], by_risk["high"]
        assert strictness[low.action] <= strictness[intermediate.action], drug
        assert strictness[intermediate.action] <= strictness[high.action], drug
        if low.action == intermediate.action == high.action == "stop":
            assert low.stop_before is not None and intermediate.stop_before is not None
            assert high.stop_before is not None
            assert low.stop_before <= intermediate.stop_before <= high.stop_before, drug


@pytest.mark.parametrize(
    ("drug", "stop_before", "range_text"),
    [
        ("prasugrel", days(10), "7–10 days"),
        ("apixaban", days(5), "3–5 days"),
        ("dabigatran", days(5), "4–5 days"),
    ],
)
@pytest.mark.parametrize("risk", ["high", "intermediate"])
def test_a_stop_range_uses_the_longer_interval_and_the_note_gives_the_range(
    drug: str, stop_before: timedelta, range_text: str, risk: str
) -> None:
    rule = hold_rule(drug, risk)

    assert rule.stop_before == stop_before
    assert range_text in rule.note
    assert "longer interval used" in rule.note


@pytest.mark.parametrize(
    "drug",
    [
        "clopidogrel",
        "prasugrel",
        "ticagrelor",
        "enoxaparin_prophylactic",
        "enoxaparin_therapeutic",
        "dalteparin",
    ],
)
@pytest.mark.parametrize("risk", ["high", "intermediate"])
def test_a_restart_range_uses_the_longer_interval_and_the_note_gives_the_range(
    drug: str, risk: str
) -> None:
    rule = hold_rule(drug, risk)

    assert rule.restart_after == hours(24)
    assert "restart 12–24 h after (longer interval used)" in rule.note


def test_low_molecular_weight_heparin_restarts_4_h_after_a_low_risk_procedure() -> None:
    for drug in ("enoxaparin_prophylactic", "enoxaparin_therapeutic", "dalteparin"):
        rule = hold_rule(drug, "low")
        assert rule.restart_after == hours(4)
        assert "restart 4 h after" in rule.note


def test_apixaban_note_reads_as_plain_clinical_english() -> None:
    assert (
        hold_rule("apixaban", "high").note
        == "Stop 3–5 days before (longer interval used); restart 24 h after."
    )


def test_dabigatran_note_gives_six_days_for_renal_impairment() -> None:
    for risk in RISKS:
        assert "6 days if renal function is impaired" in hold_rule("dabigatran", risk).note


@pytest.mark.parametrize("drug", ["warfarin", "acenocoumarol"])
@pytest.mark.parametrize("risk", RISKS)
def test_vitamin_k_antagonist_notes_ask_for_a_normal_inr(drug: str, risk: str) -> None:
    assert "normal INR" in hold_rule(drug, risk).note


@pytest.mark.parametrize(
    "drug",
    [
        "clopidogrel",
        "prasugrel",
        "ticagrelor",
        "dabigatran",
        "rivaroxaban",
        "apixaban",
        "edoxaban",
        "fondaparinux",
        "acenocoumarol",
    ],
)
def test_low_risk_antiplatelet_or_anticoagulant_needs_a_shared_decision_explained_in_the_note(
    drug: str,
) -> None:
    rule = hold_rule(drug, "low")
    high = hold_rule(drug, "high")

    assert rule.action == "shared_decision"
    assert "shared decision" in rule.note
    # The note also tells the team how long to hold the drug if they decide to.
    assert high.stop_before is not None
    assert "If held" in rule.note
    assert f"{high.stop_before.days} days before" in rule.note


@pytest.mark.parametrize(
    "drug", ["ibuprofen", "naproxen", "piroxicam", "cilostazol", "dipyridamole"]
)
@pytest.mark.parametrize("risk", ["intermediate", "low"])
def test_nsaids_and_phosphodiesterase_inhibitors_continue_below_high_risk(
    drug: str, risk: str
) -> None:
    assert hold_rule(drug, risk).action == "continue"


def test_hold_table_cannot_be_modified() -> None:
    with pytest.raises(TypeError):
        HOLD_TABLE["apixaban"] = HOLD_TABLE["edoxaban"]  # type: ignore[index]
    with pytest.raises(TypeError):
        HOLD_TABLE["apixaban"]["low"] = HOLD_TABLE["apixaban"]["high"]  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        hold_rule("apixaban", "high").action = "continue"  # type: ignore[misc]


def test_every_drug_has_a_display_name() -> None:
    assert set(DRUG_NAMES) == set(HOLD_TABLE)


# --- bad input ----------------------------------------------------------------------------


def test_safety_rule_error_is_a_value_error() -> None:
    assert issubclass(SafetyRuleError, ValueError)


def test_hold_rule_rejects_an_unknown_drug_with_a_readable_message() -> None:
    with pytest.raises(SafetyRuleError, match=r"no hold rule for 'aspirin'.*apixaban"):
        hold_rule("aspirin", "high")


@pytest.mark.parametrize("risk", ["", "medium", "very high", "HIGH ", None, 3])
def test_hold_rule_rejects_an_unknown_risk_class(risk: object) -> None:
    with pytest.raises(SafetyRuleError, match="bleeding-risk class"):
        hold_rule("apixaban", risk)  # type: ignore[arg-type]


def test_hold_rule_accepts_exact_lower_case_keys_only_and_suggests_the_right_one() -> None:
    with pytest.raises(SafetyRuleError, match="use 'apixaban'"):
        hold_rule("Apixaban", "high")
    with pytest.raises(SafetyRuleError, match="use 'high'"):
        hold_rule("apixaban", "High")


@pytest.mark.parametrize("drug", [None, 42, ["apixaban"]])
def test_hold_rule_rejects_a_drug_that_is_not_a_string(drug: object) -> None:
    with pytest.raises(SafetyRuleError):
        hold_rule(drug, "high")  # type: ignore[arg-type]


# --- effective risk -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "high_bleeding_risk", "expected"),
    [
        ("low", False, "low"),
        ("intermediate", False, "intermediate"),
        ("high", False, "high"),
        ("low", True, "intermediate"),
        ("intermediate", True, "high"),
        ("high", True, "high"),
    ],
)
def test_effective_risk_moves_one_class_up_for_a_patient_at_high_bleeding_risk(
    base: str, high_bleeding_risk: bool, expected: str
) -> None:
    assert effective_risk(base, patient_high_bleeding_risk=high_bleeding_risk) == expected


@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("risk", ["moderate", "High", ""])
def test_effective_risk_rejects_an_unknown_risk_class(risk: str, flag: bool) -> None:
    with pytest.raises(SafetyRuleError):
        effective_risk(risk, patient_high_bleeding_risk=flag)


def test_a_high_bleeding_risk_patient_stops_an_nsaid_before_an_intermediate_procedure() -> None:
    risk = effective_risk("intermediate", patient_high_bleeding_risk=True)

    assert hold_rule("naproxen", risk).stop_before == days(4)


# --- hold schedule ------------------------------------------------------------------------


def test_apixaban_schedule_for_a_high_risk_procedure_on_a_given_date() -> None:
    procedure_at = datetime(2024, 6, 10, 9, 0)

    schedule = hold_schedule("apixaban", "high", procedure_at)

    assert schedule.stop_by == datetime(2024, 6, 5, 9, 0)
    assert schedule.stop_by is not None and schedule.stop_by.date() == date(2024, 6, 5)
    assert schedule.restart_from == datetime(2024, 6, 11, 9, 0)
    assert schedule.rule == hold_rule("apixaban", "high")
    assert (schedule.drug, schedule.risk) == ("apixaban", "high")


def test_hour_intervals_are_counted_in_hours() -> None:
    schedule = hold_schedule("heparin_iv", "low", datetime(2024, 6, 10, 9, 0))

    assert schedule.stop_by == datetime(2024, 6, 10, 3, 0)
    assert schedule.restart_from == datetime(2024, 6, 10, 11, 0)


@pytest.mark.parametrize(
    ("drug", "risk"), [("apixaban", "low"), ("aspirin_secondary", "high"), ("naproxen", "low")]
)
def test_schedule_has_no_dates_unless_the_rule_says_stop(drug: str, risk: str) -> None:
    schedule = hold_schedule(drug, risk, datetime(2024, 6, 10, 9, 0))

    assert schedule.stop_by is None
    assert schedule.restart_from is None


def test_schedule_counts_elapsed_hours_across_a_daylight_saving_change() -> None:
    london = ZoneInfo("Europe/London")
    # Clocks went forward at 01:00 on 31 March 2024.
    procedure_at = datetime(2024, 3, 31, 9, 0, tzinfo=london)

    schedule = hold_schedule("heparin_sc", "high", procedure_at)

    assert schedule.stop_by is not None
    # Subtracting datetimes of one zone compares wall clocks, so compare in UTC.
    assert procedure_at.astimezone(UTC) - schedule.stop_by.astimezone(UTC) == hours(24)
    assert schedule.stop_by.tzinfo is london
    assert (schedule.stop_by.day, schedule.stop_by.hour) == (30, 8)


def test_schedule_rejects_unknown_drug_and_risk() -> None:
    with pytest.raises(SafetyRuleError):
        hold_schedule("heparin", "high", datetime(2024, 6, 10, 9, 0))
    with pytest.raises(SafetyRuleError):
        hold_schedule("heparin_iv", "urgent", datetime(2024, 6, 10, 9, 0))


# --- anticoagulant check ------------------------------------------------------------------

PROCEDURE_AT = datetime(2024, 6, 10, 9, 0)


def test_anticoagulant_check_passes_when_the_last_dose_is_exactly_at_the_stop_time() -> None:
    result = check_anticoagulant(
        "apixaban", risk="high", procedure_at=PROCEDURE_AT, last_dose_at=datetime(2024, 6, 5, 9)
    )

    assert result.status == "pass"
    assert result.code == "anticoagulant:apixaban"


def test_anticoagulant_check_fails_when_the_last_dose_is_after_the_stop_time() -> None:
    result = check_anticoagulant(
        "apixaban",
        risk="high",
        procedure_at=PROCEDURE_AT,
        last_dose_at=datetime(2024, 6, 5, 9, 1),
    )

    assert result.status == "fail"
    assert "2024-06-05 09:00" in result.message


def test_anticoagulant_check_is_unknown_without_a_last_dose() -> None:
    result = check_anticoagulant(
        "apixaban", risk="intermediate", procedure_at=PROCEDURE_AT, last_dose_at=None
    )

    assert result.status == "unknown"
    assert "2024-06-05 09:00" in result.message


def test_anticoagulant_check_warns_when_a_shared_decision_is_needed() -> None:
    result = check_anticoagulant(
        "clopidogrel", risk="low", procedure_at=PROCEDURE_AT, last_dose_at=None
    )

    assert result.status == "warn"
    assert "shared decision" in result.message


def test_anticoagulant_check_passes_a_drug_that_is_continued() -> None:
    result = check_anticoagulant(
        "ibuprofen", risk="low", procedure_at=PROCEDURE_AT, last_dose_at=None
    )

    assert result.status == "pass"


def test_warfarin_check_reminds_that_a_normal_inr_is_also_needed() -> None:
    result = check_anticoagulant(
        "warfarin", risk="high", procedure_at=PROCEDURE_AT, last_dose_at=datetime(2024, 6, 4)
    )

    assert result.status == "pass"
    assert "normal INR" in result.message


def test_anticoagulant_check_rejects_an_unknown_drug() -> None:
    with pytest.raises(SafetyRuleError):
        check_anticoagulant("aspirin", risk="high", procedure_at=PROCEDURE_AT, last_dose_at=None)


# --- lab checks ---------------------------------------------------------------------------


def taken(days_before: int) -> date:
    return PROCEDURE_DATE - timedelta(days=days_before)


@pytest.mark.parametrize(
    ("risk", "value", "status"),
    [
        ("low", "49", "fail"),
        ("low", "50", "pass"),
        ("intermediate", "74", "fail"),
        ("intermediate", "75", "pass"),
        ("high", "74", "fail"),
        ("high", "75", "pass"),
        ("low", "0", "fail"),
    ],
)
def test_platelets_are_judged_against_the_minimum_for_the_risk_class(
    risk: str, value: str, status: str
) -> None:
    result = check_platelets(
        Decimal(value), taken(1), procedure_date=PROCEDURE_DATE, risk=risk, policy=POLICY
    )

    assert result == CheckResult("platelets", status, result.message)
    assert value in result.message


def test_platelet_minimum_comes_from_clinic_policy() -> None:
    policy = LabPolicy(platelets_min_high=100)

    result = check_platelets(
        Decimal("99"), taken(1), procedure_date=PROCEDURE_DATE, risk="high", policy=policy
    )

    assert result.status == "fail"
    assert "100" in result.message


@pytest.mark.parametrize("risk", ["intermediate", "high"])
@pytest.mark.parametrize(("value", "status"), [("1.4", "pass"), ("1.5", "fail"), ("1.0", "pass")])
def test_inr_is_judged_against_the_maximum_for_intermediate_and_high_risk(
    risk: str, value: str, status: str
) -> None:
    result = check_inr(
        Decimal(value), taken(1), procedure_date=PROCEDURE_DATE, risk=risk, policy=POLICY
    )

    assert result.status == status
    assert result.code == "inr"


def test_inr_is_not_required_for_a_low_risk_procedure() -> None:
    result = check_inr(None, None, procedure_date=PROCEDURE_DATE, risk="low", policy=POLICY)

    assert result.status == "pass"
    assert "not required for low-risk" in result.message


def test_a_raised_inr_is_still_reported_for_a_low_risk_procedure() -> None:
    result = check_inr(
        Decimal("1.5"), taken(1), procedure_date=PROCEDURE_DATE, risk="low", policy=POLICY
    )

    assert result.status == "warn"
    assert "1.5" in result.message


def test_a_normal_inr_passes_for_a_low_risk_procedure() -> None:
    result = check_inr(
        Decimal("1.4"), taken(1), procedure_date=PROCEDURE_DATE, risk="low", policy=POLICY
    )

    assert result.status == "pass"


@pytest.mark.parametrize(("value", "status"), [("0.9", "fail"), ("1.0", "pass"), ("1.00", "pass")])
def test_anc_is_judged_against_the_minimum(value: str, status: str) -> None:
    result = check_anc(Decimal(value), taken(1), procedure_date=PROCEDURE_DATE, policy=POLICY)

    assert result.status == status
    assert result.code == "anc"


def run_lab_check(code: str, value: Decimal | None, taken_at: date | None) -> CheckResult:
    if code == "platelets":
        return check_platelets(
            value, taken_at, procedure_date=PROCEDURE_DATE, risk="high", policy=POLICY
        )
    if code == "inr":
        return check_inr(value, taken_at, procedure_date=PROCEDURE_DATE, risk="high", policy=POLICY)
    return check_anc(value, taken_at, procedure_date=PROCEDURE_DATE, policy=POLICY)


GOOD_VALUES = {"platelets": Decimal("200"), "inr": Decimal("1.0"), "anc": Decimal("3.0")}
LAB_CODES = list(GOOD_VALUES)


@pytest.mark.parametrize("code", LAB_CODES)
def test_a_lab_taken_exactly_seven_days_before_is_used(code: str) -> None:
    assert run_lab_check(code, GOOD_VALUES[code], taken(7)).status == "pass"


@pytest.mark.parametrize("code", LAB_CODES)
def test_a_lab_taken_on_the_procedure_day_is_used(code: str) -> None:
    assert run_lab_check(code, GOOD_VALUES[code], taken(0)).status == "pass"


@pytest.mark.parametrize("code", LAB_CODES)
def test_a_lab_taken_eight_days_before_is_too_old_and_unknown(code: str) -> None:
    result = run_lab_check(code, GOOD_VALUES[code], taken(8))

    assert result.status == "unknown"
    assert "too old (taken 8 days before)" in result.message


@pytest.mark.parametrize("code", LAB_CODES)
def test_a_lab_taken_after_the_procedure_date_is_ignored(code: str) -> None:
    result = run_lab_check(code, GOOD_VALUES[code], PROCEDURE_DATE + timedelta(days=1))

    assert result.status == "unknown"
    assert "after the procedure date" in result.message


@pytest.mark.parametrize("code", LAB_CODES)
def test_a_missing_lab_is_unknown_never_pass(code: str) -> None:
    assert run_lab_check(code, None, None).status == "unknown"
    assert run_lab_check(code, None, taken(1)).status == "unknown"


@pytest.mark.parametrize("code", LAB_CODES)
def test_a_lab_without_a_date_is_unknown(code: str) -> None:
    result = run_lab_check(code, GOOD_VALUES[code], None)

    assert result.status == "unknown"
    assert "no date" in result.message


def test_lab_age_limit_comes_from_clinic_policy() -> None:
    policy = LabPolicy(max_lab_age=timedelta(days=3))

    result = check_anc(Decimal("2.0"), taken(4), procedure_date=PROCEDURE_DATE, policy=policy)

    assert result.status == "unknown"
    assert "too old (taken 4 days before)" in result.message


@pytest.mark.parametrize("code", LAB_CODES)
@pytest.mark.parametrize("value", ["-1", "NaN", "Infinity"])
def test_a_negative_or_non_numeric_lab_value_is_rejected(code: str, value: str) -> None:
    with pytest.raises(SafetyRuleError):
        run_lab_check(code, Decimal(value), taken(1))


def test_a_lab_date_given_as_a_datetime_is_rejected() -> None:
    with pytest.raises(TypeError, match="time zone"):
        check_anc(
            Decimal("2.0"), datetime(2024, 6, 9, 8), procedure_date=PROCEDURE_DATE, policy=POLICY
        )


@pytest.mark.parametrize("check", [check_platelets, check_inr])
def test_lab_checks_reject_an_unknown_risk_even_without_a_value(check: object) -> None:
    with pytest.raises(SafetyRuleError):
        check(None, None, procedure_date=PROCEDURE_DATE, risk="medium", policy=POLICY)  # type: ignore[operator]


@pytest.mark.parametrize(
    "changes",
    [
        {"nadir_start_days": 15},
        {"nadir_start_days": -1},
        {"platelets_min_low": -1},
        {"inr_max": Decimal("0")},
        {"anc_min": Decimal("-0.1")},
        {"max_lab_age": timedelta(days=-1)},
    ],
)
def test_an_impossible_lab_policy_is_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(SafetyRuleError):
        LabPolicy(**changes)  # type: ignore[arg-type]


def test_lab_policy_defaults_follow_the_design() -> None:
    policy = LabPolicy()

    assert (policy.platelets_min_low, policy.platelets_min_high) == (50, 75)
    assert (policy.inr_max, policy.anc_min) == (Decimal("1.4"), Decimal("1.0"))
    assert policy.max_lab_age == timedelta(days=7)
    assert (policy.nadir_start_days, policy.nadir_end_days) == (7, 14)


# --- chemotherapy nadir -------------------------------------------------------------------


def nadir(
    chemo_days_before: list[int],
    *,
    anc: str | None = None,
    anc_days_before: int | None = None,
) -> CheckResult:
    return check_nadir(
        [taken(n) for n in chemo_days_before],
        PROCEDURE_DATE,
        recent_anc=None if anc is None else Decimal(anc),
        anc_taken_at=None if anc_days_before is None else taken(anc_days_before),
        policy=POLICY,
    )


@pytest.mark.parametrize(
    ("chemo_days_before", "status"),
    [(6, "pass"), (7, "warn"), (10, "warn"), (14, "warn"), (15, "pass")],
)
def test_nadir_window_is_7_to_14_days_after_a_cycle_inclusive(
    chemo_days_before: int, status: str
) -> None:
    result = nadir([chemo_days_before])

    assert result.status == status
    assert result.code == "nadir"


def test_nadir_warning_says_how_many_days_after_chemotherapy() -> None:
    result = nadir([10])

    assert "10 days after chemotherapy on 2024-05-31" in result.message
    assert "no result recorded" in result.message


def test_nadir_passes_with_no_chemotherapy_recorded() -> None:
    assert nadir([]).status == "pass"


def test_a_cycle_planned_after_the_procedure_does_not_count() -> None:
    assert nadir([-7]).status == "pass"


def test_nadir_passes_when_a_recent_anc_after_the_cycle_meets_the_minimum() -> None:
    result = nadir([10], anc="1.0", anc_days_before=1)

    assert result.status == "pass"
    assert "ANC 1.0" in result.message


def test_nadir_warns_when_the_recent_anc_is_below_the_minimum() -> None:
    result = nadir([10], anc="0.9", anc_days_before=1)

    assert result.status == "warn"
    assert "below the minimum" in result.message


def test_nadir_warns_when_the_anc_was_taken_before_the_cycle() -> None:
    # A longer lab age so that only the timing relative to the cycle is at fault.
    result = check_nadir(
        [taken(10)],
        PROCEDURE_DATE,
        recent_anc=Decimal("4.0"),
        anc_taken_at=taken(11),
        policy=LabPolicy(max_lab_age=timedelta(days=14)),
    )

    assert result.status == "warn"
    assert "predates" in result.message


def test_nadir_warns_when_the_anc_was_taken_on_the_day_of_the_cycle() -> None:
    assert nadir([10], anc="4.0", anc_days_before=10).status == "warn"


def test_nadir_warns_when_the_anc_after_the_cycle_is_too_old() -> None:
    result = nadir([14], anc="4.0", anc_days_before=8)

    assert result.status == "warn"
    assert "too old (taken 8 days before)" in result.message


def test_nadir_warns_when_the_anc_is_dated_after_the_procedure() -> None:
    assert nadir([10], anc="4.0", anc_days_before=-1).status == "warn"


def test_nadir_uses_the_latest_cycle_in_the_window_for_weekly_regimens() -> None:
    # Cycles 14 and 7 days before; an ANC between them says nothing about the later nadir.
    assert nadir([14, 7], anc="4.0", anc_days_before=10).status == "warn"
    assert nadir([14, 7], anc="4.0", anc_days_before=3).status == "pass"


def test_nadir_ignores_cycles_outside_the_window() -> None:
    assert nadir([21, 3]).status == "pass"


def test_nadir_accepts_any_iterable_of_dates() -> None:
    result = check_nadir(
        (taken(n) for n in (30, 9)),
        PROCEDURE_DATE,
        recent_anc=None,
        anc_taken_at=None,
        policy=POLICY,
    )

    assert result.status == "warn"


def test_nadir_window_comes_from_clinic_policy() -> None:
    policy = LabPolicy(nadir_start_days=5, nadir_end_days=21)

    result = check_nadir(
        [taken(20)], PROCEDURE_DATE, recent_anc=None, anc_taken_at=None, policy=policy
    )

    assert result.status == "warn"
