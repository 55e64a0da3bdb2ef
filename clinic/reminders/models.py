"""Reminders, their delivery records and the in-app inbox.

PostgreSQL holds the schedule: a `Reminder` row is the promise to remind someone, a `Delivery` row
is the proof that one channel of it went out (at most one per channel, by a unique constraint),
and a `Notification` is what the recipient sees in the app. See README.md for the states.
"""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.lib.choices import ChoiceLabels
from clinic.reminders import registry


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In the app")
    BOTH = "both", _("Email and in the app")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In the app")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


CHANNELS_OF = {
    Channel.EMAIL: (DeliveryChannel.EMAIL,),
    Channel.IN_APP: (DeliveryChannel.IN_APP,),
    # In-app first: it is a database row that commits with the reminder; email, the one side
    # effect outside the transaction, goes last (see services.reminder_deliver).
    Channel.BOTH: (DeliveryChannel.IN_APP, DeliveryChannel.EMAIL),
}


class ReminderQuerySet(models.QuerySet["Reminder"]):
    def due(self, now: object) -> ReminderQuerySet:
        return self.filter(status=ReminderStatus.PENDING, due_at__lte=now)

    def open(self) -> ReminderQuerySet:
        return self.filter(status__in=(ReminderStatus.PENDING, ReminderStatus.CLAIMED))


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Reminder(ChoiceLabels, models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A kind registered in clinic.reminders.registry by the app that owns it.
    kind = models.CharField(_("kind"), max_length=60)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    # An email address for a recipient who is not staff (a patient contact, later).
    recipient_contact = models.CharField(_("recipient contact"), max_length=254, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.BOTH
    )
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    # Scheduling the same key twice keeps the first reminder (INSERT … ON CONFLICT DO NOTHING).
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    # What the reminder is about: any model with a UUID `code`, and a link into the app that the
    # scheduling app computed. Only the link travels in emails.
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_code = models.UUIDField(null=True, blank=True)
    link_url = models.CharField(_("link"), max_length=500, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # Set only by `notify()` and similar: the words of an in-app notification. Never clinical.
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.CharField(_("text"), max_length=500, blank=True)
    # Small, non-clinical facts the kind's "still due?" check needs (e.g. the refill date the
    # reminder is about). Never rendered into emails.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [
            # The dispatcher's query: pending reminders in due order. Small, because sent and
            # cancelled rows (almost all of them) are not in it.
            models.Index(
                fields=["due_at"],
                name="reminder_pending_due",
                condition=Q(status="pending"),
            ),
            # The sweeper's query: claims that have lasted too long.
            models.Index(
                fields=["claimed_at"],
                name="reminder_claimed_at",
                condition=Q(status="claimed"),
            ),
            models.Index(fields=["-due_at", "-id"], name="reminder_queue_order"),
            models.Index(fields=["recipient", "-due_at"], name="reminder_recipient_due"),
            models.Index(fields=["subject_type", "subject_code"], name="reminder_subject"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="reminder_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(recipient_contact=""),
                name="reminder_has_recipient",
            ),
            # Only staff have an inbox.
            models.CheckConstraint(
                condition=Q(channel=Channel.EMAIL) | Q(recipient__isnull=False),
                name="reminder_in_app_needs_staff",
            ),
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(claimed_at__isnull=False),
                name="reminder_claimed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="reminder_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(subject_type__isnull=True, subject_code__isnull=True)
                | Q(subject_type__isnull=False, subject_code__isnull=False),
                name="reminder_subject_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code} ({self.status})"

    @property
    def kind_label(self) -> str:
        try:
            return str(registry.get_kind(self.kind).label)
        except registry.UnknownKind:
            return self.kind

    @property
    def delivery_channels(self) -> tuple[str, ...]:
        return CHANNELS_OF[Channel(self.channel)]

    @property
    def recipient_label(self) -> str:
        if self.recipient_id is not None:
            return self.recipient.display_name  # type: ignore[union-attr]
        return self.recipient_contact

    @property
    def email_address(self) -> str:
        if self.recipient_id is not None:
            return self.recipient.email  # type: ignore[union-attr]
        return self.recipient_contact


class Delivery(ChoiceLabels, models.Model):
    """Proof that one channel of a reminder went out. Unique per channel: a second is impossible."""

    reminder = models.ForeignKey(Reminder, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    delivered_at = models.DateTimeField()

    class Meta:
        ordering = ["delivered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "channel"], name="delivery_once"),
            models.CheckConstraint(
                condition=Q(channel__in=DeliveryChannel.values), name="delivery_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reminder_id} {self.channel} {self.delivered_at:%Y-%m-%d %H:%M}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(ChoiceLabels, models.Model):
    """An item in a staff member's inbox. Its words say what to do, never clinical detail."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    reminder = models.ForeignKey(
        Reminder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.CharField(_("text"), max_length=500, blank=True)
    link_url = models.CharField(_("link"), max_length=500, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The unread count in the top bar, on every page.
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder"],
                condition=Q(reminder__isnull=False),
                name="notification_once_per_reminder",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
