"""Normalising names for search: lower case, accents and punctuation removed.

The embedded PostgreSQL has pg_trgm but not unaccent, so the app keeps a normalised copy of each
patient's name (`Patient.search_name`) and normalises the query the same way.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
_FOLDED = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)
_NOT_WORD = re.compile(r"[^\w]+")


def normalised_name(text: str) -> str:
    """'  José  O'Brien-Núñez ' -> 'jose o brien nunez'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDED))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", stripped).replace("_", " ").split())
