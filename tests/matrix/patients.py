"""Permission-matrix rows for the patients URLs (see tests/permission_matrix.py).

Clinicians and coordinators read records and edit demographics; only clinicians add, edit or
mark clinical entries in error (coordinators get 403); admins see no patient page (403) but own
the medication catalogue and the clinic policy. Restricted records (404 for outsiders) are
tested in tests/patients/test_patient_views.py (break-glass page for outsiders).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from patients.views import ENTRY_KINDS
from tests.patients.helpers import drug, make_patient, quick_record
from tests.permission_matrix import ADMIN, CLINICIAN, COORDINATOR, REDIRECT, Method, Route

READERS = frozenset({CLINICIAN, COORDINATOR})
CLINICIANS = frozenset({CLINICIAN})
ADMINS = frozenset({ADMIN})


def _restricted_patient() -> Any:
    from tests.patients.helpers import author

    owner = author()
    return make_patient(by=owner, restricted=True, primary_clinician=owner)


def build_objects(new_patient: Callable[[], Any] = make_patient) -> dict[str, Any]:
    """`new_patient` makes the record the objects belong to (the security tests pass one that
    makes restricted records)."""
    patient = new_patient()
    return {
        "patient": patient,
        "restricted_patient": _restricted_patient(),
        "catalogue_drug": drug("Apixaban"),
        **quick_record(patient),
    }


def patient_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["patient"].code}


def entry_codes(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def kwargs(objects: dict[str, Any]) -> dict[str, Any]:
        return {"code": objects["patient"].code, "entry": objects[key].code}

    return kwargs


def drug_code(objects: dict[str, Any]) -> dict[str, Any]:
    return {"code": objects["catalogue_drug"].code}


# An empty POST re-renders the form with its errors (200) and changes nothing.
ROUTES: dict[str, Route] = {
    "patients:patient-list": Route(get=Method(READERS)),
    "patients:patient-create": Route(get=Method(READERS), post=Method(READERS)),
    "patients:patient-detail": Route(kwargs=patient_code, get=Method(READERS)),
    "patients:patient-edit": Route(kwargs=patient_code, get=Method(READERS), post=Method(READERS)),
    "patients:patient-history": Route(kwargs=patient_code, get=Method(READERS)),
    "patients:lab-result-list": Route(kwargs=patient_code, get=Method(READERS)),
    # Anyone who reads records may break the glass of a restricted one (with a reason).
    "patients:break-glass": Route(
        kwargs=lambda objects: {"code": objects["restricted_patient"].code},
        get=Method(READERS),
        post=Method(READERS),
    ),
    "patients:drug-list": Route(get=Method(ADMINS)),
    "patients:drug-create": Route(get=Method(ADMINS), post=Method(ADMINS)),
    "patients:drug-edit": Route(kwargs=drug_code, get=Method(ADMINS), post=Method(ADMINS)),
    "patients:drug-deactivate": Route(
        kwargs=drug_code, get=Method(ADMINS), post=Method(ADMINS, ok=REDIRECT)
    ),
    "patients:drug-reactivate": Route(
        kwargs=drug_code, get=Method(ADMINS), post=Method(ADMINS, ok=REDIRECT)
    ),
    "patients:policy-edit": Route(get=Method(ADMINS), post=Method(ADMINS)),
}

for _kind in ENTRY_KINDS.values():
    _key = _kind.slug.replace("-", "_")
    ROUTES[f"patients:{_kind.slug}-add"] = Route(
        kwargs=patient_code, get=Method(CLINICIANS), post=Method(CLINICIANS)
    )
    ROUTES[f"patients:{_kind.slug}-edit"] = Route(
        kwargs=entry_codes(_key), get=Method(CLINICIANS), post=Method(CLINICIANS)
    )
    ROUTES[f"patients:{_kind.slug}-in-error"] = Route(
        kwargs=entry_codes(_key), get=Method(CLINICIANS), post=Method(CLINICIANS)
    )
