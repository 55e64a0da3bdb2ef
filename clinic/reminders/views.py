from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.accounts.roles import Role
from clinic.lib.access import any_staff, roles
from clinic.lib.pagination import CappedPaginator
from clinic.reminders import selectors, services
from clinic.reminders.access import get_own_notification, get_queue_reminder
from clinic.reminders.forms import CancelForm, QueueFilterForm

PAGE_SIZE = 25


@any_staff
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notifications = selectors.inbox(recipient=request.user, unread_only=unread_only)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reminders/inbox.html", {"page": page, "unread_only": unread_only})


@any_staff
@require_http_methods(["POST"])
def notification_open(request: HttpRequest, code: str) -> HttpResponse:
    """Mark one's own notification read, then go where it points (POST, so GET stays safe)."""
    notification = get_own_notification(request, code)
    services.notification_mark_read(notification=notification)
    link = notification.link_url
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(link)
    return redirect("reminders:notification-list")


@any_staff
@require_http_methods(["POST"])
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(recipient=request.user)
    if marked:
        messages.success(request, _("All notifications are marked read."))
    return redirect("reminders:notification-list")


@roles(Role.COORDINATOR, Role.ADMIN)
@require_http_methods(["GET"])
def reminder_list(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    reminders = selectors.reminder_queue(
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        recipient=filters.get("recipient", ""),
        due_from=filters.get("due_from"),
        due_to=filters.get("due_to"),
    )
    page = CappedPaginator(reminders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reminders/queue.html", {"form": form, "page": page})


@roles(Role.COORDINATOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def reminder_retry(request: HttpRequest, code: str) -> HttpResponse:
    reminder = get_queue_reminder(request, code)
    if request.method == "POST":
        try:
            services.reminder_retry(reminder=reminder)
        except services.ReminderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The reminder will be sent again within a minute."))
        return redirect("reminders:reminder-list")
    return render(
        request, "reminders/reminder_confirm.html", {"reminder": reminder, "action": "retry"}
    )


@roles(Role.COORDINATOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def reminder_cancel(request: HttpRequest, code: str) -> HttpResponse:
    reminder = get_queue_reminder(request, code)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reminder_cancel(reminder=reminder, reason=form.cleaned_data["reason"])
        except services.ReminderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The reminder is cancelled; it will not be sent."))
        return redirect("reminders:reminder-list")
    return render(
        request,
        "reminders/reminder_confirm.html",
        {"reminder": reminder, "action": "cancel", "form": form},
    )
