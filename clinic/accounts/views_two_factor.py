"""Two-factor set-up and verification pages, and the admin's reset."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from clinic.accounts import two_factor
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.accounts.views import _get_staff
from clinic.lib.access import any_staff, before_two_factor, roles


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@before_two_factor
@any_staff
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = two_factor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.enrolment_confirm(
                request=request, user=user, token=form.cleaned_data["code"]
            )
        except two_factor.TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            # Shown once, on this response: the codes are not kept in a readable form.
            return render(request, "accounts/two_factor_codes.html", {"codes": codes})
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=5, dark="#000", light="#fff", omitsize=False),
        "secret": base64.b32encode(device.bin_key).decode("ascii").rstrip("="),
        "replacing": two_factor.has_two_factor(user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@before_two_factor
@any_staff
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.has_two_factor(user):
        return redirect("accounts:two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_verify(
                request=request, user=user, token=form.cleaned_data["code"]
            )
        except two_factor.TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, True):
                target = ""
            return redirect(target or "home")
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@roles(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_two_factor_reset(request: HttpRequest, code: str) -> HttpResponse:
    person = _get_staff(code)
    if request.method == "POST":
        two_factor.two_factor_reset(request=request, acting=request.user, user=person)  # type: ignore[arg-type]
        messages.success(
            request,
            _("Two-factor sign-in of %(name)s was reset; they set it up again at next sign-in.")
            % {"name": person.display_name},
        )
        return redirect("accounts:staff-edit", code=person.code)
    return render(request, "accounts/staff_confirm.html", {"person": person, "action": "reset_2fa"})
