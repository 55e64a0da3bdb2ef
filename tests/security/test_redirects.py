"""Open redirects: no redirect target taken from a request (or stored link) leaves the site.

The views that honour a target: sign-in and sign-out (`next`, Django's views), the second
factor (`?next=`), breaking the glass (`next`), marking an action done (`next`) and opening a
notification (its stored link). Each is tried with off-site targets in the forms browsers
resolve off-site; the answer must be a redirect to a path of this site. Redirect URLs the app
builds from input (the sign-in page after a timeout, the running meeting's case) must carry
that input as one encoded parameter, never as extra parameters or headers.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.reminders.models import Notification
from meetings import services as meeting_services
from tests.conftest import PASSWORD, HttpsClient, backup_code_for, client_for, make_user
from tests.meetings.helpers import add_case, make_meeting, running

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://evil.example",
    "http://evil.example/path",
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https:///evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "\x00//evil.example",
    "https://testserver@evil.example",
    "https://evil.example\\@testserver/",
    "https://testserver.evil.example/",
    # Encoded once more than the query string decodes: harmless relative paths at most.
    "%2F%2Fevil.example",
    "https%3A%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "/%2F/evil.example",
]


def on_site(url: str) -> bool:
    """Where a browser on a page of this site goes for `url`: this site?"""
    # Browsers drop tabs and newlines inside URLs and read a backslash as a slash.
    if set(url) & set("\\\t\r\n\x00 "):
        return False
    resolved = urlsplit(urljoin("https://testserver/some/page/", url))
    return (resolved.scheme, resolved.netloc) == ("https", "testserver")


def assert_stays_on_site(response: Any, target: str) -> None:
    assert response.status_code == 302, f"{target!r}: {response.status_code}"
    assert on_site(response["Location"]), f"{target!r} -> {response['Location']!r}"


def _query(target: str) -> str:
    return urlencode({"next": target})


def unverified_client(user: User) -> HttpsClient:
    """Signed in with the password, the second factor still to give."""
    TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "phone"})
    client = HttpsClient()
    client.force_login(user)
    return client


def test_signing_in_never_sends_anyone_off_site() -> None:
    user = make_user(Role.CLINICIAN, username="returning")
    signed_in = client_for(user)
    for target in OFF_SITE:
        fresh = HttpsClient()
        response = fresh.post(
            reverse("accounts:login"),
            {"username": "returning", "password": PASSWORD, "next": target},
        )
        assert_stays_on_site(response, target)
        # Someone already signed in is sent on from the sign-in page.
        again = signed_in.get(reverse("accounts:login"), {"next": target})
        assert_stays_on_site(again, target)


def test_the_second_factor_never_sends_anyone_off_site() -> None:
    user = make_user(Role.CLINICIAN)
    for target in OFF_SITE:
        client = unverified_client(user)
        response = client.post(
            f"{reverse('accounts:two-factor-verify')}?{_query(target)}",
            {"code": backup_code_for(user)},
        )
        assert_stays_on_site(response, target)


def test_signing_out_never_sends_anyone_off_site() -> None:
    user = make_user(Role.COORDINATOR)
    for target in OFF_SITE:
        response = client_for(user).post(reverse("accounts:logout"), {"next": target})
        assert_stays_on_site(response, target)


def test_breaking_the_glass_never_sends_anyone_off_site() -> None:
    from tests.patients.helpers import author, make_patient

    owner = author()
    patient = make_patient(by=owner, restricted=True, primary_clinician=owner)
    client = client_for(make_user(Role.CLINICIAN))
    url = reverse("patients:break-glass", kwargs={"code": patient.code})
    chart = reverse("patients:patient-detail", kwargs={"code": patient.code})
    for target in OFF_SITE:
        # The page carries the target in its form only when it is a path of this site.
        page = client.get(url, {"next": target})
        assert page.context["next"] in (chart, target), target
        assert on_site(page.context["next"]), target
        response = client.post(
            url, {"reason": "On call, patient in the emergency department", "next": target}
        )
        assert_stays_on_site(response, target)


def test_marking_an_action_done_never_sends_anyone_off_site() -> None:
    coordinator = make_user(Role.COORDINATOR)
    owner = make_user(Role.CLINICIAN)
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator)
    meeting = running(meeting, coordinator)
    action = meeting_services.action_add(
        by=coordinator,
        meeting=meeting,
        owner=owner,
        what="Call the family",
        due_date=timezone.localdate(),
    )
    client = client_for(owner)
    url = reverse("meetings:action-done", kwargs={"code": action.code})
    for target in OFF_SITE:
        assert_stays_on_site(client.post(url, {"next": target}), target)


def test_a_notification_never_links_off_site() -> None:
    user = make_user(Role.CLINICIAN)
    client = client_for(user)
    # A stored link cannot hold a NUL byte (PostgreSQL refuses it).
    for target in (target for target in OFF_SITE if "\x00" not in target):
        notification = Notification.objects.create(
            recipient=user, title="Something to see", link_url=target, created_at=timezone.now()
        )
        response = client.post(
            reverse("reminders:notification-open", kwargs={"code": notification.code})
        )
        assert_stays_on_site(response, target)


def test_after_a_timeout_the_sign_in_page_is_asked_for_exactly_the_page_that_was_open() -> None:
    user = make_user(Role.CLINICIAN)
    client = client_for(user)
    session = client.session
    session["last_activity"] = time.time() - 7 * 24 * 3600
    session.save()
    # A path whose decoded form holds query syntax: it must stay one `next` value.
    response = client.get("/patients/%26next=https:%2F%2Fevil.example%3Fq=1%23top/")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query) == {"next": ["/patients/&next=https://evil.example?q=1#top/"]}
    assert location.fragment == ""


def test_the_running_meetings_case_redirect_carries_the_posted_case_as_one_parameter() -> None:
    coordinator = make_user(Role.COORDINATOR)
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator)
    running(meeting, coordinator)
    client = client_for(coordinator)

    for item in ("x\r\nSet-Cookie: sessionid=stolen", "//evil.example", "1&item=2#top"):
        # An incomplete action is refused and the page of the posted case opens again.
        response = client.post(
            reverse("meetings:action-add", kwargs={"code": meeting.code}), {"item": item}
        )

        assert_stays_on_site(response, item)
        assert "Set-Cookie" not in response.headers or "stolen" not in response["Set-Cookie"]
        location = urlsplit(response["Location"])
        assert location.path == reverse("meetings:meeting-run", kwargs={"code": meeting.code})
        assert parse_qs(location.query) in ({}, {"item": [item]})
        assert location.fragment == ""
