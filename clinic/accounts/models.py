from __future__ import annotations

import uuid

import pghistory
from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from clinic.accounts.roles import ROLE_NAMES
from clinic.lib.choices import ChoiceLabels


class Discipline(models.TextChoices):
    PAIN_ANAESTHESIA = "pain_anaesthesia", _("Pain medicine / anaesthesia")
    PALLIATIVE_CARE = "palliative_care", _("Palliative care")
    INTERVENTIONAL_RADIOLOGY = "interventional_radiology", _("Interventional radiology")
    ONCOLOGY = "oncology", _("Oncology")
    NURSING = "nursing", _("Nursing")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy")
    PSYCHOLOGY = "psychology", _("Psychology")
    SOCIAL_WORK = "social_work", _("Social work")
    COORDINATION = "coordination", _("Coordination")
    ADMINISTRATION = "administration", _("Administration")


# What `User.display_name` reads: a query that shows people by name needs only these.
DISPLAY_NAME_FIELDS = ("title", "first_name", "last_name", "username")

# The tables a list of staff (names, whether active, roles) is read from: a list kept while their
# version stays the same (clinic.lib.forms.KeptModelChoiceField) is never older than they are.
STAFF_TABLES = ("accounts.User", "accounts.User_groups", "auth.Group")


class StaffQuerySet(models.QuerySet["User"]):
    def active(self) -> StaffQuerySet:
        return self.filter(is_active=True)

    def with_role(self, role: str) -> StaffQuerySet:
        return self.filter(groups__name=role)

    def names_only(self) -> StaffQuerySet:
        """Just what a staff list shows of each person (their name and code): the filters'
        lists of a hundred people read no password hashes, dates or phone numbers."""
        return self.only("id", "code", *DISPLAY_NAME_FIELDS)


class StaffManager(UserManager.from_queryset(StaffQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, username: str | None) -> User:
        # Usernames are unique whatever their case, so sign-in ignores case too.
        return self.get(username__iexact=username)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["password", "last_login", "version"],
)
class User(ChoiceLabels, AbstractUser):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"))
    title = models.CharField(_("title"), max_length=40, blank=True)
    discipline = models.CharField(_("discipline"), max_length=40, choices=Discipline.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    must_change_password = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.title, self.first_name, self.last_name) if part)
        return name or self.username

    @property
    def roles(self) -> frozenset[str]:
        """The person's role names, read once per request and kept on the instance."""
        cached: frozenset[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            if "groups" in getattr(self, "_prefetched_objects_cache", {}):
                names = {group.name for group in self.groups.all()}
            else:
                names = set(self.groups.values_list("name", flat=True))
            cached = frozenset(names & ROLE_NAMES)
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


# Role changes (a person added to or removed from a role group) are kept in the history.
pghistory.track(
    pghistory.InsertEvent("role.add"),
    pghistory.DeleteEvent("role.remove"),
    obj_field=None,
    model_name="UserRoleEvent",
    app_label="accounts",
)(User.groups.through)
UserGroupsEvent = User.groups.through.pgh_event_models["role.add"]  # type: ignore[attr-defined]

__all__ = ["Discipline", "Group", "User", "UserGroupsEvent"]
