from __future__ import annotations

from django.db.models import Q, QuerySet

from clinic.accounts.models import User


def staff_list(*, query: str = "", status: str = "", role: str = "") -> QuerySet[User]:
    staff = User.objects.prefetch_related("groups").order_by("last_name", "first_name", "username")
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
    return User.objects.prefetch_related("groups").get(code=code)
