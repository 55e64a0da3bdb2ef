from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("patient/<uuid:patient_code>/", views.assessment_list, name="assessment-list"),
    path("patient/<uuid:patient_code>/new/", views.assessment_create, name="assessment-create"),
    path("patient/<uuid:patient_code>/score/", views.assessment_score, name="assessment-score"),
    path("patient/<uuid:patient_code>/chart/", views.story_chart, name="story-chart"),
    path("patient/<uuid:patient_code>/goals/new/", views.goal_create, name="goal-create"),
    path(
        "patient/<uuid:patient_code>/goals/<uuid:goal_code>/review/",
        views.goal_review,
        name="goal-review",
    ),
    path("worsening/", views.worsening_list, name="worsening-list"),
    path("<uuid:code>/", views.assessment_detail, name="assessment-detail"),
    path("<uuid:code>/edit/", views.assessment_edit, name="assessment-edit"),
    path("<uuid:code>/in-error/", views.assessment_in_error, name="assessment-in-error"),
]
