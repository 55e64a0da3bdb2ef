from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    # The catalogue (admins)
    path("catalogue/", views.type_list, name="type-list"),
    path("catalogue/new/", views.type_create, name="type-create"),
    path("catalogue/<uuid:code>/", views.type_edit, name="type-edit"),
    path("catalogue/<uuid:code>/withdraw/", views.type_deactivate, name="type-deactivate"),
    path("catalogue/<uuid:code>/restore/", views.type_reactivate, name="type-reactivate"),
    # Plans
    path("patients/<uuid:patient_code>/plan/", views.plan_create, name="plan-create"),
    path("plans/<uuid:code>/", views.plan_detail, name="plan-detail"),
    path("plans/<uuid:code>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<uuid:code>/submit/", views.plan_submit, name="plan-submit"),
    path(
        "plans/<uuid:code>/approve-urgently/",
        views.plan_approve_urgent,
        name="plan-approve-urgent",
    ),
    path("plans/<uuid:code>/schedule/", views.plan_schedule, name="plan-schedule"),
    path("plans/<uuid:code>/cancel/", views.plan_cancel, name="plan-cancel"),
    path("plans/<uuid:code>/safety-review/", views.safety_review_run, name="safety-review-run"),
    path("safety-reviews/<uuid:code>/override/", views.safety_override, name="safety-override"),
    path("plans/<uuid:code>/record/", views.procedure_record, name="procedure-record"),
    path(
        "plans/<uuid:code>/discharge-instructions/",
        views.discharge_instructions,
        name="discharge-instructions",
    ),
    # Follow-ups
    path("follow-ups/", views.followup_list, name="followup-list"),
    path("follow-ups/<uuid:code>/", views.followup_detail, name="followup-detail"),
    path("follow-ups/<uuid:code>/done/", views.followup_complete, name="followup-complete"),
    path("follow-ups/<uuid:code>/missed/", views.followup_missed, name="followup-missed"),
    # Outcomes
    path("outcomes/", views.outcomes_report, name="outcomes-report"),
    path("outcomes.csv", views.outcomes_export, name="outcomes-export"),
]
