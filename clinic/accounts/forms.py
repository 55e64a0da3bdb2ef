from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import Discipline, User
from clinic.accounts.roles import Role


class StaffSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Active and inactive")),
            ("active", _("Active")),
            ("inactive", _("Inactive")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[("", _("Any role")), *list(Role.choices)],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class StaffDetailsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=40, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    discipline = forms.ChoiceField(label=_("Discipline"), choices=Discipline.choices)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A person may hold several roles."),
    )

    def __init__(self, *args: Any, instance: User | None = None, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        taken = User.objects.filter(email__iexact=email)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another staff member already uses this email address."))
        return email


class StaffCreateForm(StaffDetailsForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only. Case does not matter at sign-in."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text=_("The person must choose their own password when they first sign in."),
    )

    field_order = [
        "username",
        "title",
        "first_name",
        "last_name",
        "email",
        "phone",
        "discipline",
        "roles",
        "password",
    ]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            probe = User(
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class StaffEditForm(StaffDetailsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
