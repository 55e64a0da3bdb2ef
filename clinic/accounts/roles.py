"""The three roles of the app. Roles are Django groups; a person may hold several."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    COORDINATOR = "coordinator", _("Coordinator")
    ADMIN = "admin", _("Admin")


ROLE_NAMES: frozenset[str] = frozenset(Role.values)
