"""Admins manage staff in the app: list, search, create, edit roles, deactivate, reactivate."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from clinic.accounts.models import User, UserGroupsEvent
from clinic.accounts.roles import Role
from tests.conftest import PASSWORD, HttpsClient, client_for, make_user, role_names, sign_in

pytestmark = pytest.mark.django_db


def set_up_authenticator(client: HttpsClient, person: User) -> None:
    """What a person does with their phone: scan the code, type the current code."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert client.get(reverse("accounts:two-factor-setup")).status_code == 200
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    response = client.post(reverse("accounts:two-factor-setup"), {"code": code})
    assert response.status_code == 200
    assert "Keep these backup codes" in response.content.decode()


NEW_STAFF = {
    "username": "NewClinician",
    "title": "Dr",
    "first_name": "Nadia",
    "last_name": "Kowalski",
    "email": "nadia.kowalski@example.org",
    "phone": "+44 20 7946 0000",
    "discipline": "palliative_care",
    "roles": ["clinician"],
    "password": "a-long-initial-passphrase-91",
}


def test_admin_creates_a_clinician_who_can_then_sign_in(admin: User) -> None:
    response = client_for(admin).post(reverse("accounts:staff-create"), NEW_STAFF)

    assert response.status_code == 302
    person = User.objects.get(username="NewClinician")
    assert role_names(person) == ["clinician"]
    assert person.discipline == "palliative_care"
    assert person.must_change_password

    visitor = HttpsClient()
    signed_in = visitor.post(
        reverse("accounts:login"),
        {"username": "newclinician", "password": NEW_STAFF["password"]},
    )
    assert signed_in.status_code == 302
    # First they set up two-factor sign-in, then they choose a password of their own.
    assert visitor.get(reverse("home"))["Location"] == reverse("accounts:two-factor-setup")
    set_up_authenticator(visitor, person)
    home = visitor.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"] == reverse("accounts:password-change")


def test_a_new_staff_member_chooses_a_password_and_then_reaches_the_dashboard(admin: User) -> None:
    client_for(admin).post(reverse("accounts:staff-create"), NEW_STAFF)
    visitor = HttpsClient()
    visitor.post(
        reverse("accounts:login"),
        {"username": "NewClinician", "password": NEW_STAFF["password"]},
    )
    set_up_authenticator(visitor, User.objects.get(username="NewClinician"))
    changed = visitor.post(
        reverse("accounts:password-change"),
        {
            "old_password": NEW_STAFF["password"],
            "new_password1": "my-own-passphrase-for-clinic-77",
            "new_password2": "my-own-passphrase-for-clinic-77",
        },
    )
    assert changed.status_code == 302
    assert visitor.get(reverse("home")).status_code == 200
    assert not User.objects.get(username="NewClinician").must_change_password


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "CLINICIAN", "This username is taken."),
        ("email", "CLINICIAN@example.org", "Another staff member already uses this email address."),
        ("password", "short", "This password is too short."),
        ("password", "password12345", "This password is too common."),
        ("discipline", "astrology", "Select a valid choice."),
        ("roles", ["superuser"], "Select a valid choice."),
    ],
)
def test_invalid_staff_forms_show_the_error_and_create_nobody(
    admin: User, clinician: User, field: str, value: object, message: str
) -> None:
    before = User.objects.count()
    response = client_for(admin).post(reverse("accounts:staff-create"), {**NEW_STAFF, field: value})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_staff_list_searches_by_name_username_or_email(admin: User, clinician: User) -> None:
    make_user(Role.COORDINATOR, username="zed", first_name="Zoe", last_name="Dlamini")
    client = client_for(admin)

    by_name = client.get(reverse("accounts:staff-list"), {"q": "dlam"}).content.decode()
    by_email = client.get(
        reverse("accounts:staff-list"), {"q": "clinician@example"}
    ).content.decode()
    nothing = client.get(reverse("accounts:staff-list"), {"q": "nobody-here"}).content.decode()

    assert "Zoe" in by_name and "Clara" not in by_name
    assert "Clara" in by_email and "Zoe" not in by_email
    assert "No staff member matches this search." in nothing


def test_staff_list_shows_roles_discipline_status_and_last_sign_in(
    admin: User, inactive_user: User
) -> None:
    page = client_for(admin).get(reverse("accounts:staff-list")).content.decode()
    assert "Administration" in page
    assert "Inactive" in page
    assert "never" in page


def test_staff_list_query_count_does_not_grow_with_staff(
    admin: User, django_assert_max_num_queries: object
) -> None:
    for _ in range(30):
        make_user(Role.CLINICIAN, Role.COORDINATOR)
    client = client_for(admin)
    client.get(reverse("home"))  # the first request of a session records its start
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = client.get(reverse("accounts:staff-list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 31


def test_staff_list_paginates_25_a_page(admin: User) -> None:
    for _ in range(30):
        make_user(Role.CLINICIAN)
    client = client_for(admin)
    first = client.get(reverse("accounts:staff-list"))
    second = client.get(reverse("accounts:staff-list"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 6


def edit(client: HttpsClient, person: User, **changes: object) -> object:
    data = {
        "title": person.title,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "discipline": person.discipline,
        "roles": sorted(person.roles),
        "version": person.version,
        **changes,
    }
    return client.post(reverse("accounts:staff-edit", args=[person.code]), data)


def test_admin_changes_roles_and_discipline_and_history_records_who(
    admin: User, clinician: User
) -> None:
    response = edit(
        client_for(admin), clinician, roles=["clinician", "coordinator"], discipline="oncology"
    )

    assert response.status_code == 302
    clinician.refresh_from_db()
    assert role_names(clinician) == ["clinician", "coordinator"]
    assert clinician.discipline == "oncology"
    added = UserGroupsEvent.objects.filter(pgh_label="role.add", user=clinician.pk)
    assert added.filter(group__name="coordinator").exists()
    event = added.get(group__name="coordinator")
    assert event.pgh_context.metadata["user"] == admin.pk


def test_a_stale_edit_is_refused_and_overwrites_nothing(admin: User, clinician: User) -> None:
    other_admin = make_user(Role.ADMIN)
    stale_version = clinician.version
    edit(client_for(other_admin), clinician, discipline="oncology")

    response = edit(client_for(admin), clinician, discipline="psychology", version=stale_version)

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    clinician.refresh_from_db()
    assert clinician.discipline == "oncology"


def test_an_admin_cannot_remove_their_own_admin_role(admin: User) -> None:
    make_user(Role.ADMIN)
    response = edit(client_for(admin), admin, roles=["clinician"])
    assert "You cannot remove your own admin role." in response.content.decode()
    assert Role.ADMIN in role_names(admin)


def test_the_last_active_admin_cannot_deactivate_themselves(admin: User) -> None:
    response = client_for(admin).post(
        reverse("accounts:staff-deactivate", args=[admin.code]), follow=True
    )
    assert "You cannot deactivate your own account." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_the_last_active_admin_role_cannot_be_removed_by_anyone(admin: User) -> None:
    # Another admin exists but is inactive: the active one is the last.
    make_user(Role.ADMIN, is_active=False)
    colleague = make_user(Role.ADMIN)
    client_for(colleague).post(reverse("accounts:staff-deactivate", args=[admin.code]))
    admin.refresh_from_db()
    assert not admin.is_active

    response = edit(client_for(colleague), colleague, roles=["clinician"])
    assert "You cannot remove your own admin role." in response.content.decode()


def test_deactivating_asks_for_confirmation_first(admin: User, clinician: User) -> None:
    page = client_for(admin).get(reverse("accounts:staff-deactivate", args=[clinician.code]))
    assert page.status_code == 200
    assert "Deactivate Clara Nguyen?" in page.content.decode()
    clinician.refresh_from_db()
    assert clinician.is_active


def test_deactivation_ends_the_persons_open_session_at_their_next_request(
    admin: User, clinician: User
) -> None:
    their_browser = HttpsClient()
    sign_in(their_browser, "clinician")
    assert their_browser.get(reverse("home")).status_code == 200

    client_for(admin).post(reverse("accounts:staff-deactivate", args=[clinician.code]))

    response = their_browser.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not any(
        str(session.get_decoded().get("_auth_user_id")) == str(clinician.pk)
        for session in Session.objects.all()
    )
    # And they cannot sign in again.
    again = their_browser.post(
        reverse("accounts:login"), {"username": "clinician", "password": PASSWORD}
    )
    assert again.status_code == 200


def test_reactivation_lets_the_person_sign_in_again(admin: User, inactive_user: User) -> None:
    client_for(admin).post(reverse("accounts:staff-reactivate", args=[inactive_user.code]))
    visitor = HttpsClient()
    response = visitor.post(reverse("accounts:login"), {"username": "leaver", "password": PASSWORD})
    assert response.status_code == 302


def test_an_unknown_staff_code_is_a_404(admin: User) -> None:
    response = client_for(admin).get(
        reverse("accounts:staff-edit", args=["00000000-0000-4000-8000-000000000000"])
    )
    assert response.status_code == 404
