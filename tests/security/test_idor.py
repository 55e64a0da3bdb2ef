"""Insiders reaching for records they may not see, over every route of the permission matrix.

The rule (DESIGN.md section 4, issue "Security"): an object URL requested by someone who may not
see it answers 404 and shows no patient data; a forbidden action answers 403 and shows no patient
data. A restricted record is the one designed exception: outside its care team, the record and
everything of it answer the break-glass page (403), which offers to open it with a reason and
shows nothing of the patient (patients/access.py). Admins see no patient page at all (403).

The matrix's objects are built for patients whose names, MRN, birth date, contact details and
free text are known (tests/security/helpers.py), so any page that shows them is caught.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from patients.models import Patient
from tests.conftest import client_for, make_user
from tests.patients.helpers import make_patient
from tests.permission_matrix import (
    ADMIN,
    CLINICIAN,
    COORDINATOR,
    FORBIDDEN,
    NOT_ALLOWED,
    ROUTES,
    Method,
    Route,
)
from tests.security.helpers import (
    OPEN,
    RESTRICTED,
    Identity,
    body_of,
    build_world,
    changed_tables,
    is_break_glass_page,
    owned_codes,
    patient_maker,
    patient_objects,
    plant_free_text,
    snapshot,
    uuid_kwargs,
)

pytestmark = pytest.mark.django_db

BREAK_GLASS = "patients:break-glass"
EVERY_ROLE = (Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN)
# A second set of patients, for codes mixed across records.
OTHER = Identity(
    given_name="Perpetua",
    family_name="Saltmarsh",
    mrn_prefix="PSM-2209",
    date_of_birth=dt.date(1939, 7, 30),
    phone="07700 900533",
    email="perpetua.saltmarsh@example.org",
    address="9 Ketterby Close",
    free_text="Quillfeatherly",
)


def restricted_world() -> tuple[dict[str, Any], set[str]]:
    """The matrix's objects, every patient restricted to a care team of one other clinician;
    and the codes of everything that belongs to them."""
    objects = build_world(patient_maker(RESTRICTED, restricted=True))
    patients = Patient.objects.filter(restricted=True)
    assert plant_free_text(patients, RESTRICTED.free_text) > 10
    return objects, owned_codes(patients)


def open_world() -> dict[str, Any]:
    objects = build_world(patient_maker(OPEN))
    assert plant_free_text(_patients_of(OPEN), OPEN.free_text) > 10
    return objects


def _patients_of(identity: Identity) -> Any:
    return Patient.objects.filter(mrn__startswith=identity.mrn_prefix)


def methods(route: Route) -> list[tuple[str, Method]]:
    return [(name, spec) for name, spec in (("get", route.get), ("post", route.post)) if spec]


def request(client: Any, method: str, url: str, spec: Method, data: Any = None) -> Any:
    if method == "get":
        return client.get(url)
    return client.post(url, spec.data if data is None else data)


def referenced_codes(kwargs: dict[str, Any]) -> set[str]:
    return {str(value) for value in kwargs.values()}


# --- restricted records --------------------------------------------------------------------------


def _restricted_answer_is_right(name: str, spec: Method, persona: str, response: Any) -> bool:
    """What someone outside the care team gets at a URL naming a restricted record's object."""
    if name == BREAK_GLASS:  # the page that asks why the glass is broken
        return response.status_code == 200
    expected = spec.expected(persona)
    if expected == FORBIDDEN:  # the role may not do this anywhere
        return response.status_code == 403
    if expected == NOT_ALLOWED:
        return response.status_code == 405
    return response.status_code == 404 or is_break_glass_page(response)


LISTS_SHOWING_THE_RECORD = (
    "patients:patient-list",
    "procedures:followup-list",
    "meetings:meeting-detail",
    "meetings:meeting-run",
    "meetings:meeting-minutes",
    "meetings:meeting-agenda-print",
)


@pytest.mark.parametrize(
    ("role", "persona"), [(Role.CLINICIAN, CLINICIAN), (Role.COORDINATOR, COORDINATOR)]
)
def test_outside_the_care_team_no_page_shows_anything_of_a_restricted_record(
    role: str, persona: str
) -> None:
    objects, restricted_codes = restricted_world()
    client = client_for(make_user(role))
    before = snapshot()
    problems = []
    checked = 0
    for name, route in sorted(ROUTES.items()):
        kwargs = route.kwargs(objects)
        url = reverse(name, kwargs=kwargs)
        names_restricted = bool(referenced_codes(kwargs) & restricted_codes)
        for method, spec in methods(route):
            # Every page is read; every action naming the record is attempted.
            if method == "post" and not names_restricted:
                continue
            response = request(client, method, url, spec)
            checked += 1
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {name}: {response.status_code}")
            elif names_restricted and not _restricted_answer_is_right(
                name, spec, persona, response
            ):
                problems.append(f"{method.upper()} {name}: answered {response.status_code}")
            leaks = RESTRICTED.leaks(body_of(response))
            if leaks:
                problems.append(f"{method.upper()} {name} shows {leaks}")

    assert problems == []
    assert checked > 100
    assert changed_tables(before, snapshot()) == []
    # The same lists and agendas show the record to its care team: what was looked for is there.
    care_team = client_for(objects["patient"].primary_clinician)
    for name in LISTS_SHOWING_THE_RECORD:
        url = reverse(name, kwargs=ROUTES[name].kwargs(objects))
        assert RESTRICTED.leaks(body_of(care_team.get(url))), name


def test_search_and_form_fields_do_not_reach_a_restricted_record_from_outside() -> None:
    objects, _codes = restricted_world()
    clinician = make_user(Role.CLINICIAN)
    clinical = client_for(clinician)
    coordinating = client_for(make_user(Role.COORDINATOR))
    patient = objects["patient"]
    visible = make_patient()
    before = snapshot()

    for query in (RESTRICTED.family_name, patient.mrn, RESTRICTED.given_name):
        found = clinical.get(reverse("patients:patient-list"), {"q": query})
        assert found.status_code == 200
        assert found.context["page"].paginator.count == 0, query

    # A coordinator adds a case by its code (a suggestion) or by MRN: neither reaches it.
    add = reverse("meetings:item-add", kwargs={"code": objects["mtg_meeting"].code})
    by_code = coordinating.post(add, {"patient": patient.code, "reason": "other"})
    assert by_code.status_code == 404
    by_mrn = coordinating.post(
        add, {"mrn": patient.mrn, "reason": "other", "question": "Block?"}, follow=True
    )
    assert "No patient you may see has this MRN" in body_of(by_mrn)
    assert RESTRICTED.leaks(body_of(by_mrn)) == []

    # An action recorded against a restricted case of a running meeting.
    held = objects["mtg_held"]
    action = clinical.post(
        reverse("meetings:action-add", kwargs={"code": held.code}),
        {
            "item": held.items.get().code,
            "owner": clinician.pk,
            "what": "Call the family",
            "due_date": timezone.localdate().isoformat(),
        },
    )
    assert action.status_code == 404

    # Starting an assessment of a visible patient as a copy of a restricted one copies nothing.
    copied = clinical.get(
        reverse("assessments:assessment-create", kwargs={"patient_code": visible.code}),
        {"copy": objects["assessment"].code},
    )
    assert copied.status_code == 200
    assert RESTRICTED.leaks(body_of(copied)) == []

    assert changed_tables(before, snapshot()) == []


# --- guessed and mixed codes ---------------------------------------------------------------------


def _not_found_problems(name: str, method: str, spec: Method, response: Any) -> list[str]:
    expected = 405 if method == "get" and spec.ok == NOT_ALLOWED else 404
    problems = []
    if response.status_code != expected:
        problems.append(f"{method.upper()} {name}: {response.status_code}, not {expected}")
    for identity in (OPEN, OTHER):
        leaks = identity.leaks(body_of(response))
        if leaks:
            problems.append(f"{method.upper()} {name} shows {leaks}")
    return problems


def test_guessed_codes_are_not_found_and_show_no_patient_data() -> None:
    objects = open_world()
    client = client_for(make_user(*EVERY_ROLE))
    before = snapshot()
    problems = []
    guessed = 0
    for name, route in sorted(ROUTES.items()):
        kwargs = route.kwargs(objects)
        for key in uuid_kwargs(kwargs):
            url = reverse(name, kwargs={**kwargs, key: uuid.uuid4()})
            for method, spec in methods(route):
                response = request(client, method, url, spec)
                problems += _not_found_problems(name, method, spec, response)
                guessed += 1

    assert problems == []
    assert guessed > 80
    assert changed_tables(before, snapshot()) == []


# Both meetings are the user's to see: a decision posted under the other meeting's code finds
# the case and is refused with a message (tests/meetings/test_run_views.py), changing nothing.
REFUSED_ACROSS_MEETINGS = {"meetings:item-decide"}
VALID_POSTS = {"meetings:item-decide": {"decision_kind": "other", "decision": "Refer to oncology"}}


def test_an_object_under_another_records_or_meetings_code_is_not_found() -> None:
    objects = open_world()
    others = patient_objects(patient_maker(OTHER))
    assert plant_free_text(_patients_of(OTHER), OTHER.free_text) > 10
    client = client_for(make_user(*EVERY_ROLE))
    before = snapshot()
    problems = []
    mixed = 0
    for name, route in sorted(ROUTES.items()):
        kwargs = route.kwargs(objects)
        keys = uuid_kwargs(kwargs)
        if len(keys) < 2:
            continue
        alternative = route.kwargs({**objects, **others})
        for key in keys:
            url = reverse(name, kwargs={**kwargs, key: alternative[key]})
            for method, spec in methods(route):
                response = request(client, method, url, spec, VALID_POSTS.get(name))
                mixed += 1
                if name in REFUSED_ACROSS_MEETINGS:
                    assert response.status_code == 302, name
                    continue
                problems += _not_found_problems(name, method, spec, response)

    assert problems == []
    assert mixed > 20
    assert changed_tables(before, snapshot()) == []

    # Starting an assessment as a copy of another patient's copies nothing of it.
    copied = client.get(
        reverse(
            "assessments:assessment-create",
            kwargs={"patient_code": others["assessment_patient"].code},
        ),
        {"copy": objects["assessment"].code},
    )
    assert copied.status_code == 200
    assert OPEN.leaks(body_of(copied)) == []


# --- forbidden actions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "persona"), [(Role.COORDINATOR, COORDINATOR), (Role.ADMIN, ADMIN)]
)
def test_forbidden_actions_answer_403_without_patient_data(role: str, persona: str) -> None:
    objects = open_world()
    client = client_for(make_user(role))
    before = snapshot()
    problems = []
    forbidden = 0
    for name, route in sorted(ROUTES.items()):
        url = reverse(name, kwargs=route.kwargs(objects))
        for method, spec in methods(route):
            if spec.expected(persona) != FORBIDDEN:
                continue
            response = request(client, method, url, spec)
            forbidden += 1
            if response.status_code != 403:
                problems.append(f"{method.upper()} {name}: {response.status_code}")
            leaks = OPEN.leaks(body_of(response))
            if leaks:
                problems.append(f"{method.upper()} {name} shows {leaks}")

    assert problems == []
    assert forbidden > 30
    assert changed_tables(before, snapshot()) == []
    # What was looked for is what a clinician's chart of the same patient shows.
    chart = client_for(make_user(Role.CLINICIAN)).get(
        reverse("patients:patient-detail", kwargs={"code": objects["patient"].code})
    )
    shown = OPEN.leaks(body_of(chart))
    assert {OPEN.given_name, OPEN.mrn_prefix, "23 Nov 1952"} <= set(shown)
