"""The procedure catalogue (seeded, admin-edited) and the follow-up days of the clinic policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clinic.accounts.models import User
from patients.models import FOLLOWUP_DAYS_FIELDS, ClinicPolicy
from procedures import services
from procedures.models import ProcedureCategory, ProcedureType
from procedures.safety import RISKS
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

REQUIRED = {
    "Diagnostic peripheral nerve block": ("diagnostic_block", "low", False, ""),
    "Celiac plexus block (diagnostic)": ("diagnostic_block", "intermediate", False, ""),
    "Celiac plexus neurolysis": ("neurolysis", "intermediate", False, ""),
    "Superior hypogastric plexus block (diagnostic)": (
        "diagnostic_block",
        "intermediate",
        False,
        "",
    ),
    "Superior hypogastric plexus neurolysis": ("neurolysis", "intermediate", False, ""),
    "Ganglion impar block": ("diagnostic_block", "intermediate", False, ""),
    "Stellate ganglion block": ("diagnostic_block", "intermediate", False, ""),
    "Intercostal nerve block": ("diagnostic_block", "low", False, ""),
    "Intercostal nerve neurolysis": ("neurolysis", "low", False, ""),
    "Epidural injection": ("other", "intermediate", True, ""),
    "Intrathecal drug delivery trial": ("intrathecal_drug_delivery", "high", True, ""),
    "Intrathecal pump implant": ("intrathecal_drug_delivery", "high", True, "intrathecal_pump"),
    "Spinal cord stimulator trial": ("neuromodulation", "high", True, ""),
    "Spinal cord stimulator implant": (
        "neuromodulation",
        "high",
        True,
        "spinal_cord_stimulator",
    ),
    "Dorsal root ganglion stimulation": ("neuromodulation", "high", True, "drg_stimulator"),
    "Peripheral nerve stimulator": ("neuromodulation", "low", False, "peripheral_nerve_stimulator"),
    "Radiofrequency ablation, peripheral nerve": ("ablation", "low", False, ""),
    "Radiofrequency ablation, lumbar or thoracic medial branch": ("ablation", "low", False, ""),
    "Radiofrequency ablation, cervical medial branch": ("ablation", "intermediate", False, ""),
    "Cryoablation": ("ablation", "intermediate", False, ""),
    "Vertebral augmentation (vertebroplasty or kyphoplasty)": (
        "vertebral_augmentation",
        "high",
        False,
        "",
    ),
    "Percutaneous cervical cordotomy": ("ablation", "high", True, ""),
}


def test_the_catalogue_is_seeded_with_the_clinics_procedures() -> None:
    seeded = {
        t.name: (t.category, t.bleeding_risk, t.neuraxial, t.implant_kind)
        for t in ProcedureType.objects.all()
    }

    assert seeded == REQUIRED


def test_every_seeded_procedure_has_discharge_instructions_with_warning_signs() -> None:
    for procedure in ProcedureType.objects.all():
        assert procedure.what_to_expect and procedure.activity_guidance, procedure.name
        assert len(procedure.warning_sign_lines()) >= 3, procedure.name
        assert "emergency department" in procedure.whom_to_call
        assert procedure.bleeding_risk in RISKS


def test_the_policy_has_follow_up_days_for_every_category() -> None:
    assert set(FOLLOWUP_DAYS_FIELDS) == set(ProcedureCategory.values)
    policy = ClinicPolicy.objects.get()
    assert policy.follow_up_days_for("neurolysis") == (1, 14, 42)


def test_an_admin_edits_a_procedure_and_its_history_is_kept(admin: User) -> None:
    procedure = ProcedureType.objects.get(name="Cryoablation")
    client = client_for(admin)
    form = client.get(reverse("procedures:type-edit", args=[procedure.code]))
    data = {
        name: value
        for name, value in form.context["form"].initial.items()
        if name in form.context["form"].fields
    }
    data.update({"follow_up_days": "14,1", "bleeding_risk": "high", "neuraxial": ""})

    response = client.post(reverse("procedures:type-edit", args=[procedure.code]), data)

    assert response.status_code == 302
    procedure.refresh_from_db()
    assert (procedure.bleeding_risk, procedure.follow_up_days, procedure.version) == (
        "high",
        [1, 14],
        2,
    )
    events = ProcedureType.pgh_event_models["insert"].objects.filter(pgh_obj=procedure)  # type: ignore[attr-defined]
    assert events.filter(pgh_label="update").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("follow_up_days", "0,14"),
        ("follow_up_days", "7,7"),
        ("snomed_code", "12ab"),
        ("name", "cryoablation"),
    ],
)
def test_a_bad_catalogue_entry_is_refused(admin: User, field: str, value: str) -> None:
    data: dict[str, Any] = {
        "name": "Basivertebral nerve ablation",
        "category": "ablation",
        "bleeding_risk": "intermediate",
        "what_to_expect": "Soreness",
        "activity_guidance": "Rest",
        "warning_signs": "Fever",
        "whom_to_call": "The clinic",
        field: value,
    }

    response = client_for(admin).post(reverse("procedures:type-create"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ProcedureType.objects.filter(name__iexact=data["name"], version__gt=1).exists()


def test_a_withdrawn_procedure_is_not_offered_for_new_plans(admin: User, clinician: User) -> None:
    procedure = ProcedureType.objects.get(name="Cryoablation")

    client_for(admin).post(reverse("procedures:type-deactivate", args=[procedure.code]))

    procedure.refresh_from_db()
    assert not procedure.is_active
    from tests.patients.helpers import make_patient

    patient = make_patient(by=clinician)
    form = client_for(clinician).get(reverse("procedures:plan-create", args=[patient.code]))
    offered = [
        str(label) for _value, label in form.context["form"].fields["procedure_type"].choices
    ]
    assert "Cryoablation" not in offered
    with pytest.raises(services.ProcedureError):
        services.procedure_type_set_active(procedure_type=procedure, active=False)


def test_the_policy_form_edits_the_follow_up_days(admin: User) -> None:
    client = client_for(admin)
    form = client.get(reverse("patients:policy-edit"))
    assert "followup_days_neurolysis" in form.context["form"].fields
    data = {
        name: value
        for name, value in form.context["form"].initial.items()
        if name in form.context["form"].fields and value is not None
    }
    data["followup_days_neurolysis"] = "2, 30"
    data.pop("quorum_disciplines", None)

    response = client.post(reverse("patients:policy-edit"), data)

    assert response.status_code == 302
    assert ClinicPolicy.objects.get().follow_up_days_for("neurolysis") == (2, 30)


def test_the_policy_refuses_a_follow_up_schedule_that_makes_no_sense(admin: User) -> None:
    policy = ClinicPolicy.objects.get()
    policy.followup_days_ablation = [0, 400]

    with pytest.raises(Exception) as error:
        policy.full_clean()

    assert "followup_days_ablation" in str(error.value)
