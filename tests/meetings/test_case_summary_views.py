"""A case's frozen summary, opened from its agenda row (htmx) or as a page of its own."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clinic.audit.models import AccessAction, AccessLog
from meetings import services
from meetings.models import AgendaItem, Meeting
from tests.conftest import client_for
from tests.meetings.helpers import (
    add_case,
    clinician_user,
    coordinator_user,
    make_meeting,
    published,
)
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Session, user, two-factor device, roles; the meeting; the case with its patient, if the viewer
# may open it; the access-log insert; and, on the page of its own, the unread badge.
SUMMARY_QUERIES = 8


def summary_url(item: AgendaItem, meeting: Meeting | None = None) -> str:
    code = (meeting or item.meeting).code
    return reverse("meetings:item-summary", kwargs={"code": code, "item": item.code})


def agenda_url(meeting: Meeting) -> str:
    return reverse("meetings:meeting-detail", kwargs={"code": meeting.code})


def _published_case(coordinator: Any, **extra: Any) -> AgendaItem:
    meeting = make_meeting(coordinator, name="Thursday MDT")
    item = add_case(meeting, coordinator, question="Is a coeliac plexus block reasonable?", **extra)
    published(meeting, coordinator)
    item.refresh_from_db()
    return item


def test_opening_a_case_shows_its_summary_as_published(clinician: Any) -> None:
    item = _published_case(coordinator_user())

    response = client_for(clinician).get(summary_url(item), headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    # The summary alone, swapped into the agenda row.
    assert "<html" not in body
    assert body.count('class="case-summary"') == 1
    assert item.patient.listing_name in body
    assert "Is a coeliac plexus block reasonable?" in body
    assert "Summary as it was on" in body
    assert "HX-Request" in response["Vary"]


def test_without_javascript_the_summary_is_a_page_with_a_way_back(clinician: Any) -> None:
    item = _published_case(coordinator_user())

    response = client_for(clinician).get(summary_url(item))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert f"Case summary: {item.patient.listing_name}" in body
    assert f'href="{agenda_url(item.meeting)}#item-{item.code}"' in body
    assert body.count('class="case-summary"') == 1


def test_opening_a_summary_is_logged_as_viewing_the_patient(clinician: Any) -> None:
    item = _published_case(coordinator_user())

    client_for(clinician).get(summary_url(item), headers=HTMX)

    entry = AccessLog.objects.get(actor=clinician)
    assert (entry.action, entry.patient_code) == (AccessAction.VIEW, item.patient.code)
    assert (entry.object_type, entry.object_code) == ("meetings.agendaitem", item.code)
    assert entry.path == summary_url(item)


def test_a_restricted_record_outside_the_care_team_is_not_found(clinician: Any) -> None:
    coordinator = coordinator_user()
    owner = clinician_user()
    secret = make_patient(by=owner, primary_clinician=owner, restricted=True, care_team=[owner])
    item = _published_case(coordinator, patient=secret)

    outside = client_for(clinician).get(summary_url(item), headers=HTMX)
    care_team = client_for(owner).get(summary_url(item), headers=HTMX)

    assert outside.status_code == 404
    assert secret.family_name not in outside.content.decode()
    assert not AccessLog.objects.filter(actor=clinician).exists()
    assert care_team.status_code == 200
    assert secret.family_name.upper() in care_team.content.decode()


def test_a_case_under_another_meetings_code_is_not_found(clinician: Any) -> None:
    coordinator = coordinator_user()
    item = _published_case(coordinator)
    other = make_meeting(coordinator)

    response = client_for(clinician).get(summary_url(item, other))

    assert response.status_code == 404
    assert not AccessLog.objects.filter(actor=clinician).exists()


def test_a_removed_case_is_not_found(clinician: Any) -> None:
    coordinator = coordinator_user()
    item = _published_case(coordinator)
    services.item_remove(by=coordinator, item=item, reason="Discussed in clinic instead")

    assert client_for(clinician).get(summary_url(item)).status_code == 404


def test_a_draft_case_has_no_summary_yet(clinician: Any) -> None:
    meeting = make_meeting(coordinator_user())
    item = add_case(meeting, meeting.chair)

    response = client_for(clinician).get(summary_url(item), headers=HTMX)

    assert response.status_code == 200
    assert "No summary yet" in response.content.decode()


def test_the_agenda_offers_each_summary_without_embedding_it(clinician: Any) -> None:
    coordinator = coordinator_user()
    owner = clinician_user()
    secret = make_patient(by=owner, primary_clinician=owner, restricted=True, care_team=[owner])
    meeting = make_meeting(coordinator)
    shown = [add_case(meeting, coordinator) for _ in range(2)]
    hidden = add_case(meeting, owner, secret)
    published(meeting, coordinator)

    body = client_for(clinician).get(agenda_url(meeting)).content.decode()

    assert 'class="case-summary"' not in body
    for item in shown:
        url = summary_url(item)
        # Loaded when the row's summary is first opened; a plain link without JavaScript.
        assert f'hx-get="{url}" hx-trigger="toggle once"' in body
        assert f'<a href="{url}">' in body
    assert summary_url(hidden) not in body
    assert body.count("Case summary (as published)") == 2


def test_the_summary_runs_a_fixed_number_of_queries(
    clinician: Any, django_assert_max_num_queries: Any
) -> None:
    item = _published_case(coordinator_user())
    client = client_for(clinician)
    client.get(summary_url(item))  # warm the session and caches

    with django_assert_max_num_queries(SUMMARY_QUERIES):
        client.get(summary_url(item), headers=HTMX)
    with django_assert_max_num_queries(SUMMARY_QUERIES):
        client.get(summary_url(item))


def test_the_print_views_and_the_run_page_still_show_summaries_inline(clinician: Any) -> None:
    coordinator = coordinator_user()
    item = _published_case(coordinator)
    meeting = item.meeting
    client = client_for(clinician)

    printed = client.get(reverse("meetings:meeting-agenda-print", kwargs={"code": meeting.code}))
    run = client.get(reverse("meetings:meeting-run", kwargs={"code": meeting.code}))

    assert printed.content.decode().count('class="case-summary"') == 1
    assert run.content.decode().count('class="case-summary"') == 1
