"""Pages of the procedures app: the catalogue, plans and their safety panel, records, follow-ups,
discharge instructions and the outcomes report."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction
from clinic.audit.services import access_log_record
from clinic.lib.access import roles
from clinic.lib.forms import add_validation_errors
from clinic.lib.pagination import CappedPaginator
from patients.access import can_edit_clinical, get_patient_for_user
from procedures import selectors, services
from procedures.access import (
    can_schedule,
    get_follow_up_for_user,
    get_plan_for_user,
    get_review_for_user,
)
from procedures.forms import (
    CatalogueSearchForm,
    FollowUpCompleteForm,
    FollowUpFilterForm,
    OutcomesFilterForm,
    OverrideForm,
    PlanForm,
    ProcedureTypeForm,
    ReasonForm,
    RecordForm,
    SafetyRunForm,
    ScheduleForm,
)
from procedures.models import FollowUpStatus, ProcedurePlan, ProcedureType

PAGE_SIZE = 25
READERS = (Role.CLINICIAN, Role.COORDINATOR)


def _plan_url(plan: ProcedurePlan, anchor: str = "") -> str:
    url = reverse("procedures:plan-detail", kwargs={"code": plan.code})
    return f"{url}#{anchor}" if anchor else url


# --- catalogue (admins) --------------------------------------------------------------------------


def _get_type(code: str) -> ProcedureType:
    try:
        return selectors.procedure_type_get(code)
    except ProcedureType.DoesNotExist as missing:
        raise Http404 from missing


@roles(Role.ADMIN)
@require_http_methods(["GET"])
def type_list(request: HttpRequest) -> HttpResponse:
    form = CatalogueSearchForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    page = Paginator(selectors.procedure_types(query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "procedures/type_list.html", {"form": form, "page": page})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def type_create(request: HttpRequest) -> HttpResponse:
    form = ProcedureTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            procedure_type = services.procedure_type_create(**form.type_data())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s added to the catalogue.") % {"name": procedure_type.name}
            )
            return redirect("procedures:type-list")
    return render(request, "procedures/type_form.html", {"form": form, "creating": True})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, code: str) -> HttpResponse:
    procedure_type = _get_type(code)
    form = ProcedureTypeForm(
        request.POST or None, instance=procedure_type, initial={"version": procedure_type.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.procedure_type_update(
                procedure_type=procedure_type,
                version=form.cleaned_data["version"] or 0,
                **form.type_data(),
            )
        except services.EditConflict as conflict:
            messages.error(request, f"{conflict} {_('Nothing was saved; review and save again.')}")
            return redirect("procedures:type-edit", code=procedure_type.code)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": procedure_type.name})
            return redirect("procedures:type-list")
    context = {"form": form, "procedure_type": procedure_type}
    return render(request, "procedures/type_form.html", context)


def _type_set_active(request: HttpRequest, code: str, *, active: bool) -> HttpResponse:
    procedure_type = _get_type(code)
    if request.method == "POST":
        try:
            services.procedure_type_set_active(procedure_type=procedure_type, active=active)
        except services.ProcedureError as error:
            messages.error(request, str(error))
        else:
            text = _("%(name)s is available again.") if active else _("%(name)s is withdrawn.")
            messages.success(request, text % {"name": procedure_type.name})
        return redirect("procedures:type-list")
    context = {"procedure_type": procedure_type, "active": active}
    return render(request, "procedures/type_confirm.html", context)


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def type_deactivate(request: HttpRequest, code: str) -> HttpResponse:
    return _type_set_active(request, code, active=False)


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def type_reactivate(request: HttpRequest, code: str) -> HttpResponse:
    return _type_set_active(request, code, active=True)


# --- plans ---------------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, patient_code: str) -> HttpResponse:
    patient = get_patient_for_user(request, patient_code, write=True, clinical=True)
    form = PlanForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_propose(by=request.user, patient=patient, **form.plan_data())  # type: ignore[arg-type]
            services.safety_review_run(plan=plan, on=plan.planned_date, by=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The procedure is proposed."))
            return redirect(_plan_url(plan))
    return render(request, "procedures/plan_form.html", {"form": form, "patient": patient})


@roles(*READERS)
@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code)
    page = selectors.plan_page(plan)
    access_log_record(
        request=request, action=AccessAction.VIEW, patient_code=plan.patient.code, obj=plan
    )
    context = {
        "page": page,
        "plan": plan,
        "patient": plan.patient,
        "header": page.header,
        "can_edit_clinical": can_edit_clinical(request.user),
        "can_schedule": can_schedule(request.user),
        "today": timezone.localdate(),
        "schedule_form": ScheduleForm(initial={"scheduled_date": plan.target_date}),
    }
    return render(request, "procedures/plan_detail.html", context)


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, write=True)
    if not plan.is_open:
        messages.error(request, _("A plan that is performed or cancelled cannot be changed."))
        return redirect(_plan_url(plan))
    form = PlanForm(
        request.POST or None, instance=plan, initial={"version": plan.version}, patient=plan.patient
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                by=request.user,  # type: ignore[arg-type]
                plan=plan,
                version=form.cleaned_data["version"] or 0,
                **form.plan_data(),
            )
        except services.EditConflict as conflict:
            messages.error(request, f"{conflict} {_('Nothing was saved; review and save again.')}")
            return redirect("procedures:plan-edit", code=plan.code)
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            messages.error(request, str(error))
            return redirect(_plan_url(plan))
        else:
            messages.success(request, _("The plan is saved."))
            return redirect(_plan_url(plan))
    context = {"form": form, "patient": plan.patient, "plan": plan}
    return render(request, "procedures/plan_form.html", context)


def _transition(request: HttpRequest, plan: ProcedurePlan, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except services.ProcedureError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(_plan_url(plan))


@roles(*READERS)
@require_http_methods(["POST"])
def plan_submit(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, write=True)
    return _transition(
        request,
        plan,
        lambda: services.plan_submit_for_mdt(by=request.user, plan=plan),  # type: ignore[arg-type]
        _("The plan awaits the team meeting."),
    )


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def plan_approve_urgent(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, write=True)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_approve_urgently(
                plan=plan,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            messages.error(request, str(error))
            return redirect(_plan_url(plan))
        else:
            messages.warning(
                request,
                _("Approved urgently, without a team meeting: this is flagged in the audit."),
            )
            return redirect(_plan_url(plan))
    context = {"form": form, "plan": plan, "patient": plan.patient}
    return render(request, "procedures/plan_approve_urgent.html", context)


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def plan_schedule(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, schedule=True)
    form = ScheduleForm(request.POST or None, initial={"scheduled_date": plan.target_date})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_schedule(
                plan=plan,
                by=request.user,  # type: ignore[arg-type]
                scheduled_date=form.cleaned_data["scheduled_date"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            messages.error(request, str(error))
            return redirect(_plan_url(plan))
        else:
            messages.success(request, _("The procedure is scheduled."))
            return redirect(_plan_url(plan))
    context = {"form": form, "plan": plan, "patient": plan.patient}
    return render(request, "procedures/plan_schedule.html", context)


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def plan_cancel(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, write=True)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_cancel(plan=plan, by=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            messages.error(request, str(error))
            return redirect(_plan_url(plan))
        else:
            messages.success(request, _("The plan is cancelled."))
            return redirect(_plan_url(plan))
    context = {"form": form, "plan": plan, "patient": plan.patient}
    return render(request, "procedures/plan_cancel.html", context)


# --- safety reviews ------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["POST"])
def safety_review_run(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, write=True)
    form = SafetyRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the date to review."))
        return redirect(_plan_url(plan, "safety"))
    try:
        services.safety_review_run(plan=plan, on=form.cleaned_data["on"], by=request.user)  # type: ignore[arg-type]
    except services.ProcedureError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The safety review is recorded."))
    return redirect(_plan_url(plan, "safety"))


@roles(*READERS)
@require_http_methods(["POST"])
def safety_override(request: HttpRequest, code: str) -> HttpResponse:
    review = get_review_for_user(request, code)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the override."))
        return redirect(_plan_url(review.plan, "safety"))
    try:
        services.safety_override(
            review=review,
            check_code=form.cleaned_data["check_code"],
            reason=form.cleaned_data["reason"],
            by=request.user,  # type: ignore[arg-type]
        )
    except services.ProcedureError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The check is overridden; the reason is kept in the history."))
    return redirect(_plan_url(review.plan, "safety"))


# --- recording -----------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def procedure_record(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code, write=True)
    initial = {
        "performed_at": timezone.localtime().replace(second=0, microsecond=0),
        "performed_by": plan.operator.code if plan.operator else None,
        "imaging_guidance": plan.imaging_guidance,
        "had_complications": "no",
    }
    form = RecordForm(request.POST or None, initial=initial, plan=plan)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.procedure_record(
                plan=plan,
                by=request.user,  # type: ignore[arg-type]
                performed_at=data["performed_at"],
                performed_by=data["performed_by"],
                imaging_guidance=data["imaging_guidance"],
                had_complications=data["had_complications"],
                complications=form.complications(),
                immediate_relief_percent=data["immediate_relief_percent"],
                notes=data["notes"],
                device=form.device(),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("The procedure is recorded; its follow-ups and reminders are set.")
            )
            return redirect(_plan_url(plan, "follow-ups"))
    context = {"form": form, "plan": plan, "patient": plan.patient}
    return render(request, "procedures/record_form.html", context)


@roles(*READERS)
@require_http_methods(["GET"])
def discharge_instructions(request: HttpRequest, code: str) -> HttpResponse:
    plan = get_plan_for_user(request, code)
    if not plan.is_done:
        messages.error(request, _("Discharge instructions print once the procedure is recorded."))
        return redirect(_plan_url(plan))
    sheet = selectors.discharge_sheet(plan)
    access_log_record(
        request=request,
        action=AccessAction.PRINT,
        patient_code=plan.patient.code,
        obj=plan,
        note="discharge instructions",
    )
    return render(request, "procedures/discharge.html", {"plan": plan, "sheet": sheet})


# --- follow-ups ----------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET"])
def followup_list(request: HttpRequest) -> HttpResponse:
    form = FollowUpFilterForm(request.GET or {"status": FollowUpStatus.PENDING})
    data = form.cleaned_data if form.is_valid() else {"status": FollowUpStatus.PENDING}
    follow_ups = selectors.follow_ups_due(
        request.user,
        responsible=request.user if data.get("mine") else None,  # type: ignore[arg-type]
        status=data.get("status", ""),
        due_by=data.get("due_by"),
    )
    page = CappedPaginator(follow_ups, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "today": timezone.localdate()}
    return render(request, "procedures/followup_list.html", context)


@roles(*READERS)
@require_http_methods(["GET"])
def followup_detail(request: HttpRequest, code: str) -> HttpResponse:
    follow_up = get_follow_up_for_user(request, code)
    plan = follow_up.plan
    access_log_record(
        request=request, action=AccessAction.VIEW, patient_code=plan.patient.code, obj=follow_up
    )
    context = {
        "follow_up": follow_up,
        "plan": plan,
        "patient": plan.patient,
        "assessment_url": selectors.assessment_link(plan.patient.code, follow_up.code),
        "can_edit_clinical": can_edit_clinical(request.user),
        "form": FollowUpCompleteForm(),
    }
    return render(request, "procedures/followup_detail.html", context)


@roles(*READERS)
@require_http_methods(["POST"])
def followup_complete(request: HttpRequest, code: str) -> HttpResponse:
    follow_up = get_follow_up_for_user(request, code, write=True)
    form = FollowUpCompleteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.followup_complete(follow_up=follow_up, by=request.user, note=note)  # type: ignore[arg-type]
    except services.ProcedureError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The follow-up is done; its reminder is cancelled."))
    return redirect(_plan_url(follow_up.plan, "follow-ups"))


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def followup_missed(request: HttpRequest, code: str) -> HttpResponse:
    follow_up = get_follow_up_for_user(request, code, write=True)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_mark_missed(
                follow_up=follow_up,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.ProcedureError as error:
            messages.error(request, str(error))
            return redirect(_plan_url(follow_up.plan, "follow-ups"))
        else:
            messages.success(request, _("The follow-up is marked as missed."))
            return redirect(_plan_url(follow_up.plan, "follow-ups"))
    context = {"form": form, "follow_up": follow_up, "patient": follow_up.plan.patient}
    return render(request, "procedures/followup_missed.html", context)


# --- outcomes ------------------------------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[OutcomesFilterForm, list[selectors.OutcomeRow]]:
    form = OutcomesFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.outcomes_report(
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        procedure_type=data.get("procedure_type"),
        by_operator=bool(data.get("by_operator")),
    )
    return form, rows


@roles(*READERS)
@require_http_methods(["GET"])
def outcomes_report(request: HttpRequest) -> HttpResponse:
    form, rows = _report(request)
    query = request.GET.urlencode()
    context = {"form": form, "rows": rows, "query": query}
    return render(request, "procedures/outcomes.html", context)


@roles(*READERS)
@require_http_methods(["GET"])
def outcomes_export(request: HttpRequest) -> HttpResponse:
    _form, rows = _report(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="procedure-outcomes.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.OUTCOME_CSV_HEADER)
    writer.writerows(selectors.outcome_csv_rows(rows))
    access_log_record(
        request=request,
        action=AccessAction.EXPORT,
        note=f"procedure outcomes {request.GET.urlencode()}"[:300],
    )
    return response
