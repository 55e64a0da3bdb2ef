"""Writes of the procedures app. Each function checks its transition and raises a ProcedureError.

Every function runs in one transaction and locks the plan it changes, so two people acting on
the same plan at once are served one after the other; an error leaves nothing changed.
Model validation errors are raised as Django `ValidationError`s keyed by field.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction, AccessLog
from clinic.audit.services import access_log_record
from clinic.reminders import rules as reminder_rules
from clinic.reminders.services import reminder_schedule, reminders_cancel_about
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.models import Patient
from procedures import evaluation, labels, outcomes, selectors
from procedures.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    STAGE_ORDER,
    ApprovalSource,
    ComplicationSeverity,
    FollowUp,
    FollowUpStatus,
    PlanStatus,
    ProcedurePlan,
    ProcedureRecord,
    ProcedureType,
    SafetyReview,
    Stage,
)

logger = logging.getLogger(__name__)

FOLLOWUP_DUE = "followup_due"


class ProcedureError(ValueError):
    """A change that would break a rule of the pathway; the message says which."""


class EditConflict(ProcedureError):
    """Someone else saved this row since the form was opened; nothing was saved."""


def _require_clinician(by: User, what: str) -> None:
    if not (by.is_active and by.has_role(Role.CLINICIAN)):
        raise ProcedureError(_("Only a clinician may %(what)s.") % {"what": what})


def _clean_text(value: str) -> str:
    return " ".join((value or "").split())


def _lock(plan: ProcedurePlan) -> ProcedurePlan:
    # Only the plan's row is locked (its operator is an outer join).
    return (
        ProcedurePlan.objects.select_for_update(of=("self",))
        .select_related("patient", "patient__primary_clinician", "procedure_type", "operator")
        .get(pk=plan.pk)
    )


def _require_status(plan: ProcedurePlan, allowed: Iterable[str], action: str) -> None:
    allowed = list(allowed)
    if plan.status not in allowed:
        raise ProcedureError(
            _("This plan is %(status)s: it cannot be %(action)s.")
            % {"status": plan.get_status_display().lower(), "action": action}
        )


def _save(plan: ProcedurePlan, fields: list[str]) -> None:
    plan.version += 1
    plan.save(update_fields=[*fields, "version", "updated_at"])


# --- catalogue (admins) --------------------------------------------------------------------------

TYPE_FIELDS = (
    "name",
    "category",
    "bleeding_risk",
    "neuraxial",
    "implant_kind",
    "follow_up_days",
    "what_to_expect",
    "activity_guidance",
    "warning_signs",
    "whom_to_call",
    "snomed_code",
)


def _save_type(procedure_type: ProcedureType) -> None:
    procedure_type.full_clean(validate_constraints=False)
    duplicate = ProcedureType.objects.filter(name__iexact=procedure_type.name)
    if procedure_type.pk is not None:
        duplicate = duplicate.exclude(pk=procedure_type.pk)
    if duplicate.exists():
        raise ValidationError(
            {"name": _("The catalogue already has %(name)s.") % {"name": procedure_type.name}}
        )
    procedure_type.save()


@transaction.atomic
def procedure_type_create(**fields: Any) -> ProcedureType:
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown procedure type fields: {sorted(unknown)}")
    procedure_type = ProcedureType(**fields)
    _save_type(procedure_type)
    return procedure_type


@transaction.atomic
def procedure_type_update(
    *, procedure_type: ProcedureType, version: int, **fields: Any
) -> ProcedureType:
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown procedure type fields: {sorted(unknown)}")
    locked = ProcedureType.objects.select_for_update().get(pk=procedure_type.pk)
    if locked.version != version:
        raise EditConflict(
            _("%(name)s was changed by someone else while you were editing.")
            % {"name": locked.name}
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.version += 1
    _save_type(locked)
    return locked


@transaction.atomic
def procedure_type_set_active(*, procedure_type: ProcedureType, active: bool) -> ProcedureType:
    """Withdraw a type from new plans (or bring it back); existing plans keep it."""
    locked = ProcedureType.objects.select_for_update().get(pk=procedure_type.pk)
    if locked.is_active == active:
        state = _("available") if active else _("withdrawn")
        raise ProcedureError(
            _("%(name)s is already %(state)s.") % {"name": locked.name, "state": state}
        )
    locked.is_active = active
    locked.version += 1
    locked.save(update_fields=["is_active", "version", "updated_at"])
    return locked


# --- proposing and editing a plan ----------------------------------------------------------------

PLAN_FIELDS = (
    "procedure_type",
    "stage",
    "builds_on",
    "stage_override_reason",
    "target",
    "level",
    "laterality",
    "indication",
    "response_criterion_percent",
    "planned_date",
    "operator",
    "imaging_guidance",
    "patient_high_bleeding_risk",
    "infection_screen",
    "infection_note",
    "consent_recorded",
    "consent_date",
)


def _check_planned_date(planned_date: dt.date | None) -> None:
    if planned_date is not None and planned_date < timezone.localdate():
        raise ValidationError({"planned_date": _("The planned date cannot be in the past.")})


def _check_operator(operator: User | None) -> None:
    if operator is not None and not (operator.is_active and operator.has_role(Role.CLINICIAN)):
        raise ValidationError({"operator": _("The operator must be an active clinician.")})


def _check_type_available(procedure_type: ProcedureType | None) -> None:
    if procedure_type is None:
        return
    if not ProcedureType.objects.filter(pk=procedure_type.pk, is_active=True).exists():
        raise ValidationError(
            {
                "procedure_type": _("%(name)s is withdrawn from the catalogue.")
                % {"name": procedure_type.name}
            }
        )


def check_stage(plan: ProcedurePlan) -> None:
    """The staged pathway: a later stage builds on an earlier one that met its response.

    A definitive stage needs the earlier stage it builds on; building on a stage whose
    response criterion was not met (or not yet measured) needs an override with a reason.
    """
    reason = plan.stage_override_reason.strip()
    earlier = plan.builds_on
    if earlier is None:
        if plan.stage == Stage.DEFINITIVE and not reason:
            raise ValidationError(
                {
                    "builds_on": _(
                        "A definitive stage builds on an earlier diagnostic or trial stage. "
                        "Choose it, or give the reason to proceed without one."
                    )
                }
            )
        return
    if earlier.patient_id != plan.patient_id:
        raise ValidationError({"builds_on": _("The earlier stage must be of the same patient.")})
    if STAGE_ORDER[plan.stage] <= STAGE_ORDER[earlier.stage]:
        raise ValidationError(
            {
                "stage": _("A %(stage)s stage cannot build on a %(earlier)s stage.")
                % {
                    "stage": plan.get_stage_display().lower(),
                    "earlier": earlier.get_stage_display().lower(),
                }
            }
        )
    if earlier.status not in DONE_STATUSES:
        raise ValidationError({"builds_on": _("The earlier stage has not been performed yet.")})
    response = selectors.stage_response(earlier)
    if response.met is not True and not reason:
        problem = (
            _("The earlier stage has no measured response yet")
            if response.met is None
            else _("The earlier stage did not meet its response criterion (≥ %(criterion)s%%)")
            % {"criterion": earlier.response_criterion_percent}
        )
        raise ValidationError(
            {
                "stage_override_reason": _(
                    "%(problem)s. Give the reason to proceed to a later stage anyway."
                )
                % {"problem": problem}
            }
        )


def _validate_plan(plan: ProcedurePlan) -> None:
    plan.full_clean(validate_constraints=False)
    check_stage(plan)
    plan.validate_constraints()


@transaction.atomic
def plan_propose(*, by: User, patient: Patient, **fields: Any) -> ProcedurePlan:
    """Propose a procedure for `patient` (status proposed)."""
    _require_clinician(by, _("propose a procedure"))
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {sorted(unknown)}")
    _check_type_available(fields.get("procedure_type"))
    _check_planned_date(fields.get("planned_date"))
    _check_operator(fields.get("operator"))
    plan = ProcedurePlan(patient=patient, created_by=by, **fields)
    _validate_plan(plan)
    plan.save()
    return plan


EDITABLE_STATUSES = OPEN_STATUSES


@transaction.atomic
def plan_update(*, by: User, plan: ProcedurePlan, version: int, **fields: Any) -> ProcedurePlan:
    """Change a plan's details before it is performed; refuses a form opened before another save."""
    _require_clinician(by, _("change a procedure plan"))
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {sorted(unknown)}")
    locked = _lock(plan)
    _require_status(locked, EDITABLE_STATUSES, _("changed"))
    if locked.version != version:
        raise EditConflict(_("This plan was changed by someone else while you were editing."))
    if "planned_date" in fields and fields["planned_date"] != locked.planned_date:
        _check_planned_date(fields["planned_date"])
    if "operator" in fields and fields["operator"] != locked.operator:
        _check_operator(fields["operator"])
    if fields.get("procedure_type") not in (None, locked.procedure_type):
        _check_type_available(fields["procedure_type"])
    _check_approved_plan_keeps_its_procedure(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    _validate_plan(locked)
    _save(locked, list(fields))
    return locked


APPROVED_FIELDS = ("procedure_type", "stage", "builds_on")


def _check_approved_plan_keeps_its_procedure(
    plan: ProcedurePlan, fields: Mapping[str, Any]
) -> None:
    # The team (or the urgent approver) approved this procedure at this stage: another one is a
    # new decision, so it is a new plan.
    if plan.approved_at is None:
        return
    changed = [
        name for name in APPROVED_FIELDS if name in fields and fields[name] != getattr(plan, name)
    ]
    if changed:
        raise ProcedureError(
            _(
                "This plan is approved: its procedure, stage and earlier stage cannot change. "
                "Cancel it and propose a new plan."
            )
        )


# --- status transitions --------------------------------------------------------------------------


@transaction.atomic
def plan_submit_for_mdt(*, by: User, plan: ProcedurePlan) -> ProcedurePlan:
    """Put a proposed plan forward for the next team meeting."""
    _require_clinician(by, _("submit a plan to the team meeting"))
    locked = _lock(plan)
    _require_status(locked, [PlanStatus.PROPOSED], _("submitted to the team meeting"))
    locked.status = PlanStatus.AWAITING_MDT
    locked.submitted_at = timezone.now()
    _save(locked, ["status", "submitted_at"])
    return locked


@transaction.atomic
def plan_approve_from_meeting(
    *, plan: ProcedurePlan, decided_by: User, meeting_reference: str
) -> ProcedurePlan:
    """Approve a plan by a team-meeting decision (called by the meetings app)."""
    reference = _clean_text(meeting_reference)
    if not reference:
        raise ProcedureError(_("Name the team meeting that decided."))
    locked = _lock(plan)
    _require_status(locked, [PlanStatus.AWAITING_MDT], _("approved by a team meeting"))
    locked.status = PlanStatus.APPROVED
    locked.approval_source = ApprovalSource.MEETING
    locked.approval_reference = reference[:200]
    locked.approved_at = timezone.now()
    locked.approved_by = decided_by
    _save(locked, ["status", "approval_source", "approval_reference", "approved_at", "approved_by"])
    return locked


@transaction.atomic
def plan_approve_urgently(
    *, plan: ProcedurePlan, by: User, reason: str, request: HttpRequest | None = None
) -> ProcedurePlan:
    """Approve without a team meeting: a clinician, with a reason; flagged in the access log."""
    _require_clinician(by, _("approve a procedure urgently"))
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(
            {"reason": _("Say why this cannot wait for the team meeting (10 characters or more).")}
        )
    locked = _lock(plan)
    _require_status(locked, [PlanStatus.PROPOSED, PlanStatus.AWAITING_MDT], _("approved urgently"))
    locked.status = PlanStatus.APPROVED
    locked.approval_source = ApprovalSource.URGENT
    locked.urgent_reason = reason
    locked.approved_at = timezone.now()
    locked.approved_by = by
    _save(locked, ["status", "approval_source", "urgent_reason", "approved_at", "approved_by"])
    note = f"Urgent approval of a procedure without a team meeting: {reason}"
    if request is not None:
        access_log_record(
            request=request,
            action=AccessAction.VIEW,
            patient_code=locked.patient.code,
            obj=locked,
            flagged=True,
            note=note,
        )
    else:
        # Called outside a request (a script, a test): the entry still names who and what.
        AccessLog.objects.create(
            actor=by,
            actor_label=by.get_username()[:150],
            action=AccessAction.VIEW,
            patient_code=locked.patient.code,
            object_type=locked._meta.label_lower,
            object_code=locked.code,
            flagged=True,
            note=note[:300],
        )
    return locked


@transaction.atomic
def plan_schedule(*, plan: ProcedurePlan, by: User, scheduled_date: dt.date) -> ProcedurePlan:
    """Set (or move) the date of an approved plan: coordinators and clinicians."""
    if not (by.is_active and by.has_role(Role.CLINICIAN, Role.COORDINATOR)):
        raise ProcedureError(_("Only a coordinator or a clinician may schedule a procedure."))
    if scheduled_date is None:
        raise ValidationError({"scheduled_date": _("Give the date.")})
    if scheduled_date < timezone.localdate():
        raise ValidationError({"scheduled_date": _("The scheduled date cannot be in the past.")})
    locked = _lock(plan)
    _require_status(locked, [PlanStatus.APPROVED, PlanStatus.SCHEDULED], _("scheduled"))
    locked.status = PlanStatus.SCHEDULED
    locked.scheduled_date = scheduled_date
    _save(locked, ["status", "scheduled_date"])
    return locked


@transaction.atomic
def plan_cancel(*, plan: ProcedurePlan, by: User, reason: str) -> ProcedurePlan:
    """Cancel a plan before it is performed, with a reason."""
    _require_clinician(by, _("cancel a procedure plan"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the plan is cancelled.")})
    locked = _lock(plan)
    _require_status(locked, OPEN_STATUSES, _("cancelled"))
    locked.status = PlanStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = by
    locked.cancel_reason = reason
    _save(locked, ["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    return locked


# --- safety reviews ------------------------------------------------------------------------------


@transaction.atomic
def safety_review_run(*, plan: ProcedurePlan, on: dt.date, by: User) -> SafetyReview:
    """Evaluate every safety check for the procedure on `on` and keep the result."""
    _require_clinician(by, _("record a safety review"))
    if on < timezone.localdate():
        raise ProcedureError(_("A safety review is for today or a later date."))
    locked = _lock(plan)
    _require_status(locked, OPEN_STATUSES, _("reviewed"))
    policy = patient_selectors.policy_get()
    result = evaluation.evaluate(selectors.safety_inputs(locked, on=on, policy=policy))
    review = SafetyReview(
        plan=locked,
        evaluated_for=on,
        evaluated_at=timezone.now(),
        by=by,
        base_risk=result.base_risk,
        effective_risk=result.effective_risk,
        high_bleeding_risk_reasons=list(result.high_bleeding_risk_reasons),
        results=result.results,
        overrides={},
        all_clear=evaluation.all_clear(result.results, {}),
    )
    review.save()
    return review


@transaction.atomic
def safety_override(
    *, review: SafetyReview, check_code: str, reason: str, by: User
) -> SafetyReview:
    """Accept a check that did not pass, with the clinician's reason (kept in the history)."""
    _require_clinician(by, _("override a safety check"))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": _("Give the reason for the override.")})
    locked = SafetyReview.objects.select_for_update().get(pk=review.pk)
    plan = _lock(locked.plan)
    _require_status(plan, OPEN_STATUSES, _("overridden"))
    newest = (
        SafetyReview.objects.filter(plan=plan, evaluated_for=locked.evaluated_for)
        .order_by("-evaluated_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if newest != locked.pk:
        raise ProcedureError(_("A newer review exists for this date: override on that one."))
    result = next((r for r in locked.results if r["code"] == check_code), None)
    if result is None:
        raise ProcedureError(_("This review has no such check."))
    if result["status"] == "pass":
        raise ProcedureError(_("This check passed: there is nothing to override."))
    if check_code in locked.overrides:
        raise ProcedureError(_("This check is already overridden."))
    locked.overrides = {
        **locked.overrides,
        check_code: {
            "reason": reason[:500],
            "by": by.pk,
            "by_name": by.display_name,
            "at": timezone.now().isoformat(),
        },
    }
    locked.all_clear = evaluation.all_clear(locked.results, locked.overrides)
    locked.save(update_fields=["overrides", "all_clear"])
    return locked


# --- recording the procedure ---------------------------------------------------------------------


def _clean_complications(
    had_complications: bool, complications: Iterable[Mapping[str, str]]
) -> list[dict[str, str]]:
    listed = []
    for item in complications:
        description = _clean_text(item.get("description", ""))
        severity = item.get("severity", "")
        if not description and not severity:
            continue
        if not description or severity not in ComplicationSeverity.values:
            raise ValidationError(
                {"complications": _("Describe each complication and give its severity.")}
            )
        listed.append({"description": description[:200], "severity": severity})
    if had_complications and not listed:
        raise ValidationError({"complications": _("List the complications, with their severity.")})
    if not had_complications and listed:
        raise ValidationError(
            {"complications": _("Complications are listed: choose “complications”, not “none”.")}
        )
    return listed


def _check_review_for(plan: ProcedurePlan, performed_on: dt.date) -> SafetyReview:
    review = (
        SafetyReview.objects.filter(plan=plan, evaluated_for=performed_on)
        .order_by("-evaluated_at", "-id")
        .first()
    )
    if review is None or timezone.localtime(review.evaluated_at).date() != performed_on:
        raise ProcedureError(
            _(
                "Run the safety review on the day of the procedure (%(day)s) before recording "
                "it as performed."
            )
            % {"day": performed_on.isoformat()}
        )
    if not review.all_clear:
        open_checks = [
            labels.check_title(r)
            for r in review.results
            if r["status"] != "pass" and r["code"] not in review.overrides
        ]
        raise ProcedureError(
            _(
                "The safety review of %(day)s has checks that neither passed nor were "
                "overridden (%(checks)s): the procedure cannot be recorded as performed."
            )
            % {"day": performed_on.isoformat(), "checks": ", ".join(open_checks)}
        )
    return review


def _responsible_for(plan: ProcedurePlan, by: User) -> User:
    """The plan's operator, else the patient's primary clinician, else whoever recorded it."""
    for candidate in (plan.operator, plan.patient.primary_clinician):
        if candidate is not None and candidate.is_active and candidate.has_role(Role.CLINICIAN):
            return candidate
    return by


def _schedule_follow_ups(
    record: ProcedureRecord, *, days: Iterable[int], responsible: User
) -> list[FollowUp]:
    performed_on = timezone.localtime(record.performed_at).date()
    follow_ups = [
        FollowUp(
            plan=record.plan,
            record=record,
            kind=outcomes.kind_for_day(day),
            day=day,
            due_date=performed_on + dt.timedelta(days=day),
            responsible=responsible,
        )
        for day in outcomes.check_follow_up_days(days)
    ]
    # One by one (not bulk) so each insert is in the history.
    for follow_up in follow_ups:
        follow_up.save()
        followup_remind(follow_up=follow_up)
    return follow_ups


def followup_remind(*, follow_up: FollowUp) -> None:
    """Remind the responsible clinician on the due date at 08:00 clinic time (once)."""
    due_at = max(reminder_rules.morning_of(follow_up.due_date), timezone.now())
    reminder_schedule(
        kind=FOLLOWUP_DUE,
        dedupe_key=f"followup:{follow_up.code}:{follow_up.responsible_id}",
        due_at=due_at,
        recipient=follow_up.responsible_id,
        subject=follow_up,
        link_url=reverse("procedures:followup-detail", kwargs={"code": follow_up.code}),
        data={"due_on": follow_up.due_date.isoformat()},
    )


def _device_details(
    plan: ProcedurePlan, performed_on: dt.date, device: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    kind = plan.procedure_type.implant_kind
    if not kind or plan.stage == Stage.TRIAL:
        return None
    device = dict(device or {})
    if not (device.get("model_name") and device.get("serial_number")):
        raise ValidationError({"device": _("Give the implanted device's model and serial number.")})
    return {"kind": kind, "implanted_on": performed_on, **device}


@transaction.atomic
def procedure_record(
    *,
    plan: ProcedurePlan,
    by: User,
    performed_at: dt.datetime,
    performed_by: User,
    imaging_guidance: str,
    had_complications: bool,
    complications: Iterable[Mapping[str, str]] = (),
    immediate_relief_percent: int | None = None,
    notes: str = "",
    device: Mapping[str, Any] | None = None,
) -> ProcedureRecord:
    """Record a scheduled procedure as performed.

    Refused unless the latest safety review for the day it was performed, run that day, has
    every check passed or overridden. Schedules the follow-ups (with their reminders) and, for
    an implant, creates or updates the patient's device entry.
    """
    _require_clinician(by, _("record a procedure"))
    if performed_at is None:
        raise ValidationError({"performed_at": _("Give the date and time.")})
    if performed_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"performed_at": _("A procedure cannot be recorded in advance.")})
    _check_operator_performed(performed_by)
    locked = _lock(plan)
    _require_status(locked, [PlanStatus.SCHEDULED], _("recorded as performed"))
    performed_on = timezone.localtime(performed_at).date()
    _check_review_for(locked, performed_on)
    if immediate_relief_percent is not None and not 0 <= immediate_relief_percent <= 100:
        raise ValidationError({"immediate_relief_percent": _("Between 0 and 100%.")})
    device_fields = _device_details(locked, performed_on, device)
    record = ProcedureRecord(
        plan=locked,
        performed_at=performed_at,
        performed_by=performed_by,
        imaging_guidance=imaging_guidance,
        had_complications=had_complications,
        complications=_clean_complications(had_complications, complications),
        immediate_relief_percent=immediate_relief_percent,
        notes=(notes or "").strip(),
        created_by=by,
    )
    record.full_clean(exclude=["plan"], validate_constraints=False)
    record.save()
    locked.status = PlanStatus.PERFORMED
    _save(locked, ["status"])
    days = selectors.follow_up_days(locked.procedure_type, patient_selectors.policy_get())
    _schedule_follow_ups(record, days=days, responsible=_responsible_for(locked, by))
    if device_fields is not None:
        patient_services.device_record_implant(by=by, patient=locked.patient, **device_fields)
    outcome_refresh(record=record)
    return record


def _check_operator_performed(performed_by: User | None) -> None:
    if performed_by is None or not performed_by.has_role(Role.CLINICIAN):
        raise ValidationError({"performed_by": _("The procedure is performed by a clinician.")})


# --- follow-ups ----------------------------------------------------------------------------------


def _finish_plan_if_followed_up(plan: ProcedurePlan) -> None:
    locked = _lock(plan)
    if locked.status != PlanStatus.PERFORMED:
        return
    if not FollowUp.objects.filter(plan=locked, status=FollowUpStatus.PENDING).exists():
        locked.status = PlanStatus.FOLLOWED_UP
        _save(locked, ["status"])


def _close_follow_up(
    follow_up: FollowUp,
    *,
    status: str,
    by: User | None,
    note: str = "",
    assessment_code: Any = None,
) -> FollowUp:
    locked = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("plan", "record")
        .get(pk=follow_up.pk)
    )
    if locked.status != FollowUpStatus.PENDING:
        raise ProcedureError(
            _("This follow-up is already %(status)s.")
            % {"status": locked.get_status_display().lower()}
        )
    locked.status = status
    locked.completed_at = timezone.now()
    locked.completed_by = by
    locked.note = note[:300]
    locked.assessment_code = assessment_code
    locked.save(
        update_fields=[
            "status",
            "completed_at",
            "completed_by",
            "note",
            "assessment_code",
            "updated_at",
        ]
    )
    reminders_cancel_about(
        subject=locked, reason="Follow-up recorded" if status == "done" else "Follow-up missed"
    )
    outcome_refresh(record=locked.record)
    _finish_plan_if_followed_up(locked.plan)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def followup_complete(
    *, follow_up: FollowUp, by: User, note: str = "", assessment_code: Any = None
) -> FollowUp:
    """Mark a follow-up done (e.g. a phone check), optionally with its assessment."""
    _require_clinician(by, _("complete a follow-up"))
    return _close_follow_up(
        follow_up,
        status=FollowUpStatus.DONE,
        by=by,
        note=(note or "").strip(),
        assessment_code=assessment_code,
    )


@transaction.atomic
def followup_mark_missed(*, follow_up: FollowUp, by: User, reason: str) -> FollowUp:
    """The follow-up did not happen (patient unreachable, admitted elsewhere …)."""
    _require_clinician(by, _("mark a follow-up as missed"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the follow-up was missed.")})
    return _close_follow_up(follow_up, status=FollowUpStatus.MISSED, by=by, note=reason)


def assessment_recorded(assessment: Any, *, follow_up_code: Any = None) -> None:
    """The assessments app's hook (`assessments.hooks`), inside the assessment's transaction.

    Completes the follow-up the assessment was recorded for: links it, marks it done and
    cancels its reminder. A follow-up of another patient, or one no longer pending, raises a
    ProcedureError (the assessment is then not saved and the form shows the message). Then
    refreshes the measured outcomes of the patient's recent procedures, whose follow-up windows
    the assessment may fall in.
    """
    patient_id = assessment.patient_id
    if follow_up_code:
        follow_up = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(code=follow_up_code)
            .first()
        )
        if follow_up is None or follow_up.plan.patient_id != patient_id:
            raise ProcedureError(_("This follow-up is not one of this patient's."))
        if follow_up.status != FollowUpStatus.PENDING:
            raise ProcedureError(
                _("This follow-up is already %(status)s.")
                % {"status": follow_up.get_status_display().lower()}
            )
        _close_follow_up(
            follow_up,
            status=FollowUpStatus.DONE,
            by=getattr(assessment, "created_by", None),
            note=_("Assessment recorded"),
            assessment_code=assessment.code,
        )
    since = timezone.now() - dt.timedelta(days=outcomes.MAX_FOLLOW_UP_DAY + 60)
    records = ProcedureRecord.objects.filter(plan__patient_id=patient_id, performed_at__gte=since)
    outcomes_refresh(list(records.select_related("plan", "plan__patient")))


# --- measured outcomes ---------------------------------------------------------------------------


def _pain_api() -> Any:
    """The assessments app's selectors, or None while that app has none (imported lazily)."""
    try:
        from assessments import selectors as assessment_selectors
    except ImportError:
        return None
    if not hasattr(assessment_selectors, "pain_intensity_series"):
        return None
    return assessment_selectors


def _as_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def outcome_refresh(*, record: ProcedureRecord) -> ProcedureRecord:
    """Refresh one procedure's baseline and follow-up pain measurements (`outcomes_refresh`)."""
    outcomes_refresh([record])
    return record


def outcomes_refresh(records: Sequence[ProcedureRecord]) -> None:
    """Refresh the baseline and follow-up pain measurements of procedures of one patient from
    the assessments app, in a fixed number of queries however many procedures and follow-ups:
    the follow-ups, the patient's pain series (read again whole in the rare case below), and a
    save only for what changed.

    Baseline: the latest pain intensity at or before the procedure. A follow-up's measurement:
    its linked assessment, else the first pain intensity inside its window.
    """
    api = _pain_api()
    if api is None or not records:
        return
    follow_ups: dict[int, list[FollowUp]] = {record.pk: [] for record in records}
    for follow_up in FollowUp.objects.filter(record__in=records).order_by("day", "id"):
        follow_ups[follow_up.record_id].append(follow_up)  # type: ignore[index]
    # Oldest first, from the latest score before the earliest procedure (its baseline) on. An
    # assessment recorded for a follow-up but dated before that (backdated, or mistyped) is not
    # in it: then the whole series is read, as it always was before.
    patient = records[0].plan.patient
    series = api.pain_intensity_series(
        patient, since=min(record.performed_at for record in records)
    )
    linked = {point.assessment_code: point for point in series}
    wanted = {f.assessment_code for fs in follow_ups.values() for f in fs if f.assessment_code}
    if not wanted <= linked.keys():
        series = api.pain_intensity_series(patient)
        linked = {point.assessment_code: point for point in series}
    for record in records:
        baseline = next((p for p in reversed(series) if p.at <= record.performed_at), None)
        _measure(record, ("baseline_pain", "baseline_at", "baseline_source"), baseline)
        performed_on = timezone.localtime(record.performed_at).date()
        for follow_up in follow_ups[record.pk]:
            point = linked.get(follow_up.assessment_code) if follow_up.assessment_code else None
            if point is None:
                start, end = outcomes.follow_up_window(performed_on, follow_up.day)
                first = max(_day_start(start), record.performed_at + dt.timedelta(seconds=1))
                last = _day_start(end + dt.timedelta(days=1))
                point = next((p for p in series if first <= p.at <= last), None)
            _measure(follow_up, ("pain", "pain_at", "pain_source"), point)


def _measure(row: Any, fields: tuple[str, str, str], point: Any) -> None:
    """Store a pain measurement (value, moment, source) on `row`; saved only if it changed."""
    values = (
        _as_decimal(point.value) if point else None,
        point.at if point else None,
        (point.source if point else "")[:20],
    )
    if tuple(getattr(row, name) for name in fields) != values:
        for name, value in zip(fields, values, strict=True):
            setattr(row, name, value)
        row.save(update_fields=[*fields, "updated_at"])


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


# --- reminders (registered from apps.py) ---------------------------------------------------------


def followup_still_due(reminder: Any) -> bool:
    """A follow-up reminder is still due while its follow-up is pending."""
    return FollowUp.objects.filter(
        code=reminder.subject_code, status=FollowUpStatus.PENDING
    ).exists()
