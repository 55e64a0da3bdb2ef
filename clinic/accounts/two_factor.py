"""Two-factor sign-in with TOTP (django-otp) and single-use backup codes."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction
from clinic.audit.services import access_log_record
from clinic.lib.policy import two_factor_required_for_all

BACKUP_CODE_COUNT = 10
AUTHENTICATOR = "authenticator"
BACKUP = "backup codes"


class TwoFactorError(ValueError):
    """A code that did not verify, or a device that cannot be set up."""


def two_factor_required(user: User) -> bool:
    """Admins always need a second factor; everyone else when clinic policy says so."""
    return user.has_role(Role.ADMIN) or two_factor_required_for_all()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up, created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


@transaction.atomic
def enrolment_confirm(*, request: HttpRequest, user: User, token: str) -> list[str]:
    """Confirm the authenticator with a first code; return fresh backup codes, shown once."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise TwoFactorError(_("Start the set-up again: no authenticator is waiting."))
    if not device.verify_token(token.strip()):
        raise TwoFactorError(
            _("That code did not match. Check the time on your phone and try again.")
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_replace(user=user)
    otp_login(request, device)
    return codes


def backup_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _verified_device(user: User, token: str) -> Device | None:
    devices: list[Device] = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    for device in devices:
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
    return None


@transaction.atomic
def two_factor_verify(*, request: HttpRequest, user: User, token: str) -> Device:
    """Accept a current authenticator code (never one already used) or an unused backup code."""
    device = _verified_device(user, token.strip().replace(" ", ""))
    if device is None:
        raise TwoFactorError(
            _("That code did not work. Codes change every 30 seconds and work once.")
        )
    otp_login(request, device)
    return device


@transaction.atomic
def two_factor_reset(*, request: HttpRequest, acting: User, user: User) -> None:
    """Remove a person's authenticator and backup codes; they set up a new one at next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    access_log_record(
        request=request,
        action=AccessAction.TWO_FACTOR_RESET,
        obj=user,
        flagged=True,
        note=f"two-factor reset for {user.get_username()}"[:300],
    )


def requires_verification(user: User) -> bool:
    verified = getattr(user, "is_verified", None)
    return two_factor_required(user) and not (callable(verified) and verified())


def otp_issuer() -> str:
    return str(settings.CLINIC_NAME)
