from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("new/", views.meeting_create, name="meeting-create"),
    path("series/new/", views.series_create, name="series-create"),
    path("series/<uuid:code>/stop/", views.series_stop, name="series-stop"),
    path("propose/<uuid:patient>/", views.case_propose, name="case-propose"),
    path("actions/", views.action_list, name="action-list"),
    path("actions/mine/", views.my_actions, name="my-actions"),
    path("actions/<uuid:code>/done/", views.action_done, name="action-done"),
    path("<uuid:code>/", views.meeting_detail, name="meeting-detail"),
    path("<uuid:code>/suggestions/", views.meeting_suggestions, name="meeting-suggestions"),
    path("<uuid:code>/edit/", views.meeting_edit, name="meeting-edit"),
    path("<uuid:code>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path("<uuid:code>/publish/", views.meeting_publish, name="meeting-publish"),
    path("<uuid:code>/start/", views.meeting_start, name="meeting-start"),
    path("<uuid:code>/run/", views.meeting_run, name="meeting-run"),
    path("<uuid:code>/attendance/", views.meeting_attendance, name="meeting-attendance"),
    path("<uuid:code>/close/", views.meeting_close, name="meeting-close"),
    path("<uuid:code>/agenda/print/", views.agenda_print, name="meeting-agenda-print"),
    path("<uuid:code>/minutes/", views.meeting_minutes, name="meeting-minutes"),
    path("<uuid:code>/calendar.ics", views.meeting_ics, name="meeting-ics"),
    path("<uuid:code>/items/add/", views.item_add, name="item-add"),
    path("<uuid:code>/items/<uuid:item>/summary/", views.item_summary, name="item-summary"),
    path("<uuid:code>/items/<uuid:item>/accept/", views.item_accept, name="item-accept"),
    path("<uuid:code>/items/<uuid:item>/move/", views.item_move, name="item-move"),
    path("<uuid:code>/items/<uuid:item>/edit/", views.item_edit, name="item-edit"),
    path("<uuid:code>/items/<uuid:item>/remove/", views.item_remove, name="item-remove"),
    path("<uuid:code>/items/<uuid:item>/decision/", views.item_decide, name="item-decide"),
    path("<uuid:code>/actions/add/", views.action_add, name="action-add"),
]
