"""The words of a reminder: its email (subject, text, HTML) and its in-app title.

Emails carry no clinical detail on purpose: who it is for, what kind of task, and a link into the
app, where signing in shows the rest.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse

from clinic.reminders.models import Reminder
from clinic.reminders.registry import ReminderKind

REMINDER_HEADER = "X-Clinic-Reminder"


def absolute_link(link_url: str) -> str:
    return settings.SITE_URL + (link_url or reverse("reminders:notification-list"))


def _context(reminder: Reminder, kind: ReminderKind) -> dict[str, Any]:
    return {
        "recipient_name": reminder.recipient_label,
        "kind_label": kind.label,
        "summary": kind.summary,
        "title": reminder.title,
        "link": absolute_link(reminder.link_url),
        "clinic_name": settings.CLINIC_NAME,
        "due_at": reminder.due_at,
        "urgent": reminder.urgent,
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def notification_title(reminder: Reminder, kind: ReminderKind) -> str:
    """The inbox says what kind of task it is; the link says the rest."""
    return (reminder.title or str(kind.label))[:200]


def notification_body(reminder: Reminder, kind: ReminderKind) -> str:
    return (reminder.body or str(kind.summary))[:500]


def reminder_email(reminder: Reminder, kind: ReminderKind) -> EmailMultiAlternatives:
    subject_template, text_template, html_template = kind.template_names()
    context = _context(reminder, kind)
    message = EmailMultiAlternatives(
        subject=_one_line(render_to_string(subject_template, context)),
        body=render_to_string(text_template, context),
        to=[reminder.email_address],
        headers={
            REMINDER_HEADER: str(reminder.code),
            # The same Message-ID on every attempt: should a crash ever make us send a reminder
            # twice (see README, "the residual window"), mail systems see one message.
            "Message-ID": f"<reminder-{reminder.code}@{urlparse(settings.SITE_URL).hostname}>",
        },
    )
    message.attach_alternative(render_to_string(html_template, context), "text/html")
    return message


class EmailNotSent(RuntimeError):
    """The email backend accepted no message and gave no reason."""


class Mailer:
    """One email connection reused across a batch, reopened after a failure."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def send(self, message: EmailMultiAlternatives) -> None:
        if self._connection is None:
            self._connection = get_connection()
            self._connection.open()
        try:
            sent = self._connection.send_messages([message])
        except Exception:
            self.close()
            raise
        if sent != 1:
            self.close()
            raise EmailNotSent("The email backend did not accept the message.")

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
