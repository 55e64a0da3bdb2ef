"""The clinic's reminder queue: filter, see attempts and errors, retry a failed one, cancel one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.reminders import services
from clinic.reminders.models import Reminder, ReminderStatus
from tests.conftest import client_for, make_user
from tests.reminders.conftest import make_reminder
from tests.reminders.kinds import FOLLOWUP

pytestmark = pytest.mark.django_db

QUEUE = reverse("reminders:reminder-list")


def failed(reminder: Reminder, error: str = "SMTPServerDisconnected: gone") -> Reminder:
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.FAILED, attempts=5, last_error=error
    )
    reminder.refresh_from_db()
    return reminder


@pytest.fixture(autouse=True)
def no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.current_app, "send_task", lambda name, **kwargs: None)


def test_the_queue_shows_every_reminder_with_attempts_and_last_error(coordinator: Any) -> None:
    alice = make_user(first_name="Alice", last_name="Ward")
    pending = make_reminder(alice)
    broken = failed(make_reminder(alice), "SMTPServerDisconnected: the mail server hung up")

    response = client_for(coordinator).get(QUEUE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Alice Ward" in body
    assert "SMTPServerDisconnected: the mail server hung up" in body
    assert reverse("reminders:reminder-retry", kwargs={"code": broken.code}) in body
    assert reverse("reminders:reminder-cancel", kwargs={"code": pending.code}) in body
    assert reverse("reminders:reminder-retry", kwargs={"code": pending.code}) not in body


def test_each_row_shows_its_status_what_went_out_and_escapes_the_error(coordinator: Any) -> None:
    from clinic.reminders.models import Delivery, DeliveryChannel

    alice = make_user(first_name="Alice", last_name="Ward")
    sent = make_reminder(alice, due_at=datetime(2026, 11, 18, 9, tzinfo=UTC))
    sent_at = datetime(2026, 11, 18, 9, 4, tzinfo=UTC)
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT, sent_at=sent_at)
    Delivery.objects.create(reminder=sent, channel=DeliveryChannel.EMAIL, delivered_at=sent_at)
    failed(make_reminder(alice), "<img src=x onerror=alert(1)> " + "x" * 200)

    body = client_for(coordinator).get(QUEUE).content.decode()
    rows = body.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    sent_row = next(row for row in rows if "text-bg-success" in row)
    failed_row = next(row for row in rows if 'class="table-danger"' in row)

    assert '<time datetime="2026-11-18T09:00:00+00:00">18 Nov 2026 09:00</time>' in sent_row
    assert "sent 18 Nov 09:04" in sent_row and "Email ✓" in sent_row
    assert ">Sent</span>" in sent_row and "btn-outline-danger" not in sent_row
    assert "&lt;img src=x onerror=alert(1)&gt;" in failed_row and "<img" not in body
    assert "x" * 200 in failed_row  # whole in the title, cut in the cell
    assert "…</span>" in failed_row and ">Failed</span>" in failed_row
    assert "btn-outline-primary" in failed_row  # retry


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "failed"}, ["failed"]),
        ({"kind": FOLLOWUP}, ["followup"]),
        ({"recipient": "zed"}, ["zed"]),
        ({"due_from": "2025-03-10", "due_to": "2025-03-10"}, ["tenth"]),
        ({"due_from": "2025-03-11"}, ["failed", "zed", "followup"]),
    ],
)
def test_the_queue_filters_by_kind_status_recipient_and_due_day(
    admin: Any, filters: dict[str, str], expected: list[str]
) -> None:
    march = timezone.make_aware(datetime(2025, 3, 10, 12, 0))
    anyone = make_user()
    make_reminder(anyone, dedupe_key="tenth", due_at=march)
    make_reminder(
        anyone,
        dedupe_key="followup",
        kind=FOLLOWUP,
        subject=make_user(),
        due_at=march + timedelta(days=1),
    )
    make_reminder(
        make_user(first_name="Zed", last_name="Okafor"),
        dedupe_key="zed",
        due_at=march + timedelta(days=2),
    )
    failed(make_reminder(anyone, dedupe_key="failed", due_at=march + timedelta(days=3)))

    response = client_for(admin).get(QUEUE, filters)

    found = [reminder.dedupe_key for reminder in response.context["page"].object_list]
    assert found == expected  # latest due first


def test_a_backwards_date_range_is_explained(admin: Any) -> None:
    response = client_for(admin).get(QUEUE, {"due_from": "2025-03-12", "due_to": "2025-03-10"})

    assert "The first day comes after the last one." in response.content.decode()


def test_the_queue_pages_by_25_with_a_fixed_number_of_queries(
    coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(coordinator)
    make_reminder(make_user())
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    people = [make_user() for _ in range(5)]
    for number in range(60):
        make_reminder(people[number % 5])

    # The sign-in machinery's own queries, then ours: count, one page, its deliveries, badge.
    with django_assert_max_num_queries(13):
        response = client.get(QUEUE, {"page": 2})

    assert len(response.context["page"].object_list) == 25
    with django_assert_max_num_queries(len(few)):
        client.get(QUEUE, {"page": 2})


def test_an_empty_queue_says_so(coordinator: Any) -> None:
    assert (
        "No reminders match these filters." in client_for(coordinator).get(QUEUE).content.decode()
    )


def test_retrying_asks_first_then_puts_the_reminder_back_in_the_queue(coordinator: Any) -> None:
    reminder = failed(make_reminder(make_user()))
    url = reverse("reminders:reminder-retry", kwargs={"code": reminder.code})
    client = client_for(coordinator)

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Send this reminder again?" in confirm.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED

    response = client.post(url)

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, 0)
    event = reminder.events.order_by("pgh_id").last()
    assert event.status == ReminderStatus.PENDING
    assert event.pgh_context.metadata["user"] == coordinator.pk


def test_retrying_a_reminder_that_did_not_fail_is_refused(coordinator: Any) -> None:
    reminder = make_reminder(make_user())

    response = client_for(coordinator).post(
        reverse("reminders:reminder-retry", kwargs={"code": reminder.code}), follow=True
    )

    assert "only a failed one can be retried" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING


def test_cancelling_asks_why_and_records_it(admin: Any) -> None:
    reminder = make_reminder(make_user())
    url = reverse("reminders:reminder-cancel", kwargs={"code": reminder.code})
    client = client_for(admin)

    without_reason = client.post(url, {"reason": "  "})
    assert without_reason.status_code == 200
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING

    response = client.post(url, {"reason": "Patient moved to another clinic"})

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.status, reminder.cancel_reason) == (
        ReminderStatus.CANCELLED,
        "Patient moved to another clinic",
    )
    assert reminder.events.last().pgh_context.metadata["user"] == admin.pk


def test_a_sent_reminder_cannot_be_cancelled(admin: Any) -> None:
    reminder = make_reminder(make_user())
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENT, sent_at=timezone.now()
    )

    response = client_for(admin).post(
        reverse("reminders:reminder-cancel", kwargs={"code": reminder.code}),
        {"reason": "Oops"},
        follow=True,
    )

    assert "only one not yet sent can be cancelled" in response.content.decode()


def test_an_unknown_reminder_is_not_found(admin: Any) -> None:
    url = reverse(
        "reminders:reminder-cancel", kwargs={"code": "00000000-0000-0000-0000-000000000000"}
    )

    assert client_for(admin).get(url).status_code == 404
