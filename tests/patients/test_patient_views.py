"""Registering, editing (with the conflict page), restricted records, roles on the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessLog
from patients import services
from patients.models import Patient
from tests.conftest import client_for, make_user
from tests.patients.helpers import add_lab, add_medication, make_patient

pytestmark = pytest.mark.django_db


def form_data(**fields: Any) -> dict[str, Any]:
    data = {
        "mrn": "H-123456",
        "given_name": "Zoë",
        "family_name": "Lefèvre",
        "date_of_birth": "1970-02-03",
        "sex": "female",
        "phone": "",
        "email": "",
        "address": "",
        "preferred_language": "French",
        "status": "active",
        "date_of_death": "",
        "referral_date": "2026-01-05",
        "referral_source": "Oncology ward",
        "primary_clinician": "",
    }
    data.update(fields)
    return data


def detail_url(patient: Patient) -> str:
    return reverse("patients:patient-detail", kwargs={"code": patient.code})


def edit_url(patient: Patient) -> str:
    return reverse("patients:patient-edit", kwargs={"code": patient.code})


def test_a_coordinator_registers_a_patient(coordinator: User, clinician: User) -> None:
    response = client_for(coordinator).post(
        reverse("patients:patient-create"),
        form_data(primary_clinician=str(clinician.code), care_team=[str(coordinator.code)]),
    )

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(patient)
    assert (patient.mrn, patient.search_name) == ("H-123456", "zoe lefevre")
    assert patient.primary_clinician == clinician
    assert list(patient.care_team.all()) == [coordinator]
    assert patient.created_by == coordinator


def test_each_row_of_the_list_shows_the_patient_and_escapes_the_name(clinician: User) -> None:
    mine = make_patient(
        by=clinician,
        given_name="<b>Ann</b>",
        family_name="Orr",
        date_of_birth=dt.date(1950, 3, 9),
        primary_clinician=clinician,
    )
    gone = make_patient(
        by=clinician,
        family_name="Pike",
        status="deceased",
        date_of_death=dt.date(2026, 1, 2),
        restricted=True,
        care_team=[clinician],
    )

    html = client_for(clinician).get(reverse("patients:patient-list")).content.decode()
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    ann = next(row for row in rows if "ORR" in row)
    pike = next(row for row in rows if "PIKE" in row)

    assert f'<a href="{detail_url(mine)}">ORR, &lt;b&gt;Ann&lt;/b&gt;</a>' in ann
    assert '<time datetime="1950-03-09">9 Mar 1950</time>' in ann
    assert '<span class="badge text-bg-success">Active</span>' in ann
    assert f"<td>{clinician.display_name}</td>" in ann and "restricted" not in ann
    assert '<span class="badge text-bg-dark">Deceased</span>' in pike
    assert 'badge text-bg-info">restricted</span>' in pike and "<td>—</td>" in pike
    assert detail_url(gone) in pike and mine.mrn in ann


def test_a_duplicate_mrn_is_shown_next_to_the_field(clinician: User) -> None:
    make_patient(mrn="h-123456")

    response = client_for(clinician).post(reverse("patients:patient-create"), form_data())

    assert response.status_code == 200
    assert "MRN H-123456 is already registered" in response.text
    assert Patient.objects.count() == 1


def test_a_future_date_of_birth_is_shown_next_to_the_field(clinician: User) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=2)

    response = client_for(clinician).post(
        reverse("patients:patient-create"), form_data(date_of_birth=tomorrow.isoformat())
    )

    assert response.status_code == 200
    assert "The date of birth cannot be in the future." in response.text
    assert not Patient.objects.exists()


def test_the_edit_form_saves_demographics(coordinator: User) -> None:
    patient = make_patient()
    client = client_for(coordinator)
    form = client.get(edit_url(patient)).context["form"]
    assert form.initial["version"] == 1

    response = client.post(
        edit_url(patient),
        form_data(mrn=patient.mrn, phone="+44 7700 900123", version="1"),
    )

    patient.refresh_from_db()
    assert response.status_code == 302
    assert (patient.phone, patient.version, patient.given_name) == ("+44 7700 900123", 2, "Zoë")


def test_the_second_of_two_sessions_gets_the_conflict_page(
    clinician: User, coordinator: User
) -> None:
    patient = make_patient(phone="000")
    first, second = client_for(clinician), client_for(coordinator)
    first.get(edit_url(patient))
    second.get(edit_url(patient))

    saved = first.post(edit_url(patient), form_data(mrn=patient.mrn, phone="111", version="1"))
    refused = second.post(edit_url(patient), form_data(mrn=patient.mrn, phone="222", version="1"))

    patient.refresh_from_db()
    assert saved.status_code == 302
    assert refused.status_code == 409
    assert patient.phone == "111"
    assert "Not saved: someone else changed this first" in refused.text
    rows = {row.label: row for row in refused.context["rows"]}
    assert (rows["Phone"].when_opened, rows["Phone"].now, rows["Phone"].yours) == (
        "000",
        "111",
        "222",
    )
    assert refused.context["saved_by"] == clinician.username
    # The form keeps the second person's entry, now against the current version.
    assert refused.context["form"]["phone"].value() == "222"
    assert refused.context["form"]["version"].value() == "2"


def test_saving_again_from_the_conflict_page_applies_the_change(coordinator: User) -> None:
    patient = make_patient(phone="000")
    services.patient_update(by=patient.created_by, patient=patient, version=1, phone="111")

    response = client_for(coordinator).post(
        edit_url(patient), form_data(mrn=patient.mrn, phone="222", version="2")
    )

    patient.refresh_from_db()
    assert response.status_code == 302
    assert patient.phone == "222"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_pages_refuse_other_methods(clinician: User, method: str) -> None:
    patient = make_patient()
    client = client_for(clinician)

    for url in (edit_url(patient), reverse("patients:patient-create")):
        assert getattr(client, method)(url).status_code == 405
    assert client.post(detail_url(patient)).status_code == 405


# --- restricted records --------------------------------------------------------------------------


@pytest.fixture
def restricted(clinician: User) -> Patient:
    member = make_user(Role.COORDINATOR, username="member")
    return make_patient(
        by=clinician, restricted=True, primary_clinician=clinician, care_team=[member]
    )


@pytest.mark.parametrize(
    "name", ["patient-detail", "patient-edit", "patient-history", "lab-result-list"]
)
def test_a_restricted_record_shows_outsiders_only_the_break_glass_page(
    restricted: Patient, name: str
) -> None:
    outsider = make_user(Role.CLINICIAN, Role.COORDINATOR)

    response = client_for(outsider).get(
        reverse(f"patients:{name}", kwargs={"code": restricted.code})
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "This record is restricted" in page
    assert restricted.family_name not in page and restricted.mrn not in page


def test_an_outsider_cannot_add_to_a_restricted_record(restricted: Patient) -> None:
    outsider = make_user(Role.CLINICIAN)

    response = client_for(outsider).get(
        reverse("patients:medication-add", kwargs={"code": restricted.code})
    )

    assert response.status_code == 403
    assert restricted.family_name not in response.content.decode()


def test_breaking_the_glass_opens_the_record_for_an_hour_flags_it_and_tells_admins(
    restricted: Patient,
) -> None:
    from clinic.audit.models import AccessAction, AccessLog
    from clinic.reminders.models import Reminder

    admins = [make_user(Role.ADMIN), make_user(Role.ADMIN)]
    outsider = make_user(Role.CLINICIAN)
    client = client_for(outsider)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = client.post(
            reverse("patients:break-glass", kwargs={"code": restricted.code}),
            {
                "reason": "On call tonight; patient in the emergency department",
                "next": detail_url(restricted),
            },
        )
        assert response.status_code == 302
        assert client.get(detail_url(restricted)).status_code == 200

    entry = AccessLog.objects.get(action=AccessAction.BREAK_GLASS)
    assert entry.flagged and entry.actor == outsider and entry.patient_code == restricted.code
    assert "emergency department" in entry.note
    told = Reminder.objects.filter(recipient__in=admins, urgent=True)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(a.pk for a in admins)
    # The clinician keeps working (so the session stays open) until the hour is over.
    for minutes in (10, 20, 30, 40, 50, 59):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get(detail_url(restricted)).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        assert client.get(detail_url(restricted)).status_code == 403


def test_breaking_the_glass_needs_a_reason(restricted: Patient) -> None:
    from clinic.audit.models import AccessAction, AccessLog

    client = client_for(make_user(Role.CLINICIAN))
    response = client.post(
        reverse("patients:break-glass", kwargs={"code": restricted.code}), {"reason": "need"}
    )
    assert "at least 10 characters" in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.BREAK_GLASS).exists()
    assert client.get(detail_url(restricted)).status_code == 403


def test_break_glass_is_only_for_restricted_records(clinician: User) -> None:
    ordinary = make_patient(by=clinician)
    response = client_for(clinician).get(
        reverse("patients:break-glass", kwargs={"code": ordinary.code})
    )
    assert response.status_code == 404


def test_the_care_team_and_primary_clinician_open_a_restricted_record(
    restricted: Patient, clinician: User
) -> None:
    member = User.objects.get(username="member")

    assert client_for(member).get(detail_url(restricted)).status_code == 200
    assert client_for(clinician).get(detail_url(restricted)).status_code == 200


def test_the_records_a_page_has_read_are_opened_by_the_same_rule_as_a_search(
    restricted: Patient, clinician: User, django_assert_max_num_queries: Any
) -> None:
    from patients.access import visible_among, visible_patients
    from patients.break_glass import break_glass

    outsider = make_user(Role.CLINICIAN, username="outsider")
    glass = make_patient(by=clinician, restricted=True, primary_clinician=clinician)
    own = make_patient(
        by=clinician, restricted=True, primary_clinician=outsider, care_team=[clinician]
    )
    ordinary = make_patient(by=clinician)
    request = RequestFactory().get("/")
    request.user = outsider
    break_glass(request=request, patient_code=glass.code, reason="On call tonight, in A&E")
    records = [restricted, glass, own, ordinary]

    for user in (outsider, clinician, User.objects.get(username="member")):
        expected = set(visible_patients(user).values_list("pk", flat=True))
        with django_assert_max_num_queries(1):
            opened = visible_among(user, records)
        assert opened == expected & {p.pk for p in records}
    assert visible_among(outsider, records) == {glass.pk, own.pk, ordinary.pk}
    with django_assert_max_num_queries(0):  # nothing restricted to ask about
        assert visible_among(outsider, [ordinary, own]) == {ordinary.pk, own.pk}
    assert visible_among(make_user(Role.ADMIN), records) == set()


def test_an_unknown_patient_code_is_404(clinician: User) -> None:
    url = reverse(
        "patients:patient-detail", kwargs={"code": "00000000-0000-4000-8000-000000000000"}
    )

    assert client_for(clinician).get(url).status_code == 404


# --- roles ---------------------------------------------------------------------------------------


def test_a_coordinator_gets_403_on_clinical_entries(coordinator: User) -> None:
    patient = make_patient()
    entry = add_lab(patient, "inr", "1.1")
    client = client_for(coordinator)
    add = reverse("patients:lab-result-add", kwargs={"code": patient.code})
    edit = reverse("patients:lab-result-edit", kwargs={"code": patient.code, "entry": entry.code})
    in_error = reverse(
        "patients:lab-result-in-error", kwargs={"code": patient.code, "entry": entry.code}
    )

    assert client.get(add).status_code == 403
    assert (
        client.post(
            add, {"test": "inr", "value": "1.2", "taken_at": "2026-01-01T10:00"}
        ).status_code
        == 403
    )
    assert client.post(in_error, {"reason": "No"}).status_code == 403
    assert client.get(edit).status_code == 403
    entry.refresh_from_db()
    assert not entry.in_error
    assert patient.lab_results.count() == 1


def test_an_admin_sees_no_patient_page(admin: User) -> None:
    patient = make_patient()
    client = client_for(admin)

    assert client.get(reverse("patients:patient-list")).status_code == 403
    assert client.get(detail_url(patient)).status_code == 403
    assert not AccessLog.objects.filter(patient_code=patient.code).exists()


# --- history and lab results ---------------------------------------------------------------------


def test_the_history_shows_changes_and_entries_marked_in_error(clinician: User) -> None:
    patient = make_patient(by=clinician, phone="000")
    services.patient_update(by=clinician, patient=patient, version=1, phone="111")
    entry = add_medication(patient, "Oxycodone", "10")
    services.entry_mark_in_error(by=clinician, entry=entry, reason="Wrong strength")

    response = client_for(clinician).get(
        reverse("patients:patient-history", kwargs={"code": patient.code})
    )

    assert response.status_code == 200
    # One test is one transaction, so every event has the same time here: compare as a set.
    rows = {(row.what, row.change) for row in response.context["rows"]}
    assert rows == {
        ("Patient", "added"),
        ("Patient", "changed"),
        ("Medication", "added"),
        ("Medication", "changed"),
    }
    assert "Wrong strength" in response.text
    assert "000 → 111" in response.text
    assert "Oxycodone" in response.text  # the drug's name, not its id


def test_the_lab_results_page_paginates_and_filters(clinician: User) -> None:
    patient = make_patient(by=clinician)
    for number in range(30):
        add_lab(patient, "platelets", str(100 + number))
    add_lab(patient, "inr", "1.3")
    url = reverse("patients:lab-result-list", kwargs={"code": patient.code})
    client = client_for(clinician)

    everything = client.get(url)
    inr = client.get(url, {"test": "inr"})

    assert everything.context["page"].paginator.count == 31
    assert len(everything.context["page"].object_list) == 25
    assert [lab.test for lab in inr.context["page"].object_list] == ["inr"]


def test_the_edit_form_keeps_the_primary_clinician_selected(clinician: User) -> None:
    patient = make_patient(primary_clinician=clinician)

    response = client_for(clinician).get(edit_url(patient))

    assert f'<option value="{clinician.code}" selected>' in response.text
