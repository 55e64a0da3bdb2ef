"""Print views (agenda with summaries, minutes), the calendar file, actions and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.forms import MultipleChoiceField
from django.urls import reverse
from django.utils import timezone

from clinic.audit.models import AccessAction, AccessLog
from meetings import services
from meetings.models import ActionStatus
from tests.conftest import client_for
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    published,
    running,
)

pytestmark = pytest.mark.django_db


def test_the_printed_agenda_has_each_summary_and_is_logged_as_printed(clinician: Any) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    items = [add_case(meeting, coordinator, question=f"Question {n}") for n in range(3)]
    published(meeting, coordinator)

    response = client_for(clinician).get(
        reverse("meetings:meeting-agenda-print", kwargs={"code": meeting.code})
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="case-page"') == 3
    assert "css/meetings-print." in body
    assert 'class="navbar' not in body  # no navigation on paper
    printed = AccessLog.objects.filter(actor=clinician, action=AccessAction.PRINT)
    assert {row.patient_code for row in printed} == {item.patient.code for item in items}


def test_the_minutes_print_attendance_decisions_and_actions(coordinator: Any) -> None:
    owner = clinician_user()
    meeting = make_meeting(coordinator, invitees=[owner])
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)
    services.item_decide(
        by=coordinator, meeting=meeting, item=item, decision_kind="refer", decision="To psychology"
    )
    services.action_add(
        by=coordinator,
        meeting=meeting,
        item=item,
        owner=owner,
        what="Send the referral letter",
        due_date=timezone.localdate() + dt.timedelta(days=2),
    )
    services.meeting_close(by=coordinator, meeting=meeting)

    response = client_for(coordinator).get(
        reverse("meetings:meeting-minutes", kwargs={"code": meeting.code})
    )

    body = response.content.decode()
    assert "these minutes are fixed" in body
    assert "To psychology" in body and "Send the referral letter" in body
    assert "not quorate" in body  # no one was recorded present
    assert AccessLog.objects.filter(
        action=AccessAction.PRINT, patient_code=item.patient.code
    ).exists()


def test_a_draft_meeting_has_no_minutes(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    response = client_for(coordinator).get(
        reverse("meetings:meeting-minutes", kwargs={"code": meeting.code})
    )
    assert response.status_code == 302


def test_the_calendar_file_names_the_meeting_but_no_patient(coordinator: Any) -> None:
    meeting = make_meeting(coordinator, place="Room 4, level 2")
    item = add_case(meeting, coordinator, question="Secret clinical question")

    response = client_for(coordinator).get(
        reverse("meetings:meeting-ics", kwargs={"code": meeting.code})
    )

    body = response.content.decode()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert f"UID:{meeting.code}@" in body
    assert "LOCATION:Room 4\\, level 2\r\n" in body
    assert item.patient.family_name not in body and "Secret" not in body
    assert not AccessLog.objects.filter(patient_code=item.patient.code).exists()


def test_my_actions_lists_overdue_due_soon_and_later_and_marks_done(clinician: Any) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator, starts_in=dt.timedelta(days=-20))
    add_case(meeting, coordinator)
    running(meeting, coordinator)
    today = timezone.localdate()
    soon = services.action_add(
        by=coordinator,
        meeting=meeting,
        owner=clinician,
        what="Soon",
        due_date=today + dt.timedelta(days=2),
    )
    later = services.action_add(
        by=coordinator,
        meeting=meeting,
        owner=clinician,
        what="Later",
        due_date=today + dt.timedelta(days=30),
    )
    overdue = services.action_add(
        by=coordinator, meeting=meeting, owner=clinician, what="Overdue", due_date=today
    )
    services.action_add(
        by=coordinator, meeting=meeting, owner=coordinator, what="Not mine", due_date=today
    )
    client = client_for(clinician)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *args: today + dt.timedelta(days=1))
        lists = client.get(reverse("meetings:my-actions")).context["lists"]
    assert (lists.overdue, lists.due_soon, lists.later) == ([overdue], [soon], [later])

    response = client.post(
        reverse("meetings:action-done", kwargs={"code": soon.code}),
        {"next": reverse("meetings:my-actions")},
    )
    assert response["Location"] == reverse("meetings:my-actions")
    soon.refresh_from_db()
    assert (soon.status, soon.done_by) == (ActionStatus.DONE, clinician)


def test_an_admin_has_my_actions_but_no_meeting_pages(admin: Any) -> None:
    client = client_for(admin)
    assert client.get(reverse("meetings:my-actions")).status_code == 200
    assert client.get(reverse("meetings:meeting-list")).status_code == 403


def test_the_coordinator_sees_all_open_actions(coordinator: Any) -> None:
    owner = clinician_user()
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator)
    running(meeting, coordinator)
    services.action_add(
        by=coordinator,
        meeting=meeting,
        owner=owner,
        what="Call the hospice",
        due_date=timezone.localdate(),
    )

    response = client_for(coordinator).get(reverse("meetings:action-list"))

    assert "Call the hospice" in response.content.decode()
    assert owner.display_name in response.content.decode()


def test_the_dashboard_shows_the_next_meeting_and_everyones_actions(coordinator: Any) -> None:
    owner = clinician_user()
    held = make_meeting(coordinator, starts_in=dt.timedelta(hours=-2))
    add_case(held, coordinator)
    running(held, coordinator)
    services.action_add(
        by=coordinator,
        meeting=held,
        owner=owner,
        what="Phone the family",
        due_date=timezone.localdate(),
    )
    upcoming = make_meeting(coordinator, starts_in=dt.timedelta(days=6), name="Next MDT")

    coordinator_home = client_for(coordinator).get(reverse("home")).content.decode()
    owner_home = client_for(owner).get(reverse("home")).content.decode()

    assert "Next team meeting" in coordinator_home
    assert "1 open action in the clinic" in coordinator_home
    assert "suggested case" in coordinator_home
    assert "Next team meeting" not in owner_home
    assert "Phone the family" in owner_home
    assert upcoming.name in coordinator_home or held.name in coordinator_home


def test_the_clinic_policy_form_edits_the_quorum_disciplines(admin: Any) -> None:
    from patients.models import ClinicPolicy

    client = client_for(admin)
    page = client.get(reverse("patients:policy-edit")).content.decode()
    assert 'name="quorum_disciplines"' in page
    form = client.get(reverse("patients:policy-edit")).context["form"]
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: v for k, v in data.items() if v is not None}
    data["quorum_disciplines"] = ["palliative_care", "oncology"]
    for name, value in list(data.items()):
        # Other apps' list fields typed as comma-separated text keep that form.
        if isinstance(value, list) and not isinstance(form.fields[name], MultipleChoiceField):
            data[name] = ",".join(str(v) for v in value)

    response = client.post(reverse("patients:policy-edit"), data)

    assert response.status_code == 302, response.context["form"].errors
    assert ClinicPolicy.objects.get().quorum_disciplines == ["palliative_care", "oncology"]
