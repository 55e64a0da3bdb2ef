"""Finding a patient: accents, case, typos, prefixes, exact MRN; filters, sorting, pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from patients import selectors
from patients.models import Patient, PatientStatus
from tests.conftest import client_for, make_user
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

# The patient list's queries whatever the number of patients: session (read and touched), user,
# two-factor device, roles, unread notifications, the similarity setting, the count, the page
# (primary clinicians joined) and the clinicians of the filter (count and rows).
LIST_QUERIES = 13


def names(patients: Any) -> list[str]:
    return [p.family_name for p in patients]


@pytest.fixture
def clinic(clinician: User) -> dict[str, Patient]:
    return {
        "johnson": make_patient(given_name="Mary", family_name="Johnson", mrn="A-100"),
        "nunez": make_patient(given_name="José", family_name="Núñez", mrn="A-200"),
        "muller": make_patient(given_name="Jürgen", family_name="Müller", mrn="A-300"),
        "smith": make_patient(given_name="Anna", family_name="Smith", mrn="A-400"),
        "jones": make_patient(given_name="Peter", family_name="Jones", mrn="B-500"),
    }


def search(user: User, query: str, **filters: Any) -> list[Patient]:
    return list(selectors.patient_search(user=user, query=query, **filters))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("Nunez", "Núñez", id="without-accents"),
        pytest.param("NÚÑEZ", "Núñez", id="upper-case-with-accents"),
        pytest.param("jose", "Núñez", id="given-name-without-accent"),
        pytest.param("muller", "Müller", id="umlaut-dropped"),
        pytest.param("Jonhson", "Johnson", id="swapped-letters"),
        pytest.param("Jonson", "Johnson", id="missing-letter"),
        pytest.param("Smiht", "Smith", id="swapped-last-letters"),
        pytest.param("joh", "Johnson", id="three-letter-prefix"),
        pytest.param("mull", "Müller", id="four-letter-prefix"),
        pytest.param("mary johnson", "Johnson", id="given-and-family"),
    ],
)
def test_it_finds_a_patient_by_part_or_misspelling_of_the_name(
    clinician: User, clinic: dict[str, Patient], query: str, expected: str
) -> None:
    results = search(clinician, query)

    assert results, f"nothing found for {query!r}"
    assert results[0].family_name == expected


def test_the_closest_name_comes_first(clinician: User, clinic: dict[str, Patient]) -> None:
    results = names(search(clinician, "Jonhson"))

    assert results[0] == "Johnson"
    assert "Smith" not in results


def test_an_unrelated_name_does_not_match(clinician: User, clinic: dict[str, Patient]) -> None:
    assert search(clinician, "Zimmermann") == []


def test_an_exact_mrn_matches_whatever_its_case_and_ranks_first(
    clinician: User, clinic: dict[str, Patient]
) -> None:
    assert search(clinician, " a-300 ")[0] == clinic["muller"]


def test_a_partial_mrn_does_not_match(clinician: User, clinic: dict[str, Patient]) -> None:
    assert search(clinician, "A-30") == []


def test_it_filters_by_status_and_primary_clinician(
    clinician: User, clinic: dict[str, Patient]
) -> None:
    other = make_user(Role.CLINICIAN)
    followed = make_patient(
        given_name="Maria",
        family_name="Johnsen",
        primary_clinician=other,
        status=PatientStatus.DISCHARGED,
    )

    assert search(clinician, "johns", clinician=other) == [followed]
    assert search(clinician, "johns", status=PatientStatus.ACTIVE) == [clinic["johnson"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Johnson", "Jones", "Müller", "Núñez", "Smith"]),
        ("mrn", ["Johnson", "Núñez", "Müller", "Smith", "Jones"]),
        ("updated", ["Jones", "Smith", "Müller", "Núñez", "Johnson"]),
    ],
)
def test_it_sorts_by_name_mrn_or_last_update(
    clinician: User, clinic: dict[str, Patient], sort: str, expected: list[str]
) -> None:
    assert names(search(clinician, "", sort=sort)) == expected


def test_restricted_records_of_others_are_not_found(
    clinician: User, coordinator: User, clinic: dict[str, Patient]
) -> None:
    hidden = make_patient(
        by=clinician,
        given_name="Rita",
        family_name="Restricted",
        restricted=True,
        primary_clinician=clinician,
    )

    assert search(clinician, "restricted") == [hidden]
    assert search(coordinator, "restricted") == []
    assert search(coordinator, hidden.mrn) == []


def test_a_care_team_member_finds_the_restricted_record(clinician: User, coordinator: User) -> None:
    hidden = make_patient(
        by=clinician,
        family_name="Restricted",
        restricted=True,
        primary_clinician=clinician,
        care_team=[coordinator],
    )

    assert search(coordinator, "restricted") == [hidden]


def test_admins_find_nobody(admin: User, clinic: dict[str, Patient]) -> None:
    assert search(admin, "") == []


# --- the page ------------------------------------------------------------------------------------


def test_the_page_lists_matches_and_offers_registration_when_there_are_none(
    clinician: User, clinic: dict[str, Patient]
) -> None:
    client = client_for(clinician)

    found = client.get(reverse("patients:patient-list"), {"q": "Jonhson"})
    empty = client.get(reverse("patients:patient-list"), {"q": "Zimmermann"})

    assert "JOHNSON, Mary" in found.text
    assert "No patient matches “Zimmermann”" in empty.text
    assert reverse("patients:patient-create") in empty.text


def test_htmx_gets_the_results_only(clinician: User, clinic: dict[str, Patient]) -> None:
    response = client_for(clinician).get(
        reverse("patients:patient-list"), {"q": "smith"}, headers={"HX-Request": "true"}
    )

    assert "SMITH, Anna" in response.text
    assert "<form" not in response.text


def test_the_page_has_25_patients_a_page(clinician: User) -> None:
    for number in range(30):
        make_patient(family_name=f"Page{number:02d}")
    client = client_for(clinician)

    first = client.get(reverse("patients:patient-list"), {"sort": "name"})
    second = client.get(reverse("patients:patient-list"), {"sort": "name", "page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "sort=name&amp;page=2" in first.text


def _count_list_queries(user: User, query: str) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("patients:patient-list"), {"q": query})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "pat"])
def test_the_list_runs_the_same_queries_for_3_or_60_patients(
    clinician: User, query: str, django_assert_max_num_queries: Any
) -> None:
    followed_by = make_user(Role.CLINICIAN)
    for number in range(3):
        make_patient(family_name=f"Patient{number}", primary_clinician=followed_by)
    few = _count_list_queries(clinician, query)
    for number in range(57):
        make_patient(
            family_name=f"Patient{number}x",
            primary_clinician=make_user(Role.CLINICIAN),
            date_of_birth=dt.date(1950, 1, 1),
        )

    many = _count_list_queries(clinician, query)

    assert few == many
    client = client_for(clinician)
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(reverse("patients:patient-list"), {"q": query})
