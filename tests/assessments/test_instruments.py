"""Instrument scoring against the published rules (sources named in each instrument's spec)."""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assessments import instruments
from assessments.instruments import (
    INSTRUMENTS,
    InstrumentError,
    InstrumentScore,
    instrument_codes,
    score,
)

ESAS_R_ITEMS = (
    "pain",
    "tiredness",
    "drowsiness",
    "nausea",
    "appetite",
    "shortness_of_breath",
    "depression",
    "anxiety",
    "wellbeing",
)
BPI_INTERFERENCE = (
    "general_activity",
    "mood",
    "walking",
    "work",
    "relations",
    "sleep",
    "enjoyment",
)
DN4_ITEMS = (
    "burning",
    "painful_cold",
    "electric_shocks",
    "tingling",
    "pins_and_needles",
    "numbness",
    "itching",
    "hypoesthesia_touch",
    "hypoesthesia_pinprick",
    "brushing",
)


def valid_answers(code: str) -> dict[str, Any]:
    """A fresh, complete, valid set of answers with every required item."""
    answers: dict[str, dict[str, Any]] = {
        "nrs": {"score": 5},
        "bpi": {"worst": 8, "least": 2, "average": 5, "now": 4},
        "esas_r": dict.fromkeys(ESAS_R_ITEMS, 0),
        "phq9": {f"q{n}": 0 for n in range(1, 10)},
        "gad7": {f"q{n}": 0 for n in range(1, 8)},
        "dn4": dict.fromkeys(DN4_ITEMS, False),
        "ecog": {"grade": 1},
        "kps": {"score": 80},
        "pps": {"score": 60},
    }
    return dict(answers[code])


def frequency_answers(item_count: int, total: int) -> dict[str, int]:
    """PHQ/GAD answers adding up to `total`, filling q1 first so the last item stays 0 longest."""
    answers = {}
    for number in range(1, item_count + 1):
        answers[f"q{number}"] = min(3, total)
        total -= answers[f"q{number}"]
    assert total == 0
    return answers


def bpi_with_interference(values: list[int]) -> dict[str, Any]:
    return valid_answers("bpi") | dict(zip(BPI_INTERFERENCE, values, strict=False))


def error_for(code: str, answers: Any) -> str:
    with pytest.raises(InstrumentError) as caught:
        score(code, answers)
    return str(caught.value)


REQUIRED_ITEMS = [
    (code, item.key) for code, spec in INSTRUMENTS.items() for item in spec.items if item.required
]


# --- The catalogue ---------------------------------------------------------------------------


def test_instrument_codes_are_the_nine_instruments_in_form_order():
    assert instrument_codes() == (
        "nrs",
        "bpi",
        "esas_r",
        "phq9",
        "gad7",
        "dn4",
        "ecog",
        "kps",
        "pps",
    )
    assert set(INSTRUMENTS) == set(instrument_codes())


@pytest.mark.parametrize(
    ("code", "required", "optional"),
    [
        ("nrs", {"score"}, set()),
        ("bpi", {"worst", "least", "average", "now"}, {"relief", *BPI_INTERFERENCE}),
        ("esas_r", set(ESAS_R_ITEMS), {"other", "other_label"}),
        ("phq9", {f"q{n}" for n in range(1, 10)}, {"difficulty"}),
        ("gad7", {f"q{n}" for n in range(1, 8)}, set()),
        ("dn4", set(DN4_ITEMS), set()),
        ("ecog", {"grade"}, set()),
        ("kps", {"score"}, set()),
        ("pps", {"score"}, set()),
    ],
)
def test_each_instrument_has_the_answer_keys_of_the_design(code, required, optional):
    items = INSTRUMENTS[code].items
    assert {item.key for item in items if item.required} == required
    assert {item.key for item in items if not item.required} == optional


@pytest.mark.parametrize(
    ("code", "author"),
    [
        ("nrs", "NCCN"),
        ("bpi", "Cleeland"),
        ("esas_r", "Watanabe"),
        ("esas_r", "Selby"),
        ("phq9", "Kroenke"),
        ("gad7", "Spitzer"),
        ("dn4", "Bouhassira"),
        ("ecog", "Oken"),
        ("kps", "Karnofsky"),
        ("pps", "Victoria Hospice"),
    ],
)
def test_each_instrument_names_its_source(code, author):
    assert author in INSTRUMENTS[code].source


@pytest.mark.parametrize("code", instrument_codes())
def test_every_item_describes_itself_for_a_form(code):
    spec = INSTRUMENTS[code]
    assert spec.code == code
    assert spec.name
    assert spec.title
    assert spec.scoring
    for item in spec.items:
        assert item.label
        assert item.question
        if item.kind == "text":
            assert item.allowed_values == ()
        else:
            assert item.allowed_values
        if item.choices:
            assert tuple(choice.value for choice in item.choices) == item.allowed_values


@pytest.mark.parametrize(("code", "key"), [("phq9", "q1"), ("phq9", "q9"), ("gad7", "q7")])
def test_phq9_and_gad7_items_use_the_standard_frequency_labels(code, key):
    labels = [choice.label for choice in INSTRUMENTS[code].item(key).choices]
    assert labels == ["Not at all", "Several days", "More than half the days", "Nearly every day"]


def test_performance_scales_label_every_level():
    assert INSTRUMENTS["ecog"].item("grade").allowed_values == (0, 1, 2, 3, 4, 5)
    assert len(INSTRUMENTS["ecog"].item("grade").choices) == 6
    assert INSTRUMENTS["kps"].item("score").allowed_values == tuple(range(0, 101, 10))
    assert len(INSTRUMENTS["kps"].item("score").choices) == 11
    assert INSTRUMENTS["pps"].item("score").allowed_values == tuple(range(0, 101, 10))


def test_instrument_modules_import_only_the_standard_library():
    package = Path(instruments.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", (module.name, name)


@pytest.mark.parametrize("code", instrument_codes())
def test_valid_answers_score_for_every_instrument(code):
    result = score(code, valid_answers(code))
    assert isinstance(result, InstrumentScore)
    assert isinstance(result.flags, frozenset)
    assert isinstance(result.subscores, dict)


def test_a_score_cannot_be_changed_after_it_is_computed():
    result = score("nrs", {"score": 3})
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 9  # type: ignore[misc]


def test_scoring_does_not_change_the_answers_given():
    answers = valid_answers("bpi") | {"mood": None}
    before = dict(answers)
    score("bpi", answers)
    assert answers == before


# --- NRS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_nrs_band_changes_at_each_published_boundary(rating, band):
    result = score("nrs", {"score": rating})
    assert result.total == rating
    assert result.band == band
    assert result.subscores == {}
    assert result.flags == frozenset()


# --- BPI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("worst", "least", "average", "now", "severity"),
    [
        (8, 2, 5, 4, Decimal("4.75")),
        (10, 0, 5, 5, Decimal("5.00")),
        (7, 3, 6, 5, Decimal("5.25")),
        (0, 0, 0, 0, Decimal("0.00")),
        (10, 10, 10, 10, Decimal("10.00")),
    ],
)
def test_bpi_total_is_the_mean_of_the_four_severity_items(worst, least, average, now, severity):
    result = score("bpi", {"worst": worst, "least": least, "average": average, "now": now})
    assert result.total == severity
    assert isinstance(result.total, Decimal)
    assert result.total.as_tuple().exponent == -2
    assert result.subscores["severity"] == severity


def test_bpi_has_no_band_because_its_user_guide_sets_none():
    assert score("bpi", valid_answers("bpi")).band is None


@pytest.mark.parametrize(
    ("answered", "interference"),
    [
        ([], None),
        ([6, 4, 2], None),
        ([6, 4, 2, 0], Decimal("3.00")),
        ([6, 4, 2, 0, 3], Decimal("3.00")),
        ([10, 10, 10, 10, 10, 10, 10], Decimal("10.00")),
    ],
)
def test_bpi_interference_needs_at_least_four_of_seven_answers(answered, interference):
    result = score("bpi", bpi_with_interference(answered))
    assert result.subscores["interference"] == interference


@pytest.mark.parametrize(
    ("answered", "interference"),
    [
        ([1, 0, 0, 0, 0, 0], Decimal("0.17")),
        ([4, 1, 1, 1, 1, 1, 1], Decimal("1.43")),
        ([1, 0, 0, 0, 0, 0, 0], Decimal("0.14")),
    ],
)
def test_bpi_interference_mean_is_rounded_to_two_places(answered, interference):
    assert score("bpi", bpi_with_interference(answered)).subscores["interference"] == interference


def test_bpi_interference_items_left_empty_count_as_unanswered():
    answers = bpi_with_interference([5, 5, 5]) | {"sleep": None, "enjoyment": None}
    assert score("bpi", answers).subscores["interference"] is None


def test_bpi_rejects_least_pain_above_worst_pain():
    answers = {"worst": 5, "least": 8, "average": 6, "now": 6}
    assert error_for("bpi", answers) == "BPI: 'least' pain (8) cannot be above 'worst' pain (5)."


def test_bpi_accepts_least_pain_equal_to_worst_pain():
    result = score("bpi", {"worst": 6, "least": 6, "average": 6, "now": 6})
    assert result.total == Decimal("6.00")


@pytest.mark.parametrize("relief", range(0, 101, 10))
def test_bpi_accepts_relief_in_steps_of_ten_percent(relief):
    result = score("bpi", valid_answers("bpi") | {"relief": relief})
    assert result.subscores == score("bpi", valid_answers("bpi")).subscores


@pytest.mark.parametrize("relief", [5, 35, 95, 1, 99])
def test_bpi_rejects_relief_between_the_ten_percent_steps(relief):
    message = error_for("bpi", valid_answers("bpi") | {"relief": relief})
    assert message == (f"BPI: 'relief' must be in steps of 10 (0, 10, … 100), not {relief}.")


@pytest.mark.parametrize("relief", [-10, 110])
def test_bpi_rejects_relief_outside_zero_to_one_hundred(relief):
    message = error_for("bpi", valid_answers("bpi") | {"relief": relief})
    assert message == f"BPI: 'relief' must be between 0 and 100, not {relief}."


# --- ESAS-r ----------------------------------------------------------------------------------


def test_esas_r_total_is_the_sum_of_nine_with_physical_and_emotional_subscores():
    answers = dict(zip(ESAS_R_ITEMS, range(1, 10), strict=True))
    result = score("esas_r", answers)
    assert result.total == 45
    assert result.subscores == {"physical": 1 + 2 + 3 + 4 + 5 + 6, "emotional": 7 + 8}
    assert result.band is None
    assert result.flags == {"severe_depression", "severe_anxiety", "severe_wellbeing"}


def test_esas_r_total_reaches_ninety_when_every_item_is_ten():
    result = score("esas_r", dict.fromkeys(ESAS_R_ITEMS, 10))
    assert result.total == 90
    assert result.subscores == {"physical": 60, "emotional": 20}
    assert result.flags == {f"severe_{item}" for item in ESAS_R_ITEMS}


@pytest.mark.parametrize("item", ESAS_R_ITEMS)
@pytest.mark.parametrize(("rating", "severe"), [(6, False), (7, True)])
def test_esas_r_flags_an_item_as_severe_from_seven_not_six(item, rating, severe):
    result = score("esas_r", valid_answers("esas_r") | {item: rating})
    assert (f"severe_{item}" in result.flags) is severe
    assert len(result.flags) == int(severe)


def test_esas_r_other_problem_is_flagged_when_severe_but_not_added_to_the_total():
    answers = valid_answers("esas_r") | {"other": 8, "other_label": "Constipation"}
    result = score("esas_r", answers)
    assert result.total == 0
    assert result.flags == {"severe_other"}


def test_esas_r_other_problem_below_seven_is_not_flagged():
    answers = valid_answers("esas_r") | {"other": 6, "other_label": "Constipation"}
    assert score("esas_r", answers).flags == frozenset()


@pytest.mark.parametrize("label", [None, "", "   "])
def test_esas_r_rejects_an_other_score_without_a_label(label):
    answers = valid_answers("esas_r") | {"other": 4, "other_label": label}
    assert "other_label" in error_for("esas_r", answers)


def test_esas_r_rejects_an_other_label_without_a_score():
    message = error_for("esas_r", valid_answers("esas_r") | {"other_label": "Itch"})
    assert message.startswith("ESAS-r: the other problem 'Itch' is named but has no score")


def test_esas_r_rejects_an_other_label_that_is_not_text():
    message = error_for("esas_r", valid_answers("esas_r") | {"other": 3, "other_label": 3})
    assert message == "ESAS-r: 'other_label' (name of the other problem) must be text, not 3."


# --- PHQ-9 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_changes_at_each_published_boundary(total, band):
    result = score("phq9", frequency_answers(9, total))
    assert result.total == total
    assert result.band == band


@pytest.mark.parametrize("q9", [1, 2, 3])
def test_phq9_flags_self_harm_whenever_item_nine_is_positive_however_low_the_total(q9):
    result = score("phq9", valid_answers("phq9") | {"q9": q9})
    assert result.total == q9
    assert result.band == "minimal"
    assert result.flags == {"self_harm"}


def test_phq9_does_not_flag_self_harm_when_item_nine_is_zero_even_if_severe():
    result = score("phq9", frequency_answers(9, 24))
    assert result.band == "severe"
    assert result.flags == frozenset()


@pytest.mark.parametrize("difficulty", [0, 1, 2, 3, None])
def test_phq9_difficulty_is_recorded_but_not_scored(difficulty):
    result = score("phq9", frequency_answers(9, 6) | {"difficulty": difficulty})
    assert result.total == 6
    assert result.band == "mild"


def test_phq9_rejects_difficulty_out_of_range():
    message = error_for("phq9", valid_answers("phq9") | {"difficulty": 4})
    assert message == "PHQ-9: 'difficulty' must be between 0 and 3, not 4."


# --- GAD-7 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_changes_at_each_published_boundary(total, band):
    result = score("gad7", frequency_answers(7, total))
    assert result.total == total
    assert result.band == band
    assert result.flags == frozenset()


# --- DN4 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes_count", "band"),
    [(0, "negative"), (3, "negative"), (4, "positive"), (10, "positive")],
)
def test_dn4_is_positive_from_four_yes_answers(yes_count, band):
    answers = {item: index < yes_count for index, item in enumerate(DN4_ITEMS)}
    result = score("dn4", answers)
    assert result.total == yes_count
    assert result.band == band


def test_dn4_reports_interview_and_examination_separately():
    answers = valid_answers("dn4") | {"burning": True, "tingling": True, "brushing": True}
    assert score("dn4", answers).subscores == {"interview": 2, "examination": 1}


@pytest.mark.parametrize("value", [1, 0, "yes", "True", 1.0])
def test_dn4_accepts_only_real_booleans(value):
    message = error_for("dn4", valid_answers("dn4") | {"numbness": value})
    assert message.startswith("DN4: 'numbness' must be yes (True) or no (False), not ")


# --- Performance status ----------------------------------------------------------------------


@pytest.mark.parametrize("grade", range(6))
def test_ecog_total_is_the_grade_without_a_band(grade):
    result = score("ecog", {"grade": grade})
    assert result.total == grade
    assert result.band is None


@pytest.mark.parametrize(
    ("kps", "ecog"),
    [
        (100, 0),
        (90, 0),
        (80, 1),
        (70, 1),
        (60, 2),
        (50, 2),
        (40, 3),
        (30, 3),
        (20, 4),
        (10, 4),
        (0, 5),
    ],
)
def test_kps_maps_every_decile_to_its_ecog_equivalent(kps, ecog):
    result = score("kps", {"score": kps})
    assert result.total == kps
    assert result.subscores == {"ecog_equivalent": ecog}
    assert result.band is None


@pytest.mark.parametrize("level", range(0, 101, 10))
def test_pps_accepts_every_ten_percent_level(level):
    assert score("pps", {"score": level}).total == level


@pytest.mark.parametrize(
    ("code", "value"),
    [("kps", 55), ("kps", 5), ("kps", 95), ("pps", 45), ("pps", 1), ("pps", 99)],
)
def test_kps_and_pps_reject_levels_between_the_deciles(code, value):
    message = error_for(code, {"score": value})
    assert "must be in steps of 10" in message
    assert message.endswith(f"not {value}.")


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["xyz", "PHQ9", "phq-9", "esas", "", " nrs", None, 9])
def test_an_unknown_instrument_is_rejected(code):
    message = error_for(code, {"score": 5})
    assert message.startswith(f"Unknown instrument {code!r}. Known instruments: nrs, bpi,")


@pytest.mark.parametrize(("code", "key"), REQUIRED_ITEMS)
def test_a_missing_required_item_is_rejected_by_name(code, key):
    answers = valid_answers(code)
    del answers[key]
    message = error_for(code, answers)
    assert message.startswith(f"{INSTRUMENTS[code].name}: no answer for '{key}'")


@pytest.mark.parametrize(("code", "key"), REQUIRED_ITEMS)
def test_an_empty_required_item_is_rejected_as_missing(code, key):
    message = error_for(code, valid_answers(code) | {key: None})
    assert message.startswith(f"{INSTRUMENTS[code].name}: no answer for '{key}'")


def test_every_missing_item_is_named_at_once():
    message = error_for("bpi", {"worst": 5})
    assert message == "BPI: no answer for 'least', 'average', 'now' (pain now)."


@pytest.mark.parametrize("code", instrument_codes())
def test_an_unknown_answer_key_is_rejected(code):
    message = error_for(code, valid_answers(code) | {"q10": 1})
    assert message == f"{INSTRUMENTS[code].name}: 'q10' is not a question of this instrument."


def test_every_unknown_answer_key_is_named():
    message = error_for("nrs", {"score": 5, "pain": 5, "Score": 5})
    assert message == "NRS: 'Score', 'pain' are not questions of this instrument."


@pytest.mark.parametrize(("code", "key"), [("nrs", "score"), ("phq9", "q1"), ("bpi", "worst")])
@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("5", "the text '5'"),
        ("two", "the text 'two'"),
        (2.0, "the decimal number 2.0"),
        (2.5, "the decimal number 2.5"),
        (Decimal("2"), "the decimal number 2"),
        (True, "yes/no (True)"),
        (False, "yes/no (False)"),
        ([2], "a list"),
    ],
)
def test_a_value_that_is_not_a_whole_number_is_rejected(code, key, value, described):
    message = error_for(code, valid_answers(code) | {key: value})
    item = INSTRUMENTS[code].item(key)
    assert message.startswith(f"{INSTRUMENTS[code].name}: '{key}'")
    assert message.endswith(
        f"must be a whole number from {item.minimum} to {item.maximum}, not {described}."
    )


@pytest.mark.parametrize(
    ("code", "key", "value"),
    [
        ("nrs", "score", -1),
        ("nrs", "score", 11),
        ("bpi", "now", 11),
        ("bpi", "mood", -1),
        ("esas_r", "wellbeing", 11),
        ("esas_r", "other", 11),
        ("phq9", "q1", 4),
        ("phq9", "q9", -1),
        ("gad7", "q7", 4),
        ("ecog", "grade", 6),
        ("ecog", "grade", -1),
        ("kps", "score", 110),
        ("kps", "score", -10),
        ("pps", "score", 110),
    ],
)
def test_a_value_out_of_range_is_rejected(code, key, value):
    answers = valid_answers(code) | {key: value}
    if key == "other":
        answers["other_label"] = "Itch"
    item = INSTRUMENTS[code].item(key)
    message = error_for(code, answers)
    assert re.match(rf"{re.escape(INSTRUMENTS[code].name)}: '{key}'", message)
    assert message.endswith(f"must be between {item.minimum} and {item.maximum}, not {value}.")


@pytest.mark.parametrize(
    ("answers", "described"),
    [([], "a list"), (None, "an empty answer"), ("score=5", "the text 'score=5'"), (5, "5")],
)
def test_answers_that_are_not_item_by_item_are_rejected(answers, described):
    assert error_for("nrs", answers) == (
        f"NRS: answers must be given item by item, not as {described}."
    )


def test_instrument_error_is_a_value_error():
    assert issubclass(InstrumentError, ValueError)
