"""Attacks on sessions: fixation, replay after sign-out, leavers, passwords reset by email.

Other session rules are tested next to the pages they belong to: the key changing at sign-in,
sign-out needing a POST and a password change ending the other sessions
(tests/accounts/test_sign_in.py); deactivation through the staff page
(tests/accounts/test_staff_management.py); idle and absolute timeouts
(tests/test_security_headers.py).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinic.accounts.models import User
from patients.models import Patient
from tests.conftest import HttpsClient, client_for, sign_in
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("accounts:login")


def chart_of(patient: Patient) -> str:
    return reverse("patients:patient-detail", kwargs={"code": patient.code})


def with_session_cookie(key: str) -> HttpsClient:
    """A browser that sends `key` as its session cookie (planted, stolen or replayed)."""
    browser = HttpsClient()
    browser.cookies[settings.SESSION_COOKIE_NAME] = key
    return browser


def session_key_of(client: Client) -> str:
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def refused(response: object, patient: Patient) -> bool:
    """The answer sends the visitor to the sign-in page and shows nothing of the patient."""
    status = response.status_code  # type: ignore[attr-defined]
    location = response.get("Location", "")  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    shown = patient.mrn in body or patient.given_name in body
    return status == 302 and location.startswith(SIGN_IN) and not shown


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician, given_name="Quentin", family_name="Zabriskie")


def test_a_session_key_planted_before_sign_in_is_not_signed_in_afterwards(
    clinician: User, patient: Patient
) -> None:
    attacker = HttpsClient()
    attacker.get(SIGN_IN)
    attacker.session.save()
    planted = session_key_of(attacker)
    victim = with_session_cookie(planted)

    sign_in(victim, "clinician")

    assert victim.get(chart_of(patient)).status_code == 200
    assert session_key_of(victim) != planted
    assert refused(with_session_cookie(planted).get(chart_of(patient)), patient)
    planted_row = Session.objects.filter(session_key=planted).first()
    assert planted_row is None or "_auth_user_id" not in planted_row.get_decoded()


def test_a_session_cookie_replayed_after_sign_out_shows_no_patient_data(
    clinician: User, patient: Patient
) -> None:
    browser = HttpsClient()
    sign_in(browser, "clinician")
    assert patient.mrn in browser.get(chart_of(patient)).content.decode()
    captured = session_key_of(browser)

    browser.post(reverse("accounts:logout"))

    replay = with_session_cookie(captured)
    assert refused(replay.get(chart_of(patient)), patient)
    listing = replay.get(reverse("patients:patient-list"), {"q": "Zabriskie"})
    assert refused(listing, patient)
    assert not Session.objects.filter(session_key=captured).exists()


def test_a_leaver_deactivated_outside_the_staff_page_is_refused_at_the_next_request(
    clinician: User, patient: Patient
) -> None:
    # The staff page also deletes their sessions; a flag set any other way (a script, the
    # database) must still end the open session.
    browser = HttpsClient()
    sign_in(browser, "clinician")
    assert browser.get(chart_of(patient)).status_code == 200

    User.objects.filter(pk=clinician.pk).update(is_active=False)

    assert refused(browser.get(chart_of(patient)), patient)


def test_a_stolen_cookie_of_a_deactivated_leaver_shows_no_patient_data(
    admin: User, clinician: User, patient: Patient
) -> None:
    browser = HttpsClient()
    sign_in(browser, "clinician")
    stolen = session_key_of(browser)

    client_for(admin).post(reverse("accounts:staff-deactivate", args=[clinician.code]))

    assert refused(with_session_cookie(stolen).get(chart_of(patient)), patient)


def reset_password_by_email(email: str, new_password: str) -> None:
    """Ask for a reset link as an anonymous visitor, follow it and set `new_password`."""
    visitor = HttpsClient()
    visitor.post(reverse("accounts:password-reset"), {"email": email})
    link = re.search(r"https?://[^/]+(/accounts/password-reset/[^\s]+/)", mail.outbox[-1].body)
    assert link is not None
    form_page = visitor.get(link.group(1), follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    done = visitor.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    # The link signs nobody in: whoever follows it still needs the password and second factor.
    assert visitor.get(reverse("home"))["Location"].startswith(SIGN_IN)


def test_a_password_reset_through_the_email_link_ends_every_session_of_the_person(
    clinician: User, patient: Patient
) -> None:
    laptop, ward_pc = HttpsClient(), HttpsClient()
    sign_in(laptop, "clinician")
    sign_in(ward_pc, "clinician")
    assert laptop.get(chart_of(patient)).status_code == 200

    reset_password_by_email("clinician@example.org", "reset-passphrase-for-clara-2026")

    assert refused(laptop.get(chart_of(patient)), patient)
    assert refused(ward_pc.get(chart_of(patient)), patient)
    assert sign_in(HttpsClient(), "clinician", "reset-passphrase-for-clara-2026").status_code == 302
