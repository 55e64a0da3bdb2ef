from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clinic.accounts.roles import Role
from clinic.audit import selectors
from clinic.audit.forms import AuditFilterForm
from clinic.lib.access import roles

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, object]]:
    form = AuditFilterForm(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


@roles(Role.ADMIN)
@require_http_methods(["GET"])
def access_log(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    events = selectors.access_log_list(
        selectors.AccessFilter(
            actor=data.get("person"),  # type: ignore[arg-type]
            patient_code=data.get("patient"),  # type: ignore[arg-type]
            action=str(data.get("action") or ""),
            date_from=data.get("date_from"),  # type: ignore[arg-type]
            date_to=data.get("date_to"),  # type: ignore[arg-type]
        )
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
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
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.staff_change_rows(list(page.object_list))
    context = {"form": form, "page": page, "rows": rows, "tab": "staff"}
    return render(request, "audit/staff_changes.html", context)
