"""MME conversion checked against the CDC 2022 opioid guideline and NCI PDQ Cancer Pain."""

from __future__ import annotations

import ast
import dataclasses
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from patients import opioids
from patients.opioids import (
    CONVERSIONS,
    CONVERTIBLE_DRUGS,
    OPIOID_DRUGS,
    MedicationDose,
    MmeTotal,
    OpioidConversionError,
    is_estimate,
    mme_per_day,
    total_mme,
)

D = Decimal

# CDC 2022 guideline factors, oral unless stated (fentanyl: per mcg/h of patch strength).
CDC_2022_ORAL_FACTORS = {
    "codeine": D("0.15"),
    "hydrocodone": D("1"),
    "hydromorphone": D("5"),
    "methadone": D("4.7"),
    "morphine": D("1"),
    "oxycodone": D("1.5"),
    "oxymorphone": D("3"),
    "tapentadol": D("0.4"),
    "tramadol": D("0.2"),
}


def oral(drug: str, strength: str, doses_per_day: str) -> dict[str, Any]:
    return {
        "drug": drug,
        "route": "oral",
        "strength": D(strength),
        "unit": "mg",
        "doses_per_day": D(doses_per_day),
    }


def patch(strength: str, doses_per_day: str = "1") -> dict[str, Any]:
    return {
        "drug": "fentanyl",
        "route": "transdermal",
        "strength": D(strength),
        "unit": "mcg/h",
        "doses_per_day": D(doses_per_day),
    }


def dose(
    drug: str,
    strength: str,
    doses_per_day: str = "1",
    *,
    route: str = "oral",
    unit: str = "mg",
    as_needed: bool = False,
    as_needed_max: str | None = None,
) -> MedicationDose:
    return MedicationDose(
        drug=drug,
        route=route,
        strength=D(strength),
        unit=unit,
        doses_per_day=D(doses_per_day),
        as_needed=as_needed,
        as_needed_max_doses_per_day=None if as_needed_max is None else D(as_needed_max),
    )


# --- the conversion table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(oral("hydrocodone", "5", "4"), D("20"), id="hydrocodone-5mg-qid"),
        pytest.param(oral("oxycodone", "10", "2"), D("30"), id="oxycodone-10mg-bid"),
        pytest.param(patch("25"), D("60"), id="fentanyl-25mcg-h-patch"),
    ],
)
def test_it_matches_the_cdc_2022_worked_examples(kwargs: dict[str, Any], expected: Decimal) -> None:
    assert mme_per_day(**kwargs) == expected


@pytest.mark.parametrize(("drug", "factor"), sorted(CDC_2022_ORAL_FACTORS.items()))
def test_it_applies_the_cdc_2022_oral_factor(drug: str, factor: Decimal) -> None:
    assert mme_per_day(**oral(drug, "1", "1")) == factor
    assert mme_per_day(**oral(drug, "10", "3")) == factor * 30


def test_it_applies_the_cdc_2022_fentanyl_patch_factor_per_mcg_per_hour() -> None:
    assert mme_per_day(**patch("1")) == D("2.4")
    assert mme_per_day(**patch("100")) == D("240")


def test_it_converts_exactly_the_drugs_in_the_cdc_2022_table() -> None:
    assert {*CDC_2022_ORAL_FACTORS, "fentanyl"} == CONVERTIBLE_DRUGS


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(oral("codeine", "30", "4"), "18.00", id="codeine-30mg-x4"),
        pytest.param(oral("tramadol", "50", "3"), "30.0", id="tramadol-50mg-x3"),
        pytest.param(oral("methadone", "2.5", "3"), "35.25", id="methadone-2.5mg-x3"),
        pytest.param(oral("tapentadol", "50", "2"), "40.0", id="tapentadol-50mg-x2"),
        pytest.param(oral("oxycodone", "2.5", "6"), "22.50", id="oxycodone-2.5mg-x6"),
        pytest.param(oral("codeine", "8", "1"), "1.20", id="codeine-8mg-once"),
        pytest.param(patch("12"), "28.8", id="fentanyl-12mcg-h"),
        pytest.param(patch("37.5"), "90.00", id="fentanyl-37.5mcg-h"),
    ],
)
def test_it_returns_an_exact_unrounded_decimal(kwargs: dict[str, Any], expected: str) -> None:
    result = mme_per_day(**kwargs)

    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("doses_per_day", ["0", "1", "0.333", "3", "-1"])
def test_it_ignores_doses_per_day_for_a_fentanyl_patch(doses_per_day: str) -> None:
    assert mme_per_day(**patch("25", doses_per_day)) == D("60")


@pytest.mark.parametrize(
    ("drug", "route", "unit"),
    [
        (" Oxycodone ", "ORAL", " MG"),
        ("OXYCODONE", " oral ", "mg "),
        ("\toxycodone\n", "Oral", "Mg"),
    ],
)
def test_it_ignores_case_and_surrounding_whitespace(drug: str, route: str, unit: str) -> None:
    result = mme_per_day(drug=drug, route=route, strength=D("10"), unit=unit, doses_per_day=D("2"))

    assert result == D("30")


def test_it_normalises_the_patch_unit_and_route_too() -> None:
    result = mme_per_day(
        drug="Fentanyl", route="Transdermal", strength=D("50"), unit="MCG/H", doses_per_day=D("1")
    )

    assert result == D("120")


# --- parenteral estimates (NCI PDQ) --------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "route", "strength", "doses_per_day", "expected"),
    [
        # NCI PDQ: morphine 30 mg oral ~ 10 mg IV/SC (3:1).
        ("morphine", "iv", "10", "1", D("30")),
        ("morphine", "sc", "10", "1", D("30")),
        ("morphine", "sc", "2.5", "6", D("45.0")),
        # CDC oral factor 5 x NCI PDQ hydromorphone oral:parenteral 4:1 = 20.
        ("hydromorphone", "iv", "1", "1", D("20")),
        ("hydromorphone", "sc", "1", "1", D("20")),
        ("hydromorphone", "sc", "0.5", "6", D("60")),
    ],
)
def test_it_estimates_parenteral_morphine_and_hydromorphone(
    drug: str, route: str, strength: str, doses_per_day: str, expected: Decimal
) -> None:
    result = mme_per_day(
        drug=drug, route=route, strength=D(strength), unit="mg", doses_per_day=D(doses_per_day)
    )

    assert result == expected


@pytest.mark.parametrize(
    ("drug", "route"),
    [("morphine", "iv"), ("morphine", "sc"), ("hydromorphone", "iv"), ("Hydromorphone", " SC ")],
)
def test_it_flags_parenteral_conversions_as_estimates(drug: str, route: str) -> None:
    assert is_estimate(drug=drug, route=route) is True


@pytest.mark.parametrize(
    ("drug", "route"),
    [*((drug, "oral") for drug in sorted(CDC_2022_ORAL_FACTORS)), ("fentanyl", "transdermal")],
)
def test_it_does_not_flag_cdc_table_conversions_as_estimates(drug: str, route: str) -> None:
    assert is_estimate(drug=drug, route=route) is False


@pytest.mark.parametrize(
    ("drug", "route", "match"),
    [
        ("buprenorphine", "transdermal", "excludes it"),
        ("oxycodone", "iv", "only when given orally"),
        ("fentanyl", "oral", "only when given as a transdermal patch"),
        ("morphine", "rectal", "Route 'rectal' is not recognised"),
        ("aspirin", "oral", "not in the CDC 2022"),
    ],
)
def test_it_refuses_to_say_whether_an_unconvertible_dose_is_an_estimate(
    drug: str, route: str, match: str
) -> None:
    with pytest.raises(OpioidConversionError, match=match):
        is_estimate(drug=drug, route=route)


def test_it_names_the_source_next_to_every_conversion() -> None:
    for (_drug, route), conversion in CONVERSIONS.items():
        if route in {"iv", "sc"}:
            assert conversion.estimate
            assert "NCI PDQ" in conversion.source
        else:
            assert not conversion.estimate
            assert "CDC" in conversion.source
            assert "2022" in conversion.source


# --- refusals ------------------------------------------------------------------------------


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


OXYCODONE_10MG_BID = oral("oxycodone", "10", "2")
FENTANYL_25 = patch("25")


def test_its_error_is_a_value_error() -> None:
    assert issubclass(OpioidConversionError, ValueError)
    with pytest.raises(ValueError, match="CDC 2022"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, drug="buprenorphine"))


def test_it_refuses_fentanyl_patch_in_mg() -> None:
    with pytest.raises(
        OpioidConversionError,
        match="Fentanyl given as a transdermal patch is measured in mcg/h, not mg",
    ):
        mme_per_day(**with_changes(FENTANYL_25, unit="mg"))


def test_it_refuses_oral_fentanyl() -> None:
    with pytest.raises(
        OpioidConversionError,
        match="Fentanyl given orally has no MME conversion factor; it can be converted only "
        "when given as a transdermal patch",
    ):
        mme_per_day(**with_changes(FENTANYL_25, route="oral", unit="mg"))


@pytest.mark.parametrize("route", ["iv", "sc"])
def test_it_refuses_parenteral_fentanyl(route: str) -> None:
    with pytest.raises(OpioidConversionError, match="only when given as a transdermal patch"):
        mme_per_day(**with_changes(FENTANYL_25, route=route, unit="mg"))


def test_it_refuses_transdermal_oxycodone() -> None:
    with pytest.raises(
        OpioidConversionError,
        match="Oxycodone given as a transdermal patch has no MME conversion factor; it can be "
        "converted only when given orally",
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, route="transdermal"))


@pytest.mark.parametrize("route", ["iv", "sc"])
def test_it_refuses_parenteral_opioids_without_an_nci_ratio(route: str) -> None:
    with pytest.raises(OpioidConversionError, match="only when given orally"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, route=route))


def test_it_lists_every_supported_route_when_refusing_a_patch_of_morphine() -> None:
    with pytest.raises(
        OpioidConversionError,
        match=r"only when given orally, intravenously \(IV\) or subcutaneously \(SC\)\.$",
    ):
        mme_per_day(**with_changes(oral("morphine", "10", "1"), route="transdermal"))


def test_it_refuses_mcg_per_hour_for_a_tablet() -> None:
    with pytest.raises(
        OpioidConversionError, match="Oxycodone given orally is measured in mg, not mcg/h"
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, unit="mcg/h"))


def test_it_refuses_mcg_per_hour_for_an_injection() -> None:
    with pytest.raises(OpioidConversionError, match=r"intravenously \(IV\) is measured in mg"):
        mme_per_day(**with_changes(oral("morphine", "10", "1"), route="iv", unit="mcg/h"))


@pytest.mark.parametrize("route", ["oral", "transdermal", "sc", "iv"])
def test_it_refuses_buprenorphine_because_the_cdc_2022_guideline_excludes_it(route: str) -> None:
    with pytest.raises(
        OpioidConversionError,
        match=r"Buprenorphine is not converted to MME: the CDC 2022 guideline excludes it",
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, drug="buprenorphine", route=route))


@pytest.mark.parametrize("drug", ["paracetamol", "oxycodone/naloxone", "morfine"])
def test_it_refuses_a_drug_not_in_the_table(drug: str) -> None:
    with pytest.raises(
        OpioidConversionError, match=f"No MME conversion factor for '{drug}': it is not in"
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, drug=drug))


@pytest.mark.parametrize("drug", ["meperidine", "levorphanol"])
def test_it_refuses_an_opioid_without_a_cdc_2022_factor(drug: str) -> None:
    with pytest.raises(
        OpioidConversionError, match=f"{drug.capitalize()} has no conversion factor in the CDC"
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, drug=drug))


@pytest.mark.parametrize("drug", ["", "   "])
def test_it_refuses_a_missing_drug(drug: str) -> None:
    with pytest.raises(OpioidConversionError, match="No drug was given"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, drug=drug))


@pytest.mark.parametrize("route", ["rectal", "im", "sublingual", ""])
def test_it_refuses_an_unknown_route(route: str) -> None:
    with pytest.raises(
        OpioidConversionError,
        match=f"Route '{route}' is not recognised; use one of: iv, oral, sc, transdermal",
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, route=route))


@pytest.mark.parametrize("unit", ["g", "mcg", "ml", "mcg/hr", ""])
def test_it_refuses_an_unknown_unit(unit: str) -> None:
    with pytest.raises(
        OpioidConversionError, match=f"Unit '{unit}' is not recognised; use one of: mcg/h, mg"
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, unit=unit))


@pytest.mark.parametrize("field", ["drug", "route", "unit"])
@pytest.mark.parametrize("value", [None, 1, b"oral"])
def test_it_refuses_text_fields_that_are_not_text(field: str, value: object) -> None:
    with pytest.raises(OpioidConversionError, match=r"must be given as text"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, **{field: value}))


@pytest.mark.parametrize("strength", ["0", "-5", "-0", "0.000"])
def test_it_refuses_a_strength_that_is_not_above_zero(strength: str) -> None:
    with pytest.raises(OpioidConversionError, match=r"Strength must be greater than zero"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, strength=D(strength)))


@pytest.mark.parametrize("strength", ["0", "-25"])
def test_it_refuses_a_patch_strength_that_is_not_above_zero(strength: str) -> None:
    with pytest.raises(OpioidConversionError, match=r"Strength must be greater than zero"):
        mme_per_day(**patch(strength))


@pytest.mark.parametrize("doses_per_day", ["0", "-2", "-0"])
def test_it_refuses_doses_per_day_that_are_not_above_zero(doses_per_day: str) -> None:
    with pytest.raises(OpioidConversionError, match=r"Doses per day must be greater than zero"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, doses_per_day=D(doses_per_day)))


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(10.0, "float"), (10, "int"), ("10", "str"), (True, "bool"), (None, "NoneType")],
)
def test_it_refuses_a_strength_that_is_not_a_decimal(value: object, type_name: str) -> None:
    with pytest.raises(
        OpioidConversionError,
        match=rf"Strength must be an exact decimal number \(Decimal\), not {type_name}",
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, strength=value))


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(2.0, "float"), (2, "int"), ("2", "str"), (True, "bool"), (None, "NoneType")],
)
def test_it_refuses_doses_per_day_that_are_not_a_decimal(value: object, type_name: str) -> None:
    with pytest.raises(
        OpioidConversionError,
        match=rf"Doses per day must be an exact decimal number \(Decimal\), not {type_name}",
    ):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, doses_per_day=value))


@pytest.mark.parametrize("value", [1.0, 1, True])
def test_it_still_wants_a_decimal_for_patch_doses_per_day(value: object) -> None:
    with pytest.raises(OpioidConversionError, match=r"Doses per day must be an exact decimal"):
        mme_per_day(**with_changes(FENTANYL_25, doses_per_day=value))


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_it_refuses_a_strength_that_is_not_finite(value: str) -> None:
    with pytest.raises(OpioidConversionError, match=r"Strength must be a finite number"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, strength=D(value)))


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_it_refuses_doses_per_day_that_are_not_finite(value: str) -> None:
    with pytest.raises(OpioidConversionError, match=r"Doses per day must be a finite number"):
        mme_per_day(**with_changes(OXYCODONE_10MG_BID, doses_per_day=D(value)))


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_it_refuses_a_patch_strength_that_is_not_finite(value: str) -> None:
    with pytest.raises(OpioidConversionError, match=r"Strength must be a finite number"):
        mme_per_day(**with_changes(FENTANYL_25, strength=D(value)))


def test_it_only_accepts_keyword_arguments() -> None:
    with pytest.raises(TypeError):
        mme_per_day("oxycodone", "oral", D("10"), "mg", D("2"))  # type: ignore[call-arg]


# --- catalogue keys ------------------------------------------------------------------------


def test_it_knows_buprenorphine_is_an_opioid_that_cannot_be_converted() -> None:
    assert "buprenorphine" in OPIOID_DRUGS
    assert "buprenorphine" not in CONVERTIBLE_DRUGS
    assert CONVERTIBLE_DRUGS <= OPIOID_DRUGS


def test_it_keys_drugs_by_lower_case_generic_name() -> None:
    for drug in OPIOID_DRUGS:
        assert drug == drug.strip().lower()


# --- a patient's total ---------------------------------------------------------------------


def test_it_totals_nothing_for_no_medication() -> None:
    total = total_mme([])

    assert total == MmeTotal(scheduled=D(0), as_needed_max=D(0), estimated=False, unconverted=())
    assert isinstance(total.scheduled, Decimal)
    assert isinstance(total.as_needed_max, Decimal)


def test_it_counts_scheduled_opioids_fully_and_as_needed_maxima_separately() -> None:
    total = total_mme(
        [
            dose("morphine", "30", "2"),  # 60
            dose("fentanyl", "25", route="transdermal", unit="mcg/h"),  # 60
            dose("oxycodone", "5", "1", as_needed=True, as_needed_max="6"),  # up to 45
            dose("codeine", "30", as_needed=True, as_needed_max="4"),  # up to 18
        ]
    )

    assert total.scheduled == D("120")
    assert total.as_needed_max == D("63.0")
    assert total.estimated is False
    assert total.unconverted == ()


def test_it_uses_the_as_needed_maximum_not_the_usual_doses_per_day() -> None:
    total = total_mme([dose("oxycodone", "10", "1", as_needed=True, as_needed_max="4")])

    assert total.scheduled == 0
    assert total.as_needed_max == D("60")


def test_it_keeps_the_total_unrounded() -> None:
    total = total_mme([dose("codeine", "30", "4"), dose("tramadol", "50", "3")])

    assert str(total.scheduled) == "48.00"


def test_it_reports_buprenorphine_as_unconverted_with_the_reason() -> None:
    total = total_mme(
        [
            dose("Buprenorphine", "10", route="transdermal", unit="mcg/h"),
            dose("morphine", "10", "6"),
        ]
    )

    assert total.scheduled == D("60")
    assert len(total.unconverted) == 1
    drug, reason = total.unconverted[0]
    assert drug == "buprenorphine"
    assert "CDC 2022 guideline excludes it" in reason


def test_it_reports_each_opioid_it_could_not_convert() -> None:
    total = total_mme(
        [
            dose("oxycodone", "10", route="transdermal"),
            dose("meperidine", "50", "4"),
            dose("morphine", "10", "0"),
            dose("fentanyl", "25", unit="mg", route="transdermal"),
        ]
    )

    assert total.scheduled == 0
    assert [drug for drug, _reason in total.unconverted] == [
        "oxycodone",
        "meperidine",
        "morphine",
        "fentanyl",
    ]
    reasons = [reason for _drug, reason in total.unconverted]
    assert "only when given orally" in reasons[0]
    assert "no conversion factor in the CDC 2022" in reasons[1]
    assert "Doses per day must be greater than zero" in reasons[2]
    assert "measured in mcg/h, not mg" in reasons[3]


def test_it_reports_an_as_needed_opioid_without_a_maximum_as_unconverted() -> None:
    total = total_mme([dose("morphine", "5", "6", as_needed=True)])

    assert total.as_needed_max == 0
    assert total.unconverted == (
        (
            "morphine",
            "This as-needed opioid has no maximum number of doses per day, so its MME "
            "cannot be calculated.",
        ),
    )


def test_it_names_the_as_needed_maximum_when_it_is_invalid() -> None:
    total = total_mme([dose("morphine", "5", as_needed=True, as_needed_max="0")])

    assert "Maximum as-needed doses per day must be greater than zero" in total.unconverted[0][1]


def test_it_ignores_non_opioids() -> None:
    total = total_mme(
        [
            dose("paracetamol", "1000", "4"),
            dose("gabapentin", "300", "3"),
            dose("naloxone", "0.4", route="iv"),
            dose("morphine", "10", "2"),
        ]
    )

    assert total.scheduled == D("20")
    assert total.unconverted == ()


def test_it_flags_a_total_that_includes_a_parenteral_estimate() -> None:
    scheduled_estimate = total_mme([dose("morphine", "10", "1"), dose("morphine", "5", route="sc")])
    as_needed_estimate = total_mme(
        [dose("hydromorphone", "0.5", route="iv", as_needed=True, as_needed_max="4")]
    )

    assert scheduled_estimate.scheduled == D("25")
    assert scheduled_estimate.estimated is True
    assert as_needed_estimate.as_needed_max == D("40.0")
    assert as_needed_estimate.estimated is True


def test_it_accepts_any_iterable_of_doses() -> None:
    doses = (dose("oxycodone", "10", "2") for _ in range(2))

    assert total_mme(doses).scheduled == D("60")


def test_it_keeps_doses_and_totals_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        dose("morphine", "10").strength = D("20")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        total_mme([]).scheduled = D("1")  # type: ignore[misc]


# --- purity --------------------------------------------------------------------------------


def test_it_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(opioids.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module.split(".")[0])

    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
