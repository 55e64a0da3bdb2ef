from django.urls import path

from clinic.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.access_log, name="access-log"),
    path("staff-changes/", views.staff_changes, name="staff-changes"),
]
