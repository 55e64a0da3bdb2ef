from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.accounts.roles import Role
from clinic.audit import selectors
from clinic.audit.forms import AuditFilterForm
from clinic.lib.access import roles
from clinic.lib.pagination import CappedPaginator
from patients.selectors import patient_code_for_mrn

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, object]]:
    form = AuditFilterForm(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


def _patient_code(form: AuditFilterForm, data: dict[str, object]) -> tuple[object, bool]:
    """The patient code to filter on, from the code or the MRN; False when nothing can match."""
    code = data.get("patient")
    mrn = str(data.get("mrn") or "").strip()
    if not mrn:
        return code, True
    # Resolved through the patients app, which shows an admin nothing but the code.
    found = patient_code_for_mrn(mrn)
    if found is None:
        form.add_error("mrn", _("No patient has this MRN."))
        return code, False
    return found, code is None or code == found


@roles(Role.ADMIN)
@require_http_methods(["GET"])
def access_log(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    patient_code, can_match = _patient_code(form, data)
    events = selectors.access_log_list(
        selectors.AccessFilter(
            actor=data.get("person"),  # type: ignore[arg-type]
            patient_code=patient_code,  # type: ignore[arg-type]
            action=str(data.get("action") or ""),
            date_from=data.get("date_from"),  # type: ignore[arg-type]
            date_to=data.get("date_to"),  # type: ignore[arg-type]
        )
    )
    if not can_match:
        events = events.none()
    page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/access_log.html", {"form": form, "page": page, "tab": "access"})


@roles(Role.ADMIN)
@require_http_methods(["GET"])
def staff_changes(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    events = selectors.staff_change_list(
        actor=data.get("person"),  # type: ignore[arg-type]
        date_from=data.get("date_from"),  # type: ignore[arg-type]
        date_to=data.get("date_to"),  # type: ignore[arg-type]
    )
    page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.staff_change_rows(list(page.object_list))
    context = {"form": form, "page": page, "rows": rows, "tab": "staff"}
    return render(request, "audit/staff_changes.html", context)
