"""Stored script payloads reach emails only as text.

Every free-text field is poisoned (tests/security/test_attacks.py), then the app sends what it
sends: reminders of every kind (among them those its own flows scheduled: a published agenda, a
meeting action, follow-ups), a newly published agenda and a password reset. Each email's HTML
alternative may hold the payload only escaped; its text body is plain text, which no mail
program runs.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from clinic.reminders import registry
from clinic.reminders.emails import reminder_email
from clinic.reminders.models import Reminder, ReminderStatus
from meetings import services as meeting_services
from meetings.models import Meeting, MeetingStatus
from tests.conftest import HttpsClient
from tests.meetings.helpers import add_case, deliver_due
from tests.security.test_attacks import PAYLOAD, poison_every_free_text_field, world

pytestmark = pytest.mark.django_db

ESCAPED = html.escape(PAYLOAD)
# What our email layouts use; anything else (script, img, iframe, svg, …) came from data.
EMAIL_TAGS = {"html", "body", "p", "a", "br", "strong", "em", "ul", "li"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def elements_of(markup: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.elements


def html_part(message: EmailMultiAlternatives) -> str:
    [(body, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(body)


def assert_inert(message: EmailMultiAlternatives) -> None:
    """The HTML alternative has only our layout's elements; the text body is plain text."""
    assert message.content_subtype == "plain", message.subject
    markup = html_part(message)
    assert PAYLOAD not in markup, message.subject
    for tag, attrs in elements_of(markup):
        assert tag in EMAIL_TAGS, f"{message.subject}: a <{tag}> element from data"
        for name, value in attrs:
            assert not name.startswith("on"), f"{message.subject}: an event handler {name}"
            if name == "href":
                assert (value or "").startswith(("https://", "http://")), message.subject


def poisoned_world() -> dict[str, Any]:
    objects, _persona = world()
    kinds = dict(Reminder.objects.values_list("pk", "kind"))
    assert poison_every_free_text_field() > 10
    # A reminder's kind names its templates (a registry key, not free text): put it back.
    for pk, kind in kinds.items():
        Reminder.objects.filter(pk=pk).update(kind=kind)
    return objects


def poisoned_people() -> list[User]:
    return list(User.objects.filter(first_name=PAYLOAD, is_active=True))


def test_a_poisoned_name_is_escaped_in_every_kind_of_reminder_email() -> None:
    poisoned_world()
    person = poisoned_people()[0]

    for kind in registry.kinds():
        reminder = Reminder(
            kind=kind.name,
            recipient=person,
            due_at=timezone.now(),
            dedupe_key=f"poison:{kind.name}",
            link_url="/reminders/inbox/",
            title=PAYLOAD,
            body=PAYLOAD,
        )
        message = reminder_email(reminder, kind)

        assert_inert(message)
        assert ESCAPED in html_part(message), kind.name  # the name reached it, escaped


def test_emails_the_app_sends_from_a_poisoned_clinic_carry_the_payload_only_escaped() -> None:
    objects = poisoned_world()
    draft = Meeting.objects.filter(status=MeetingStatus.DRAFT).first()
    assert draft is not None
    add_case(draft, draft.chair, objects["mtg_patient"])
    meeting_services.meeting_publish(by=draft.chair, meeting=draft)
    # What the world's flows scheduled (agendas published, notifications) is due now too.
    Reminder.objects.exclude(status=ReminderStatus.SENT).update(
        status=ReminderStatus.PENDING, due_at=timezone.now(), attempts=0
    )
    mail.outbox.clear()

    deliver_due()
    HttpsClient().post(reverse("accounts:password-reset"), {"email": poisoned_people()[0].email})

    subjects = [message.subject for message in mail.outbox]
    assert any("the agenda is published" in subject for subject in subjects)
    assert subjects[-1] == "Reset your password"
    for message in mail.outbox:
        assert_inert(message)
        # Every recipient's name is poisoned: each email carries it, escaped.
        assert ESCAPED in html_part(message), message.subject
