"""Pages of team meetings: the list, the agenda, running and closing a meeting, actions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction
from clinic.lib import record_version
from clinic.lib.access import any_staff, roles
from clinic.lib.forms import add_validation_errors
from clinic.lib.htmx import wants_fragment
from meetings import ics, selectors, services
from meetings.access import (
    can_manage,
    get_action,
    get_item,
    get_meeting,
    get_series,
)
from meetings.audit import log_patients
from meetings.forms import (
    ActionForm,
    AttendanceForm,
    DecisionForm,
    ItemEditForm,
    MeetingForm,
    PatientAddForm,
    ProposeForm,
    ReasonForm,
    SeriesForm,
    SuggestionAddForm,
)
from meetings.models import ItemReason, Meeting, MeetingStatus
from patients.access import get_patient_for_user, visible_patients

PAGE_SIZE = 25
PARTICIPANTS = (Role.CLINICIAN, Role.COORDINATOR)
COORDINATOR = Role.COORDINATOR


def _agenda_url(meeting: Meeting, anchor: str = "") -> str:
    url = reverse("meetings:meeting-detail", kwargs={"code": meeting.code})
    return f"{url}#{anchor}" if anchor else url


def _run_url(meeting: Meeting, item_code: Any = None) -> str:
    url = reverse("meetings:meeting-run", kwargs={"code": meeting.code})
    # Encoded: the code may come from a form, and must stay one parameter.
    return f"{url}?{urlencode({'item': item_code})}" if item_code else url


def _error(request: HttpRequest, error: Exception) -> None:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, _("Nothing was changed: %(error)s") % {"error": text})


# --- meetings and series -------------------------------------------------------------------------


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def meeting_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.past_meetings(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "upcoming": selectors.upcoming_meetings(),
        "page": page,
        "series": selectors.active_series() if can_manage(request.user) else [],
        "can_manage": can_manage(request.user),
        "now": timezone.now(),
    }
    return render(request, "meetings/meeting_list.html", context)


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(
        request.POST or None,
        initial={"chair": request.user, "invitees": selectors.staff_choices()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(
                by=request.user, invitees=form.cleaned_data["invitees"], **form.meeting_data()
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The meeting is created. Build its agenda."))
            return redirect(_agenda_url(meeting))
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": None})


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    invited = [row.person_id for row in meeting.attendance.all()]
    form = MeetingForm(
        request.POST or None,
        instance=meeting,
        initial={"version": meeting.version, "invitees": invited},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(
                by=request.user,
                meeting=meeting,
                version=form.cleaned_data["version"] or 0,
                invitees=form.cleaned_data["invitees"],
                **form.meeting_data(),
            )
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The meeting is saved."))
            return redirect(_agenda_url(meeting))
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": meeting})


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_cancel(
                by=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
            )
        except services.MeetingError as error:
            _error(request, error)
        else:
            messages.success(
                request, _("The meeting is cancelled; its cases moved to the next meeting.")
            )
            return redirect("meetings:meeting-list")
    return render(
        request,
        "meetings/confirm.html",
        {"meeting": meeting, "form": form, "action": "cancel"},
    )


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest) -> HttpResponse:
    form = SeriesForm(
        request.POST or None,
        initial={"chair": request.user, "invitees": selectors.staff_choices()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(by=request.user, **form.series_data())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request,
                _("The series is set up: its next %(n)s meetings are created.")
                % {"n": series.weeks_ahead},
            )
            return redirect("meetings:meeting-list")
    return render(request, "meetings/series_form.html", {"form": form})


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def series_stop(request: HttpRequest, code: str) -> HttpResponse:
    series = get_series(request, code)
    if request.method == "POST":
        try:
            services.series_stop(by=request.user, series=series)
        except services.MeetingError as error:
            _error(request, error)
        else:
            messages.success(request, _("No more meetings of this series will be created."))
        return redirect("meetings:meeting-list")
    return render(request, "meetings/confirm.html", {"series": series, "action": "stop-series"})


# --- the agenda ----------------------------------------------------------------------------------


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def meeting_detail(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    manage = can_manage(request.user)
    # Cases are added, ordered and accepted while the meeting is open.
    change = manage and meeting.is_open
    # The list of cases is kept in the process while the agenda's state stays the same: read
    # first, so a list drawn while the cases change is kept under the older state.
    state = selectors.agenda_state(meeting, user=request.user)

    def build() -> tuple[str, list[Any]]:
        # The summaries and the suggested cases load on demand (item_summary,
        # meeting_suggestions): thirty summaries and six searches would make every view slow.
        agenda = selectors.agenda(
            meeting, user=request.user, fields=selectors.BRIEF_FIELDS, hidden=state.hidden
        )
        context = {
            "meeting": meeting,
            "agenda": agenda,
            "can_manage": manage,
            "can_change_agenda": change,
            "csrf_token": record_version.CSRF_STAND_IN,
        }
        # No request: what the list shows depends on the viewer only through the flags and
        # the patients hidden from them, which the key holds.
        html = render_to_string("meetings/_agenda_body.html", context)
        return html, [patient.code for patient in agenda.patients]

    key = (meeting.pk, state.version, state.hidden, manage, change, get_language())
    body, shown = record_version.kept("agenda", key, build)
    log_patients(request, action=AccessAction.VIEW, patient_codes=shown, obj=meeting)
    context = {
        "meeting": meeting,
        "agenda_body": record_version.with_csrf_token(body, request),
        "can_manage": manage,
        "can_change_agenda": change,
        "add_form": PatientAddForm() if change else None,
        "now": timezone.now(),
    }
    return render(request, "meetings/meeting_detail.html", context)


def _fragment(request: HttpRequest, template: str, partial: str) -> str:
    """The partial alone when htmx asks for it (to swap into a page), else the whole page."""
    return f"{template}#{partial}" if wants_fragment(request) else template


def _varies_with_htmx(response: HttpResponse) -> HttpResponse:
    # One URL answers a fragment or a page: a cache must not give one for the other.
    patch_vary_headers(response, ("HX-Request",))
    return response


@roles(COORDINATOR)
@require_http_methods(["GET"])
def meeting_suggestions(request: HttpRequest, code: str) -> HttpResponse:
    """The agenda's suggested cases, each with its one-click Add: loaded into the agenda page
    by htmx, or a page of their own without JavaScript. Offered only while the meeting is open."""
    meeting = get_meeting(request, code)
    context = {
        "meeting": meeting,
        "suggestions": selectors.suggestions(meeting, user=request.user) if meeting.is_open else [],
        "suggestions_per_reason": selectors.SUGGESTIONS_PER_REASON,
    }
    template = _fragment(request, "meetings/suggestions.html", "suggestion-list")
    return _varies_with_htmx(render(request, template, context))


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def item_summary(request: HttpRequest, code: str, item: str) -> HttpResponse:
    """A case's summary as frozen at publishing: opened from its agenda row (htmx), or a page
    of its own. 404 for a case whose patient the user may not open, as on the agenda."""
    meeting = get_meeting(request, code)
    entry = get_item(request, item, meeting=meeting)
    if not entry.on_agenda:  # proposed or removed: no row of the agenda offers it
        raise Http404
    log_patients(
        request,
        action=AccessAction.VIEW,
        patient_codes=[entry.patient.code],
        obj=entry,
        note="case summary",
    )
    context = {"meeting": meeting, "item": entry}
    template = _fragment(request, "meetings/item_summary.html", "summary")
    return _varies_with_htmx(render(request, template, context))


@roles(COORDINATOR)
@require_http_methods(["POST"])
def item_add(request: HttpRequest, code: str) -> HttpResponse:
    """Add a suggested case (one click) or any patient by MRN."""
    meeting = get_meeting(request, code)
    if "mrn" in request.POST:
        return _add_by_mrn(request, meeting)
    form = SuggestionAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was added: the suggestion was incomplete."))
        return redirect(_agenda_url(meeting))
    data = form.cleaned_data
    patient = visible_patients(request.user).filter(code=data["patient"]).first()
    if patient is None:  # not a patient this person may see
        raise Http404
    question = ""
    if data["reason"] == ItemReason.PROCEDURE_APPROVAL:
        question = _("Approve the procedure plan?")
    return _add(request, meeting, patient, data["reason"], question, data["detail"], data["plan"])


def _add_by_mrn(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    form = PatientAddForm(request.POST)
    patient = None
    if form.is_valid():
        patient = (
            visible_patients(request.user)
            .filter(mrn__iexact=form.cleaned_data["mrn"].strip())
            .first()
        )
    if patient is None:
        messages.error(request, _("No patient you may see has this MRN; nothing was added."))
        return redirect(_agenda_url(meeting, "add-patient"))
    data = form.cleaned_data
    return _add(request, meeting, patient, data["reason"], data["question"], "", None)


def _add(
    request: HttpRequest,
    meeting: Meeting,
    patient: Any,
    reason: str,
    question: str,
    detail: str,
    plan: Any,
) -> HttpResponse:
    try:
        item = services.item_add(
            by=request.user,
            meeting=meeting,
            patient=patient,
            reason=reason,
            question=question,
            reason_detail=detail,
            plan_code=plan,
        )
    except services.MeetingError as error:
        _error(request, error)
        return redirect(_agenda_url(meeting))
    note = _(" (after the agenda deadline: marked late)") if item.late else ""
    messages.success(
        request,
        _("%(patient)s is on the agenda%(note)s.") % {"patient": patient.full_name, "note": note},
    )
    return redirect(_agenda_url(meeting, "suggestions"))


@roles(*PARTICIPANTS)
@require_http_methods(["GET", "POST"])
def case_propose(request: HttpRequest, patient: str) -> HttpResponse:
    """From the chart: put a case to the team with a question (coordinators add it directly)."""
    record = get_patient_for_user(request, patient)
    form = ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = form.cleaned_data["meeting"]
        try:
            services.item_add(
                by=request.user,
                meeting=meeting,
                patient=record,
                reason=ItemReason.OTHER,
                question=form.cleaned_data["question"],
                proposed=not can_manage(request.user),
            )
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The case is proposed for the meeting of %(when)s; the coordinator will add it.")
                % {"when": selectors.meeting_label(meeting)}
                if not can_manage(request.user)
                else _("The case is on the agenda."),
            )
            return redirect("patients:patient-detail", code=record.code)
    return render(request, "meetings/propose.html", {"patient": record, "form": form})


@roles(COORDINATOR)
@require_http_methods(["POST"])
def item_accept(request: HttpRequest, code: str, item: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    entry = get_item(request, item, meeting=meeting)
    try:
        services.item_accept(by=request.user, item=entry)
    except services.MeetingError as error:
        _error(request, error)
    else:
        messages.success(request, _("The proposed case is on the agenda."))
    return redirect(_agenda_url(meeting, "agenda"))


@roles(COORDINATOR)
@require_http_methods(["POST"])
def item_move(request: HttpRequest, code: str, item: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    entry = get_item(request, item, meeting=meeting)
    try:
        services.item_move(by=request.user, item=entry, direction=request.POST.get("direction", ""))
    except services.MeetingError as error:
        _error(request, error)
    return redirect(_agenda_url(meeting, f"item-{entry.code}"))


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, code: str, item: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    entry = get_item(request, item, meeting=meeting)
    form = ItemEditForm(request.POST or None, instance=entry, initial={"version": entry.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.item_update(
                by=request.user,
                item=entry,
                version=data["version"],
                presenter=data["presenter"],
                question=data["question"],
                reason=data["reason"],
            )
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The case is saved."))
            return redirect(_agenda_url(meeting, f"item-{entry.code}"))
    context = {"meeting": meeting, "item": entry, "form": form}
    return render(request, "meetings/item_form.html", context)


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def item_remove(request: HttpRequest, code: str, item: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    entry = get_item(request, item, meeting=meeting)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_remove(by=request.user, item=entry, reason=form.cleaned_data["reason"])
        except services.MeetingError as error:
            _error(request, error)
        else:
            messages.success(request, _("The case is removed from the agenda."))
        return redirect(_agenda_url(meeting, "agenda"))
    context = {"meeting": meeting, "item": entry, "form": form, "action": "remove"}
    return render(request, "meetings/confirm.html", context)


# --- publishing, running, closing ----------------------------------------------------------------


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def meeting_publish(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    if request.method == "POST":
        try:
            services.meeting_publish(by=request.user, meeting=meeting)
        except services.MeetingError as error:
            _error(request, error)
        else:
            messages.success(
                request,
                _("The agenda is published: the case summaries are frozen and attendees notified."),
            )
        return redirect(_agenda_url(meeting))
    agenda = selectors.agenda(meeting, user=request.user)
    context = {"meeting": meeting, "agenda": agenda, "action": "publish"}
    return render(request, "meetings/confirm.html", context)


@roles(COORDINATOR)
@require_http_methods(["POST"])
def meeting_start(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    try:
        services.meeting_start(by=request.user, meeting=meeting)
    except services.MeetingError as error:
        _error(request, error)
        return redirect(_agenda_url(meeting))
    messages.success(request, _("The meeting has started."))
    return redirect(_run_url(meeting))


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def meeting_run(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    page = selectors.run_page(meeting, user=request.user, item_code=request.GET.get("item", ""))
    current = page.current
    if current is not None and current.visible:
        log_patients(
            request,
            action=AccessAction.VIEW,
            patient_codes=[current.item.patient.code],
            obj=meeting,
        )
    running = meeting.status == MeetingStatus.IN_PROGRESS
    item = current.item if current else None
    context = {
        "meeting": meeting,
        "page": page,
        "can_manage": can_manage(request.user),
        "running": running,
        "decision_form": DecisionForm(
            initial={
                "decision_kind": item.decision_kind if item else "",
                "decision": item.decision if item else "",
                "discussion": item.discussion if item else "",
                "plan": str(item.plan_code) if item and item.plan_code else "",
            },
            plan_options=page.plan_options,
        )
        if running and current and current.visible
        else None,
        "action_form": ActionForm(initial={"item": item.code if item else None})
        if running
        else None,
    }
    return render(request, "meetings/run.html", context)


@roles(*PARTICIPANTS)
@require_http_methods(["POST"])
def item_decide(request: HttpRequest, code: str, item: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    # Looked up across meetings, so a case of another meeting gets a clear refusal.
    entry = get_item(request, item)
    form = DecisionForm(request.POST, plan_options=_posted_plan(request))
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: choose the kind of decision."))
        return redirect(_run_url(meeting, entry.code))
    data = form.cleaned_data
    try:
        services.item_decide(
            by=request.user,
            meeting=meeting,
            item=entry,
            decision_kind=data["decision_kind"],
            decision=data["decision"],
            discussion=data["discussion"],
            plan_code=data["plan"] or None,
        )
    except services.MeetingError as error:
        _error(request, error)
        return redirect(_run_url(meeting, entry.code if entry.meeting_id == meeting.pk else None))
    messages.success(request, _("The decision is recorded."))
    return redirect(_run_url(meeting, entry.code))


def _posted_plan(request: HttpRequest) -> list[tuple[str, str]]:
    # The form only checks the value is a code; the service checks it is this patient's plan.
    plan = request.POST.get("plan", "")
    return [(plan, plan)] if plan else []


@roles(*PARTICIPANTS)
@require_http_methods(["POST"])
def action_add(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    form = ActionForm(request.POST)
    item_code = request.POST.get("item") or None
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, _("Nothing was saved: %(errors)s") % {"errors": errors})
        return redirect(_run_url(meeting, item_code))
    data = form.cleaned_data
    entry = get_item(request, data["item"]) if data["item"] else None
    try:
        services.action_add(
            by=request.user,
            meeting=meeting,
            item=entry,
            owner=data["owner"],
            what=data["what"],
            due_date=data["due_date"],
        )
    except services.MeetingError as error:
        _error(request, error)
    else:
        messages.success(request, _("The action is recorded."))
    return redirect(
        _run_url(meeting, item_code if entry and entry.meeting_id == meeting.pk else None)
    )


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def meeting_attendance(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    rows = selectors.attendance_of(meeting)
    form = AttendanceForm(request.POST if request.method == "POST" else None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_record(
                by=request.user,
                meeting=meeting,
                statuses=form.statuses(),
                add=list(form.cleaned_data["add"]),
            )
        except services.MeetingError as error:
            _error(request, error)
        else:
            messages.success(request, _("Attendance is saved."))
        return redirect(_run_url(meeting))
    return render(request, "meetings/attendance.html", {"meeting": meeting, "form": form})


@roles(COORDINATOR)
@require_http_methods(["GET", "POST"])
def meeting_close(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    if request.method == "POST":
        try:
            services.meeting_close(by=request.user, meeting=meeting)
        except services.MeetingError as error:
            _error(request, error)
            return redirect(_run_url(meeting))
        messages.success(
            request,
            _("The meeting is closed: the minutes are fixed and undiscussed cases carried over."),
        )
        return redirect("meetings:meeting-minutes", code=meeting.code)
    agenda = selectors.agenda(meeting, user=request.user)
    context = {"meeting": meeting, "agenda": agenda, "action": "close"}
    return render(request, "meetings/confirm.html", context)


# --- print views and calendar --------------------------------------------------------------------


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def agenda_print(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    agenda = selectors.agenda(meeting, user=request.user)
    log_patients(
        request,
        action=AccessAction.PRINT,
        patient_codes=[patient.code for patient in agenda.patients],
        obj=meeting,
    )
    context = {"meeting": meeting, "agenda": agenda, "printed_at": timezone.now()}
    return render(request, "meetings/agenda_print.html", context)


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def meeting_minutes(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    if meeting.status in (MeetingStatus.DRAFT, MeetingStatus.CANCELLED):
        messages.info(request, _("This meeting has no minutes: it was not held."))
        return redirect(_agenda_url(meeting))
    minutes = selectors.minutes_draft(meeting)
    visible = {
        str(code)
        for code in visible_patients(request.user)
        .filter(code__in=[case["patient_code"] for case in minutes["cases"]])
        .values_list("code", flat=True)
    }
    shown = [case for case in minutes["cases"] if case["patient_code"] in visible]
    log_patients(
        request,
        action=AccessAction.PRINT,
        patient_codes=[case["patient_code"] for case in shown],
        obj=meeting,
        note="minutes",
    )
    context = {
        "meeting": meeting,
        "minutes": minutes,
        "visible": visible,
        "printed_at": timezone.now(),
    }
    return render(request, "meetings/minutes.html", context)


@roles(*PARTICIPANTS)
@require_http_methods(["GET"])
def meeting_ics(request: HttpRequest, code: str) -> HttpResponse:
    meeting = get_meeting(request, code)
    host = urlparse(settings.SITE_URL).hostname or request.get_host()
    link = settings.SITE_URL + _agenda_url(meeting)
    description = "\n".join(
        part
        for part in (
            _("Chair: %(name)s") % {"name": meeting.chair.display_name},
            _("Video: %(link)s") % {"link": meeting.video_link} if meeting.video_link else "",
            _("Agenda: %(link)s") % {"link": link},
        )
        if part
    )
    body = ics.meeting_event(
        uid=f"{meeting.code}@{host}",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        stamp=timezone.now(),
        summary=f"{meeting.name} · {settings.CLINIC_NAME}",
        location=meeting.place or meeting.video_link,
        description=description,
        url=link,
        sequence=meeting.version,
        cancelled=meeting.status == MeetingStatus.CANCELLED,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    day = timezone.localtime(meeting.starts_at).date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="team-meeting-{day}.ics"'
    return response


# --- actions -------------------------------------------------------------------------------------


@any_staff
@require_http_methods(["GET"])
def my_actions(request: HttpRequest) -> HttpResponse:
    lists = selectors.my_actions(request.user)
    return render(
        request, "meetings/my_actions.html", {"lists": lists, "today": timezone.localdate()}
    )


@roles(COORDINATOR)
@require_http_methods(["GET"])
def action_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.clinic_open_actions(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "meetings/action_list.html", {"page": page, "today": timezone.localdate()}
    )


@any_staff
@require_http_methods(["POST"])
def action_done(request: HttpRequest, code: str) -> HttpResponse:
    action = get_action(request, code)
    try:
        services.action_done(by=request.user, action=action)
    except services.MeetingError as error:
        _error(request, error)
    else:
        messages.success(request, _("Marked done: %(what)s") % {"what": action.what})
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("meetings:my-actions")
