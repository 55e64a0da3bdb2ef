"""Names are normalised the same way for storage and for the search query."""

from __future__ import annotations

import pytest

from patients.text import normalised_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("José María", "jose maria"),
        ("  NÚÑEZ  ", "nunez"),
        ("O'Brien-Smith", "o brien smith"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("Łukasz Søndergaard", "lukasz sondergaard"),
        ("Y\u0131ld\u0131z", "yildiz"),  # dotless i
        ("Zoë Lefèvre", "zoe lefevre"),
        ("", ""),
    ],
)
def test_it_lowers_case_and_strips_accents_and_punctuation(text: str, expected: str) -> None:
    assert normalised_name(text) == expected
