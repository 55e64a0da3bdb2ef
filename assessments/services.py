"""Writes of the assessments app: record, edit, mark in error; measurable goals and reviews.

Every write checks everything first and raises `AssessmentInvalid` with every problem (per
instrument and item, and per description field) before anything is saved. Scores come from the
pure `assessments.instruments` package and are stored with the answers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import hooks
from assessments.instruments import (
    GENERAL,
    INSTRUMENTS,
    InstrumentError,
    InstrumentScore,
    item_errors,
    score,
)
from assessments.measures import MEASURES
from assessments.models import (
    Assessment,
    AssessmentContext,
    Comparison,
    GoalMeasure,
    GoalOutcome,
    GoalReview,
    InstrumentResponse,
    PainSource,
)
from assessments.reminders import PHQ9_SELF_HARM
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.reminders.models import Channel
from clinic.reminders.services import (
    reminder_schedule,
    reminders_cancel_about,
    request_dispatch_soon,
)
from patients import services as patient_services
from patients.models import Goal, GoalStatus, Patient
from patients.selectors import policy_get

# Clocks disagree a little; an assessment "in the future" by more than this is a typing error.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

DESCRIPTION_FIELDS = (
    "pain_patterns",
    "pain_qualities",
    "breakthrough_per_day",
    "mechanism",
    "sleep_quality",
    "body_map_regions",
    "worst_region",
    "note",
)


class AssessmentError(ValueError):
    """A write that breaks a rule of assessments; the message is for the clinician."""


class AssessmentInvalid(AssessmentError):
    """Answers or description that cannot be saved; nothing was saved.

    `instrument_errors[code][item]` and `field_errors[field]` hold every problem found, so a
    form shows each next to its question; `GENERAL` ("__all__") keys problems of no single item.
    """

    def __init__(
        self,
        *,
        instrument_errors: Mapping[str, Mapping[str, str]] | None = None,
        field_errors: Mapping[str, str] | None = None,
    ) -> None:
        self.instrument_errors = {k: dict(v) for k, v in (instrument_errors or {}).items()}
        self.field_errors = dict(field_errors or {})
        count = sum(len(v) for v in self.instrument_errors.values()) + len(self.field_errors)
        super().__init__(
            _("Nothing was saved: %(count)s answer(s) need correcting.") % {"count": count}
        )


class EditConflict(AssessmentError):
    """Someone saved the assessment since the form was opened; nothing was saved."""


@dataclass(frozen=True)
class Scored:
    """The scores of a set of instruments, and the problems of those that do not score."""

    scores: dict[str, InstrumentScore]
    errors: dict[str, dict[str, str]]


def instruments_score(instruments: Mapping[str, Any]) -> Scored:
    """Score each instrument on its own: the live scores and the save share this."""
    scores: dict[str, InstrumentScore] = {}
    errors: dict[str, dict[str, str]] = {}
    for code, answers in instruments.items():
        problems = item_errors(code, answers)
        if problems:
            errors[code] = problems
            continue
        try:
            scores[code] = score(code, dict(answers))
        except InstrumentError as error:  # a rule item_errors does not place on an item
            errors[code] = {GENERAL: str(error)}
    return Scored(scores, errors)


def pain_intensity_of(
    scores: Mapping[str, InstrumentScore], instruments: Mapping[str, Any]
) -> tuple[Decimal | None, str]:
    """The NRS score when recorded, else the BPI "average pain" item (DESIGN.md section 3)."""
    if "nrs" in scores:
        return Decimal(scores["nrs"].total), PainSource.NRS
    if "bpi" in scores:
        return Decimal(instruments["bpi"]["average"]), PainSource.BPI_AVERAGE
    return None, ""


def flags_of(scores: Mapping[str, InstrumentScore]) -> list[str]:
    """The sorted union of the instruments' flags, stored on the assessment for clinic-wide
    questions (a PHQ-9 `self_harm` answer since the last meeting)."""
    return sorted(set().union(*(result.flags for result in scores.values())))


# --- recording -----------------------------------------------------------------------------------


def _description(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(DESCRIPTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown assessment fields: {sorted(unknown)}")
    cleaned = dict(values)
    for name in ("pain_patterns", "pain_qualities", "body_map_regions"):
        if name in cleaned:
            cleaned[name] = list(dict.fromkeys(cleaned[name] or ()))
    for name in ("mechanism", "sleep_quality", "worst_region", "note"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


def _check_moment(assessment: Assessment, patient: Patient) -> dict[str, str]:
    moment = assessment.assessed_at
    if moment is None:
        return {"assessed_at": _("Give the date and time of the assessment.")}
    if timezone.is_naive(moment):
        return {"assessed_at": _("The time of the assessment needs a time zone.")}
    if moment > timezone.now() + FUTURE_TOLERANCE:
        return {"assessed_at": _("An assessment cannot be in the future.")}
    day = timezone.localdate(moment)
    if day < patient.date_of_birth:
        return {"assessed_at": _("This is before the patient's date of birth.")}
    if patient.date_of_death and day > patient.date_of_death:
        return {"assessed_at": _("This is after the patient's date of death.")}
    return {}


def _field_errors(assessment: Assessment, patient: Patient) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        # `code` is a new random UUID, not an entry: its uniqueness is the database's to keep
        # (a query saved on every assessment).
        assessment.full_clean(
            exclude=[
                "code",
                "patient",
                "assessed_by",
                "created_by",
                "pain_intensity",
                "pain_source",
                "flags",
            ],
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update({name: " ".join(messages) for name, messages in error.message_dict.items()})
    errors.update({k: str(v) for k, v in assessment.clean_description().items() if k not in errors})
    errors.update(_check_moment(assessment, patient))
    if assessment.context not in AssessmentContext.values:
        errors["context"] = _("Choose the context of the assessment.")
    return errors


def _validate(
    assessment: Assessment, patient: Patient, instruments: Mapping[str, Any]
) -> dict[str, InstrumentScore]:
    instrument_errors: dict[str, dict[str, str]] = {}
    unknown = [code for code in instruments if code not in INSTRUMENTS]
    if unknown:
        instrument_errors[GENERAL] = {
            GENERAL: _("Unknown instruments: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}
        }
    if not instruments:
        instrument_errors[GENERAL] = {GENERAL: _("Choose at least one instrument.")}
    scored = instruments_score({k: v for k, v in instruments.items() if k in INSTRUMENTS})
    instrument_errors.update(scored.errors)
    field_errors = _field_errors(assessment, patient)
    if instrument_errors or field_errors:
        raise AssessmentInvalid(instrument_errors=instrument_errors, field_errors=field_errors)
    return scored.scores


def _response_values(code: str, answers: Mapping[str, Any], result: InstrumentScore) -> dict:
    return {
        "instrument": code,
        "answers": dict(answers),
        "total": Decimal(result.total),
        "band": result.band or "",
        "subscores": {
            name: (None if value is None else str(value) if isinstance(value, Decimal) else value)
            for name, value in result.subscores.items()
        },
        "flags": sorted(result.flags),
    }


def _alert_recipient(patient: Patient, by: User) -> User:
    """The primary clinician when they can act on it, else the clinician who recorded it."""
    primary = patient.primary_clinician
    if primary is not None and primary.is_active and primary.has_role(Role.CLINICIAN):
        return primary
    return by


def _alert_self_harm(assessment: Assessment, *, by: User) -> None:
    """PHQ-9 item 9 above 0: an urgent in-app and email notice, once per assessment."""
    reminder_schedule(
        kind=PHQ9_SELF_HARM,
        dedupe_key=f"phq9-self-harm:{assessment.code}",
        due_at=timezone.now(),
        recipient=_alert_recipient(assessment.patient, by),
        channel=Channel.BOTH,
        subject=assessment,
        link_url=reverse("assessments:assessment-detail", kwargs={"code": assessment.code}),
        urgent=True,
        title=_("Urgent: a questionnaire answer needs your review today"),
        body=_("Open the assessment in the clinic app and act on it today."),
    )
    request_dispatch_soon()


@transaction.atomic
def assessment_record(
    *,
    by: User,
    patient: Patient,
    assessed_at: dt.datetime,
    context: str,
    instruments: Mapping[str, Mapping[str, Any]],
    assessed_by: User | None = None,
    follow_up_code: uuid.UUID | None = None,
    **description: Any,
) -> Assessment:
    """Record an assessment with its instruments' answers, scored; all or nothing.

    `description` takes the pain description fields (`DESCRIPTION_FIELDS`). Raises
    `AssessmentInvalid` listing every problem; registered handlers (`assessments.hooks`) run
    after the save, inside the transaction.
    """
    assessment = Assessment(
        patient=patient,
        assessed_at=assessed_at,
        assessed_by=assessed_by or by,
        context=context,
        follow_up_code=follow_up_code,
        created_by=by,
        **_description(description),
    )
    scores = _validate(assessment, patient, instruments)
    assessment.pain_intensity, assessment.pain_source = pain_intensity_of(scores, instruments)
    assessment.flags = flags_of(scores)
    assessment.save()
    InstrumentResponse.objects.bulk_create(
        [
            InstrumentResponse(
                assessment=assessment, **_response_values(code, instruments[code], result)
            )
            for code, result in scores.items()
        ]
    )
    if "self_harm" in scores.get("phq9", InstrumentScore(total=0)).flags:
        _alert_self_harm(assessment, by=by)
    try:
        hooks.run_recorded_handlers(assessment, follow_up_code=follow_up_code)
    except AssessmentError:
        raise
    except ValueError as error:  # another app's domain error: shown on the form, nothing saved
        raise AssessmentError(str(error)) from error
    return assessment


# --- editing and entered in error ----------------------------------------------------------------


def edit_deadline(assessment: Assessment) -> dt.datetime:
    return assessment.created_at + dt.timedelta(hours=policy_get().assessment_edit_window_hours)


def may_edit(assessment: Assessment, user: Any, *, now: dt.datetime | None = None) -> bool:
    """Its author, within the clinic policy's window, while it is not in error."""
    return (
        not assessment.in_error
        and assessment.created_by_id == getattr(user, "pk", None)
        and (now or timezone.now()) <= edit_deadline(assessment)
    )


def _locked_for_edit(*, by: User, assessment: Assessment, version: int) -> Assessment:
    locked = Assessment.objects.select_for_update().select_related("patient").get(pk=assessment.pk)
    if locked.in_error:
        raise AssessmentError(_("An assessment marked as entered in error cannot be changed."))
    if locked.created_by_id != by.pk:
        raise AssessmentError(_("Only the clinician who recorded an assessment may edit it."))
    if timezone.now() > edit_deadline(locked):
        raise AssessmentError(
            _(
                "The time to edit this assessment has passed. Mark it as entered in error and "
                "record a new one."
            )
        )
    if locked.version != version:
        raise EditConflict(_("This assessment was changed by someone else while you were editing."))
    return locked


@transaction.atomic
def assessment_update(
    *,
    by: User,
    assessment: Assessment,
    version: int,
    instruments: Mapping[str, Mapping[str, Any]],
    assessed_at: dt.datetime | None = None,
    context: str | None = None,
    **description: Any,
) -> Assessment:
    """Correct an assessment: its author, within the policy's window; kept in history.

    Instruments may be corrected or added, not removed (mark the assessment in error instead).
    """
    locked = _locked_for_edit(by=by, assessment=assessment, version=version)
    existing = {r.instrument: r for r in locked.responses.all()}
    removed = sorted(set(existing) - set(instruments))
    if removed:
        names = ", ".join(INSTRUMENTS[code].name for code in removed)
        raise AssessmentInvalid(
            instrument_errors={
                GENERAL: {
                    GENERAL: _(
                        "%(names)s cannot be removed from a saved assessment; mark the "
                        "assessment as entered in error and record a new one."
                    )
                    % {"names": names}
                }
            }
        )
    if assessed_at is not None:
        locked.assessed_at = assessed_at
    if context is not None:
        locked.context = context
    for name, value in _description(description).items():
        setattr(locked, name, value)
    scores = _validate(locked, locked.patient, instruments)
    locked.pain_intensity, locked.pain_source = pain_intensity_of(scores, instruments)
    # Every saved instrument is in `scores` (none may be removed), so this is the new union:
    # an edit that takes the self-harm answer back clears the flag.
    locked.flags = flags_of(scores)
    locked.version += 1
    locked.save()
    for code, result in scores.items():
        values = _response_values(code, instruments[code], result)
        response = existing.get(code) or InstrumentResponse(assessment=locked)
        for name, value in values.items():
            setattr(response, name, value)
        response.save()
    if "self_harm" in scores.get("phq9", InstrumentScore(total=0)).flags:
        _alert_self_harm(locked, by=by)
    return locked


@transaction.atomic
def assessment_mark_in_error(*, by: User, assessment: Assessment, reason: str) -> Assessment:
    """Mark an assessment as entered in error; it stays, struck through, in lists and history."""
    reason = " ".join(reason.split())
    if not reason:
        raise AssessmentInvalid(field_errors={"reason": _("Say why this assessment is in error.")})
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.in_error:
        raise AssessmentError(_("This assessment is already marked as entered in error."))
    locked.entered_in_error_at = timezone.now()
    locked.entered_in_error_by = by
    locked.entered_in_error_reason = reason[:300]
    locked.version += 1
    locked.save(
        update_fields=[
            "entered_in_error_at",
            "entered_in_error_by",
            "entered_in_error_reason",
            "version",
            "updated_at",
        ]
    )
    reminders_cancel_about(subject=locked, reason="Assessment entered in error")
    return locked


# --- measurable goals ----------------------------------------------------------------------------


def _check_measure(measure: str, comparison: str) -> dict[str, str]:
    errors = {}
    if measure not in MEASURES:
        errors["measure"] = _("Choose what measures this goal.")
    if comparison not in Comparison.values:
        errors["comparison"] = _("Say whether the target is a maximum or a minimum.")
    return errors


def _check_target(measure: str, target: Decimal | None) -> dict[str, str]:
    spec = MEASURES.get(measure)
    if spec is None or target is None:
        return {}
    if not spec.lowest <= target <= spec.highest:
        return {
            "target": _("%(label)s runs from %(low)s to %(high)s.")
            % {"label": spec.label, "low": spec.lowest, "high": spec.highest}
        }
    return {}


@transaction.atomic
def goal_create_measured(
    *,
    by: User,
    patient: Patient,
    patient_words: str,
    measure: str,
    comparison: str,
    target: Decimal,
    baseline: Decimal | None = None,
    target_date: dt.date | None = None,
) -> Goal:
    """A goal of the patient's record (patients.Goal) measured by an instrument item."""
    errors = {**_check_measure(measure, comparison), **_check_target(measure, target)}
    baseline_problem = _check_target(measure, baseline)
    if baseline_problem:
        errors["baseline"] = baseline_problem["target"]
    if errors:
        raise AssessmentInvalid(field_errors=errors)
    spec = MEASURES[measure]
    symbol = Comparison(comparison).label
    goal = Goal(
        patient_words=patient_words,
        measure=f"{spec.label} {symbol} {target.normalize():f}"[:120],
        baseline=baseline,
        target=target,
        target_date=target_date,
    )
    try:
        patient_services.entry_add(by=by, patient=patient, entry=goal)
    except ValidationError as error:
        raise AssessmentInvalid(
            field_errors={name: " ".join(m) for name, m in error.message_dict.items()}
        ) from error
    GoalMeasure.objects.create(goal=goal, measure=measure, comparison=comparison, created_by=by)
    return goal


@transaction.atomic
def goal_review(
    *,
    by: User,
    goal: Goal,
    outcome: str,
    note: str = "",
    value_at_review: Decimal | None = None,
    reviewed_at: dt.datetime | None = None,
) -> GoalReview:
    """Review a goal: achieved, partly or not, with a note; the goal's status follows."""
    if goal.in_error:
        raise AssessmentError(_("A goal marked as entered in error cannot be reviewed."))
    if outcome not in GoalOutcome.values:
        raise AssessmentInvalid(field_errors={"outcome": _("Choose the outcome of the review.")})
    review = GoalReview.objects.create(
        goal=goal,
        outcome=outcome,
        note=note.strip(),
        value_at_review=value_at_review,
        reviewed_at=reviewed_at or timezone.now(),
        reviewed_by=by,
    )
    status = {
        GoalOutcome.ACHIEVED: GoalStatus.ACHIEVED,
        GoalOutcome.PARTLY_ACHIEVED: GoalStatus.PARTLY_ACHIEVED,
        GoalOutcome.NOT_ACHIEVED: GoalStatus.NOT_ACHIEVED,
    }[GoalOutcome(outcome)]
    if goal.status != status:
        patient_services.entry_update(
            by=by, entry=goal, version=goal.version, changes={"status": status}
        )
    return review
