from django.urls import path

from clinic.reminders import views

app_name = "reminders"

urlpatterns = [
    path("inbox/", views.notification_list, name="notification-list"),
    path("inbox/read-all/", views.notification_read_all, name="notification-read-all"),
    path("inbox/<uuid:code>/open/", views.notification_open, name="notification-open"),
    path("queue/", views.reminder_list, name="reminder-list"),
    path("queue/<uuid:code>/retry/", views.reminder_retry, name="reminder-retry"),
    path("queue/<uuid:code>/cancel/", views.reminder_cancel, name="reminder-cancel"),
]
