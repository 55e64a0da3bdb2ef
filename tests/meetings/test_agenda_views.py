"""The meeting list and the agenda page: suggestions, one-click add, ordering, proposals."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from clinic.audit.models import AccessAction, AccessLog
from meetings import services
from meetings.models import AgendaItem, ItemReason, ItemStatus, Meeting
from patients.models import CareTeamMember, Patient
from tests.conftest import client_for
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    phq9,
    plan_awaiting,
    published,
    record_pain,
    restricted_patient,
    running,
)
from tests.patients.helpers import add_device, make_patient

pytestmark = pytest.mark.django_db

# The agenda page of a coordinator, whatever the number of cases (9): session, user, two-factor
# device, roles; the meeting; the agenda's state (its version, and which of its patients the
# viewer may not open); its items with their patients, presenters and proposers; the access-log
# insert (one for all patients); the unread badge. The suggestions and the case summaries load on
# their own URLs.
AGENDA_QUERIES = 9
# The list of cases kept from an earlier view while the agenda's state is the same (8): the
# items are not read.
AGENDA_KEPT_QUERIES = 8
# The suggested cases, searched (15): session, user, two-factor device, roles; the meeting; the
# patients listed, the searched tables' state; the previous meeting, new referrals, plans
# awaiting approval, follow-ups due, worsening pain, PHQ-9 answers, devices due; the suggested
# patients as they are now.
SUGGESTIONS_QUERIES = 15
# Kept from the last request while nothing searched has changed (8): the searches are not run.
SUGGESTIONS_KEPT_QUERIES = 8
HTMX = {"HX-Request": "true"}


def agenda_url(meeting: Meeting) -> str:
    return reverse("meetings:meeting-detail", kwargs={"code": meeting.code})


def suggestions_url(meeting: Meeting) -> str:
    return reverse("meetings:meeting-suggestions", kwargs={"code": meeting.code})


def test_the_list_shows_upcoming_and_past_meetings(coordinator: Any) -> None:
    upcoming = make_meeting(coordinator, name="Thursday MDT")
    past = make_meeting(coordinator, starts_in=dt.timedelta(days=-7), name="Old MDT")
    from meetings import services

    services.meeting_cancel(by=coordinator, meeting=past, reason="Strike")

    response = client_for(coordinator).get(reverse("meetings:meeting-list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Thursday MDT") < body.index("Past and cancelled") < body.index("Old MDT")
    assert "Strike" in body
    assert upcoming.code


def test_a_coordinator_creates_a_meeting_from_the_form(coordinator: Any) -> None:
    guest = clinician_user()
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = client_for(coordinator).post(
        reverse("meetings:meeting-create"),
        {
            "name": "Weekly team meeting",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "",
            "video_link": "https://video.example.org/room/42",
            "chair": coordinator.pk,
            "agenda_deadline": (start - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "invitees": [guest.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == agenda_url(meeting)
    assert meeting.video_link == "https://video.example.org/room/42"
    assert set(meeting.attendance.values_list("person_id", flat=True)) == {coordinator.pk, guest.pk}


def test_the_meeting_form_refuses_a_link_that_is_not_https(coordinator: Any) -> None:
    start = timezone.localtime() + dt.timedelta(days=2)
    response = client_for(coordinator).post(
        reverse("meetings:meeting-create"),
        {
            "name": "MDT",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "video_link": "javascript:alert(1)",
            "chair": coordinator.pk,
        },
    )
    assert response.status_code == 200
    assert not Meeting.objects.exists()


def _suggested_world(coordinator: Any) -> dict[str, Any]:
    clinician = clinician_user()
    now = timezone.now()
    worsening = make_patient(by=clinician, given_name="Wanda", family_name="Worse")
    record_pain(worsening, clinician, 3, at=now - dt.timedelta(days=6))
    record_pain(worsening, clinician, 8, at=now - dt.timedelta(days=1))
    flagged = make_patient(by=clinician, given_name="Sam", family_name="Flag")
    record_pain(flagged, clinician, 2, at=now - dt.timedelta(days=1), instruments=phq9(q9=2))
    plan = plan_awaiting(
        clinician, make_patient(by=clinician, given_name="Paul", family_name="Plan")
    )
    referred = make_patient(
        by=clinician,
        given_name="Rita",
        family_name="Referral",
        referral_date=timezone.localdate() - dt.timedelta(days=2),
        referral_source="Oncology clinic",
    )
    device_patient = make_patient(by=clinician, given_name="Dev", family_name="Pump")
    add_device(device_patient, next_refill_due=timezone.localdate() + dt.timedelta(days=5))
    return {
        "clinician": clinician,
        "worsening": worsening,
        "flagged": flagged,
        "plan": plan,
        "referred": referred,
        "device": device_patient,
    }


def test_the_coordinator_sees_suggested_cases_with_their_reasons(coordinator: Any) -> None:
    world = _suggested_world(coordinator)
    meeting = make_meeting(coordinator)

    client = client_for(coordinator)
    response = client.get(suggestions_url(meeting))

    suggestions = {
        case.patient.pk: [s.reason for s in case.suggestions]
        for case in response.context["suggestions"]
    }
    assert suggestions == {
        world["flagged"].pk: [ItemReason.SELF_HARM_FLAG],
        world["plan"].patient.pk: [ItemReason.PROCEDURE_APPROVAL],
        world["worsening"].pk: [ItemReason.WORSENING_PAIN],
        world["device"].pk: [ItemReason.DEVICE_DUE],
        world["referred"].pk: [ItemReason.NEW_REFERRAL],
    }
    assert "Pain 3 → 8" in response.content.decode()
    assert "Oncology clinic" in response.content.decode()
    # htmx swaps the list into the agenda page: the list alone, each case with its Add button.
    fragment = client.get(suggestions_url(meeting), headers=HTMX)
    body = fragment.content.decode()
    assert "<html" not in body and "Pain 3 → 8" in body
    assert body.count('data-testid="suggestion"') == 5
    add = reverse("meetings:item-add", kwargs={"code": meeting.code})
    assert body.count(f'action="{add}"') == 5
    assert "HX-Request" in fragment["Vary"]


def test_the_agenda_page_loads_the_suggestions_and_links_to_them(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)

    body = client_for(coordinator).get(agenda_url(meeting)).content.decode()

    url = suggestions_url(meeting)
    assert f'hx-get="{url}" hx-trigger="load"' in body
    assert "Loading suggested cases…" in body
    assert f'<a href="{url}">' in body  # without JavaScript
    assert 'id="add-patient"' in body  # adding by MRN stays on the agenda page


def test_without_javascript_the_suggestions_are_a_page_that_adds_to_the_agenda(
    coordinator: Any,
) -> None:
    world = _suggested_world(coordinator)
    meeting = make_meeting(coordinator, name="Thursday MDT")
    client = client_for(coordinator)

    page = client.get(suggestions_url(meeting))

    body = page.content.decode()
    assert page.status_code == 200
    assert "<html" in body and "Thursday MDT" in body
    assert f'href="{agenda_url(meeting)}#suggestions"' in body
    assert 'aria-label="Add FLAG, Sam to the agenda"' in body
    added = client.post(
        reverse("meetings:item-add", kwargs={"code": meeting.code}),
        {"patient": world["flagged"].code, "reason": ItemReason.SELF_HARM_FLAG, "detail": ""},
    )
    assert added["Location"] == f"{agenda_url(meeting)}#suggestions"
    assert meeting.items.get().patient == world["flagged"]


def test_each_suggested_case_is_a_form_that_adds_it_as_shown(coordinator: Any) -> None:
    world = _suggested_world(coordinator)
    typed = make_patient(
        by=world["clinician"],
        given_name='<b>Ann</b> "Q"',
        family_name="O'Hare",
        referral_date=timezone.localdate() - dt.timedelta(days=1),
        referral_source="<script>alert(1)</script>",
    )
    meeting = make_meeting(coordinator)
    client = client_for(coordinator, enforce_csrf_checks=True)

    body = client.get(suggestions_url(meeting), headers=HTMX).content.decode()

    # What staff typed is shown as text, never as markup.
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "O&#x27;HARE, &lt;b&gt;Ann&lt;/b&gt; &quot;Q&quot;" in body
    rows = re.findall(r'<li class="list-group-item" data-testid="suggestion">.*?</li>', body, re.S)
    assert len(rows) == 6
    plan_row = next(row for row in rows if 'name="plan"' in row)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', plan_row))
    assert set(fields) == {"csrfmiddlewaretoken", "patient", "reason", "detail", "plan"}
    assert f'href="/patients/{fields["patient"]}/"' in plan_row
    action = re.search(r'<form method="post" action="([^"]+)">', plan_row)
    assert action is not None

    # Over HTTPS, Django checks that a form is posted from this site (as the browser says).
    added = client.post(
        html.unescape(action.group(1)),
        {name: html.unescape(value) for name, value in fields.items()},
        headers={"Host": "testserver", "Referer": f"https://testserver{suggestions_url(meeting)}"},
    )

    assert added.status_code == 302
    item = AgendaItem.objects.get(meeting=meeting)
    assert (item.patient, item.reason, item.plan_code) == (
        world["plan"].patient,
        ItemReason.PROCEDURE_APPROVAL,
        world["plan"].code,
    )
    assert item.reason_detail == html.unescape(fields["detail"])
    assert typed.pk != item.patient.pk


def test_suggestions_are_for_coordinators_only(clinician: Any) -> None:
    meeting = make_meeting(coordinator_user())
    client = client_for(clinician)

    assert client.get(suggestions_url(meeting)).status_code == 403
    assert client.get(suggestions_url(meeting), headers=HTMX).status_code == 403
    assert suggestions_url(meeting) not in client.get(agenda_url(meeting)).content.decode()


def test_a_closed_meeting_offers_no_suggestions(coordinator: Any) -> None:
    from meetings import services

    _suggested_world(coordinator)
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator)
    services.meeting_close(by=coordinator, meeting=running(meeting, coordinator))
    client = client_for(coordinator)

    agenda = client.get(agenda_url(meeting)).content.decode()
    response = client.get(suggestions_url(meeting))

    assert suggestions_url(meeting) not in agenda
    assert 'id="add-patient"' not in agenda
    assert response.status_code == 200
    assert response.context["suggestions"] == []
    assert "no longer open" in response.content.decode()
    assert 'data-testid="suggestion"' not in response.content.decode()


def test_one_click_adds_a_suggestion_with_its_reason_and_plan(coordinator: Any) -> None:
    world = _suggested_world(coordinator)
    meeting = make_meeting(coordinator)
    client = client_for(coordinator)
    suggestions = client.get(suggestions_url(meeting)).context["suggestions"]
    plan_case = next(c for c in suggestions if c.patient.pk == world["plan"].patient.pk)

    response = client.post(
        reverse("meetings:item-add", kwargs={"code": meeting.code}),
        {
            "patient": plan_case.patient.code,
            "reason": plan_case.primary.reason,
            "detail": plan_case.detail,
            "plan": plan_case.plan_code,
        },
    )

    assert response.status_code == 302
    item = AgendaItem.objects.get(meeting=meeting)
    assert (item.reason, item.plan_code, item.status) == (
        ItemReason.PROCEDURE_APPROVAL,
        world["plan"].code,
        ItemStatus.ACCEPTED,
    )
    assert "planned for" in item.reason_detail
    remaining = client.get(suggestions_url(meeting)).context["suggestions"]
    assert world["plan"].patient.pk not in {case.patient.pk for case in remaining}


def test_a_coordinator_adds_any_patient_by_mrn(coordinator: Any) -> None:
    patient = make_patient()
    meeting = make_meeting(coordinator)
    client = client_for(coordinator)

    client.post(
        reverse("meetings:item-add", kwargs={"code": meeting.code}),
        {"mrn": patient.mrn.lower(), "reason": ItemReason.OTHER, "question": "Hospice?"},
    )
    missing = client.post(
        reverse("meetings:item-add", kwargs={"code": meeting.code}),
        {"mrn": "NOPE", "reason": ItemReason.OTHER},
        follow=True,
    )

    assert AgendaItem.objects.get(meeting=meeting).question == "Hospice?"
    assert "No patient you may see has this MRN" in missing.content.decode()


def test_cases_move_up_and_down_with_buttons_that_work_without_javascript(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    first = add_case(meeting, coordinator)
    second = add_case(meeting, coordinator)
    client = client_for(coordinator)
    page = client.get(agenda_url(meeting)).content.decode()
    assert f'aria-label="Move {second.patient.listing_name} up"' in page
    # One form for both buttons: the button pressed sends its direction.
    move = reverse("meetings:item-move", kwargs={"code": meeting.code, "item": second.code})
    form = page[page.index(f'action="{move}"') :]
    form = form[: form.index("</form>")]
    assert 'name="direction" value="up"' in form and 'name="direction" value="down"' in form

    response = client.post(
        reverse("meetings:item-move", kwargs={"code": meeting.code, "item": second.code}),
        {"direction": "up"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{second.code}")
    order = list(meeting.items.order_by("order").values_list("pk", flat=True))
    assert order == [second.pk, first.pk]
    assert (
        client.get(
            reverse("meetings:item-move", kwargs={"code": meeting.code, "item": second.code})
        ).status_code
        == 405
    )


def test_a_clinician_reads_the_agenda_without_the_coordinator_tools(clinician: Any) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    add_case(meeting, coordinator, question="Spinal cord stimulator?")

    response = client_for(clinician).get(agenda_url(meeting))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Spinal cord stimulator?" in body
    assert "Suggested cases" not in body and 'id="add-patient"' not in body
    assert "Publish the agenda" not in body
    assert "Propose one from a patient" not in body


def test_a_restricted_record_shows_without_details_and_is_not_logged(clinician: Any) -> None:
    coordinator = coordinator_user()
    owner = clinician_user()
    secret = make_patient(by=owner, primary_clinician=owner, restricted=True, care_team=[owner])
    meeting = make_meeting(coordinator)
    add_case(meeting, owner, secret, question="Private question")
    add_case(meeting, coordinator, make_patient())

    response = client_for(clinician).get(agenda_url(meeting))

    body = response.content.decode()
    assert "Restricted record" in body
    assert secret.family_name not in body
    assert "Private question" not in body
    logged = set(AccessLog.objects.filter(actor=clinician).values_list("patient_code", flat=True))
    assert secret.code not in logged and len(logged) == 1


def test_the_agenda_rows_hide_a_restricted_case_and_show_typed_text_as_text(
    coordinator: Any,
) -> None:
    owner = clinician_user()
    secret = restricted_patient(owner, family_name="Hidden")
    meeting = make_meeting(coordinator, deadline=timezone.now() - dt.timedelta(hours=1))
    shown = add_case(meeting, coordinator, make_patient(family_name="O'Neil"), question="<b>Block?")
    hidden = add_case(meeting, owner, secret, question="Private question")

    body = client_for(coordinator).get(agenda_url(meeting)).content.decode()

    rows = re.findall(r'<li class="list-group-item d-flex gap-2" id="item-.*?</li>', body, re.S)
    assert [f'id="item-{shown.code}"' in rows[0], f'id="item-{hidden.code}"' in rows[1]] == [
        True,
        True,
    ]
    visible, restricted = rows
    # The coordinator's own case: name, question (as text), late, no presenter, its links.
    assert "O&#x27;NEIL, Test" in visible and "&lt;b&gt;Block?" in visible
    assert "<b>Block" not in body
    assert 'text-bg-warning">late</span>' in visible and "No presenter yet" in visible
    assert 'value="up" disabled aria-label="Move O&#x27;NEIL, Test up"' in visible
    assert 'value="down" aria-label="Move O&#x27;NEIL, Test down"' in visible
    edit = reverse("meetings:item-edit", kwargs={"code": meeting.code, "item": shown.code})
    assert f'href="{edit}"' in visible
    # A restricted record the coordinator may not open: its reason and place only.
    assert "Restricted record" in restricted
    assert "Hidden" not in body and "Private question" not in body and str(secret.code) not in body
    assert 'value="down" disabled aria-label="Move down"' in restricted
    assert "item-edit" not in restricted and "/edit/" not in restricted


def test_viewing_an_agenda_logs_each_patient_in_one_insert(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    patients = [add_case(meeting, coordinator).patient for _ in range(4)]

    with CaptureQueriesContext(connection) as queries:
        client_for(coordinator).get(agenda_url(meeting))

    inserts = [q for q in queries if "audit_accesslog" in q["sql"] and "INSERT" in q["sql"]]
    assert len(inserts) == 1
    rows = list(AccessLog.objects.filter(object_code=meeting.code).order_by("id"))
    # One row per patient, in the agenda's order, each saying who, what, where and when.
    assert [row.patient_code for row in rows] == [p.code for p in patients]
    first = rows[0]
    assert (first.actor, first.actor_label, first.action) == (
        coordinator,
        coordinator.username,
        AccessAction.VIEW,
    )
    assert (first.object_type, first.path, first.flagged) == (
        "meetings.meeting",
        agenda_url(meeting),
        False,
    )
    assert first.ip == "127.0.0.1" and first.request_id is not None
    assert abs(first.at - timezone.now()) < dt.timedelta(minutes=1)
    assert {(r.at, r.request_id, r.actor_id) for r in rows} == {
        (first.at, first.request_id, first.actor_id)
    }


def _agenda_with(cases: int, coordinator: Any) -> Meeting:
    meeting = make_meeting(coordinator)
    presenter = clinician_user()
    for _ in range(cases):
        add_case(meeting, coordinator, presenter=presenter, question="Next step?")
    add_case(meeting, presenter, proposed=True, question="Proposal")
    return published(meeting, coordinator)


def test_the_agenda_page_runs_a_fixed_number_of_queries(
    coordinator: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(coordinator)
    small = _agenda_with(3, coordinator)
    large = _agenda_with(30, coordinator)
    client.get(agenda_url(small))  # warm the session and caches
    caches["records"].clear()

    with CaptureQueriesContext(connection) as small_queries:
        client.get(agenda_url(small))
    with django_assert_num_queries(AGENDA_QUERIES):
        response = client.get(agenda_url(large))
    with django_assert_num_queries(AGENDA_KEPT_QUERIES):
        kept = client.get(agenda_url(large))

    assert len(small_queries) == AGENDA_QUERIES
    body = response.content.decode()
    assert (
        "Agenda: 30 cases" in body
        and body.count('<li class="list-group-item d-flex gap-2" id="item-') == 30
    )
    assert _without_tokens(kept) == _without_tokens(response)


def _without_tokens(response: Any) -> str:
    """The page without what differs from one response to the next: CSRF tokens, CSP nonces."""
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"')
    return token.sub("", response.content.decode())


def _tokens(response: Any) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()))


def test_a_kept_agenda_carries_each_viewers_own_token_and_its_forms_work(
    coordinator: Any,
) -> None:
    other = coordinator_user()
    meeting = _agenda_with(2, coordinator)
    first, second = list(meeting.items.filter(status=ItemStatus.ACCEPTED).order_by("order"))
    mine = client_for(coordinator, enforce_csrf_checks=True)
    theirs = client_for(other, enforce_csrf_checks=True)

    mine.get(agenda_url(meeting))
    page = theirs.get(agenda_url(meeting))  # the list drawn for the first, kept

    assert "csrf-token-of-the-viewer" not in page.content.decode()
    token = sorted(_tokens(page))[0]
    move = reverse("meetings:item-move", kwargs={"code": meeting.code, "item": second.code})
    assert f'action="{move}"' in page.content.decode()
    response = theirs.post(
        move,
        {"direction": "up", "csrfmiddlewaretoken": token},
        headers={"Host": "testserver", "Referer": f"https://testserver{agenda_url(meeting)}"},
    )
    assert response.status_code == 302
    assert list(meeting.items.filter(status=ItemStatus.ACCEPTED).order_by("order")) == [
        second,
        first,
    ]


def test_a_kept_agenda_shows_a_change_at_once(coordinator: Any) -> None:
    client = client_for(coordinator)
    meeting = _agenda_with(2, coordinator)
    item = meeting.items.filter(status=ItemStatus.ACCEPTED).order_by("order").first()
    assert item is not None
    client.get(agenda_url(meeting))

    # Each change in a transaction of its own, as a request makes it.
    with transaction.atomic():
        Patient.objects.filter(pk=item.patient_id).update(family_name="Renamed")
    assert "RENAMED" in client.get(agenda_url(meeting)).content.decode()

    with transaction.atomic():
        User.objects.filter(pk=item.presenter_id).update(title="", first_name="Zoltan")
    presenter = User.objects.get(pk=item.presenter_id)
    body = client.get(agenda_url(meeting)).content.decode()
    assert f"Presenter: Zoltan {presenter.last_name}" in body

    with transaction.atomic():
        AgendaItem.objects.filter(pk=item.pk).update(question="A new question")
    body = client.get(agenda_url(meeting)).content.decode()
    assert "A new question" in body and "Next step?" in body

    services.item_remove(by=coordinator, item=item, reason="Seen in clinic")
    body = client.get(agenda_url(meeting)).content.decode()
    assert "Agenda: 1 case" in body and "1 case was removed from this agenda." in body


def test_a_kept_agenda_hides_a_restricted_record_from_whoever_may_not_open_it(
    coordinator: Any,
) -> None:
    owner = clinician_user()
    stranger = clinician_user()
    secret = restricted_patient(owner, family_name="Hidden")
    meeting = make_meeting(coordinator)
    add_case(meeting, owner, secret, question="Private question")
    add_case(meeting, coordinator, make_patient(family_name="Open"))

    seen = client_for(owner).get(agenda_url(meeting)).content.decode()
    for viewer in (stranger, coordinator):
        body = client_for(viewer).get(agenda_url(meeting)).content.decode()
        assert "Restricted record" in body and "OPEN" in body
        assert "HIDDEN" not in body and "Private question" not in body
    assert "HIDDEN" in seen and "Private question" in seen
    logged = set(AccessLog.objects.filter(actor=stranger).values_list("patient_code", flat=True))
    assert secret.code not in logged and len(logged) == 1

    # Added to the care team: the stranger may open it now, at once.
    with transaction.atomic():
        CareTeamMember.objects.create(patient=secret, user=stranger)
    body = client_for(stranger).get(agenda_url(meeting)).content.decode()
    assert "HIDDEN" in body and "Private question" in body
    assert "HIDDEN" not in client_for(coordinator).get(agenda_url(meeting)).content.decode()


def test_every_view_of_a_kept_agenda_is_logged(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    patients = [add_case(meeting, coordinator).patient for _ in range(3)]
    client = client_for(coordinator)

    client.get(agenda_url(meeting))
    client.get(agenda_url(meeting))

    rows = AccessLog.objects.filter(object_code=meeting.code, actor=coordinator)
    assert [row.patient_code for row in rows.order_by("id")] == [p.code for p in patients] * 2


def test_the_suggestions_run_a_fixed_number_of_queries(
    coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(coordinator)
    meeting = make_meeting(coordinator)
    client.get(suggestions_url(meeting), headers=HTMX)  # warm the session and caches
    caches["records"].clear()
    with CaptureQueriesContext(connection) as none_suggested:
        client.get(suggestions_url(meeting), headers=HTMX)
    _suggested_world(coordinator)

    with django_assert_max_num_queries(SUGGESTIONS_QUERIES):
        response = client.get(suggestions_url(meeting), headers=HTMX)
    with CaptureQueriesContext(connection) as kept:
        again = client.get(suggestions_url(meeting), headers=HTMX)

    assert response.content.decode().count('data-testid="suggestion"') == 5
    # The same cases (each Add form carries a fresh token).
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", again.content.decode()) == token.sub("", response.content.decode())
    # None suggested: no suggested patient to read.
    assert len(none_suggested) == SUGGESTIONS_QUERIES - 1
    assert len(kept) == SUGGESTIONS_KEPT_QUERIES


def test_a_clinician_proposes_a_case_from_the_chart(clinician: Any) -> None:
    coordinator = coordinator_user()
    meeting = make_meeting(coordinator)
    patient = make_patient(by=clinician)
    client = client_for(clinician)
    chart = client.get(reverse("patients:patient-detail", kwargs={"code": patient.code}))
    propose_url = reverse("meetings:case-propose", kwargs={"patient": patient.code})
    assert propose_url in chart.content.decode()

    response = client.post(
        propose_url, {"meeting": meeting.pk, "question": "Is a block reasonable?"}
    )

    assert response.status_code == 302
    item = meeting.items.get()
    assert (item.status, item.proposed_by, item.question) == (
        ItemStatus.PROPOSED,
        clinician,
        "Is a block reasonable?",
    )
    # The coordinator accepts it from the agenda.
    accept = client_for(coordinator).post(
        reverse("meetings:item-accept", kwargs={"code": meeting.code, "item": item.code})
    )
    assert accept.status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.ACCEPTED


def test_removing_a_case_asks_for_a_reason_first(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    url = reverse("meetings:item-remove", kwargs={"code": meeting.code, "item": item.code})
    client = client_for(coordinator)

    assert client.get(url).status_code == 200
    client.post(url, {"reason": "Discussed in clinic instead"})

    item.refresh_from_db()
    assert item.status == ItemStatus.REMOVED


def test_post_only_pages_refuse_get(coordinator: Any) -> None:
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    client = client_for(coordinator)
    for name, kwargs in (
        ("meetings:meeting-start", {"code": meeting.code}),
        ("meetings:item-add", {"code": meeting.code}),
        ("meetings:item-accept", {"code": meeting.code, "item": item.code}),
        ("meetings:item-decide", {"code": meeting.code, "item": item.code}),
        ("meetings:action-add", {"code": meeting.code}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 405, name


def test_a_coordinator_sets_up_a_weekly_series_from_the_form(coordinator: Any) -> None:
    response = client_for(coordinator).post(
        reverse("meetings:series-create"),
        {
            "name": "Wednesday MDT",
            "weekday": 2,
            "start_time": "13:00",
            "duration_minutes": 90,
            "place": "Seminar room 2",
            "video_link": "",
            "chair": coordinator.pk,
            "deadline_days_before": 2,
            "weeks_ahead": 3,
        },
    )
    assert response.status_code == 302
    meetings = Meeting.objects.order_by("starts_at")
    assert meetings.count() == 3
    assert all(timezone.localtime(m.starts_at).weekday() == 2 for m in meetings)
    assert {m.name for m in meetings} == {"Wednesday MDT"}


def test_a_decision_appears_on_the_patients_timeline(coordinator: Any) -> None:
    from clinic.lib import timeline
    from meetings import services

    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    services.meeting_publish(by=coordinator, meeting=meeting)
    services.meeting_start(by=coordinator, meeting=meeting)
    services.item_decide(
        by=coordinator, meeting=meeting, item=item, decision_kind="refer", decision="Hospice"
    )
    services.meeting_close(by=coordinator, meeting=meeting)

    events = [e for e in timeline.events_for(item.patient) if e.kind == "team_meeting"]
    assert [e.label for e in events] == ["Team meeting: Refer"]
    assert events[0].link_url == reverse("meetings:meeting-minutes", kwargs={"code": meeting.code})


def test_a_busy_clinic_gets_a_bounded_list_of_suggestions_oldest_referral_first(
    coordinator: Any, monkeypatch: Any
) -> None:
    from meetings import selectors as meeting_selectors

    monkeypatch.setattr(meeting_selectors, "SUGGESTIONS_PER_REASON", 3)
    today = timezone.localdate()
    referred = [
        make_patient(referral_date=today - dt.timedelta(days=days), referral_source="GP")
        for days in (6, 1, 5, 2, 4)
    ]
    meeting = make_meeting(coordinator)

    response = client_for(coordinator).get(suggestions_url(meeting))

    shown = [case.patient for case in response.context["suggestions"]]
    assert shown == [referred[0], referred[2], referred[4]]  # referred 6, 5 and 4 days ago
    assert "Up to 3 for each reason" in response.content.decode()
