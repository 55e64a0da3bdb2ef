"""What each safety check is called on pages and in messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

CHECK_TITLES: Mapping[str, Any] = {
    "antithrombotics": _("Anticoagulants, antiplatelets, NSAIDs"),
    "platelets": _("Platelets"),
    "inr": _("INR"),
    "anc": _("Neutrophils (ANC)"),
    "nadir": _("Chemotherapy nadir"),
    "infection": _("Infection or neutropenia"),
    "consent": _("Consent"),
}


def check_title(result: Mapping[str, Any]) -> str:
    """The drug's name for a medication check, else the check's name."""
    if result.get("drug"):
        return str(result["drug"])
    code = str(result.get("code", ""))
    return str(CHECK_TITLES.get(code, code))
