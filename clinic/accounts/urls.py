from django.urls import path

from clinic.accounts import views, views_two_factor

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("two-factor/", views_two_factor.setup, name="two-factor-setup"),
    path("two-factor/verify/", views_two_factor.verify, name="two-factor-verify"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<uuid:code>/", views.staff_edit, name="staff-edit"),
    path("staff/<uuid:code>/deactivate/", views.staff_deactivate, name="staff-deactivate"),
    path("staff/<uuid:code>/reactivate/", views.staff_reactivate, name="staff-reactivate"),
    path(
        "staff/<uuid:code>/two-factor-reset/",
        views_two_factor.staff_two_factor_reset,
        name="staff-two-factor-reset",
    ),
]
