"""The inbox: one's own notifications, read on opening, and the unread count in the top bar."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.reminders.context_processors import unread_notifications
from clinic.reminders.models import Notification
from clinic.reminders.selectors import UNREAD_COUNTED_UP_TO, unread_count
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

INBOX = reverse("reminders:notification-list")


def notify(recipient: Any, title: str = "Reassessment due", **extra: Any) -> Notification:
    extra.setdefault("created_at", timezone.now())
    return Notification.objects.create(recipient=recipient, title=title, **extra)


def open_url(notification: Notification) -> str:
    return reverse("reminders:notification-open", kwargs={"code": notification.code})


def test_the_inbox_lists_ones_own_notifications_newest_first(clinician: Any) -> None:
    now = timezone.now()
    notify(clinician, "Older", created_at=now - timedelta(hours=2), read_at=now)
    notify(clinician, "Newer", created_at=now - timedelta(hours=1), urgent=True)
    notify(make_user(), "Someone else's")

    response = client_for(clinician).get(INBOX)

    assert response.status_code == 200
    page = response.context["page"]
    assert [n.title for n in page.object_list] == ["Newer", "Older"]
    body = response.content.decode()
    assert "Someone else&#x27;s" not in body and "Someone else's" not in body
    assert "Urgent" in body
    assert "Unread (1)" in body


def test_the_inbox_can_show_only_unread_items(clinician: Any) -> None:
    notify(clinician, "Read", read_at=timezone.now())
    notify(clinician, "Unread")

    response = client_for(clinician).get(INBOX, {"show": "unread"})

    assert [n.title for n in response.context["page"].object_list] == ["Unread"]


def test_an_empty_inbox_says_so(clinician: Any) -> None:
    response = client_for(clinician).get(INBOX)

    assert "No notifications yet" in response.content.decode()


def test_the_inbox_pages_by_25_with_a_fixed_number_of_queries(
    clinician: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(clinician)
    notify(clinician)
    with CaptureQueriesContext(connection) as few:
        client.get(INBOX)
    Notification.objects.bulk_create(
        [
            Notification(recipient=clinician, title=f"Item {n}", created_at=timezone.now())
            for n in range(60)
        ]
    )

    # The sign-in machinery's own queries, then ours: count, unread badge, one page.
    with django_assert_max_num_queries(12):
        response = client.get(INBOX, {"page": 2})

    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.num_pages == 3
    with django_assert_max_num_queries(len(few)):
        client.get(INBOX, {"page": 2})


def test_opening_a_notification_marks_it_read_and_follows_its_link(clinician: Any) -> None:
    notification = notify(clinician, link_url="/patients/abc/")

    response = client_for(clinician).post(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == "/patients/abc/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_it_again_keeps_the_first_read_time(clinician: Any) -> None:
    first_read = timezone.now() - timedelta(days=1)
    notification = notify(clinician, read_at=first_read)

    client_for(clinician).post(open_url(notification))

    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_a_link_out_of_the_app_is_not_followed(clinician: Any) -> None:
    notification = notify(clinician, link_url="https://evil.example/")

    response = client_for(clinician).post(open_url(notification))

    assert response["Location"] == INBOX


def test_someone_elses_notification_does_not_exist_for_you(clinician: Any) -> None:
    theirs = notify(make_user(Role.CLINICIAN))

    response = client_for(clinician).post(open_url(theirs))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_is_a_post_so_that_looking_changes_nothing(clinician: Any) -> None:
    notification = notify(clinician)

    response = client_for(clinician).get(open_url(notification))

    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_marks_only_ones_own(clinician: Any) -> None:
    mine = [notify(clinician) for _ in range(3)]
    theirs = notify(make_user())

    response = client_for(clinician).post(reverse("reminders:notification-read-all"))

    assert response.status_code == 302
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for(clinician).get(reverse("reminders:notification-read-all")).status_code == 405


def test_the_top_bar_shows_the_unread_count_and_the_queue_only_to_whom_it_concerns(
    clinician: Any, coordinator: Any
) -> None:
    for _ in range(3):
        notify(clinician)

    body = client_for(clinician).get(reverse("home")).content.decode()

    assert '3<span class="visually-hidden"> unread</span>' in body
    assert reverse("reminders:reminder-list") not in body
    assert (
        reverse("reminders:reminder-list")
        in client_for(coordinator).get(reverse("home")).content.decode()
    )


def test_a_large_count_shows_as_99_plus(clinician: Any) -> None:
    Notification.objects.bulk_create(
        [
            Notification(recipient=clinician, title="x", created_at=timezone.now())
            for _ in range(120)
        ]
    )

    body = client_for(clinician).get(reverse("home")).content.decode()

    assert '99+<span class="visually-hidden"> unread</span>' in body
    # Counted no further than the badge needs.
    assert unread_count(recipient=clinician) == UNREAD_COUNTED_UP_TO == 100


def test_the_count_is_exact_up_to_the_badge_limit_and_leaves_out_read_ones(
    clinician: Any,
) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        [Notification(recipient=clinician, title="x", created_at=now) for _ in range(99)]
        + [Notification(recipient=clinician, title="read", created_at=now, read_at=now)]
        + [Notification(recipient=make_user(), title="theirs", created_at=now)]
    )

    body = client_for(clinician).get(reverse("home")).content.decode()

    assert unread_count(recipient=clinician) == 99
    assert '99<span class="visually-hidden"> unread</span>' in body


def test_the_unread_count_costs_one_query_and_none_for_anonymous_visitors(
    clinician: Any, django_assert_num_queries: Any
) -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert unread_notifications(request)["unread_notifications"].count == 0

    request.user = clinician
    notify(clinician)
    with django_assert_num_queries(1):
        badge = unread_notifications(request)["unread_notifications"]
        assert (badge.count, badge.label, str(badge)) == (1, "1", "1")
