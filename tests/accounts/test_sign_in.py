"""Sign in, sign out, change and reset a password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from clinic.accounts.models import User
from clinic.audit.models import AccessAction, AccessLog
from tests.conftest import PASSWORD, HttpsClient, client_for, sign_in

pytestmark = pytest.mark.django_db


def test_sign_in_ignores_the_case_of_the_username_and_is_logged(clinician: User) -> None:
    client = HttpsClient()
    response = sign_in(client, "CLINICIAN")

    assert response.status_code == 302
    assert AccessLog.objects.filter(actor=clinician, action=AccessAction.SIGN_IN).count() == 1


def test_the_session_key_changes_at_sign_in(clinician: User) -> None:
    client = HttpsClient()
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    sign_in(client, "clinician")
    assert client.session.session_key != before


def test_a_failed_sign_in_does_not_say_whether_the_username_exists(clinician: User) -> None:
    wrong_password = sign_in(HttpsClient(), "clinician", "not-the-password").content.decode()
    unknown_user = sign_in(HttpsClient(), "nobody", "not-the-password").content.decode()

    message = "That username and password did not match an active account."
    assert message in wrong_password
    assert message in unknown_user
    failures = AccessLog.objects.filter(action=AccessAction.SIGN_IN_FAILED)
    assert sorted(failures.values_list("actor_label", flat=True)) == ["clinician", "nobody"]


def test_sign_in_redirects_to_next_but_never_off_site(clinician: User) -> None:
    client = HttpsClient()
    inside = client.post(
        reverse("accounts:login") + "?next=/accounts/profile/",
        {"username": "clinician", "password": PASSWORD, "next": "/accounts/profile/"},
    )
    assert inside["Location"] == "/accounts/profile/"

    other = HttpsClient()
    outside = other.post(
        reverse("accounts:login"),
        {"username": "clinician", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert outside["Location"] == reverse("home")


def test_sign_out_needs_a_post_and_ends_the_session(clinician: User) -> None:
    client = client_for(clinician)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("accounts:logout"))

    assert client.get(reverse("home")).status_code == 302
    assert AccessLog.objects.filter(actor=clinician, action=AccessAction.SIGN_OUT).exists()


def test_changing_the_password_ends_the_persons_other_sessions(clinician: User) -> None:
    laptop, ward_pc = HttpsClient(), HttpsClient()
    sign_in(laptop, "clinician")
    sign_in(ward_pc, "clinician")

    response = laptop.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-2026",
            "new_password2": "a-brand-new-passphrase-2026",
        },
    )

    assert response.status_code == 302
    assert laptop.get(reverse("home")).status_code == 200
    assert ward_pc.get(reverse("home")).status_code == 302


def test_a_forgotten_password_is_reset_through_an_emailed_link(clinician: User) -> None:
    client = HttpsClient()
    response = client.post(reverse("accounts:password-reset"), {"email": "CLINICIAN@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["clinician@example.org"]
    link = re.search(r"https?://[^/]+(/accounts/password-reset/[^\s]+/)", message.body)
    assert link is not None

    form_page = client.get(link.group(1), follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    done = client.post(
        set_url,
        {
            "new_password1": "reset-passphrase-for-clara",
            "new_password2": "reset-passphrase-for-clara",
        },
    )

    assert done.status_code == 302
    assert sign_in(HttpsClient(), "clinician", "reset-passphrase-for-clara").status_code == 302


def test_a_reset_for_an_unknown_email_sends_nothing_and_says_the_same(db: None) -> None:
    response = HttpsClient().post(
        reverse("accounts:password-reset"), {"email": "stranger@example.org"}, follow=True
    )
    assert "If the address matches an active account" in response.content.decode()
    assert mail.outbox == []


def test_navigation_shows_only_what_the_roles_allow(clinician: User, admin: User) -> None:
    clinician_page = client_for(clinician).get(reverse("home")).content.decode()
    admin_page = client_for(admin).get(reverse("home")).content.decode()

    assert reverse("accounts:staff-list") not in clinician_page
    assert reverse("audit:access-log") not in clinician_page
    assert reverse("accounts:staff-list") in admin_page
    assert reverse("audit:access-log") in admin_page


def test_pages_for_signed_in_staff_are_not_cached(clinician: User) -> None:
    response = client_for(clinician).get(reverse("home"))
    assert response["Cache-Control"] == "no-store"
