"""Oral morphine milligram equivalents (MME) per day for the opioids a patient takes.

Sources: CDC Clinical Practice Guideline for Prescribing Opioids for Pain, United States, 2022
(Dowell et al., MMWR Recomm Rep 2022;71(No. RR-3)), table of MME conversion factors; NCI PDQ
Cancer Pain (Health Professional Version), table of approximate opioid dose equivalents, for the
parenteral (IV/SC) estimates.

The MME is a monitoring figure, not a limit: the CDC guideline explicitly does not apply to pain
from cancer, so a high total here is something to look at, never a cap on what may be prescribed.

This module is pure (standard library only) so it can be tested against the sources without a
database and reused by the medication catalogue, the chart and reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

__all__ = [
    "CDC_2022_SOURCE",
    "CONVERSIONS",
    "CONVERTIBLE_DRUGS",
    "NCI_PDQ_PARENTERAL_SOURCE",
    "OPIOID_DRUGS",
    "ROUTES",
    "UNITS",
    "Conversion",
    "MedicationDose",
    "MmeTotal",
    "OpioidConversionError",
    "is_estimate",
    "mme_per_day",
    "total_mme",
]


class OpioidConversionError(ValueError):
    """An opioid dose that cannot be converted to oral morphine equivalents."""


ROUTES: frozenset[str] = frozenset({"oral", "transdermal", "iv", "sc"})
UNITS: frozenset[str] = frozenset({"mg", "mcg/h"})

# How each route reads inside a sentence ("Oxycodone given orally ...").
_ROUTE_PHRASES: Mapping[str, str] = MappingProxyType(
    {
        "oral": "orally",
        "transdermal": "as a transdermal patch",
        "iv": "intravenously (IV)",
        "sc": "subcutaneously (SC)",
    }
)


@dataclass(frozen=True)
class Conversion:
    """How one drug given by one route converts to oral morphine mg per day.

    `factor` is oral morphine mg per mg of drug, or per mcg/h of patch strength when
    `per_dose` is False (a patch delivers continuously, so doses per day do not apply).
    """

    factor: Decimal
    unit: str
    per_dose: bool
    estimate: bool
    source: str


CDC_2022_SOURCE = (
    "CDC Clinical Practice Guideline for Prescribing Opioids for Pain, United States, 2022 "
    "(MMWR Recomm Rep 2022;71(No. RR-3)), MME conversion factors"
)

# Parenteral factors are estimates: the CDC table is for oral (and transdermal fentanyl) only.
# Each is the CDC 2022 oral factor multiplied by the NCI PDQ oral:parenteral ratio for the same
# drug: morphine 30 mg oral ~ 10 mg IV/SC (3:1), so 1 x 3 = 3; hydromorphone 8 mg oral ~ 2 mg
# IV/SC (4:1), so 5 x 4 = 20, i.e. 1 mg IV/SC hydromorphone ~ 20 mg oral morphine. NCI notes
# that IV and SC doses are approximately equal.
NCI_PDQ_PARENTERAL_SOURCE = (
    "Estimate: CDC 2022 oral factor x NCI PDQ Cancer Pain (Health Professional Version) "
    "oral:parenteral ratio from its table of approximate opioid dose equivalents"
)

_MORPHINE_PARENTERAL = Conversion(
    factor=Decimal("3"),
    unit="mg",
    per_dose=True,
    estimate=True,
    source=NCI_PDQ_PARENTERAL_SOURCE,
)
_HYDROMORPHONE_PARENTERAL = Conversion(
    factor=Decimal("20"),
    unit="mg",
    per_dose=True,
    estimate=True,
    source=NCI_PDQ_PARENTERAL_SOURCE,
)


def _oral(factor: str) -> Conversion:
    return Conversion(
        factor=Decimal(factor), unit="mg", per_dose=True, estimate=False, source=CDC_2022_SOURCE
    )


# Keyed by (drug, route). Oral factors and the fentanyl patch factor are the CDC 2022 table;
# the fentanyl factor is per mcg/h of patch strength (25 mcg/h x 2.4 = 60 MME/day).
CONVERSIONS: Mapping[tuple[str, str], Conversion] = MappingProxyType(
    {
        ("codeine", "oral"): _oral("0.15"),
        ("hydrocodone", "oral"): _oral("1"),
        ("hydromorphone", "oral"): _oral("5"),
        ("methadone", "oral"): _oral("4.7"),
        ("morphine", "oral"): _oral("1"),
        ("oxycodone", "oral"): _oral("1.5"),
        ("oxymorphone", "oral"): _oral("3"),
        ("tapentadol", "oral"): _oral("0.4"),
        ("tramadol", "oral"): _oral("0.2"),
        ("fentanyl", "transdermal"): Conversion(
            factor=Decimal("2.4"),
            unit="mcg/h",
            per_dose=False,
            estimate=False,
            source=CDC_2022_SOURCE,
        ),
        ("morphine", "iv"): _MORPHINE_PARENTERAL,
        ("morphine", "sc"): _MORPHINE_PARENTERAL,
        ("hydromorphone", "iv"): _HYDROMORPHONE_PARENTERAL,
        ("hydromorphone", "sc"): _HYDROMORPHONE_PARENTERAL,
    }
)

CONVERTIBLE_DRUGS: frozenset[str] = frozenset(drug for drug, _route in CONVERSIONS)

# Opioids without a CDC 2022 factor. They are listed so that a patient's total reports them as
# unconverted instead of silently leaving them out as if they were not opioids.
_OPIOIDS_WITHOUT_FACTOR: frozenset[str] = frozenset(
    {
        "buprenorphine",
        "butorphanol",
        "dihydrocodeine",
        "levorphanol",
        "meperidine",
        "nalbuphine",
        "pentazocine",
    }
)

OPIOID_DRUGS: frozenset[str] = CONVERTIBLE_DRUGS | _OPIOIDS_WITHOUT_FACTOR

# The CDC 2022 guideline leaves buprenorphine out of MME calculations on purpose.
_BUPRENORPHINE_REASON = (
    "Buprenorphine is not converted to MME: the CDC 2022 guideline excludes it from MME "
    "calculations because, as a partial agonist, its effect is not comparable to the full "
    "agonists in the table. Review it separately."
)


@dataclass(frozen=True)
class MedicationDose:
    """One opioid (or other) prescription line as the total needs it.

    For an as-needed line, `as_needed_max_doses_per_day` is used and `doses_per_day` is not.
    """

    drug: str
    route: str
    strength: Decimal
    unit: str
    doses_per_day: Decimal
    as_needed: bool = False
    as_needed_max_doses_per_day: Decimal | None = None


@dataclass(frozen=True)
class MmeTotal:
    """A patient's MME per day: scheduled opioids, and as-needed maxima shown separately."""

    scheduled: Decimal
    as_needed_max: Decimal
    estimated: bool
    unconverted: tuple[tuple[str, str], ...]


def _normalised(value: object, label: str) -> str:
    if not isinstance(value, str):
        raise OpioidConversionError(f"{label} must be given as text, not {type(value).__name__}.")
    return value.strip().lower()


def _joined(phrases: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(phrases) < 2:
        return "".join(phrases)
    return f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def _conversion(drug: str, route: str) -> Conversion:
    """The conversion for an already normalised drug and route, or a clinician-readable error."""
    if not drug:
        raise OpioidConversionError("No drug was given, so no MME can be calculated.")
    if drug == "buprenorphine":
        raise OpioidConversionError(_BUPRENORPHINE_REASON)
    if drug in _OPIOIDS_WITHOUT_FACTOR:
        raise OpioidConversionError(
            f"{drug.capitalize()} has no conversion factor in the CDC 2022 guideline, so its "
            "MME cannot be calculated. Review it separately."
        )
    if drug not in CONVERTIBLE_DRUGS:
        raise OpioidConversionError(
            f"No MME conversion factor for '{drug}': it is not in the CDC 2022 opioid "
            "conversion table."
        )
    if route not in ROUTES:
        raise OpioidConversionError(
            f"Route '{route}' is not recognised; use one of: {', '.join(sorted(ROUTES))}."
        )
    conversion = CONVERSIONS.get((drug, route))
    if conversion is None:
        supported = [phrase for r, phrase in _ROUTE_PHRASES.items() if (drug, r) in CONVERSIONS]
        raise OpioidConversionError(
            f"{drug.capitalize()} given {_ROUTE_PHRASES[route]} has no MME conversion factor; "
            f"it can be converted only when given {_joined(supported)}."
        )
    return conversion


def _positive_decimal(value: object, label: str) -> Decimal:
    finite = _finite_decimal(value, label)
    if finite <= 0:
        raise OpioidConversionError(f"{label} must be greater than zero (got {finite}).")
    return finite


def _finite_decimal(value: object, label: str) -> Decimal:
    # Floats carry binary rounding error into a clinical figure; callers convert entered text
    # with Decimal(...) so the result is exact. bool and int are refused for the same contract.
    if not isinstance(value, Decimal):
        raise OpioidConversionError(
            f"{label} must be an exact decimal number (Decimal), not {type(value).__name__}."
        )
    if not value.is_finite():
        raise OpioidConversionError(f"{label} must be a finite number, not {value}.")
    return value


def _convert(
    *,
    drug: object,
    route: object,
    strength: object,
    unit: object,
    doses_per_day: object,
    doses_label: str,
) -> tuple[Decimal, Conversion]:
    drug_key = _normalised(drug, "Drug")
    route_key = _normalised(route, "Route")
    unit_key = _normalised(unit, "Unit")
    conversion = _conversion(drug_key, route_key)
    if unit_key not in UNITS:
        raise OpioidConversionError(
            f"Unit '{unit_key}' is not recognised; use one of: {', '.join(sorted(UNITS))}."
        )
    if unit_key != conversion.unit:
        raise OpioidConversionError(
            f"{drug_key.capitalize()} given {_ROUTE_PHRASES[route_key]} is measured in "
            f"{conversion.unit}, not {unit_key}."
        )
    checked_strength = _positive_decimal(strength, "Strength")
    if not conversion.per_dose:
        # A patch delivers its strength continuously; how often it is changed does not matter.
        _finite_decimal(doses_per_day, doses_label)
        return checked_strength * conversion.factor, conversion
    checked_doses = _positive_decimal(doses_per_day, doses_label)
    return checked_strength * checked_doses * conversion.factor, conversion


def mme_per_day(
    *, drug: str, route: str, strength: Decimal, unit: str, doses_per_day: Decimal
) -> Decimal:
    """Oral morphine milligram equivalents per day, unrounded.

    Factors from the CDC 2022 guideline; IV/SC morphine and hydromorphone are estimates from
    NCI PDQ ratios (see `is_estimate`). `doses_per_day` is ignored for a fentanyl patch.
    Raises OpioidConversionError for anything that cannot be converted.
    """
    mme, _conversion_used = _convert(
        drug=drug,
        route=route,
        strength=strength,
        unit=unit,
        doses_per_day=doses_per_day,
        doses_label="Doses per day",
    )
    return mme


def is_estimate(*, drug: str, route: str) -> bool:
    """Whether the MME for this drug and route is an NCI PDQ-based estimate (IV/SC).

    Raises OpioidConversionError when the drug and route cannot be converted at all.
    """
    return _conversion(_normalised(drug, "Drug"), _normalised(route, "Route")).estimate


def _dose_mme(dose: MedicationDose) -> tuple[Decimal, Conversion]:
    if dose.as_needed and dose.as_needed_max_doses_per_day is None:
        raise OpioidConversionError(
            "This as-needed opioid has no maximum number of doses per day, so its MME "
            "cannot be calculated."
        )
    doses_per_day = dose.as_needed_max_doses_per_day if dose.as_needed else dose.doses_per_day
    return _convert(
        drug=dose.drug,
        route=dose.route,
        strength=dose.strength,
        unit=dose.unit,
        doses_per_day=doses_per_day,
        doses_label="Maximum as-needed doses per day" if dose.as_needed else "Doses per day",
    )


def total_mme(doses: Iterable[MedicationDose]) -> MmeTotal:
    """A patient's MME per day: scheduled opioids count fully, as-needed maxima separately.

    Non-opioids are ignored. An opioid that cannot be converted (buprenorphine, an unsupported
    route, a missing maximum) is listed in `unconverted` with the reason instead of raising.
    """
    scheduled = Decimal(0)
    as_needed_max = Decimal(0)
    estimated = False
    unconverted: list[tuple[str, str]] = []
    for dose in doses:
        drug = _normalised(dose.drug, "Drug")
        if drug not in OPIOID_DRUGS:
            continue
        try:
            mme, conversion = _dose_mme(dose)
        except OpioidConversionError as error:
            unconverted.append((drug, str(error)))
            continue
        if dose.as_needed:
            as_needed_max += mme
        else:
            scheduled += mme
        estimated = estimated or conversion.estimate
    return MmeTotal(
        scheduled=scheduled,
        as_needed_max=as_needed_max,
        estimated=estimated,
        unconverted=tuple(unconverted),
    )
