"""The access log is append-only, and admins can search it and the staff changes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction, AccessLog
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def log(actor: User | None, action: str = AccessAction.VIEW, **fields: object) -> AccessLog:
    return AccessLog.objects.create(
        actor=actor, actor_label=actor.username if actor else "", action=action, **fields
    )


def test_the_database_refuses_to_change_an_access_event(clinician: User) -> None:
    event = log(clinician)
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AccessLog.objects.filter(pk=event.pk).update(note="tampered")
    event.refresh_from_db()
    assert event.note == ""


def test_the_database_refuses_to_delete_an_access_event(clinician: User) -> None:
    event = log(clinician)
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AccessLog.objects.filter(pk=event.pk).delete()
    assert AccessLog.objects.filter(pk=event.pk).exists()


def test_not_even_raw_sql_can_rewrite_the_log(clinician: User) -> None:
    log(clinician)
    with (
        pytest.raises(DatabaseError, match="append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_accesslog")
    assert AccessLog.objects.count() == 1


def test_admin_finds_who_opened_a_patient_record_last_week(admin: User, clinician: User) -> None:
    patient = uuid.uuid4()
    other_patient = uuid.uuid4()
    nurse = make_user(Role.CLINICIAN, first_name="Nia", last_name="Okafor")
    with time_machine.travel(dt.datetime(2026, 11, 18, 10, tzinfo=dt.UTC)):
        log(clinician, patient_code=patient, path="/patients/x/")
        log(nurse, patient_code=other_patient)
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC)):
        log(nurse, patient_code=patient)

    response = client_for(admin).get(
        reverse("audit:access-log"),
        {"patient": str(patient), "date_from": "2026-11-16", "date_to": "2026-11-22"},
    )

    events = list(response.context["page"].object_list)
    assert [event.actor for event in events] == [clinician]
    assert "Clara" in response.content.decode()


def test_each_event_shows_when_who_what_and_escapes_what_was_typed(
    admin: User, clinician: User
) -> None:
    patient = uuid.uuid4()
    with time_machine.travel(dt.datetime(2026, 11, 18, 10, 5, 9, tzinfo=dt.UTC)):
        log(clinician, AccessAction.PRINT, patient_code=patient, path="/x/", ip="10.0.0.7")
        AccessLog.objects.create(
            actor=None,
            actor_label="<script>alert(1)</script>",
            action=AccessAction.SIGN_IN_FAILED,
            flagged=True,
            note="<b>tried</b>",
        )

    html = client_for(admin).get(reverse("audit:access-log")).content.decode()
    rows = html.split("<tbody>")[1].split("</tbody>")[0]

    assert '<time datetime="2026-11-18T10:05:09+00:00">18 Nov 2026 10:05:09</time>' in rows
    who = f'{clinician.display_name} <span class="text-secondary small">{clinician.username}'
    assert who in rows
    assert f'<td class="small">{patient}</td>' in rows and "10.0.0.7" in rows
    assert f"<td>{AccessAction.PRINT.label}</td>" in rows
    failed = rows.split('<tr class="table-warning">')[1].split("</tr>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in failed and "<script>" not in rows
    assert "&lt;b&gt;tried&lt;/b&gt;" in failed
    assert 'badge text-bg-warning">flagged</span>' in failed
    assert rows.count("table-warning") == 1


def test_audit_filters_by_person_and_action(admin: User, clinician: User) -> None:
    log(clinician, AccessAction.VIEW)
    log(clinician, AccessAction.PRINT)
    log(admin, AccessAction.VIEW)

    response = client_for(admin).get(
        reverse("audit:access-log"), {"person": str(clinician.code), "action": "print"}
    )

    events = list(response.context["page"].object_list)
    assert len(events) == 1
    assert events[0].action == AccessAction.PRINT


def test_an_end_date_before_the_start_date_is_explained(admin: User) -> None:
    response = client_for(admin).get(
        reverse("audit:access-log"), {"date_from": "2026-11-20", "date_to": "2026-11-01"}
    )
    assert "The end date is before the start date." in response.content.decode()


def test_audit_page_queries_do_not_grow_with_events(
    admin: User, clinician: User, django_assert_max_num_queries: object
) -> None:
    for number in range(60):
        log(make_user(Role.CLINICIAN) if number % 10 == 0 else clinician)
    client = client_for(admin)
    client.get(reverse("home"))  # the first request of a session records its start
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(reverse("audit:access-log"))
    assert len(response.context["page"].object_list) == 50


def test_staff_changes_show_role_changes_with_who_made_them(admin: User, clinician: User) -> None:
    client = client_for(admin)
    client.post(
        reverse("accounts:staff-edit", args=[clinician.code]),
        {
            "first_name": clinician.first_name,
            "last_name": clinician.last_name,
            "email": clinician.email,
            "discipline": clinician.discipline,
            "roles": ["clinician", "coordinator"],
            "version": clinician.version,
        },
    )
    client.post(reverse("accounts:staff-deactivate", args=[clinician.code]))

    response = client.get(reverse("audit:staff-changes"))

    rows = response.context["rows"]
    role_rows = [row for row in rows if row.change == "Role added" and row.details == "coordinator"]
    assert len(role_rows) == 1
    assert role_rows[0].changed_by.startswith("Ada Mensah")
    assert "Clara Nguyen" in role_rows[0].subject
    assert any("is_active: True → False" in row.details for row in rows)


def test_staff_changes_can_be_filtered_by_who_made_them(admin: User, clinician: User) -> None:
    other_admin = make_user(Role.ADMIN)
    client_for(other_admin).post(reverse("accounts:staff-deactivate", args=[clinician.code]))

    mine = client_for(admin).get(reverse("audit:staff-changes"), {"person": str(admin.code)})
    theirs = client_for(admin).get(
        reverse("audit:staff-changes"), {"person": str(other_admin.code)}
    )

    assert mine.context["rows"] == []
    assert len(theirs.context["rows"]) >= 1
