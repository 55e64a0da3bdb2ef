"""Journey 6 (DESIGN.md §5): an admin adds a clinician, the clinician signs in, the admin
deactivates them and their open session ends."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from clinic.accounts.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import give_authenticator, screenshot, sign_in


def test_admin_adds_and_deactivates_a_clinician(new_page: Any) -> None:
    give_authenticator(make_user(Role.ADMIN, username="ada", first_name="Ada", last_name="Mensah"))

    admin = new_page()
    sign_in(admin, "ada", PASSWORD)
    expect(admin.get_by_role("heading", name="Welcome, Ada Mensah")).to_be_visible()
    admin.get_by_role("link", name="Staff", exact=True).click()
    admin.get_by_role("link", name="Add staff member").click()
    admin.get_by_label("Username").fill("b.okoro")
    admin.get_by_label("Title").fill("Dr")
    admin.get_by_label("First name").fill("Bola")
    admin.get_by_label("Last name").fill("Okoro")
    admin.get_by_label("Email").fill("bola.okoro@example.org")
    admin.get_by_label("Discipline").select_option("palliative_care")
    admin.get_by_label("Clinician").check()
    admin.get_by_label("Initial password").fill("first-day-passphrase-2026")
    screenshot(admin, "staff-create-form")
    admin.get_by_role("button", name="Create account").click()
    expect(admin.get_by_text("Dr Bola Okoro can now sign in.")).to_be_visible()
    screenshot(admin, "staff-list")

    clinician = new_page()
    sign_in(clinician, "B.Okoro", "first-day-passphrase-2026")
    # First sign-in: set up the authenticator by typing the key into an app (computed here).
    expect(clinician.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    screenshot(clinician, "two-factor-setup")
    secret = clinician.get_by_test_id("totp-secret").inner_text()
    clinician.get_by_label("Code").fill(current_code(secret))
    clinician.get_by_role("button", name="Confirm").click()
    expect(clinician.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    clinician.get_by_role("link", name="I have kept them").click()
    expect(clinician.get_by_role("heading", name="Change your password")).to_be_visible()
    clinician.get_by_label("Old password").fill("first-day-passphrase-2026")
    clinician.locator("#id_new_password1").fill("bola-chooses-her-own-99")
    clinician.locator("#id_new_password2").fill("bola-chooses-her-own-99")
    clinician.get_by_role("button", name="Change password").click()
    clinician.get_by_role("link", name="Go to the dashboard").click()
    expect(clinician.get_by_role("heading", name="Clinician")).to_be_visible()
    # A clinician's navigation has no staff or audit links.
    expect(clinician.get_by_role("link", name="Staff", exact=True)).to_have_count(0)
    expect(clinician.get_by_role("link", name="Audit", exact=True)).to_have_count(0)

    admin.get_by_role("row", name="Dr Bola Okoro").get_by_role("link", name="Deactivate").click()
    screenshot(admin, "staff-deactivate-confirm")
    admin.get_by_role("button", name="Deactivate").click()
    expect(admin.get_by_text("is deactivated; their open sessions have ended")).to_be_visible()

    clinician.reload()
    expect(clinician.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(clinician, "deactivated-session-ended")


def current_code(base32_secret: str) -> str:
    """What the person's authenticator app shows now."""
    import base64

    from django_otp.oath import totp

    padded = base32_secret + "=" * (-len(base32_secret) % 8)
    return f"{totp(base64.b32decode(padded)):06d}"


def test_the_audit_log_shows_sign_ins_to_an_admin(new_page: Any) -> None:
    give_authenticator(make_user(Role.ADMIN, username="ada", first_name="Ada", last_name="Mensah"))
    make_user(Role.CLINICIAN, username="cn", first_name="Clara", last_name="Nguyen")

    clinician = new_page()
    sign_in(clinician, "cn", "wrong-password-entirely")
    expect(clinician.get_by_text("did not match an active account")).to_be_visible()

    admin = new_page()
    sign_in(admin, "ada", PASSWORD)
    admin.get_by_role("link", name="Audit", exact=True).click()
    expect(admin.get_by_role("cell", name="Sign-in failed")).to_be_visible()
    expect(admin.get_by_role("cell", name="cn", exact=True)).to_be_visible()
    screenshot(admin, "audit-log")
