"""Running the meeting in the browser: case by case, decisions, actions, attendance, closing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import (
    ActionItem,
    AttendanceStatus,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
)
from tests.conftest import client_for
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    plan_awaiting,
    published,
    restricted_patient,
    running,
)
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

# The run view, whatever the number of cases (13): session, user, two-factor device, roles; the
# meeting; its items with patients and who decided (the case on screen is not read again); the
# visible patients; its actions with owners; its attendance with people; the current patient's
# plans awaiting approval; the clinic policy's quorum; the access-log insert; the unread badge;
# the owners offered by the action form. The first view of a case reads its frozen summary to
# draw it (one more); the HTML is kept after that.
RUN_QUERIES = 13


def run_url(meeting: Meeting, item: Any = None) -> str:
    url = reverse("meetings:meeting-run", kwargs={"code": meeting.code})
    return f"{url}?item={item.code}" if item is not None else url


def decide_url(meeting: Meeting, item: Any) -> str:
    return reverse("meetings:item-decide", kwargs={"code": meeting.code, "item": item.code})


def _running_with(cases: int, coordinator: Any) -> Meeting:
    meeting = make_meeting(coordinator, invitees=[clinician_user(), clinician_user()])
    for _ in range(cases):
        add_case(meeting, coordinator, question="What next?")
    return running(meeting, coordinator)


def test_the_run_view_runs_a_fixed_number_of_queries(
    coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(coordinator)
    small = _running_with(3, coordinator)
    large = _running_with(30, coordinator)
    client.get(run_url(small))

    with CaptureQueriesContext(connection) as small_queries:
        client.get(run_url(small))
    with django_assert_max_num_queries(RUN_QUERIES + 1):
        response = client.get(run_url(large))

    assert response.context["page"].position == 1
    assert "What next?" in response.content.decode()  # the summary, drawn
    with CaptureQueriesContext(connection) as large_queries:
        again = client.get(run_url(large))
    assert len(large_queries) == len(small_queries) <= RUN_QUERIES
    assert "What next?" in again.content.decode()  # the summary, as kept


def test_the_run_view_shows_the_first_undecided_case_beside_the_decision_form(
    coordinator: Any,
) -> None:
    meeting = make_meeting(coordinator)
    first = add_case(meeting, coordinator, question="First?")
    second = add_case(meeting, coordinator, question="Second?")
    running(meeting, coordinator)
    client = client_for(coordinator)
    client.post(decide_url(meeting, first), {"decision_kind": "refer", "decision": "Psychology"})

    response = client.get(run_url(meeting))

    page = response.context["page"]
    assert page.current.item == second
    assert page.previous.item == first
    body = response.content.decode()
    assert "Second?" in body and "Record the decision" in body
    assert f"?item={first.code}" in body


def test_the_case_list_links_each_case_marks_the_one_on_screen_and_hides_restricted_names(
    coordinator: Any,
) -> None:
    owner = clinician_user()
    secret = restricted_patient(owner, family_name="Hidden")
    meeting = make_meeting(coordinator)
    first = add_case(meeting, coordinator, make_patient(family_name="O'Neil"))
    hidden = add_case(meeting, owner, secret)
    third = add_case(meeting, coordinator, make_patient(family_name="Third"))
    running(meeting, coordinator)
    client = client_for(coordinator)
    client.post(decide_url(meeting, first), {"decision_kind": "other", "decision": "Keep going"})

    body = client.get(run_url(meeting, third)).content.decode()

    cases = re.search(r'<ol class="list-unstyled run-cases">(.*?)</ol>', body, re.S)
    assert cases is not None
    links = re.findall(r"<li[^>]*>.*?</li>", cases.group(1), re.S)
    assert len(links) == 3
    assert f'href="?item={first.code}">1. O&#x27;NEIL, Test</a>' in links[0]
    assert 'text-bg-success">decided</span>' in links[0] and "active-case" not in links[0]
    assert f'href="?item={hidden.code}">2. Restricted record</a>' in links[1]
    assert "Hidden" not in body
    assert 'class="mb-1 active-case"' in links[2] and 'aria-current="true"' in links[2]
    assert "3. THIRD, Test" in links[2] and "decided" not in links[2]


def test_a_clinician_approves_a_plan_from_the_run_view(clinician: Any) -> None:
    coordinator = coordinator_user()
    plan = plan_awaiting(clinician)
    meeting = make_meeting(coordinator)
    item = add_case(
        meeting,
        coordinator,
        plan.patient,
        reason=ItemReason.PROCEDURE_APPROVAL,
        plan_code=plan.code,
    )
    running(meeting, coordinator)
    client = client_for(clinician)
    page = client.get(run_url(meeting, item))
    assert str(plan.code) in page.content.decode()  # offered in the decision form

    response = client.post(
        decide_url(meeting, item),
        {"decision_kind": "approve_plan", "plan": str(plan.code), "discussion": "Agreed"},
        follow=True,
    )

    plan.refresh_from_db()
    item.refresh_from_db()
    assert plan.status == "approved"
    assert item.status == ItemStatus.DISCUSSED
    assert "The decision is recorded." in response.content.decode()


def test_approving_twice_shows_the_procedures_refusal_and_changes_nothing(coordinator: Any) -> None:
    clinician = clinician_user()
    plan = plan_awaiting(clinician)
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator, plan.patient, plan_code=plan.code)
    running(meeting, coordinator)
    client = client_for(coordinator)
    client.post(decide_url(meeting, item), {"decision_kind": "approve_plan"})
    item.refresh_from_db()
    version = item.version

    response = client.post(
        decide_url(meeting, item),
        {"decision_kind": "approve_plan", "discussion": "Again"},
        follow=True,
    )

    body = response.content.decode()
    assert "Nothing was changed" in body
    item.refresh_from_db()
    assert (item.version, item.discussion) == (version, "")


def test_a_decision_posted_to_another_meeting_is_refused(coordinator: Any) -> None:
    this = make_meeting(coordinator)
    other = make_meeting(coordinator, starts_in=dt.timedelta(days=8))
    add_case(this, coordinator)
    stranger = add_case(other, coordinator)
    running(this, coordinator)
    running(other, coordinator)

    response = client_for(coordinator).post(
        decide_url(this, stranger), {"decision_kind": "other", "decision": "x"}, follow=True
    )

    assert "on the agenda of another meeting" in response.content.decode()
    stranger.refresh_from_db()
    assert stranger.status == ItemStatus.ACCEPTED


def test_an_action_is_added_to_the_case_being_discussed(clinician: Any) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    running(meeting, coordinator)
    due = timezone.localdate() + dt.timedelta(days=7)

    response = client_for(clinician).post(
        reverse("meetings:action-add", kwargs={"code": meeting.code}),
        {
            "owner": clinician.pk,
            "what": "Refer to psychology",
            "due_date": due.isoformat(),
            "item": item.code,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == run_url(meeting, item)
    action = ActionItem.objects.get()
    assert (action.agenda_item, action.owner, action.due_date) == (item, clinician, due)


def test_the_coordinator_records_attendance_and_sees_the_quorum(coordinator: Any) -> None:
    from clinic.accounts.models import Discipline

    members = {
        discipline: clinician_user(discipline)
        for discipline in (
            Discipline.PAIN_ANAESTHESIA,
            Discipline.PALLIATIVE_CARE,
            Discipline.INTERVENTIONAL_RADIOLOGY,
        )
    }
    oncologist = clinician_user(Discipline.ONCOLOGY)
    meeting = make_meeting(coordinator, invitees=list(members.values()))
    add_case(meeting, coordinator)
    running(meeting, coordinator)
    client = client_for(coordinator)
    url = reverse("meetings:meeting-attendance", kwargs={"code": meeting.code})
    assert client.get(url).status_code == 200

    data = {f"person_{person.pk}": "present" for person in members.values()}
    client.post(url, data)
    before = client.get(run_url(meeting)).content.decode()
    client.post(url, {"add": [oncologist.pk]})
    after = client.get(run_url(meeting)).content.decode()

    assert "Not quorate" in before and "Oncology" in before
    assert "Quorate" in after and "Not quorate" not in after
    assert meeting.attendance.get(person=oncologist).status == AttendanceStatus.PRESENT


def test_closing_from_the_page_carries_over_and_shows_the_minutes(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    discussed = add_case(meeting, coordinator)
    undiscussed = add_case(meeting, coordinator)
    following = make_meeting(coordinator, starts_in=dt.timedelta(days=9))
    running(meeting, coordinator)
    client = client_for(coordinator)
    client.post(
        decide_url(meeting, discussed), {"decision_kind": "other", "decision": "Keep going"}
    )
    close_url = reverse("meetings:meeting-close", kwargs={"code": meeting.code})
    confirm = client.get(close_url).content.decode()
    assert "not discussed: carried over" in confirm

    response = client.post(close_url)

    assert response["Location"] == reverse(
        "meetings:meeting-minutes", kwargs={"code": meeting.code}
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert following.items.get().carried_from == undiscussed
    # A closed meeting takes no decision.
    refused = client.post(
        decide_url(meeting, discussed),
        {"decision_kind": "other", "decision": "Changed"},
        follow=True,
    )
    assert "closed" in refused.content.decode()
    discussed.refresh_from_db()
    assert discussed.decision == "Keep going"


def test_a_clinician_reads_a_published_agenda_case_by_case_before_it_starts(clinician: Any) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator, question="Read me")
    published(meeting, coordinator)

    response = client_for(clinician).get(run_url(meeting))

    body = response.content.decode()
    assert "Read me" in body
    assert "Record the decision" not in body
    assert response.context["decision_form"] is None
