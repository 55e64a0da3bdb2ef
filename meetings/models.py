"""Team meetings (DESIGN.md section 3): the agenda, what was decided, and who does what next.

A meeting moves draft → published → in progress → closed (or is cancelled before it starts).
Publishing freezes each case's summary, so the team discusses what everyone read; closing fixes
the minutes and carries what was not discussed over to the next meeting. Nothing is deleted: an
agenda item is "removed" with a reason, an action is marked done.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.lib.choices import ChoiceLabels


def _history() -> Any:
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())


class Timestamped(ChoiceLabels, models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


# --- series --------------------------------------------------------------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


@_history()
class MeetingSeries(Timestamped):
    """A weekly meeting: the next `weeks_ahead` meetings always exist as drafts."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120, default=_("Weekly team meeting"))
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    start_time = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        default=90,
        validators=[MinValueValidator(15), MaxValueValidator(480)],
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chair"),
    )
    deadline_days_before = models.PositiveSmallIntegerField(
        _("agenda deadline (days before)"),
        default=2,
        validators=[MaxValueValidator(14)],
        help_text=_("Cases added after the deadline are marked late."),
    )
    weeks_ahead = models.PositiveSmallIntegerField(
        _("weeks ahead"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("How many future meetings to keep created."),
    )
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("invited")
    )
    active = models.BooleanField(_("active"), default=True, editable=False)
    stopped_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(video_link=""), name="series_place_or_video"
            ),
            models.CheckConstraint(
                condition=Q(weeks_ahead__gte=1, weeks_ahead__lte=12),
                name="series_weeks_ahead_range",
            ),
            models.CheckConstraint(
                condition=Q(active=True, stopped_at__isnull=True)
                | Q(active=False, stopped_at__isnull=False),
                name="series_stopped_iff_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_weekday_display()} {self.start_time:%H:%M})"

    def clean(self) -> None:
        if not self.place.strip() and not self.video_link.strip():
            raise ValidationError({"place": _("Give a place or a video link.")})


# --- meetings ------------------------------------------------------------------------------------


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Agenda published")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Meetings whose agenda can still change.
OPEN_STATUSES = (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED, MeetingStatus.IN_PROGRESS)
# Meetings whose summaries are frozen: items added from now on are frozen when added.
FROZEN_STATUSES = (MeetingStatus.PUBLISHED, MeetingStatus.IN_PROGRESS)


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def open(self) -> MeetingQuerySet:
        """Meetings still to be held or closed: draft, published or in progress."""
        return self.filter(status__in=OPEN_STATUSES)

    def past(self) -> MeetingQuerySet:
        return self.filter(status__in=(MeetingStatus.CLOSED, MeetingStatus.CANCELLED))


@_history()
class Meeting(Timestamped):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120, default=_("Team meeting"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chaired_meetings",
        verbose_name=_("chair"),
    )
    agenda_deadline = models.DateTimeField(
        _("agenda deadline"),
        null=True,
        blank=True,
        help_text=_("Cases added after this are marked late."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    series = models.ForeignKey(
        MeetingSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        editable=False,
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.CharField(max_length=300, blank=True, editable=False)
    # The minutes as they were when the meeting closed (attendance, decisions, actions): later
    # renames or actions marked done do not change what was recorded.
    minutes = models.JSONField(null=True, blank=True, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("team meeting")
        verbose_name_plural = _("team meetings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(agenda_deadline__isnull=True) | Q(agenda_deadline__lte=F("starts_at")),
                name="meeting_deadline_before_start",
            ),
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(video_link=""), name="meeting_place_or_video"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "cancelled"]) | Q(published_at__isnull=False),
                name="meeting_published_has_time",
            ),
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(closed_at__isnull=False, minutes__isnull=False))
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="meeting_closed_iff_closed_at",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                & ~Q(cancel_reason="")
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="meeting_cancelled_has_reason",
            ),
            # A series creates each of its meetings once.
            models.UniqueConstraint(
                fields=["series", "starts_at"], name="meeting_series_starts_unique"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="meeting_status_starts")]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.name}, {local:%a %d %b %Y %H:%M}"

    @property
    def is_closed(self) -> bool:
        return self.status == MeetingStatus.CLOSED

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def summaries_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES or self.status == MeetingStatus.CLOSED

    def is_late(self, moment: dt.datetime) -> bool:
        return self.agenda_deadline is not None and moment > self.agenda_deadline

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The meeting must end after it starts.")
        if self.agenda_deadline and self.starts_at and self.agenda_deadline > self.starts_at:
            errors["agenda_deadline"] = _("The agenda deadline must be before the meeting.")
        if not self.place.strip() and not self.video_link.strip():
            errors["place"] = _("Give a place or a video link.")
        if errors:
            raise ValidationError(errors)


# --- the agenda ----------------------------------------------------------------------------------


class ItemReason(models.TextChoices):
    NEW_REFERRAL = "new_referral", _("New referral")
    PROCEDURE_APPROVAL = "procedure_approval", _("Procedure plan awaiting approval")
    POST_PROCEDURE_REVIEW = "post_procedure_review", _("Follow-up or post-procedure review")
    WORSENING_PAIN = "worsening_pain", _("Worsening pain")
    SELF_HARM_FLAG = "self_harm_flag", _("PHQ-9 self-harm answer")
    DEVICE_DUE = "device_due", _("Device due for refill or check")
    CARRIED_OVER = "carried_over", _("Carried over")
    OTHER = "other", _("Other")


class ItemStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("On the agenda")
    DISCUSSED = "discussed", _("Discussed")
    DEFERRED = "deferred", _("Not discussed; carried over")
    REMOVED = "removed", _("Removed")


class DecisionKind(models.TextChoices):
    APPROVE_PLAN = "approve_plan", _("Approve the procedure plan")
    DEFER = "defer", _("Defer to a later meeting")
    REFER = "refer", _("Refer")
    CHANGE_MEDICATION = "change_medication", _("Change medication")
    OTHER = "other", _("Other")


# Items that are part of the meeting's agenda (proposals wait for the coordinator).
AGENDA_STATUSES = (ItemStatus.ACCEPTED, ItemStatus.DISCUSSED, ItemStatus.DEFERRED)


@_history()
class AgendaItem(Timestamped):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="agenda_items"
    )
    reason = models.CharField(_("reason"), max_length=24, choices=ItemReason.choices)
    # Why it was suggested, in a few words ("NRS 4 → 7 since 2 Mar"); set by the suggestion.
    reason_detail = models.CharField(_("details"), max_length=300, blank=True)
    question = models.TextField(_("question for the team"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="presented_items",
        verbose_name=_("presenter"),
    )
    order = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.ACCEPTED
    )
    late = models.BooleanField(_("added after the deadline"), default=False, editable=False)
    summary = models.JSONField(null=True, blank=True, editable=False)
    summary_frozen_at = models.DateTimeField(null=True, blank=True, editable=False)
    discussion = models.TextField(_("discussion"), blank=True)
    decision_kind = models.CharField(
        _("decision"), max_length=20, choices=DecisionKind.choices, blank=True
    )
    decision = models.TextField(_("decision in words"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The procedure plan this case is about, by its public code (procedures.ProcedurePlan).
    plan_code = models.UUIDField(null=True, blank=True, editable=False)
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_to",
        editable=False,
    )
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    removed_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "id"]
        constraints = [
            # A patient is on a meeting's agenda once (a removed item does not count).
            models.UniqueConstraint(
                fields=["meeting", "patient"],
                condition=~Q(status="removed"),
                name="agenda_item_patient_once_per_meeting",
            ),
            models.CheckConstraint(
                condition=(Q(status="removed") & Q(removed_at__isnull=False))
                & ~Q(removed_reason="")
                | (~Q(status="removed") & Q(removed_at__isnull=True)),
                name="agenda_item_removed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(summary__isnull=True, summary_frozen_at__isnull=True)
                | Q(summary__isnull=False, summary_frozen_at__isnull=False),
                name="agenda_item_summary_with_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="discussed")
                | (~Q(decision_kind="") & Q(decided_at__isnull=False)),
                name="agenda_item_discussed_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(decision_kind="approve_plan") | Q(plan_code__isnull=False),
                name="agenda_item_approval_names_plan",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-created_at"], name="agenda_item_patient")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.code})"

    @property
    def on_agenda(self) -> bool:
        return self.status in AGENDA_STATUSES


# --- attendance and actions ----------------------------------------------------------------------


class AttendanceStatus(models.TextChoices):
    EXPECTED = "expected", _("Invited (not recorded)")
    PRESENT = "present", _("Present")
    APOLOGIES = "apologies", _("Apologies")
    ABSENT = "absent", _("Absent")


@_history()
class Attendance(Timestamped):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meeting_attendance"
    )
    # The person's discipline on the day (a later change does not rewrite the minutes).
    discipline = models.CharField(_("discipline"), max_length=40)
    status = models.CharField(
        _("attendance"),
        max_length=10,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.EXPECTED,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "discipline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="attendance_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ActionQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionQuerySet:
        return self.filter(status=ActionStatus.OPEN)


@_history()
class ActionItem(Timestamped):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, related_name="actions", null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="meeting_actions",
        verbose_name=_("owner"),
    )
    what = models.CharField(_("what"), max_length=300)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=6, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_at__isnull=True, done_by__isnull=True)
                | Q(status="done", done_at__isnull=False, done_by__isnull=False),
                name="action_done_has_time",
            ),
            models.CheckConstraint(condition=~Q(what=""), name="action_says_what"),
        ]
        indexes = [models.Index(fields=["owner", "status", "due_date"], name="action_owner_open")]

    def __str__(self) -> str:
        return self.what[:60]

    def clean(self) -> None:
        self.what = " ".join(self.what.split())
        if not self.what:
            raise ValidationError({"what": _("Say what is to be done.")})
