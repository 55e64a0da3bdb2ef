"""Proposing plans, the staged pathway, and status transitions (procedures/services.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessLog
from procedures import services
from procedures.models import (
    ApprovalSource,
    FollowUp,
    PlanStatus,
    ProcedurePlan,
    ProcedureRecord,
)
from tests.conftest import make_user
from tests.patients.helpers import make_patient
from tests.procedures.helpers import (
    CELIAC_BLOCK,
    approve_and_schedule,
    perform,
    procedure_type,
    propose,
)

pytestmark = pytest.mark.django_db


def history_labels(plan: ProcedurePlan) -> list[str]:
    events = ProcedurePlan.pgh_event_models["insert"].objects.filter(pgh_obj=plan)  # type: ignore[attr-defined]
    return list(events.order_by("pgh_id").values_list("pgh_label", flat=True))


def measured(plan: ProcedurePlan, *, baseline: str, pains: list[str | None]) -> ProcedurePlan:
    """Give a performed plan pain scores (as the assessments hook would); the plan, fresh."""
    record = ProcedureRecord.objects.get(plan=plan)
    record.baseline_pain = Decimal(baseline)
    record.save(update_fields=["baseline_pain"])
    for follow_up, pain in zip(plan.follow_ups.order_by("day"), pains, strict=False):
        follow_up.pain = None if pain is None else Decimal(pain)
        follow_up.save(update_fields=["pain"])
    return ProcedurePlan.objects.get(pk=plan.pk)


# --- proposing -----------------------------------------------------------------------------------


def test_a_clinician_proposes_a_diagnostic_block(clinician: User) -> None:
    plan = propose(clinician, procedure_type=procedure_type(CELIAC_BLOCK))

    assert plan.status == PlanStatus.PROPOSED
    assert plan.response_criterion_percent == 50
    assert plan.created_by == clinician
    assert history_labels(plan) == ["insert"]


def test_a_planned_date_in_the_past_is_refused_and_nothing_is_saved(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        propose(clinician, planned_date=timezone.localdate() - dt.timedelta(days=1))

    assert "planned_date" in error.value.error_dict
    assert not ProcedurePlan.objects.exists()


def test_a_definitive_stage_without_an_earlier_stage_needs_a_reason(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        propose(clinician, stage="definitive")

    assert "builds_on" in error.value.error_dict
    assert not ProcedurePlan.objects.exists()


def test_a_definitive_stage_without_an_earlier_stage_proceeds_with_a_reason(
    clinician: User,
) -> None:
    plan = propose(
        clinician, stage="definitive", stage_override_reason="Too frail for two procedures"
    )

    assert plan.stage_override_reason == "Too frail for two procedures"


def test_a_later_stage_builds_on_an_earlier_one_that_met_its_response(clinician: User) -> None:
    patient = make_patient(by=clinician)
    block = perform(clinician, patient, procedure_type=procedure_type(CELIAC_BLOCK)).plan
    block = measured(block, baseline="8", pains=["3"])

    plan = propose(clinician, patient, stage="definitive", builds_on=block)

    assert plan.builds_on == block
    assert plan.stage_override_reason == ""


@pytest.mark.parametrize("pains", [["6", "7"], [None, None]], ids=["not met", "not measured"])
def test_building_on_a_stage_without_a_met_response_needs_a_reason(
    clinician: User, pains: list[str | None]
) -> None:
    patient = make_patient(by=clinician)
    block = perform(clinician, patient, procedure_type=procedure_type(CELIAC_BLOCK)).plan
    block = measured(block, baseline="8", pains=pains)

    with pytest.raises(ValidationError) as error:
        propose(clinician, patient, stage="definitive", builds_on=block)

    assert "stage_override_reason" in error.value.error_dict
    plan = propose(
        clinician,
        patient,
        stage="definitive",
        builds_on=block,
        stage_override_reason="Partial relief, pain dominant in the plexus territory",
    )
    assert plan.builds_on == block


def test_a_stage_cannot_build_on_a_plan_not_yet_performed(clinician: User) -> None:
    patient = make_patient(by=clinician)
    block = propose(clinician, patient, procedure_type=procedure_type(CELIAC_BLOCK))

    with pytest.raises(ValidationError) as error:
        propose(clinician, patient, stage="definitive", builds_on=block)

    assert "builds_on" in error.value.error_dict


def test_a_stage_cannot_build_on_the_same_or_a_later_stage(clinician: User) -> None:
    patient = make_patient(by=clinician)
    block = perform(clinician, patient, procedure_type=procedure_type(CELIAC_BLOCK)).plan

    with pytest.raises(ValidationError) as error:
        propose(clinician, patient, stage="diagnostic", builds_on=block)

    assert "stage" in error.value.error_dict


def test_a_stage_cannot_build_on_another_patients_plan(clinician: User) -> None:
    block = perform(clinician, procedure_type=procedure_type(CELIAC_BLOCK)).plan

    with pytest.raises(ValidationError) as error:
        propose(clinician, stage="definitive", builds_on=block, stage_override_reason="x")

    assert "builds_on" in error.value.error_dict


def test_a_coordinator_cannot_propose(coordinator: User) -> None:
    with pytest.raises(services.ProcedureError):
        services.plan_propose(by=coordinator, patient=make_patient(), **{})


def test_the_operator_must_be_a_clinician(clinician: User, coordinator: User) -> None:
    with pytest.raises(ValidationError) as error:
        propose(clinician, operator=coordinator)

    assert "operator" in error.value.error_dict


def test_a_withdrawn_procedure_cannot_be_proposed(clinician: User) -> None:
    withdrawn = procedure_type(CELIAC_BLOCK)
    services.procedure_type_set_active(procedure_type=withdrawn, active=False)

    with pytest.raises(ValidationError) as error:
        propose(clinician, procedure_type=withdrawn)

    assert "procedure_type" in error.value.error_dict


def test_consent_needs_its_date(clinician: User) -> None:
    with pytest.raises(ValidationError) as error:
        propose(clinician, consent_recorded=True)

    assert "consent_date" in error.value.error_dict


# --- editing -------------------------------------------------------------------------------------


def test_editing_a_plan_bumps_its_version_and_keeps_history(clinician: User) -> None:
    plan = propose(clinician)

    edited = services.plan_update(by=clinician, plan=plan, version=1, level="T12–L1")

    assert (edited.level, edited.version) == ("T12–L1", 2)
    assert history_labels(plan) == ["insert", "update"]


def test_an_approved_plan_keeps_its_procedure_and_stage(clinician: User) -> None:
    plan = approve_and_schedule(propose(clinician), clinician)

    with pytest.raises(services.ProcedureError, match="approved"):
        services.plan_update(
            by=clinician,
            plan=plan,
            version=plan.version,
            procedure_type=procedure_type(CELIAC_BLOCK),
        )
    edited = services.plan_update(
        by=clinician, plan=plan, version=plan.version, level="T12", consent_recorded=False
    )

    assert (edited.procedure_type.name, edited.level) == ("Celiac plexus neurolysis", "T12")


def test_an_edit_from_a_stale_form_is_refused(clinician: User) -> None:
    plan = propose(clinician)
    services.plan_update(by=clinician, plan=plan, version=1, level="L1")

    with pytest.raises(services.EditConflict):
        services.plan_update(by=clinician, plan=plan, version=1, level="L2")

    plan.refresh_from_db()
    assert plan.level == "L1"


# --- transitions ---------------------------------------------------------------------------------


def test_the_status_moves_through_the_pathway_in_order(clinician: User, coordinator: User) -> None:
    plan = propose(clinician)

    plan = services.plan_submit_for_mdt(by=clinician, plan=plan)
    assert plan.status == PlanStatus.AWAITING_MDT
    plan = services.plan_approve_from_meeting(
        plan=plan, decided_by=coordinator, meeting_reference="MDT 12 March 2026, item 4"
    )
    assert (plan.status, plan.approval_source) == (PlanStatus.APPROVED, ApprovalSource.MEETING)
    assert plan.approval_reference == "MDT 12 March 2026, item 4"
    plan = services.plan_schedule(plan=plan, by=coordinator, scheduled_date=plan.planned_date)
    assert plan.status == PlanStatus.SCHEDULED
    assert history_labels(plan) == ["insert", "update", "update", "update"]


@pytest.mark.parametrize(
    "action",
    [
        lambda plan, user: services.plan_approve_from_meeting(
            plan=plan, decided_by=user, meeting_reference="MDT"
        ),
        lambda plan, user: services.plan_schedule(
            plan=plan, by=user, scheduled_date=plan.planned_date
        ),
        lambda plan, user: services.safety_override(
            review=services.safety_review_run(plan=plan, on=plan.planned_date, by=user),
            check_code="nope",
            reason="because",
            by=user,
        ),
    ],
    ids=["approve before submission", "schedule before approval", "override unknown check"],
)
def test_transitions_out_of_order_are_refused_and_change_nothing(
    clinician: User, action: Any
) -> None:
    plan = propose(clinician)

    with pytest.raises(services.ProcedureError):
        action(plan, clinician)

    plan.refresh_from_db()
    assert (plan.status, plan.version) == (PlanStatus.PROPOSED, 1)


def test_submitting_twice_is_refused(clinician: User) -> None:
    plan = services.plan_submit_for_mdt(by=clinician, plan=propose(clinician))

    with pytest.raises(services.ProcedureError, match="awaiting team meeting"):
        services.plan_submit_for_mdt(by=clinician, plan=plan)


def test_a_meeting_approval_names_the_meeting(clinician: User) -> None:
    plan = services.plan_submit_for_mdt(by=clinician, plan=propose(clinician))

    with pytest.raises(services.ProcedureError):
        services.plan_approve_from_meeting(plan=plan, decided_by=clinician, meeting_reference=" ")


def test_an_urgent_approval_needs_a_clinician_and_a_reason_and_is_flagged(
    clinician: User, coordinator: User
) -> None:
    plan = propose(clinician)

    with pytest.raises(services.ProcedureError):
        services.plan_approve_urgently(plan=plan, by=coordinator, reason="Cannot wait a week")
    with pytest.raises(ValidationError):
        services.plan_approve_urgently(plan=plan, by=clinician, reason="soon")
    plan = services.plan_approve_urgently(
        plan=plan, by=clinician, reason="Uncontrolled pain, admitted, meeting in 9 days"
    )

    assert (plan.status, plan.approval_source, plan.approved_by) == (
        PlanStatus.APPROVED,
        ApprovalSource.URGENT,
        clinician,
    )
    entry = AccessLog.objects.get(flagged=True)
    assert entry.actor == clinician
    assert entry.patient_code == plan.patient.code
    assert entry.object_code == plan.code
    assert "Urgent approval" in entry.note


def test_a_scheduled_date_in_the_past_is_refused(clinician: User) -> None:
    plan = services.plan_approve_urgently(
        plan=propose(clinician), by=clinician, reason="Uncontrolled pain, admitted"
    )

    with pytest.raises(ValidationError):
        services.plan_schedule(
            plan=plan, by=clinician, scheduled_date=timezone.localdate() - dt.timedelta(days=1)
        )

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_an_admin_cannot_schedule(clinician: User, admin: User) -> None:
    plan = services.plan_approve_urgently(
        plan=propose(clinician), by=clinician, reason="Uncontrolled pain, admitted"
    )

    with pytest.raises(services.ProcedureError):
        services.plan_schedule(plan=plan, by=admin, scheduled_date=plan.planned_date)


def test_a_scheduled_plan_can_be_moved_to_another_date(clinician: User) -> None:
    plan = approve_and_schedule(propose(clinician), clinician)
    later = plan.planned_date + dt.timedelta(days=3)

    plan = services.plan_schedule(plan=plan, by=clinician, scheduled_date=later)

    assert (plan.status, plan.scheduled_date, plan.target_date) == (
        PlanStatus.SCHEDULED,
        later,
        later,
    )


def test_cancelling_needs_a_reason_and_is_possible_until_performed(clinician: User) -> None:
    plan = approve_and_schedule(propose(clinician), clinician)

    with pytest.raises(ValidationError):
        services.plan_cancel(plan=plan, by=clinician, reason="")
    plan = services.plan_cancel(plan=plan, by=clinician, reason="Patient declined")

    assert (plan.status, plan.cancel_reason, plan.cancelled_by) == (
        PlanStatus.CANCELLED,
        "Patient declined",
        clinician,
    )
    with pytest.raises(services.ProcedureError):
        services.plan_cancel(plan=plan, by=clinician, reason="again")


def test_a_performed_plan_cannot_be_cancelled_or_edited(clinician: User) -> None:
    plan = perform(clinician).plan

    with pytest.raises(services.ProcedureError):
        services.plan_cancel(plan=plan, by=clinician, reason="Changed my mind")
    with pytest.raises(services.ProcedureError):
        services.plan_update(by=clinician, plan=plan, version=plan.version, level="L2")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PERFORMED
    assert FollowUp.objects.filter(plan=plan).count() == 3


def test_only_active_clinicians_act_as_clinicians(clinician: User) -> None:
    leaver = make_user(Role.CLINICIAN, is_active=False)

    with pytest.raises(services.ProcedureError):
        propose(leaver)
