from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.accounts import security, selectors, services
from clinic.accounts.forms import StaffCreateForm, StaffEditForm, StaffSearchForm
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction
from clinic.audit.services import access_log_record
from clinic.lib.access import any_staff, before_two_factor, public, roles

STAFF_PAGE_SIZE = 25


@method_decorator(public, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        access_log_record(request=self.request, action=AccessAction.SIGN_IN, actor=form.get_user())
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if security.address_is_spraying(request):
            access_log_record(
                request=request,
                action=AccessAction.SIGN_IN_FAILED,
                actor_label=request.POST.get("username", "")[:150],
                flagged=True,
                note="refused: too many failures from this address",
            )
            return render(request, "registration/locked_out.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        access_log_record(
            request=self.request,
            action=AccessAction.SIGN_IN_FAILED,
            actor_label=self.request.POST.get("username", "")[:150],
        )
        return super().form_invalid(form)


@method_decorator(before_two_factor, name="dispatch")
@method_decorator(any_staff, name="dispatch")
class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access_log_record(request=request, action=AccessAction.SIGN_OUT)
        return super().post(request, *args, **kwargs)


@method_decorator(any_staff, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:password-change-done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        # Sessions elsewhere stop at their next request: the password hash they hold is stale.
        services.user_sessions_end(
            user=form.user, keep_session_key=self.request.session.session_key
        )
        return response


@method_decorator(any_staff, name="dispatch")
class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


@method_decorator(public, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "emails/password-reset-body.txt"
    html_email_template_name = "emails/password-reset-body.html"
    subject_template_name = "emails/password-reset-subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


@method_decorator(public, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


@method_decorator(public, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


@method_decorator(public, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@any_staff
@require_http_methods(["GET"])
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {"person": request.user})


@roles(Role.ADMIN)
@require_http_methods(["GET"])
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    staff = selectors.staff_list(
        query=filters.get("q", ""), status=filters.get("status", ""), role=filters.get("role", "")
    )
    page = Paginator(staff, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {"form": form, "page": page})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.staff_create(
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                discipline=data["discipline"],
                roles=data["roles"],
                password=data["password"],
                title=data["title"],
                phone=data["phone"],
            )
        except (services.StaffError, ValidationError) as error:
            messages.error(request, _("Nothing was saved: %(error)s") % {"error": _message(error)})
        else:
            messages.success(
                request, _("%(name)s can now sign in.") % {"name": person.display_name}
            )
            return redirect("accounts:staff-list")
    return render(request, "accounts/staff_form.html", {"form": form, "creating": True})


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _get_staff(code: str) -> User:
    try:
        return selectors.staff_get(code)
    except (User.DoesNotExist, ValidationError) as missing:
        raise Http404 from missing


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, code: str) -> HttpResponse:
    person = _get_staff(code)
    initial = {
        "title": person.title,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "discipline": person.discipline,
        "roles": sorted(person.roles),
        "version": person.version,
    }
    form = StaffEditForm(request.POST or None, initial=initial, instance=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.staff_update(
                acting=request.user,  # type: ignore[arg-type]
                user=person,
                version=data["version"],
                roles=data["roles"],
                discipline=data["discipline"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                title=data["title"],
                phone=data["phone"],
            )
        except (services.StaffError, ValidationError) as error:
            messages.error(request, _message(error))
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": person.display_name})
            return redirect("accounts:staff-list")
    return render(request, "accounts/staff_form.html", {"form": form, "person": person})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_deactivate(request: HttpRequest, code: str) -> HttpResponse:
    person = _get_staff(code)
    if request.method == "POST":
        try:
            services.staff_deactivate(acting=request.user, user=person)  # type: ignore[arg-type]
        except services.StaffError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(name)s is deactivated; their open sessions have ended.")
                % {"name": person.display_name},
            )
        return redirect("accounts:staff-list")
    return render(
        request, "accounts/staff_confirm.html", {"person": person, "action": "deactivate"}
    )


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_reactivate(request: HttpRequest, code: str) -> HttpResponse:
    person = _get_staff(code)
    if request.method == "POST":
        try:
            services.staff_reactivate(user=person)
        except services.StaffError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("%(name)s can sign in again.") % {"name": person.display_name}
            )
        return redirect("accounts:staff-list")
    return render(
        request, "accounts/staff_confirm.html", {"person": person, "action": "reactivate"}
    )
