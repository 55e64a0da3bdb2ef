"""Mass assignment: a form posted with fields it does not show changes nothing it does not show.

Each create or edit form is submitted the way its page renders it (or with the payload its own
tests use), plus fields an attacker would add: privileges (superuser, staff, roles, groups),
bookkeeping (code, version, created_by, author, timestamps), workflow state (status, approval,
in error) and another record's patient or meeting. The saved row must not take them. Version
tampering (a stale, a future or no version) must be refused, never overwrite silently.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from meetings.models import AgendaItem, Meeting
from patients.models import ClinicPolicy, Patient
from patients.views import ENTRY_KINDS
from procedures.models import FollowUp, ProcedurePlan, ProcedureType
from tests.assessments.helpers import answers, form_data, record
from tests.conftest import PASSWORD, client_for, make_user
from tests.meetings.helpers import add_case, make_meeting
from tests.patients.helpers import make_patient, quick_record
from tests.procedures.helpers import approve_and_schedule, clear_review, plan_form_data, propose
from tests.security.helpers import rendered_data

pytestmark = pytest.mark.django_db

PRIVILEGES = {
    "is_superuser": "on",
    "is_staff": "on",
    "is_active": "on",
    "groups": ["1", "2", "3"],
    "user_permissions": ["1"],
    "role": Role.ADMIN,
}


def bookkeeping(intruder: User) -> dict[str, Any]:
    """Fields the app sets itself, never from a form."""
    return {
        "id": "1",
        "pk": "1",
        "code": str(uuid.uuid4()),
        "created_by": str(intruder.pk),
        "created_by_id": str(intruder.pk),
        "author": str(intruder.pk),
        "created_at": "2000-01-01T00:00",
        "updated_at": "2000-01-01T00:00",
    }


def other_record(other: Patient) -> dict[str, Any]:
    """Fields that would move a row to another patient's record."""
    return {
        "patient": str(other.code),
        "patient_code": str(other.code),
        "patient_id": str(other.pk),
    }


def values(row: Model, *names: str) -> dict[str, Any]:
    row.refresh_from_db()
    return {name: getattr(row, name) for name in names}


# --- staff accounts ------------------------------------------------------------------------------


def test_the_staff_form_changes_no_privilege_it_does_not_show(admin: User) -> None:
    person = make_user(Role.CLINICIAN)
    client = client_for(admin)
    url = reverse("accounts:staff-edit", kwargs={"code": person.code})
    data = rendered_data(client.get(url))
    kept = values(person, "username", "code", "password", "is_active", "must_change_password")

    response = client.post(
        url,
        {
            **data,
            **PRIVILEGES,
            **bookkeeping(admin),
            "username": "taken-over",
            "password": "pbkdf2_sha256$1$x$y",
            "must_change_password": "",
            "last_name": "Renamed",
        },
    )

    assert response.status_code == 302
    assert values(person, *kept) == kept
    assert person.last_name == "Renamed"  # the form's own field is saved
    assert (person.is_superuser, person.is_staff) == (False, False)
    assert sorted(person.roles) == [Role.CLINICIAN]


def test_a_new_staff_member_gets_only_the_roles_of_the_roles_field(admin: User) -> None:
    response = client_for(admin).post(
        reverse("accounts:staff-create"),
        {
            "username": "NewClinician",
            "first_name": "Nadia",
            "last_name": "Kowalski",
            "email": "nadia.kowalski@example.org",
            "discipline": "palliative_care",
            "roles": ["clinician"],
            "password": "a-long-initial-passphrase-91",
            **PRIVILEGES,
            **bookkeeping(admin),
            "must_change_password": "",
        },
    )

    assert response.status_code == 302
    person = User.objects.get(username="NewClinician")
    assert (person.is_superuser, person.is_staff, person.must_change_password) == (
        False,
        False,
        True,
    )
    assert sorted(person.roles) == [Role.CLINICIAN]


def test_nobody_but_an_admin_changes_their_own_roles(clinician: User) -> None:
    client = client_for(clinician)
    admins = Group.objects.get_or_create(name=Role.ADMIN)[0]
    grab = {**PRIVILEGES, "roles": [Role.ADMIN], "groups": [str(admins.pk)]}

    edit = client.post(reverse("accounts:staff-edit", kwargs={"code": clinician.code}), grab)
    profile = client.post(reverse("accounts:profile"), grab)
    password = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-77",
            "new_password2": "another-long-passphrase-77",
            **grab,
        },
    )

    assert (edit.status_code, profile.status_code, password.status_code) == (403, 405, 302)
    clinician.refresh_from_db()
    assert clinician.check_password("another-long-passphrase-77")  # the form did its own job
    assert (clinician.is_superuser, clinician.is_staff) == (False, False)
    assert sorted(clinician.roles) == [Role.CLINICIAN]


# --- patients and their entries ------------------------------------------------------------------


PATIENT_FORM = {
    "mrn": "H-123456",
    "given_name": "Zoë",
    "family_name": "Lefèvre",
    "date_of_birth": "1970-02-03",
    "sex": "female",
    "preferred_language": "French",
    "status": "active",
    "referral_date": "2026-01-05",
    "referral_source": "Oncology ward",
}


def test_registering_a_patient_takes_no_code_author_or_version_from_the_form(
    coordinator: User,
) -> None:
    other = make_patient()
    posted = {**PATIENT_FORM, **bookkeeping(make_user(Role.CLINICIAN)), "version": "7"}
    posted["code"] = str(other.code)
    posted["id"] = str(other.pk)

    response = client_for(coordinator).post(reverse("patients:patient-create"), posted)

    assert response.status_code == 302
    patient = Patient.objects.get(mrn="H-123456")
    assert patient.code != other.code
    assert (patient.created_by, patient.version) == (coordinator, 1)
    assert Patient.objects.get(pk=other.pk).mrn == other.mrn


def test_editing_a_patient_changes_only_that_patients_demographics(clinician: User) -> None:
    patient = make_patient()
    other = make_patient()
    client = client_for(clinician)
    url = reverse("patients:patient-edit", kwargs={"code": patient.code})
    data = rendered_data(client.get(url))
    kept = values(patient, "code", "created_by", "created_at", "mrn")
    other_before = values(other, "given_name", "version")

    posted = {**data, **bookkeeping(clinician), "given_name": "Renamed"}
    posted["id"] = str(other.pk)
    response = client.post(url, posted)

    assert response.status_code == 302
    assert values(patient, *kept) == kept
    assert (patient.given_name, patient.version) == ("Renamed", 2)
    assert values(other, *other_before) == other_before


def test_an_entry_cannot_be_moved_to_another_patient_or_marked_by_its_form(
    clinician: User,
) -> None:
    patient = make_patient()
    other = make_patient()
    entries = quick_record(patient)
    client = client_for(clinician)
    attack = {
        **bookkeeping(clinician),
        **other_record(other),
        "in_error": "on",
        "entered_in_error_reason": "Hidden by the form",
        "entered_in_error_by": str(clinician.pk),
    }
    for kind in ENTRY_KINDS.values():
        entry = entries[kind.slug.replace("-", "_")]
        kept = values(entry, "patient_id", "code", "created_by_id", "created_at")
        edit = reverse(
            f"patients:{kind.slug}-edit", kwargs={"code": patient.code, "entry": entry.code}
        )
        data = rendered_data(client.get(edit))

        edited = client.post(edit, {**data, **attack})
        # The same values add a new entry, which belongs to the patient of the URL.
        data.pop("version")
        added = client.post(
            reverse(f"patients:{kind.slug}-add", kwargs={"code": patient.code}),
            {**data, **attack},
        )

        assert (edited.status_code, added.status_code) == (302, 302), kind.slug
        assert values(entry, *kept) == kept, kind.slug
        assert (entry.version, entry.in_error) == (2, False), kind.slug
        rows = kind.model._default_manager
        assert rows.filter(patient=patient).count() == 2, kind.slug
        assert not rows.filter(patient=other).exists(), kind.slug
        assert not rows.filter(entered_in_error_at__isnull=False).exists(), kind.slug


# --- assessments ---------------------------------------------------------------------------------


def test_an_assessment_belongs_to_the_patient_and_author_of_the_request(
    clinician: User,
) -> None:
    patient = make_patient()
    other = make_patient()
    someone = make_user(Role.CLINICIAN)
    posted = form_data(
        {"nrs": answers("nrs")},
        **bookkeeping(someone),
        **other_record(other),
        assessed_by=str(someone.pk),
        in_error="on",
        pain_intensity="0",
        version="5",
    )

    response = client_for(clinician).post(
        reverse("assessments:assessment-create", kwargs={"patient_code": patient.code}), posted
    )

    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.code != uuid.UUID(posted["code"])
    assert (assessment.patient, assessment.created_by, assessment.assessed_by) == (
        patient,
        clinician,
        clinician,
    )
    assert (assessment.version, assessment.in_error) == (1, False)
    assert assessment.pain_intensity == 5


def test_an_assessment_cannot_complete_another_patients_follow_up(clinician: User) -> None:
    patient = make_patient()
    other = make_patient()
    plan = approve_and_schedule(
        propose(clinician, other, planned_date=timezone.localdate()), clinician
    )
    clear_review(plan, clinician)
    from procedures import services

    services.procedure_record(
        plan=plan,
        by=clinician,
        performed_at=timezone.now() - dt.timedelta(minutes=5),
        performed_by=clinician,
        imaging_guidance="fluoroscopy",
        had_complications=False,
        immediate_relief_percent=60,
    )
    follow_up = FollowUp.objects.filter(plan=plan).first()
    assert follow_up is not None

    response = client_for(clinician).post(
        reverse("assessments:assessment-create", kwargs={"patient_code": patient.code}),
        form_data({"nrs": answers("nrs")}, follow_up=str(follow_up.code)),
    )

    assert response.status_code == 200
    assert "not one of this patient" in response.content.decode()
    assert not Assessment.objects.filter(patient=patient).exists()
    follow_up.refresh_from_db()
    assert follow_up.status == "pending"


def test_a_stale_or_tampered_assessment_version_overwrites_nothing(clinician: User) -> None:
    patient = make_patient()
    assessment = record(patient, by=clinician, instruments={"nrs": answers("nrs")})
    client = client_for(clinician)
    url = reverse("assessments:assessment-edit", kwargs={"code": assessment.code})

    for version in ("0", "2", "99", ""):
        client.post(
            url,
            form_data(
                {"nrs": answers("nrs", score=1)},
                assessed_at=assessment.assessed_at,
                version=version,
            ),
        )

    assert values(assessment, "version", "pain_intensity") == {
        "version": 1,
        "pain_intensity": 5,
    }


# --- procedures ----------------------------------------------------------------------------------


def plan_form(**overrides: Any) -> dict[str, Any]:
    return plan_form_data(timezone.localdate() + dt.timedelta(days=10), **overrides)


PLAN_STATE = {
    "status": "approved",
    "approval_source": "urgent",
    "approval_reference": "Forged",
    "urgent_reason": "Forged",
    "approved_at": "2026-01-01T00:00",
    "submitted_at": "2026-01-01T00:00",
    "scheduled_date": "2026-01-02",
    "cancelled_at": "2026-01-01T00:00",
    "cancel_reason": "Forged",
}


def test_a_plan_takes_its_patient_and_state_from_the_app_not_the_form(clinician: User) -> None:
    patient = make_patient()
    other = make_patient()
    others_plan = propose(clinician, other)
    client = client_for(clinician)
    create = reverse("procedures:plan-create", kwargs={"patient_code": patient.code})
    attack = {
        **PLAN_STATE,
        **bookkeeping(make_user(Role.CLINICIAN)),
        **other_record(other),
        "approved_by": str(clinician.pk),
        "version": "9",
    }

    created = client.post(create, plan_form(**attack))
    # An earlier stage of another patient is not offered, so it is refused.
    built_on_other = client.post(create, plan_form(builds_on=str(others_plan.code)))

    assert (created.status_code, built_on_other.status_code) == (302, 200)
    plan = ProcedurePlan.objects.get(patient=patient)
    assert plan.code != uuid.UUID(attack["code"])
    assert (plan.status, plan.approved_by, plan.approval_source) == ("proposed", None, "")
    assert (plan.created_by, plan.version, plan.scheduled_date) == (clinician, 1, None)
    assert ProcedurePlan.objects.filter(patient=other).count() == 1

    edit = reverse("procedures:plan-edit", kwargs={"code": plan.code})
    data = rendered_data(client.get(edit))
    edited = client.post(edit, {**data, **attack, "version": str(plan.version), "level": "L2"})

    assert edited.status_code == 302
    plan.refresh_from_db()
    assert (plan.level, plan.version) == ("L2", 2)
    assert (plan.status, plan.patient, plan.approved_by, plan.created_by) == (
        "proposed",
        patient,
        None,
        clinician,
    )


def test_a_plan_saved_as_its_edit_page_renders_it_keeps_its_type_and_operator(
    clinician: User,
) -> None:
    # The selects are keyed by code: the page once selected nothing, so saving it cleared the
    # operator (and asked for the procedure again).
    plan = propose(clinician, make_patient(), operator=clinician)
    client = client_for(clinician)
    url = reverse("procedures:plan-edit", kwargs={"code": plan.code})
    data = rendered_data(client.get(url))

    response = client.post(url, {**data, "level": "L2"})

    assert response.status_code == 302
    assert (data["procedure_type"], data["operator"]) == (
        [str(plan.procedure_type.code)],
        [str(clinician.code)],
    )
    plan.refresh_from_db()
    assert (plan.level, plan.operator, plan.procedure_type.name) == (
        "L2",
        clinician,
        "Celiac plexus neurolysis",
    )


def test_a_procedure_record_stays_with_the_plan_of_its_url(clinician: User) -> None:
    plan = approve_and_schedule(
        propose(clinician, make_patient(), planned_date=timezone.localdate()), clinician
    )
    clear_review(plan, clinician)
    others_plan = propose(clinician, make_patient())
    performed_at = timezone.localtime() - dt.timedelta(minutes=10)

    response = client_for(clinician).post(
        reverse("procedures:procedure-record", kwargs={"code": plan.code}),
        {
            "performed_at": performed_at.strftime("%Y-%m-%dT%H:%M"),
            "performed_by": str(clinician.code),
            "imaging_guidance": "ct",
            "had_complications": "no",
            "immediate_relief_percent": "70",
            **bookkeeping(make_user(Role.CLINICIAN)),
            "plan": str(others_plan.code),
            "plan_id": str(others_plan.pk),
            "status": "followed_up",
            "baseline_pain": "0",
        },
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    others_plan.refresh_from_db()
    assert (plan.status, plan.record.created_by) == ("performed", clinician)
    assert others_plan.status == "proposed"


# --- meetings ------------------------------------------------------------------------------------


def test_an_agenda_item_keeps_its_meeting_patient_and_decision(coordinator: User) -> None:
    meeting = make_meeting(coordinator)
    elsewhere = make_meeting(coordinator, starts_in=dt.timedelta(days=10))
    item = add_case(meeting, coordinator)
    other = make_patient()
    client = client_for(coordinator)
    url = reverse("meetings:item-edit", kwargs={"code": meeting.code, "item": item.code})
    data = rendered_data(client.get(url))
    kept = values(
        item, "meeting_id", "patient_id", "status", "decision", "decision_kind", "plan_code"
    )

    response = client.post(
        url,
        {
            **data,
            **bookkeeping(coordinator),
            **other_record(other),
            "question": "Is a block reasonable?",
            "meeting": str(elsewhere.code),
            "meeting_id": str(elsewhere.pk),
            "status": "discussed",
            "decision": "Forged decision",
            "decision_kind": "approve_plan",
            "plan_code": str(uuid.uuid4()),
            "summary": '{"forged": true}',
            "late": "on",
        },
    )

    assert response.status_code == 302
    assert values(item, *kept) == kept
    assert (item.question, item.version, item.summary) == ("Is a block reasonable?", 2, None)
    assert not AgendaItem.objects.filter(meeting=elsewhere).exists()


def test_a_meeting_form_cannot_publish_close_or_cancel_a_meeting(coordinator: User) -> None:
    meeting = make_meeting(coordinator)
    client = client_for(coordinator)
    url = reverse("meetings:meeting-edit", kwargs={"code": meeting.code})
    data = rendered_data(client.get(url))

    response = client.post(
        url,
        {
            **data,
            **bookkeeping(coordinator),
            "status": "closed",
            "cancel_reason": "Forged",
            "place": "Room 4",
        },
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancel_reason, meeting.place) == ("draft", "", "Room 4")


# --- stale and tampered versions -----------------------------------------------------------------


def _edit_pages(clinician: User, coordinator: User, admin: User) -> list[tuple[Any, ...]]:
    """(who edits, URL, the row, a field of the form, a new value) for each versioned form."""
    patient = make_patient()
    entry = quick_record(patient)["allergy"]
    meeting = make_meeting(coordinator)
    item = add_case(meeting, coordinator)
    plan = propose(clinician, make_patient())
    person = make_user(Role.CLINICIAN)
    catalogue_type = ProcedureType.objects.get(name="Cryoablation")
    return [
        (clinician, "patients:patient-edit", {"code": patient.code}, patient, "phone", "999"),
        (
            clinician,
            "patients:allergy-edit",
            {"code": patient.code, "entry": entry.code},
            entry,
            "reaction",
            "Rash",
        ),
        (clinician, "procedures:plan-edit", {"code": plan.code}, plan, "level", "T12"),
        (
            coordinator,
            "meetings:item-edit",
            {"code": meeting.code, "item": item.code},
            item,
            "question",
            "Changed?",
        ),
        (coordinator, "meetings:meeting-edit", {"code": meeting.code}, meeting, "place", "Hall"),
        (admin, "accounts:staff-edit", {"code": person.code}, person, "last_name", "Changed"),
        (
            admin,
            "procedures:type-edit",
            {"code": catalogue_type.code},
            catalogue_type,
            "whom_to_call",
            "Changed",
        ),
        (admin, "patients:policy-edit", {}, ClinicPolicy.objects.get(), "max_lab_age_days", "3"),
    ]


def test_a_stale_future_or_missing_version_never_overwrites_a_row(
    clinician: User, coordinator: User, admin: User
) -> None:
    refused = []
    for user, name, kwargs, row, field, new_value in _edit_pages(clinician, coordinator, admin):
        client = client_for(user)
        url = reverse(name, kwargs=kwargs)
        data = rendered_data(client.get(url))
        current = row.version
        before = values(row, field, "version")
        for version in (str(current - 1), str(current + 5), ""):
            client.post(url, {**data, field: new_value, "version": version})
            if values(row, field, "version") != before:
                refused.append(f"{name} took version {version!r}")
        # The version the page was rendered with saves: the refusals above were for the version.
        client.post(url, {**data, field: new_value})
        if str(values(row, field)[field]) != new_value:
            refused.append(f"{name} did not save with its own version")

    assert refused == []


def test_a_changed_row_is_not_overwritten_by_a_form_opened_before(clinician: User) -> None:
    patient = make_patient()
    first, second = client_for(clinician), client_for(make_user(Role.COORDINATOR))
    url = reverse("patients:patient-edit", kwargs={"code": patient.code})
    opened = rendered_data(first.get(url))
    second.post(url, {**rendered_data(second.get(url)), "phone": "111"})

    response = first.post(url, {**opened, "phone": "222"})

    assert response.status_code == 409
    patient.refresh_from_db()
    assert (patient.phone, patient.version) == ("111", 2)


def test_no_meeting_is_created_with_a_state_from_the_form(coordinator: User) -> None:
    start = timezone.localtime() + dt.timedelta(days=5)
    response = client_for(coordinator).post(
        reverse("meetings:meeting-create"),
        {
            "name": "Pain MDT",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "Room 2",
            "chair": str(coordinator.pk),
            **bookkeeping(make_user(Role.COORDINATOR)),
            "status": "closed",
            "version": "4",
        },
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get(name="Pain MDT")
    assert (meeting.status, meeting.version) == ("draft", 1)
