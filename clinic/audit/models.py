from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.lib.choices import ChoiceLabels


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    SEARCH = "search", _("Searched")
    EXPORT = "export", _("Exported")
    PRINT = "print", _("Printed")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    DENIED = "denied", _("Denied")
    TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor reset")
    BREAK_GLASS = "break_glass", _("Broke the glass")


class AccessLog(ChoiceLabels, models.Model):
    """Who opened what, and how. Append-only: the database refuses updates and deletes."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No index of its own: `accesslog_actor_at` starts with the actor and serves every lookup
    # by it. Every page that shows a patient adds rows here, and each index is one more page to
    # write per row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
        db_index=False,
    )
    # The username tried, for failed sign-ins where no account matched.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30, choices=AccessAction.choices)
    # The patient whose record was opened, as the patient's public code.
    patient_code = models.UUIDField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_code = models.UUIDField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    request_id = models.UUIDField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-at"], name="accesslog_actor_at"),
            models.Index(fields=["patient_code", "-at"], name="accesslog_patient_at"),
            # Every patient query asks "did this person break the glass on this record within
            # the hour?" (patients/access.py): a tiny index of break-glass events answers it
            # without walking the person's whole access history.
            models.Index(
                fields=["actor", "patient_code", "-at"],
                name="accesslog_break_glass",
                condition=models.Q(action="break_glass"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or self.actor_id} {self.action}"
