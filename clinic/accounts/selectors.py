from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.models import User


def _with_two_factor(staff: QuerySet[User]) -> QuerySet[User]:
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return staff.annotate(has_two_factor=Exists(confirmed))


def staff_list(*, query: str = "", status: str = "", role: str = "") -> QuerySet[User]:
    staff = _with_two_factor(User.objects.prefetch_related("groups")).order_by(
        "last_name", "first_name", "username"
    )
    if query:
        words = query.split()
        for word in words:
            staff = staff.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
    if status == "active":
        staff = staff.filter(is_active=True)
    elif status == "inactive":
        staff = staff.filter(is_active=False)
    if role:
        staff = staff.filter(groups__name=role)
    return staff


def staff_get(code: str) -> User:
    return _with_two_factor(User.objects.prefetch_related("groups")).get(code=code)
