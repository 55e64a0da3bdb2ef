from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient-list"),
    path("new/", views.patient_create, name="patient-create"),
    path("<uuid:code>/", views.patient_detail, name="patient-detail"),
    path("<uuid:code>/edit/", views.patient_edit, name="patient-edit"),
    path("<uuid:code>/history/", views.patient_history, name="patient-history"),
    path("<uuid:code>/lab-results/", views.lab_result_list, name="lab-result-list"),
    path("<uuid:code>/break-glass/", views.break_glass_view, name="break-glass"),
    path("catalogue/", views.drug_list, name="drug-list"),
    path("catalogue/new/", views.drug_create, name="drug-create"),
    path("catalogue/<uuid:code>/", views.drug_edit, name="drug-edit"),
    path("catalogue/<uuid:code>/withdraw/", views.drug_deactivate, name="drug-deactivate"),
    path("catalogue/<uuid:code>/restore/", views.drug_reactivate, name="drug-reactivate"),
    path("policy/", views.policy_edit, name="policy-edit"),
]

# Each section of the chart: patients:<kind>-add, patients:<kind>-edit, patients:<kind>-in-error.
for kind in views.ENTRY_KINDS.values():
    urlpatterns += [
        path(
            f"<uuid:code>/{kind.path}/new/",
            views.entry_add,
            {"kind": kind.slug},
            name=f"{kind.slug}-add",
        ),
        path(
            f"<uuid:code>/{kind.path}/<uuid:entry>/edit/",
            views.entry_edit,
            {"kind": kind.slug},
            name=f"{kind.slug}-edit",
        ),
        path(
            f"<uuid:code>/{kind.path}/<uuid:entry>/in-error/",
            views.entry_in_error,
            {"kind": kind.slug},
            name=f"{kind.slug}-in-error",
        ),
    ]
