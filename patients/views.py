"""Pages of the patient record: search, registration, the chart and its entries, the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction
from clinic.audit.services import access_log_record
from clinic.lib import record_version
from clinic.lib.access import roles
from clinic.lib.forms import add_validation_errors
from clinic.lib.htmx import wants_fragment
from clinic.lib.pagination import CappedPaginator, KeyedPaginator
from patients import selectors, services
from patients.access import (
    can_edit_clinical,
    get_entry_for_patient,
    get_patient_for_user,
)
from patients.forms import (
    ENTRY_FORMS,
    DrugForm,
    DrugSearchForm,
    EntryForm,
    InErrorForm,
    LabFilterForm,
    PatientForm,
    PatientSearchForm,
    PolicyForm,
)
from patients.models import (
    Allergy,
    ClinicalEntry,
    Device,
    Diagnosis,
    Drug,
    Goal,
    LabResult,
    Medication,
    OncologyEvent,
    Patient,
)
from patients.services import PATIENT_FIELDS

PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 50


@dataclass(frozen=True)
class EntryKind:
    """One section of the chart: URL names `patients:<slug>-add|edit|in-error`."""

    slug: str
    path: str
    model: type[ClinicalEntry]
    title: Any

    @property
    def form(self) -> type[EntryForm]:
        return ENTRY_FORMS[self.model]


ENTRY_KINDS: dict[str, EntryKind] = {
    kind.slug: kind
    for kind in (
        EntryKind("diagnosis", "diagnoses", Diagnosis, gettext_lazy("Cancer diagnosis")),
        EntryKind(
            "oncology-event", "oncology-events", OncologyEvent, gettext_lazy("Oncology event")
        ),
        EntryKind("medication", "medications", Medication, gettext_lazy("Medication")),
        EntryKind("lab-result", "lab-results", LabResult, gettext_lazy("Lab result")),
        EntryKind("allergy", "allergies", Allergy, gettext_lazy("Allergy")),
        EntryKind("goal", "goals", Goal, gettext_lazy("Goal")),
        EntryKind("device", "devices", Device, gettext_lazy("Implanted device")),
    )
}

READERS = (Role.CLINICIAN, Role.COORDINATOR)


def _chart_url(patient: Patient, anchor: str = "") -> str:
    url = reverse("patients:patient-detail", kwargs={"code": patient.code})
    return f"{url}#{anchor}" if anchor else url


# --- finding and registering patients ------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET"])
def patient_list(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    patients = selectors.patient_search(
        user=request.user,
        query=data.get("q", ""),
        status=data.get("status", ""),
        clinician=data.get("clinician"),
        sort=data.get("sort", ""),
    )
    if data.get("q"):
        # A ranked search: its keys are read once, in order, and the page's rows by key.
        rows = selectors.patient_list_rows()
        paginator: CappedPaginator = KeyedPaginator(patients, PAGE_SIZE, rows=rows)
    else:
        # Sorted by a column its index serves: counted (to the cap) and read a page at a time.
        paginator = CappedPaginator(patients, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": data.get("q", "")}
    # htmx (search as you type) swaps the results only; without JavaScript the form submits.
    template = "patients/patient_list.html"
    if wants_fragment(request):
        template += "#results"
    return render(request, template, context)


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                by=request.user,  # type: ignore[arg-type]
                care_team=form.cleaned_data["care_team"],
                **form.patient_data(),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": patient.full_name})
            return redirect(_chart_url(patient))
    return render(request, "patients/patient_form.html", {"form": form, "creating": True})


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_patient_for_user(request, code, write=True)
    initial = {"version": patient.version, "care_team": selectors.care_team_of(patient)}
    form = PatientForm(request.POST or None, instance=patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                by=request.user,  # type: ignore[arg-type]
                patient=patient,
                version=form.cleaned_data["version"] or 0,
                care_team=form.cleaned_data["care_team"],
                **form.patient_data(),
            )
        except services.EditConflict as conflict:
            return _conflict(request, conflict, form, PATIENT_FIELDS, patient=patient)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": patient.full_name})
            return redirect(_chart_url(patient))
    context = {"form": form, "patient": patient}
    return render(request, "patients/patient_form.html", context)


def _conflict(
    request: HttpRequest,
    conflict: services.EditConflict,
    form: Any,
    fields: Any,
    *,
    patient: Patient,
) -> HttpResponse:
    """409: show what the other person changed; the form keeps this person's values."""
    current = conflict.current
    submitted = {name: form.cleaned_data.get(name) for name in fields}
    rows, saved_by = selectors.conflict_rows(
        current,
        opened_version=form.cleaned_data.get("version") or 0,
        submitted=submitted,
        fields=list(fields),
    )
    data = request.POST.copy()
    data["version"] = str(current.version)
    fresh_form = type(form)(data, instance=type(current).objects.get(pk=current.pk))
    context = {
        "patient": patient,
        "message": str(conflict),
        "rows": rows,
        "saved_by": saved_by,
        "form": fresh_form,
        "action": request.path,
    }
    return render(request, "patients/conflict.html", context, status=409)


# --- the chart -----------------------------------------------------------------------------------


@roles(*READERS)
@require_http_methods(["GET"])
def patient_detail(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_patient_for_user(request, code)
    show_in_error = request.GET.get("in_error") == "1"
    can_edit = can_edit_clinical(request.user)
    today = timezone.localdate()

    def build() -> str:
        # Read again after the record's version: the page must be no older than its key.
        record = Patient.objects.select_related("primary_clinician").get(pk=patient.pk)
        chart = selectors.patient_chart(record, show_in_error=show_in_error, today=today)
        context = {
            "chart": chart,
            "patient": record,
            "header": chart.header,
            "show_in_error": show_in_error,
            "can_edit_clinical": can_edit,
        }
        # No request: what the content shows depends on the viewer only through this flag.
        return render_to_string("patients/_chart_body.html", context)

    variant = (today.isoformat(), show_in_error, can_edit)
    body = record_version.cached_page("chart", patient.pk, variant, build)
    access_log_record(
        request=request, action=AccessAction.VIEW, patient_code=patient.code, obj=patient
    )
    return render(request, "patients/chart.html", {"patient": patient, "body": body})


@roles(*READERS)
@require_http_methods(["GET"])
def lab_result_list(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_patient_for_user(request, code)
    form = LabFilterForm(request.GET or None)
    test = form.cleaned_data.get("test", "") if form.is_valid() else ""
    page = Paginator(selectors.lab_results(patient, test=test), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    access_log_record(
        request=request,
        action=AccessAction.VIEW,
        patient_code=patient.code,
        obj=patient,
        note="lab results",
    )
    context = {
        "patient": patient,
        "form": form,
        "page": page,
        "can_edit_clinical": can_edit_clinical(request.user),
    }
    return render(request, "patients/lab_results.html", context)


@roles(*READERS)
@require_http_methods(["GET"])
def patient_history(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_patient_for_user(request, code)
    page = Paginator(selectors.patient_history(patient), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.history_rows(list(page.object_list))
    access_log_record(
        request=request,
        action=AccessAction.VIEW,
        patient_code=patient.code,
        obj=patient,
        note="history",
    )
    return render(
        request, "patients/history.html", {"patient": patient, "page": page, "rows": rows}
    )


# --- clinical entries ----------------------------------------------------------------------------


def _kind(slug: str) -> EntryKind:
    try:
        return ENTRY_KINDS[slug]
    except KeyError as missing:
        raise Http404 from missing


@roles(Role.CLINICIAN, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def entry_add(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    spec = _kind(kind)
    patient = get_patient_for_user(request, code, write=True, clinical=True)
    form = spec.form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_add(by=request.user, patient=patient, entry=form.instance)  # type: ignore[arg-type]
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("%(what)s added.") % {"what": spec.title})
            return redirect(_chart_url(patient, spec.path))
    context = {"form": form, "patient": patient, "kind": spec}
    return render(request, "patients/entry_form.html", context)


@roles(Role.CLINICIAN, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, code: str, kind: str, entry: str) -> HttpResponse:
    spec = _kind(kind)
    patient = get_patient_for_user(request, code, write=True, clinical=True)
    row = get_entry_for_patient(patient, spec.model, entry)
    if row.in_error:
        messages.error(request, _("An entry marked as entered in error cannot be changed."))
        return redirect(_chart_url(patient, spec.path))
    form = spec.form(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(
                by=request.user,  # type: ignore[arg-type]
                entry=row,
                version=form.cleaned_data["version"],
                changes=form.changes(),
            )
        except services.EditConflict as conflict:
            return _conflict(request, conflict, form, form._meta.fields, patient=patient)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("%(what)s saved.") % {"what": spec.title})
            return redirect(_chart_url(patient, spec.path))
    context = {"form": form, "patient": patient, "kind": spec, "entry": row}
    return render(request, "patients/entry_form.html", context)


@roles(Role.CLINICIAN, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def entry_in_error(request: HttpRequest, code: str, kind: str, entry: str) -> HttpResponse:
    spec = _kind(kind)
    patient = get_patient_for_user(request, code, write=True, clinical=True)
    row = get_entry_for_patient(patient, spec.model, entry)
    form = InErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_mark_in_error(
                by=request.user,  # type: ignore[arg-type]
                entry=row,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        except services.PatientError as error:
            messages.error(request, str(error))
            return redirect(_chart_url(patient, spec.path))
        else:
            messages.success(
                request, _("%(what)s marked as entered in error.") % {"what": spec.title}
            )
            return redirect(_chart_url(patient, spec.path))
    context = {"form": form, "patient": patient, "kind": spec, "entry": row}
    return render(request, "patients/entry_in_error.html", context)


# --- medication catalogue and clinic policy (admins) ---------------------------------------------


@roles(Role.ADMIN)
@require_http_methods(["GET"])
def drug_list(request: HttpRequest) -> HttpResponse:
    form = DrugSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    drugs = selectors.drug_list(query=data.get("q", ""), drug_class=data.get("drug_class", ""))
    page = Paginator(drugs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/drug_list.html", {"form": form, "page": page})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def drug_create(request: HttpRequest) -> HttpResponse:
    form = DrugForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            drug = services.drug_create(**form.drug_data())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("%(name)s added to the catalogue.") % {"name": drug.name})
            return redirect("patients:drug-list")
    return render(request, "patients/drug_form.html", {"form": form, "creating": True})


def _get_drug(code: str) -> Drug:
    try:
        return selectors.drug_get(code)
    except Drug.DoesNotExist as missing:
        raise Http404 from missing


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def drug_edit(request: HttpRequest, code: str) -> HttpResponse:
    drug = _get_drug(code)
    form = DrugForm(request.POST or None, instance=drug, initial={"version": drug.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.drug_update(
                drug=drug, version=form.cleaned_data["version"] or 0, **form.drug_data()
            )
        except services.EditConflict as conflict:
            messages.error(request, f"{conflict} {_('Nothing was saved; review and save again.')}")
            return redirect("patients:drug-edit", code=drug.code)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": drug.name})
            return redirect("patients:drug-list")
    return render(request, "patients/drug_form.html", {"form": form, "drug": drug})


def _drug_set_active(request: HttpRequest, code: str, *, active: bool) -> HttpResponse:
    drug = _get_drug(code)
    if request.method == "POST":
        try:
            services.drug_set_active(drug=drug, active=active)
        except services.PatientError as error:
            messages.error(request, str(error))
        else:
            text = _("%(name)s is available again.") if active else _("%(name)s is withdrawn.")
            messages.success(request, text % {"name": drug.name})
        return redirect("patients:drug-list")
    return render(request, "patients/drug_confirm.html", {"drug": drug, "active": active})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def drug_deactivate(request: HttpRequest, code: str) -> HttpResponse:
    return _drug_set_active(request, code, active=False)


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def drug_reactivate(request: HttpRequest, code: str) -> HttpResponse:
    return _drug_set_active(request, code, active=True)


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    policy = selectors.policy_get()
    form = PolicyForm(request.POST or None, instance=policy, initial={"version": policy.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(version=form.cleaned_data["version"], **form.policy_data())
        except services.EditConflict as conflict:
            messages.error(request, f"{conflict} {_('Nothing was saved; review and save again.')}")
            return redirect("patients:policy-edit")
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The clinic policy is saved."))
            return redirect("patients:policy-edit")
    return render(request, "patients/policy_form.html", {"form": form})


@roles(*READERS)
@require_http_methods(["GET", "POST"])
def break_glass_view(request: HttpRequest, code: str) -> HttpResponse:
    """Ask for the reason, then open a restricted record for an hour."""
    from patients.access import restricted_patient_code
    from patients.break_glass import BreakGlassError, break_glass

    patient_code = restricted_patient_code(code)
    if patient_code is None:
        raise Http404
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        target = reverse("patients:patient-detail", args=[patient_code])
    error = ""
    if request.method == "POST":
        try:
            break_glass(
                request=request, patient_code=patient_code, reason=request.POST.get("reason", "")
            )
        except BreakGlassError as problem:
            error = str(problem)
        else:
            return redirect(target)
    context = {"patient_code": patient_code, "next": target, "error": error}
    return render(request, "patients/break_glass.html", context)
