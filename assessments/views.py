"""Pages of assessments: record (with live scores), list, detail, edit, entered in error, the
story chart, measurable goals and their reviews, and the worsening-pain list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessments import chart, selectors, services
from assessments.access import get_assessment_for_user
from assessments.bodymap import REGIONS_BY_KEY, regions_of
from assessments.forms import GoalReviewForm, InErrorForm, MeasuredGoalForm, RecordForms
from assessments.live import live_scores
from assessments.models import Assessment, AssessmentContext
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction
from clinic.audit.services import access_log_record
from clinic.lib import record_version
from clinic.lib.access import roles
from clinic.lib.htmx import wants_fragment
from patients.access import can_edit_clinical, get_patient_for_user
from patients.models import Goal, Patient
from patients.selectors import patient_header

READERS = (Role.CLINICIAN, Role.COORDINATOR)
WORSENING_LIMIT = 500


def _chart_url(patient: Patient, anchor: str = "assessments") -> str:
    url = reverse("patients:patient-detail", kwargs={"code": patient.code})
    return f"{url}#{anchor}" if anchor else url


def _log_view(request: HttpRequest, patient: Patient, obj: Any, note: str) -> None:
    access_log_record(
        request=request, action=AccessAction.VIEW, patient_code=patient.code, obj=obj, note=note
    )


# --- recording -----------------------------------------------------------------------------------


def _record_context(
    request: HttpRequest, patient: Patient, forms: RecordForms, **extra: Any
) -> dict[str, Any]:
    selected = forms.selected
    answers = {code: forms.instruments[code].answers() for code in selected}
    return {
        "patient": patient,
        "forms": forms,
        "live": live_scores(selected, answers),
        "front_regions": regions_of("front"),
        "back_regions": regions_of("back"),
        "regions_by_key": REGIONS_BY_KEY,
        **extra,
    }


def _initial_for_new(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    context = request.GET.get("context", "")
    initial: dict[str, Any] = {
        "assessed_at": timezone.localtime().replace(second=0, microsecond=0),
        "context": context
        if context in AssessmentContext.values
        else selectors.default_context(patient),
        "instruments": selectors.default_instrument_codes(),
    }
    if request.GET.get("follow_up"):
        initial["follow_up"] = request.GET["follow_up"]
    return initial


def _copied(request: HttpRequest, patient: Patient) -> Assessment | None:
    """A wrong assessment to start a corrected one from (`?copy=<code>`)."""
    code = request.GET.get("copy")
    if not code:
        return None
    try:
        source = get_assessment_for_user(request, code)
    except (Http404, PermissionDenied):  # an unknown or foreign code simply copies nothing
        return None
    return source if source.patient.pk == patient.pk else None


def _forms_from(assessment: Assessment, setup: dict[str, Any], **kwargs: Any) -> RecordForms:
    responses = list(assessment.responses.all())
    setup = {**setup, "instruments": [r.instrument for r in responses]}
    return RecordForms(
        setup_initial=setup,
        answers_initial={r.instrument: r.answers for r in responses},
        description_initial={
            name: getattr(assessment, name) for name in services.DESCRIPTION_FIELDS
        },
        **kwargs,
    )


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest, patient_code: str) -> HttpResponse:
    patient = get_patient_for_user(request, patient_code, write=True, clinical=True)
    if request.method == "POST":
        forms = RecordForms(request.POST)
        if request.POST.get("action") == "check":  # "Update scores" without JavaScript
            forms.is_valid()
        elif _save_new(request, patient, forms):
            return redirect(_chart_url(patient))
    else:
        initial = _initial_for_new(request, patient)
        source = _copied(request, patient)
        forms = _forms_from(source, initial) if source else RecordForms(setup_initial=initial)
    return render(
        request, "assessments/record.html", _record_context(request, patient, forms, editing=None)
    )


def _save_new(request: HttpRequest, patient: Patient, forms: RecordForms) -> bool:
    if not forms.is_valid():
        forms.add_answer_errors(services.instruments_score(forms.answers()).errors)
        return False
    setup = forms.setup.cleaned_data
    try:
        services.assessment_record(
            by=request.user,  # type: ignore[arg-type]
            patient=patient,
            assessed_at=setup["assessed_at"],
            context=setup["context"],
            instruments=forms.answers(),
            follow_up_code=setup.get("follow_up"),
            **forms.description.description(),
        )
    except services.AssessmentInvalid as invalid:
        forms.add_answer_errors(invalid.instrument_errors)
        forms.add_field_errors(invalid.field_errors)
        return False
    except services.AssessmentError as error:
        forms.setup.add_error(None, str(error))
        return False
    messages.success(request, _("The assessment is saved."))
    return True


@roles(*READERS)
@require_http_methods(["POST"])
def assessment_score(request: HttpRequest, patient_code: str) -> HttpResponse:
    """The live scores (htmx): the record page posts its answers as the clinician types."""
    patient = get_patient_for_user(request, patient_code, write=True, clinical=True)
    forms = RecordForms(request.POST)
    forms.is_valid()
    context = _record_context(request, patient, forms)
    return render(request, "assessments/_live_scores.html", context)


# --- reading -------------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET"])
def assessment_list(request: HttpRequest, patient_code: str) -> HttpResponse:
    patient = get_patient_for_user(request, patient_code)
    show_in_error = request.GET.get("in_error") == "1"
    page, rows = selectors.assessment_page(
        patient, page_number=request.GET.get("page"), show_in_error=show_in_error
    )
    _log_view(request, patient, patient, "assessments")
    context = {
        "patient": patient,
        "header": patient_header(patient),
        "latest": selectors.latest_scores(patient),
        "page": page,
        "rows": rows,
        "show_in_error": show_in_error,
        "can_record": can_edit_clinical(request.user),
        "columns": _list_columns(rows),
    }
    return render(request, "assessments/list.html", context)


def _list_columns(rows: list[selectors.AssessmentRow]) -> list[Any]:
    from assessments.instruments import INSTRUMENTS

    used = {code for row in rows for code in row.responses}
    return [spec for code, spec in INSTRUMENTS.items() if code in used]


@roles(*READERS)
@require_http_methods(["GET"])
def assessment_detail(request: HttpRequest, code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, code)
    patient = assessment.patient
    _log_view(request, patient, assessment, "assessment")
    context = {
        "patient": patient,
        "header": patient_header(patient),
        "assessment": assessment,
        "details": selectors.response_details(assessment),
        "history": selectors.assessment_history(assessment),
        "may_edit": services.may_edit(assessment, request.user),
        "edit_deadline": services.edit_deadline(assessment),
        "can_edit_clinical": can_edit_clinical(request.user),
        "front_regions": regions_of("front"),
        "back_regions": regions_of("back"),
        "regions_by_key": REGIONS_BY_KEY,
    }
    return render(request, "assessments/detail.html", context)


# --- correcting ----------------------------------------------------------------------------------


def _detail_url(assessment: Assessment) -> str:
    return reverse("assessments:assessment-detail", kwargs={"code": assessment.code})


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, code, write=True)
    patient = assessment.patient
    if not services.may_edit(assessment, request.user):
        messages.error(
            request,
            _(
                "Only its author may edit an assessment, within %(hours)s hours of saving it. "
                "Mark it as entered in error and record a new one instead."
            )
            % {"hours": services.policy_get().assessment_edit_window_hours},
        )
        return redirect(_detail_url(assessment))
    locked = frozenset(r.instrument for r in assessment.responses.all())
    if request.method == "POST":
        forms = RecordForms(request.POST, locked=locked)
        if request.POST.get("action") == "check":
            forms.is_valid()
        elif _save_edit(request, assessment, forms):
            return redirect(_detail_url(assessment))
    else:
        setup = {
            "assessed_at": timezone.localtime(assessment.assessed_at),
            "context": assessment.context,
            "version": assessment.version,
        }
        forms = _forms_from(assessment, setup, locked=locked)
    context = _record_context(request, patient, forms, editing=assessment)
    return render(request, "assessments/record.html", context)


def _save_edit(request: HttpRequest, assessment: Assessment, forms: RecordForms) -> bool:
    if not forms.is_valid():
        forms.add_answer_errors(services.instruments_score(forms.answers()).errors)
        return False
    setup = forms.setup.cleaned_data
    try:
        services.assessment_update(
            by=request.user,  # type: ignore[arg-type]
            assessment=assessment,
            version=setup.get("version") or 0,
            instruments=forms.answers(),
            assessed_at=setup["assessed_at"],
            context=setup["context"],
            **forms.description.description(),
        )
    except services.AssessmentInvalid as invalid:
        forms.add_answer_errors(invalid.instrument_errors)
        forms.add_field_errors(invalid.field_errors)
        return False
    except services.AssessmentError as error:
        forms.setup.add_error(None, str(error))
        return False
    messages.success(request, _("The assessment is saved; the change is kept in its history."))
    return True


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def assessment_in_error(request: HttpRequest, code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, code, write=True)
    form = InErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_mark_in_error(
                by=request.user,  # type: ignore[arg-type]
                assessment=assessment,
                reason=form.cleaned_data["reason"],
            )
        except services.AssessmentInvalid as invalid:
            for name, message in invalid.field_errors.items():
                form.add_error(name if name in form.fields else None, message)
        except services.AssessmentError as error:
            messages.error(request, str(error))
            return redirect(_detail_url(assessment))
        else:
            messages.success(request, _("The assessment is marked as entered in error."))
            if request.POST.get("record_corrected"):
                url = reverse(
                    "assessments:assessment-create",
                    kwargs={"patient_code": assessment.patient.code},
                )
                return HttpResponseRedirect(f"{url}?{urlencode({'copy': assessment.code})}")
            return redirect(_detail_url(assessment))
    context = {"patient": assessment.patient, "assessment": assessment, "form": form}
    return render(request, "assessments/in_error.html", context)


# --- the story chart -----------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET"])
def story_chart(request: HttpRequest, patient_code: str) -> HttpResponse:
    """One figure of the patient's story, and the same data as a table; prints on A4."""
    patient = get_patient_for_user(request, patient_code)
    if wants_fragment(request):
        # Embedded in the patient's chart page: the figure only, the same for every viewer,
        # kept under the record's version (drawn again when anything in it changes).
        def build() -> str:
            record = Patient.objects.get(pk=patient.pk)
            # Without the goals table, the goals' reviews are not read.
            story = selectors.story(record, goal_reviews=False)
            context = {"patient": record, "story": story, "embedded": True}
            return render_to_string(
                "assessments/_figure.html", {**context, "figure": chart.story_figure(story)}
            )

        # The day: medicines still taken are drawn up to today.
        variant = (timezone.localdate().isoformat(),)
        figure = record_version.cached_page("story-figure", patient.pk, variant, build)
        _log_view(request, patient, patient, "story chart")
        return HttpResponse(figure)
    story = selectors.story(patient)
    _log_view(request, patient, patient, "story chart")
    context = {"patient": patient, "story": story, "figure": chart.story_figure(story)}
    context.update(
        header=patient_header(patient),
        latest=selectors.latest_scores(patient),
        can_record=can_edit_clinical(request.user),
    )
    return render(request, "assessments/chart.html", context)


# --- goals ---------------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, patient_code: str) -> HttpResponse:
    patient = get_patient_for_user(request, patient_code, write=True, clinical=True)
    form = MeasuredGoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_create_measured(
                by=request.user,  # type: ignore[arg-type]
                patient=patient,
                **form.cleaned_data,
            )
        except services.AssessmentInvalid as invalid:
            for name, message in invalid.field_errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("The goal is added; the chart follows its measure."))
            return redirect(_chart_url(patient, "goals"))
    return render(request, "assessments/goal_form.html", {"patient": patient, "form": form})


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def goal_review(request: HttpRequest, patient_code: str, goal_code: str) -> HttpResponse:
    patient = get_patient_for_user(request, patient_code, write=True, clinical=True)
    goal = _get_goal(patient, goal_code)
    latest = selectors.goal_latest_value(goal)
    form = GoalReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_review(
                by=request.user,  # type: ignore[arg-type]
                goal=goal,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                value_at_review=latest,
            )
        except services.AssessmentInvalid as invalid:
            for name, message in invalid.field_errors.items():
                form.add_error(name if name in form.fields else None, message)
        except ValueError as error:  # the goal is in error, or was changed meanwhile
            messages.error(request, str(error))
            return redirect(_chart_url(patient, "goals"))
        else:
            messages.success(request, _("The goal review is recorded."))
            return redirect(_chart_url(patient, "goals"))
    context = {"patient": patient, "goal": goal, "form": form, "latest": latest}
    return render(request, "assessments/goal_review.html", context)


def _get_goal(patient: Patient, code: str) -> Goal:
    try:
        return selectors.get_goal(patient, code)
    except Goal.DoesNotExist as missing:
        raise Http404 from missing


# --- worsening pain ------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET"])
def worsening_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.patients_with_worsening_pain(user=request.user, limit=WORSENING_LIMIT)
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assessments/worsening.html", {"rows": page.object_list, "page": page})
