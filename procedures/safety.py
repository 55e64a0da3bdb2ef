"""Procedure safety rules: antithrombotic holds, lab thresholds and chemotherapy timing.

Pure module: standard library only, no database, no Django. Services call these functions
with values they have loaded and store the results in a safety review.

Drug and risk keys are exact lower-case strings (the medication catalogue and the procedure
type hold them that way); anything else raises `SafetyRuleError` rather than being guessed at.
"""

# Clinical text here uses en dashes for ranges ("3–5 days") and the multiplication sign in
# units ("×10⁹/L") on purpose, as clinicians write them.

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final, TypeAlias

__all__ = [
    "ACTIONS",
    "CHECK_STATUSES",
    "DRUG_NAMES",
    "HOLD_TABLE",
    "HOLD_TABLE_SOURCE",
    "RISKS",
    "CheckResult",
    "HoldRule",
    "HoldSchedule",
    "LabPolicy",
    "SafetyRuleError",
    "check_anc",
    "check_anticoagulant",
    "check_inr",
    "check_nadir",
    "check_platelets",
    "effective_risk",
    "hold_rule",
    "hold_schedule",
]


class SafetyRuleError(ValueError):
    """Input a safety rule cannot judge; the message is meant for a clinician."""


LOW: Final = "low"
INTERMEDIATE: Final = "intermediate"
HIGH: Final = "high"
RISKS: Final = (LOW, INTERMEDIATE, HIGH)

CONTINUE: Final = "continue"
STOP: Final = "stop"
SHARED_DECISION: Final = "shared_decision"
ACTIONS: Final = (CONTINUE, STOP, SHARED_DECISION)

PASS: Final = "pass"  # noqa: S105 (a check status, not a password)
WARN: Final = "warn"
FAIL: Final = "fail"
UNKNOWN: Final = "unknown"
CHECK_STATUSES: Final = (PASS, WARN, FAIL, UNKNOWN)

HOLD_TABLE_SOURCE: Final = (
    "Narouze S, et al. Interventional spine and pain procedures in patients on "
    "antiplatelet and anticoagulant medications (second edition). "
    "Reg Anesth Pain Med 2018;43:225–262."
)


@dataclass(frozen=True)
class HoldRule:
    """What to do with one drug before a procedure of one bleeding-risk class.

    `stop_before` is set only when `action` is "stop". `restart_after` is None when the drug
    is continued; for a shared decision it is the guideline's restart interval should the
    team decide to hold the drug.
    """

    action: str
    stop_before: timedelta | None
    restart_after: timedelta | None
    note: str
    source: str


def _stop(*, days: int = 0, hours: int = 0, restart_hours: int, note: str) -> HoldRule:
    return HoldRule(
        action=STOP,
        stop_before=timedelta(days=days, hours=hours),
        restart_after=timedelta(hours=restart_hours),
        note=note,
        source=HOLD_TABLE_SOURCE,
    )


def _shared(*, restart_hours: int, note: str) -> HoldRule:
    return HoldRule(
        action=SHARED_DECISION,
        stop_before=None,
        restart_after=timedelta(hours=restart_hours),
        note=note,
        source=HOLD_TABLE_SOURCE,
    )


def _continue(note: str) -> HoldRule:
    return HoldRule(
        action=CONTINUE,
        stop_before=None,
        restart_after=None,
        note=note,
        source=HOLD_TABLE_SOURCE,
    )


def _by_risk(*, high: HoldRule, intermediate: HoldRule, low: HoldRule) -> Mapping[str, HoldRule]:
    return MappingProxyType({HIGH: high, INTERMEDIATE: intermediate, LOW: low})


_CONTINUE_BELOW_HIGH = (
    "Continue: no need to stop for an intermediate- or low-risk procedure. A patient at high "
    "bleeding risk is assessed one risk class higher."
)


def _nsaid(days: int) -> Mapping[str, HoldRule]:
    # Narouze 2018 stops NSAIDs for about five half-lives, before high-risk procedures only.
    unit = "day" if days == 1 else "days"
    return _by_risk(
        high=_stop(
            days=days,
            restart_hours=24,
            note=f"Stop {days} {unit} before (about five half-lives); restart 24 h after.",
        ),
        intermediate=_continue(_CONTINUE_BELOW_HIGH),
        low=_continue(_CONTINUE_BELOW_HIGH),
    )


def _vitamin_k_antagonist(days: int) -> Mapping[str, HoldRule]:
    stop = _stop(
        days=days,
        restart_hours=6,
        note=(
            f"Stop {days} days before and confirm a normal INR before the procedure; "
            "restart 6 h after."
        ),
    )
    return _by_risk(
        high=stop,
        intermediate=stop,
        low=_shared(
            restart_hours=6,
            note=(
                "Low-risk procedure: shared decision with the prescriber, weighing bleeding "
                f"against thrombosis. If held: stop {days} days before, confirm a normal INR, "
                "restart 6 h after."
            ),
        ),
    )


def _low_molecular_weight_heparin(hours: int) -> Mapping[str, HoldRule]:
    # The guideline restarts 12–24 h after intermediate- and high-risk procedures; the longer
    # interval is used. After low-risk procedures it restarts 4 h after.
    stop = _stop(
        hours=hours,
        restart_hours=24,
        note=f"Stop {hours} h before; restart 12–24 h after (longer interval used).",
    )
    return _by_risk(
        high=stop,
        intermediate=stop,
        low=_stop(hours=hours, restart_hours=4, note=f"Stop {hours} h before; restart 4 h after."),
    )


# For low-risk procedures in patients on P2Y12 inhibitors, direct oral anticoagulants and
# fondaparinux, Narouze 2018 sets no fixed interval and leaves the choice to individual
# assessment of bleeding and thrombotic risk. The conservative reading taken here is a
# documented shared decision rather than silent continuation; a clinic can review it.
_LOW_RISK_SHARED = (
    "Low-risk procedure: the guideline leaves this to individual assessment, so a shared "
    "decision with the prescriber is required."
)


def _held_for_intermediate_and_high(
    *, days: int, restart_hours: int, hold_text: str
) -> Mapping[str, HoldRule]:
    stop = _stop(days=days, restart_hours=restart_hours, note=hold_text)
    return _by_risk(
        high=stop,
        intermediate=stop,
        low=_shared(restart_hours=restart_hours, note=f"{_LOW_RISK_SHARED} If held: {hold_text}"),
    )


_ASPIRIN_SECONDARY_SHARED = _shared(
    restart_hours=24,
    note=(
        "Aspirin for secondary prevention: shared decision with the prescriber; stopping it "
        "risks a cardiac or cerebrovascular event. If held: stop 6 days before; restart 24 h "
        "after."
    ),
)
_DIPYRIDAMOLE_CONTINUE = _continue(
    f"{_CONTINUE_BELOW_HIGH} If combined with aspirin, the aspirin rule applies as well."
)
_HEPARIN_IV = _stop(
    hours=6, restart_hours=2, note="Stop the infusion 6 h before; restart 2 h after."
)
_HEPARIN_SC_SHORT = _stop(hours=6, restart_hours=2, note="Stop 6 h before; restart 2 h after.")

# Drug -> risk class -> rule. Source: HOLD_TABLE_SOURCE. Where the source gives a range, the
# longer interval is used and the note gives the range. Clinics review this table as data.
HOLD_TABLE: Final[Mapping[str, Mapping[str, HoldRule]]] = MappingProxyType(
    {
        "aspirin_primary": _by_risk(
            high=_stop(
                days=6,
                restart_hours=24,
                note="Aspirin for primary prevention: stop 6 days before; restart 24 h after.",
            ),
            intermediate=_shared(
                restart_hours=24,
                note=(
                    "Aspirin for primary prevention: shared decision with the prescriber. "
                    "If held: stop 6 days before; restart 24 h after."
                ),
            ),
            low=_continue("Aspirin for primary prevention: continue for a low-risk procedure."),
        ),
        "aspirin_secondary": _by_risk(
            high=_ASPIRIN_SECONDARY_SHARED,
            intermediate=_ASPIRIN_SECONDARY_SHARED,
            low=_continue("Aspirin for secondary prevention: continue for a low-risk procedure."),
        ),
        "ibuprofen": _nsaid(1),
        "diclofenac": _nsaid(1),
        "ketorolac": _nsaid(1),
        "etodolac": _nsaid(2),
        "indomethacin": _nsaid(2),
        "naproxen": _nsaid(4),
        "meloxicam": _nsaid(4),
        "nabumetone": _nsaid(6),
        "oxaprozin": _nsaid(10),
        "piroxicam": _nsaid(10),
        "cilostazol": _by_risk(
            high=_stop(days=2, restart_hours=24, note="Stop 2 days before; restart 24 h after."),
            intermediate=_continue(_CONTINUE_BELOW_HIGH),
            low=_continue(_CONTINUE_BELOW_HIGH),
        ),
        "dipyridamole": _by_risk(
            high=_stop(
                days=2,
                restart_hours=24,
                note=(
                    "Stop 2 days before; restart 24 h after. If combined with aspirin, the "
                    "aspirin rule applies as well."
                ),
            ),
            intermediate=_DIPYRIDAMOLE_CONTINUE,
            low=_DIPYRIDAMOLE_CONTINUE,
        ),
        "warfarin": _vitamin_k_antagonist(5),
        "acenocoumarol": _vitamin_k_antagonist(3),
        "heparin_iv": _by_risk(high=_HEPARIN_IV, intermediate=_HEPARIN_IV, low=_HEPARIN_IV),
        "heparin_sc": _by_risk(
            high=_stop(hours=24, restart_hours=6, note="Stop 24 h before; restart 6 h after."),
            intermediate=_HEPARIN_SC_SHORT,
            low=_HEPARIN_SC_SHORT,
        ),
        "enoxaparin_prophylactic": _low_molecular_weight_heparin(12),
        "enoxaparin_therapeutic": _low_molecular_weight_heparin(24),
        "dalteparin": _low_molecular_weight_heparin(24),
        "clopidogrel": _held_for_intermediate_and_high(
            days=7,
            restart_hours=24,
            hold_text="Stop 7 days before; restart 12–24 h after (longer interval used).",
        ),
        "prasugrel": _held_for_intermediate_and_high(
            days=10,
            restart_hours=24,
            hold_text=(
                "Stop 7–10 days before (longer interval used); restart 12–24 h after "
                "(longer interval used)."
            ),
        ),
        "ticagrelor": _held_for_intermediate_and_high(
            days=5,
            restart_hours=24,
            hold_text="Stop 5 days before; restart 12–24 h after (longer interval used).",
        ),
        "dabigatran": _held_for_intermediate_and_high(
            days=5,
            restart_hours=24,
            hold_text=(
                "Stop 4–5 days before (longer interval used), or 6 days if renal function is "
                "impaired; restart 24 h after."
            ),
        ),
        "rivaroxaban": _held_for_intermediate_and_high(
            days=3, restart_hours=24, hold_text="Stop 3 days before; restart 24 h after."
        ),
        "apixaban": _held_for_intermediate_and_high(
            days=5,
            restart_hours=24,
            hold_text="Stop 3–5 days before (longer interval used); restart 24 h after.",
        ),
        "edoxaban": _held_for_intermediate_and_high(
            days=3, restart_hours=24, hold_text="Stop 3 days before; restart 24 h after."
        ),
        "fondaparinux": _held_for_intermediate_and_high(
            days=4, restart_hours=24, hold_text="Stop 4 days before; restart 24 h after."
        ),
    }
)

# Names for messages; the keys are exactly the keys of HOLD_TABLE.
DRUG_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aspirin_primary": "aspirin (primary prevention)",
        "aspirin_secondary": "aspirin (secondary prevention)",
        "ibuprofen": "ibuprofen",
        "diclofenac": "diclofenac",
        "ketorolac": "ketorolac",
        "etodolac": "etodolac",
        "indomethacin": "indomethacin",
        "naproxen": "naproxen",
        "meloxicam": "meloxicam",
        "nabumetone": "nabumetone",
        "oxaprozin": "oxaprozin",
        "piroxicam": "piroxicam",
        "cilostazol": "cilostazol",
        "dipyridamole": "dipyridamole",
        "warfarin": "warfarin",
        "acenocoumarol": "acenocoumarol",
        "heparin_iv": "intravenous heparin",
        "heparin_sc": "subcutaneous heparin",
        "enoxaparin_prophylactic": "enoxaparin (prophylactic dose)",
        "enoxaparin_therapeutic": "enoxaparin (therapeutic dose)",
        "dalteparin": "dalteparin",
        "clopidogrel": "clopidogrel",
        "prasugrel": "prasugrel",
        "ticagrelor": "ticagrelor",
        "dabigatran": "dabigatran",
        "rivaroxaban": "rivaroxaban",
        "apixaban": "apixaban",
        "edoxaban": "edoxaban",
        "fondaparinux": "fondaparinux",
    }
)

# Drugs whose hold also needs a normal INR before the procedure (checked by check_inr).
_NEEDS_NORMAL_INR: Final = frozenset({"warfarin", "acenocoumarol"})


def _require_risk(risk: object) -> str:
    if isinstance(risk, str) and risk in RISKS:
        return risk
    hint = ""
    if isinstance(risk, str) and risk.strip().lower() in RISKS:
        hint = f" Risk classes are lower-case: use '{risk.strip().lower()}'."
    raise SafetyRuleError(
        f"Unknown procedure bleeding-risk class {risk!r}: use 'low', 'intermediate' or "
        f"'high'.{hint}"
    )


def _require_drug(drug: object) -> str:
    if isinstance(drug, str) and drug in HOLD_TABLE:
        return drug
    hint = ""
    if isinstance(drug, str) and drug.strip().lower() in HOLD_TABLE:
        hint = f" Drug keys are lower-case: use '{drug.strip().lower()}'."
    raise SafetyRuleError(
        f"There is no hold rule for {drug!r}; check the drug's catalogue entry. "
        f"Drugs covered: {', '.join(HOLD_TABLE)}.{hint}"
    )


def hold_rule(drug: str, risk: str) -> HoldRule:
    """The rule for `drug` before a procedure of bleeding-risk class `risk`.

    Pass the effective risk (see `effective_risk`) so that the patient's own bleeding risk
    counts.
    """
    return HOLD_TABLE[_require_drug(drug)][_require_risk(risk)]


_ONE_CLASS_HIGHER: Final[Mapping[str, str]] = MappingProxyType(
    {LOW: INTERMEDIATE, INTERMEDIATE: HIGH, HIGH: HIGH}
)


def effective_risk(base_risk: str, *, patient_high_bleeding_risk: bool) -> str:
    """The procedure's risk class, one class higher for a patient at high bleeding risk.

    Narouze 2018: patients at high risk of bleeding (older age, history of bleeding,
    concurrent antithrombotics, liver cirrhosis or advanced liver disease, advanced renal
    disease) having a low- or intermediate-risk procedure are treated as intermediate or high
    risk respectively.
    """
    risk = _require_risk(base_risk)
    return _ONE_CLASS_HIGHER[risk] if patient_high_bleeding_risk else risk


@dataclass(frozen=True)
class HoldSchedule:
    """A hold rule placed on the calendar around one procedure.

    `stop_by` is the latest time for the last dose; `restart_from` the earliest time to
    restart, counted from the procedure time given. Both are None unless the rule says stop.
    """

    drug: str
    risk: str
    rule: HoldRule
    stop_by: datetime | None
    restart_from: datetime | None


def _shift(moment: datetime, delta: timedelta) -> datetime:
    # Aware datetimes move by elapsed time, so "6 h before" stays 6 real hours across a
    # daylight-saving change; the result is shown in the caller's time zone.
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment + delta
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def hold_schedule(drug: str, risk: str, procedure_at: datetime) -> HoldSchedule:
    """The stop and restart times for `drug` around a procedure at `procedure_at`."""
    rule = hold_rule(drug, risk)
    if rule.action != STOP or rule.stop_before is None or rule.restart_after is None:
        return HoldSchedule(drug=drug, risk=risk, rule=rule, stop_by=None, restart_from=None)
    return HoldSchedule(
        drug=drug,
        risk=risk,
        rule=rule,
        stop_by=_shift(procedure_at, -rule.stop_before),
        restart_from=_shift(procedure_at, rule.restart_after),
    )


@dataclass(frozen=True)
class CheckResult:
    """One safety check: `status` is "pass", "warn", "fail" or "unknown"."""

    code: str
    status: str
    message: str


def _a(risk: str) -> str:
    """The risk class with its article: "a low", "an intermediate", "a high"."""
    return f"an {risk}" if risk[:1] in "aeiou" else f"a {risk}"


def _moment_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def check_anticoagulant(
    drug: str, *, risk: str, procedure_at: datetime, last_dose_at: datetime | None
) -> CheckResult:
    """Whether the last dose of `drug` (planned or given) respects its hold rule.

    Covers every drug in HOLD_TABLE, antiplatelets and NSAIDs included. `last_dose_at` is
    None when no last dose is recorded (the drug is still running or the time is unknown).
    Pass both times in the clinic's time zone: messages show them as given.
    """
    schedule = hold_schedule(drug, risk, procedure_at)
    rule = schedule.rule
    code = f"anticoagulant:{drug}"
    name = DRUG_NAMES[drug].capitalize()
    if rule.action == CONTINUE:
        return CheckResult(code, PASS, f"{name}: continue for {_a(risk)}-risk procedure.")
    if rule.action == SHARED_DECISION:
        return CheckResult(
            code,
            WARN,
            f"{name}: a shared decision with the prescriber is needed for {_a(risk)}-risk "
            f"procedure. {rule.note}",
        )
    assert schedule.stop_by is not None
    stop_by = _moment_text(schedule.stop_by)
    inr = " A normal INR is also required." if drug in _NEEDS_NORMAL_INR else ""
    if last_dose_at is None:
        return CheckResult(
            code,
            UNKNOWN,
            f"{name}: no last dose recorded; the last dose must be no later than {stop_by}. "
            f"{rule.note}",
        )
    if last_dose_at <= schedule.stop_by:
        return CheckResult(
            code,
            PASS,
            f"{name}: last dose {_moment_text(last_dose_at)} is no later than {stop_by}.{inr}",
        )
    return CheckResult(
        code,
        FAIL,
        f"{name}: last dose {_moment_text(last_dose_at)} is later than {stop_by}. {rule.note}",
    )


@dataclass(frozen=True)
class LabPolicy:
    """Clinic policy for lab and timing checks; the defaults follow DESIGN.md section 6.

    Platelets and ANC are ×10⁹/L. `platelets_min_high` applies to intermediate- and
    high-risk procedures; `inr_max` likewise (INR is not required for low-risk procedures).
    The nadir window runs from `nadir_start_days` to `nadir_end_days` after a chemotherapy
    cycle, both days included.
    """

    platelets_min_low: int = 50
    platelets_min_high: int = 75
    inr_max: Decimal = Decimal("1.4")
    anc_min: Decimal = Decimal("1.0")
    max_lab_age: timedelta = timedelta(days=7)
    nadir_start_days: int = 7
    nadir_end_days: int = 14

    def __post_init__(self) -> None:
        if self.platelets_min_low < 0 or self.platelets_min_high < 0:
            raise SafetyRuleError("Platelet thresholds cannot be negative.")
        if self.inr_max <= 0 or self.anc_min < 0:
            raise SafetyRuleError(
                "The INR maximum must be positive and the ANC minimum not negative."
            )
        if self.max_lab_age < timedelta(0):
            raise SafetyRuleError("The maximum lab age cannot be negative.")
        if not 0 <= self.nadir_start_days <= self.nadir_end_days:
            raise SafetyRuleError(
                "The nadir window must start on or after the chemotherapy day and end on or "
                "after its start."
            )


Number: TypeAlias = Decimal | int


def _number_text(value: Number) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _require_calendar_date(value: date, what: str) -> date:
    # A datetime would be cut to its UTC or local date depending on the caller; the service
    # must choose the clinic's calendar day explicitly.
    if isinstance(value, datetime):
        raise TypeError(
            f"{what} must be a date, not a datetime; convert it in the clinic's time zone."
        )
    return value


def _require_lab_value(value: Number | None, label: str) -> None:
    if value is None:
        return
    if isinstance(value, Decimal) and not value.is_finite():
        raise SafetyRuleError(f"{label} {value} is not a number.")
    if value < 0:
        raise SafetyRuleError(f"{label} cannot be negative ({_number_text(value)}).")


def _unusable_lab(
    *,
    code: str,
    label: str,
    value: Number | None,
    taken_at: date | None,
    procedure_date: date,
    policy: LabPolicy,
) -> CheckResult | None:
    """An `unknown` result when the lab is missing, undated, too old or after the procedure."""
    _require_lab_value(value, label)
    _require_calendar_date(procedure_date, "procedure_date")
    if value is None:
        return CheckResult(code, UNKNOWN, f"{label}: no result recorded.")
    if taken_at is None:
        return CheckResult(code, UNKNOWN, f"{label} has no date; its age cannot be judged.")
    age = procedure_date - _require_calendar_date(taken_at, "taken_at")
    if age < timedelta(0):
        return CheckResult(
            code,
            UNKNOWN,
            f"{label} was taken after the procedure date ({taken_at.isoformat()}); not used.",
        )
    if age > policy.max_lab_age:
        return CheckResult(
            code,
            UNKNOWN,
            f"{label} too old (taken {age.days} days before); it must be from the "
            f"{policy.max_lab_age.days} days before the procedure.",
        )
    return None


def check_platelets(
    value: Decimal | None,
    taken_at: date | None,
    *,
    procedure_date: date,
    risk: str,
    policy: LabPolicy,
) -> CheckResult:
    """Platelet count against the minimum for the procedure's risk class."""
    risk = _require_risk(risk)
    minimum = policy.platelets_min_low if risk == LOW else policy.platelets_min_high
    unusable = _unusable_lab(
        code="platelets",
        label="Platelet count",
        value=value,
        taken_at=taken_at,
        procedure_date=procedure_date,
        policy=policy,
    )
    if unusable is not None:
        return unusable
    assert value is not None
    shown = f"Platelets {_number_text(value)} ×10⁹/L"
    if value >= minimum:
        return CheckResult(
            "platelets",
            PASS,
            f"{shown} meet the minimum of {minimum} for {_a(risk)}-risk procedure.",
        )
    return CheckResult(
        "platelets",
        FAIL,
        f"{shown} are below the minimum of {minimum} for {_a(risk)}-risk procedure.",
    )


def check_inr(
    value: Decimal | None,
    taken_at: date | None,
    *,
    procedure_date: date,
    risk: str,
    policy: LabPolicy,
) -> CheckResult:
    """INR against the maximum for intermediate- and high-risk procedures.

    For a low-risk procedure the INR is not required: the check passes, but a recent raised
    INR is still reported as a warning.
    """
    risk = _require_risk(risk)
    unusable = _unusable_lab(
        code="inr",
        label="INR",
        value=value,
        taken_at=taken_at,
        procedure_date=procedure_date,
        policy=policy,
    )
    maximum = _number_text(policy.inr_max)
    if risk == LOW:
        if unusable is None and value is not None and value > policy.inr_max:
            return CheckResult(
                "inr",
                WARN,
                f"INR {_number_text(value)} is above {maximum}. An INR is not required for "
                "low-risk procedures, but a raised value should be reviewed.",
            )
        return CheckResult("inr", PASS, "INR not required for low-risk procedures.")
    if unusable is not None:
        return unusable
    assert value is not None
    if value <= policy.inr_max:
        return CheckResult(
            "inr", PASS, f"INR {_number_text(value)} is within the maximum of {maximum}."
        )
    return CheckResult(
        "inr",
        FAIL,
        f"INR {_number_text(value)} is above the maximum of {maximum} for "
        f"{_a(risk)}-risk procedure.",
    )


def check_anc(
    value: Decimal | None,
    taken_at: date | None,
    *,
    procedure_date: date,
    policy: LabPolicy,
) -> CheckResult:
    """Absolute neutrophil count against the minimum (infection risk)."""
    unusable = _unusable_lab(
        code="anc",
        label="Neutrophil count (ANC)",
        value=value,
        taken_at=taken_at,
        procedure_date=procedure_date,
        policy=policy,
    )
    if unusable is not None:
        return unusable
    assert value is not None
    shown = f"ANC {_number_text(value)} ×10⁹/L"
    minimum = _number_text(policy.anc_min)
    if value >= policy.anc_min:
        return CheckResult("anc", PASS, f"{shown} meets the minimum of {minimum}.")
    return CheckResult("anc", FAIL, f"{shown} is below the minimum of {minimum}.")


def _nadir_anc_problem(
    *,
    cycle: date,
    recent_anc: Decimal | None,
    anc_taken_at: date | None,
    procedure_date: date,
    policy: LabPolicy,
) -> str | None:
    """Why the ANC does not clear the nadir warning, or None when it does."""
    unusable = _unusable_lab(
        code="nadir",
        label="Neutrophil count (ANC)",
        value=recent_anc,
        taken_at=anc_taken_at,
        procedure_date=procedure_date,
        policy=policy,
    )
    if unusable is not None:
        return unusable.message
    assert recent_anc is not None and anc_taken_at is not None
    # An ANC from before the cycle (often taken on the morning of treatment) says nothing
    # about the nadir that follows it.
    if anc_taken_at <= cycle:
        return f"The last ANC ({anc_taken_at.isoformat()}) predates that cycle."
    if recent_anc < policy.anc_min:
        return (
            f"ANC {_number_text(recent_anc)} ×10⁹/L is below the minimum of "
            f"{_number_text(policy.anc_min)}."
        )
    return None


def check_nadir(
    last_chemo_dates: Iterable[date],
    procedure_date: date,
    *,
    recent_anc: Decimal | None,
    anc_taken_at: date | None,
    policy: LabPolicy,
) -> CheckResult:
    """Warn when the procedure falls in the expected neutrophil nadir after chemotherapy.

    The window is `nadir_start_days`–`nadir_end_days` after a cycle, both included. A recent
    ANC taken after the latest cycle in the window and meeting `anc_min` clears the warning.
    Cycles after the procedure date are ignored here. With no cycle recorded the check
    passes: the record is what is judged.
    """
    _require_calendar_date(procedure_date, "procedure_date")
    window = f"{policy.nadir_start_days}–{policy.nadir_end_days}"
    cycles = [_require_calendar_date(cycle, "chemotherapy date") for cycle in last_chemo_dates]
    cycles_in_window = [
        cycle
        for cycle in cycles
        if policy.nadir_start_days <= (procedure_date - cycle).days <= policy.nadir_end_days
    ]
    if not cycles_in_window:
        return CheckResult(
            "nadir",
            PASS,
            f"The procedure date is not {window} days after a recorded chemotherapy cycle.",
        )
    cycle = max(cycles_in_window)
    timing = (
        f"The procedure date is {(procedure_date - cycle).days} days after chemotherapy on "
        f"{cycle.isoformat()}, in the expected nadir ({window} days)."
    )
    problem = _nadir_anc_problem(
        cycle=cycle,
        recent_anc=recent_anc,
        anc_taken_at=anc_taken_at,
        procedure_date=procedure_date,
        policy=policy,
    )
    if problem is not None:
        return CheckResult("nadir", WARN, f"{timing} {problem}")
    assert recent_anc is not None and anc_taken_at is not None
    return CheckResult(
        "nadir",
        PASS,
        f"{timing} ANC {_number_text(recent_anc)} ×10⁹/L on {anc_taken_at.isoformat()} meets "
        f"the minimum of {_number_text(policy.anc_min)}.",
    )
