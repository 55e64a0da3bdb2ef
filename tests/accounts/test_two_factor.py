"""Two-factor sign-in: required, enrolled with a QR code, codes never replayed, admin reset."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.models import User
from clinic.audit.models import AccessAction, AccessLog
from clinic.lib.policy import clear_cache
from patients.models import ClinicPolicy
from tests.conftest import PASSWORD, HttpsClient, client_for
from tests.patients.helpers import edit_policy

pytestmark = pytest.mark.django_db


def password_only(username: str) -> HttpsClient:
    client = HttpsClient()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def code_of(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def enrol(client: HttpsClient, user: User) -> list[str]:
    page = client.get(reverse("accounts:two-factor-setup"))
    assert "<svg" in page.content.decode()  # the QR code to scan
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("accounts:two-factor-setup"), {"code": code_of(device)})
    return list(done.context["codes"])


def test_a_password_alone_reaches_nothing_but_the_set_up_page(clinician: User) -> None:
    client = password_only("clinician")
    for url in (reverse("home"), reverse("accounts:profile"), reverse("accounts:password-change")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:two-factor-setup")


def test_clinic_policy_can_let_non_admins_sign_in_with_a_password(
    clinician: User, admin: User
) -> None:
    # The first sign-in reads (and caches) the default: two-factor for everyone.
    assert password_only("clinician").get(reverse("home")).status_code == 302

    saved = edit_policy(client_for(admin), two_factor_required_for_all="False")

    assert saved.status_code == 302
    assert password_only("clinician").get(reverse("home")).status_code == 200
    # Admins always need the second factor.
    assert password_only("admin").get(reverse("home"))["Location"] == reverse(
        "accounts:two-factor-setup"
    )


def test_switching_two_factor_off_for_everyone_is_kept_in_the_policy_history(
    admin: User,
) -> None:
    edit_policy(client_for(admin), two_factor_required_for_all="False")

    event = ClinicPolicy.pgh_event_models["insert"].objects.get(pgh_label="update")
    assert event.two_factor_required_for_all is False
    assert event.pgh_context.metadata["user"] == admin.pk


def test_the_policy_page_shows_the_two_factor_rule_in_a_sign_in_section(admin: User) -> None:
    page = client_for(admin).get(reverse("patients:policy-edit")).content.decode()

    section = page[page.index('id="sign-in-and-sessions"') :]
    assert "Sign-in and sessions" in section
    assert re.search(r'value="True"[^>]*checked', section)
    assert "Admins only" in section


def test_a_policy_form_without_the_two_factor_rule_keeps_it_on(admin: User) -> None:
    client = client_for(admin)
    form = client.get(reverse("patients:policy-edit")).context["form"]
    data = {field.name: field.value() for field in form if field.value() is not None}
    del data["two_factor_required_for_all"]

    assert client.post(reverse("patients:policy-edit"), data).status_code == 302
    assert ClinicPolicy.objects.get().two_factor_required_for_all is True


@override_settings(TWO_FACTOR_REQUIRED_FOR_ALL=False)
def test_the_setting_decides_only_while_there_is_no_clinic_policy(clinician: User) -> None:
    assert password_only("clinician").get(reverse("home")).status_code == 302

    ClinicPolicy.objects.all().delete()
    clear_cache()

    assert password_only("clinician").get(reverse("home")).status_code == 200


def test_enrolment_gives_ten_single_use_backup_codes(clinician: User) -> None:
    client = password_only("clinician")
    codes = enrol(client, clinician)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("home")).status_code == 200

    later = password_only("clinician")
    assert later.get(reverse("home"))["Location"] == reverse("accounts:two-factor-verify")
    later.post(reverse("accounts:two-factor-verify"), {"code": codes[0]})
    assert later.get(reverse("home")).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()

    again = password_only("clinician")
    refused = again.post(reverse("accounts:two-factor-verify"), {"code": codes[0]})
    assert "That code did not work." in refused.content.decode()
    assert again.get(reverse("home")).status_code == 302


def test_a_wrong_first_code_does_not_switch_two_factor_on(clinician: User) -> None:
    client = password_only("clinician")
    client.get(reverse("accounts:two-factor-setup"))
    response = client.post(reverse("accounts:two-factor-setup"), {"code": "000000"})
    assert "That code did not match." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=True).exists()


def test_an_authenticator_code_cannot_be_replayed(clinician: User) -> None:
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        enrol(password_only("clinician"), clinician)
    device = TOTPDevice.objects.get(user=clinician, confirmed=True)
    later = now + timezone.timedelta(seconds=90)
    with time_machine.travel(later, tick=False):
        code = code_of(device)
        first = password_only("clinician")
        first.post(reverse("accounts:two-factor-verify"), {"code": code})
        assert first.get(reverse("home")).status_code == 200

        eavesdropper = password_only("clinician")
        eavesdropper.post(reverse("accounts:two-factor-verify"), {"code": code})
        assert eavesdropper.get(reverse("home")).status_code == 302


def test_admin_sees_who_has_two_factor_and_resets_it_with_an_audit_entry(
    admin: User, clinician: User
) -> None:
    enrol(password_only("clinician"), clinician)
    client = client_for(admin)
    listing = client.get(reverse("accounts:staff-list")).content.decode()
    assert "not set up" in listing  # the admin (test session) has no authenticator

    confirm = client.get(reverse("accounts:staff-two-factor-reset", args=[clinician.code]))
    assert "Reset two-factor sign-in of Clara Nguyen?" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=clinician).exists()

    client.post(reverse("accounts:staff-two-factor-reset", args=[clinician.code]))

    assert not TOTPDevice.objects.filter(user=clinician).exists()
    entry = AccessLog.objects.get(action=AccessAction.TWO_FACTOR_RESET)
    assert entry.actor == admin and entry.flagged and entry.object_code == clinician.code
    after = password_only("clinician")
    assert after.get(reverse("home"))["Location"] == reverse("accounts:two-factor-setup")
