from django.urls import include, path

from clinic import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("bench/floor/", views.bench_floor, name="bench-floor"),
    path("accounts/", include("clinic.accounts.urls")),
    path("audit/", include("clinic.audit.urls")),
    path("patients/", include("patients.urls")),
    path("assessments/", include("assessments.urls")),
    path("procedures/", include("procedures.urls")),
    path("meetings/", include("meetings.urls")),
    path("reminders/", include("clinic.reminders.urls")),
]

handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"
