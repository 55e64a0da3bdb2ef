"""Writes to staff accounts. Each function checks its rule and raises StaffError when broken."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.accounts.roles import ROLE_NAMES, Role


class StaffError(ValueError):
    """A staff change that would break a rule of the clinic; the message says which."""


class StaffConflict(StaffError):
    """Someone else saved this staff member since the form was opened."""


def _role_groups(roles: Iterable[str]) -> list[Group]:
    wanted = set(roles)
    unknown = wanted - ROLE_NAMES
    if unknown:
        raise StaffError(_("Unknown role: %(roles)s") % {"roles": ", ".join(sorted(unknown))})
    # A migration creates the role groups; should one be missing (a flushed database), the
    # role is still given rather than silently dropped.
    return [Group.objects.get_or_create(name=role)[0] for role in sorted(wanted)]


def _other_active_admins(user: User) -> int:
    return User.objects.active().with_role(Role.ADMIN).exclude(pk=user.pk).count()


@transaction.atomic
def staff_create(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    discipline: str,
    roles: Iterable[str],
    password: str,
    title: str = "",
    phone: str = "",
) -> User:
    """Create an active staff member who must choose a new password at first sign-in."""
    user = User(
        username=username.strip(),
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        discipline=discipline,
        title=title.strip(),
        phone=phone.strip(),
        must_change_password=True,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    groups = _role_groups(roles)
    user.groups.set(groups)
    return user


@transaction.atomic
def staff_update(
    *,
    acting: User,
    user: User,
    version: int,
    roles: Iterable[str],
    discipline: str,
    first_name: str,
    last_name: str,
    email: str,
    title: str = "",
    phone: str = "",
) -> User:
    """Change a staff member's details and roles; refuses a stale form and losing the last admin."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.version != version:
        raise StaffConflict(
            _("%(name)s was changed by someone else while you were editing. Nothing was saved.")
            % {"name": locked.display_name}
        )
    wanted = set(roles)
    removes_admin = Role.ADMIN in locked.roles and Role.ADMIN not in wanted
    if removes_admin and locked.pk == acting.pk:
        raise StaffError(_("You cannot remove your own admin role."))
    if removes_admin and locked.is_active and _other_active_admins(locked) == 0:
        raise StaffError(
            _("%(name)s is the last active admin; the clinic needs one.")
            % {"name": locked.display_name}
        )
    locked.first_name = first_name.strip()
    locked.last_name = last_name.strip()
    locked.email = email.strip()
    locked.discipline = discipline
    locked.title = title.strip()
    locked.phone = phone.strip()
    locked.version += 1
    locked.full_clean()
    locked.save()
    locked.groups.set(_role_groups(wanted))
    return locked


def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Delete the server-side sessions of `user` (all but `keep_session_key`)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep_session_key:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def staff_deactivate(*, acting: User, user: User) -> User:
    """Deactivate a leaver: they cannot sign in and their open sessions end."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.pk == acting.pk:
        raise StaffError(_("You cannot deactivate your own account."))
    if not locked.is_active:
        raise StaffError(_("%(name)s is already inactive.") % {"name": locked.display_name})
    if Role.ADMIN in locked.roles and _other_active_admins(locked) == 0:
        raise StaffError(
            _("%(name)s is the last active admin; the clinic needs one.")
            % {"name": locked.display_name}
        )
    locked.is_active = False
    locked.version += 1
    locked.save(update_fields=["is_active", "version", "updated_at"])
    user_sessions_end(user=locked)
    return locked


@transaction.atomic
def staff_reactivate(*, user: User) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        raise StaffError(_("%(name)s is already active.") % {"name": locked.display_name})
    locked.is_active = True
    locked.version += 1
    locked.save(update_fields=["is_active", "version", "updated_at"])
    return locked


def password_changed(*, user: User) -> User:
    """Record that the person chose their own password."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password", "updated_at"])
    return user
