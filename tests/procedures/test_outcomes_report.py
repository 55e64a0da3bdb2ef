"""The outcomes report: per procedure (and operator), shares reaching 30% and 50% reduction."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction, AccessLog
from procedures import selectors
from procedures.models import ProcedureRecord
from tests.assessments.helpers import record as record_assessment
from tests.conftest import client_for, make_user
from tests.patients.helpers import make_patient
from tests.procedures.helpers import perform, procedure_type

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)
# Session (read, then touched in a savepoint: 4), user, two-factor device, roles, unread
# notifications, the procedures of the filter, then the report: procedures counted, follow-up
# points counted, complications counted and (by operator) the operators' names.
REPORT_QUERIES = 13


@pytest.fixture(autouse=True)
def now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def measured(record: ProcedureRecord, baseline: str, *pains: str | None) -> ProcedureRecord:
    """Pain snapshots as the services keep them from the assessments app."""
    record.baseline_pain = Decimal(baseline)
    record.save(update_fields=["baseline_pain"])
    for follow_up, pain in zip(record.follow_ups.order_by("day"), pains, strict=False):
        follow_up.pain = None if pain is None else Decimal(pain)
        follow_up.save(update_fields=["pain"])
    return record


@pytest.fixture
def operators(clinician: User) -> tuple[User, User]:
    return clinician, make_user(Role.CLINICIAN, first_name="Bola", last_name="Okoro")


@pytest.fixture
def records(operators: tuple[User, User]) -> list[ProcedureRecord]:
    first, second = operators
    neurolysis = [
        # baseline 8: day 1 → 50%, day 14 → 25%, day 42 unmeasured
        measured(perform(first, operator=first), "8", "4", "6", None),
        # baseline 6: 33%, 50%, 67%
        measured(perform(first, operator=second), "6", "4", "3", "2"),
        # no baseline: nothing measured
        measured(perform(second, operator=second), "0", "3", "3", "3"),
    ]
    block = perform(first, procedure_type=procedure_type("Intercostal nerve block"))
    block.had_complications = True
    block.complications = [{"description": "Pneumothorax", "severity": "severe"}]
    block.save(update_fields=["had_complications", "complications"])
    return [*neurolysis, block]


def test_the_report_counts_procedures_and_shares_by_follow_up_point(
    records: list[ProcedureRecord],
) -> None:
    rows = {row.procedure_type: row for row in selectors.outcomes_report()}

    neurolysis = rows["Celiac plexus neurolysis"]
    assert (neurolysis.performed, neurolysis.with_complications) == (3, 0)
    day1, day14, day42 = neurolysis.point_list
    assert (day1.day, day1.due, day1.measured, day1.reached) == (1, 3, 2, {30: 2, 50: 1})
    assert (day1.share_30, day1.share_50) == (Decimal(100), Decimal(50))
    assert (day14.measured, day14.reached) == (2, {30: 1, 50: 1})
    assert (day42.measured, day42.reached, day42.share_50) == (1, {30: 1, 50: 1}, Decimal(100))
    block = rows["Intercostal nerve block"]
    assert (block.performed, block.with_complications, dict(block.complications)) == (
        1,
        1,
        {"severe": 1},
    )
    assert [point.measured for point in block.point_list] == [0, 0]


def test_a_reduction_counts_only_when_it_reaches_the_threshold_and_worse_pain_counts_as_measured(
    clinician: User,
) -> None:
    # 6.7 → 4.7 is a 29.9 % reduction (outcomes.reduction_percent): measured, below 30 %.
    # 10 → 7 is exactly 30 %; 4 → 6 is worse (-50 %): measured, no threshold reached.
    for baseline, pain in (("6.7", "4.7"), ("10", "7"), ("4", "6")):
        measured(perform(clinician), baseline, pain)

    (row,) = selectors.outcomes_report()

    day1 = row.point_list[0]
    assert (day1.due, day1.measured, day1.reached) == (3, 3, {30: 1, 50: 0})


def test_each_complication_of_a_record_counts_under_its_severity(clinician: User) -> None:
    record = perform(clinician)
    record.had_complications = True
    record.complications = [
        {"description": "Hypotension", "severity": "mild"},
        {"description": "Vasovagal episode", "severity": "mild"},
        {"description": "Not graded"},
    ]
    record.save(update_fields=["had_complications", "complications"])
    perform(clinician)  # without complications

    (row,) = selectors.outcomes_report()

    assert (row.performed, row.with_complications) == (2, 1)
    assert dict(row.complications) == {"mild": 2, "": 1}


def test_the_report_groups_by_operator(records: list[ProcedureRecord], operators: Any) -> None:
    rows = selectors.outcomes_report(by_operator=True)

    # The operator is who performed it; rows are sorted by procedure, then operator.
    assert [(r.procedure_type, r.operator, r.performed) for r in rows] == [
        ("Celiac plexus neurolysis", "Bola Okoro", 1),
        ("Celiac plexus neurolysis", operators[0].display_name, 2),
        ("Intercostal nerve block", operators[0].display_name, 1),
    ]


def test_the_report_filters_by_date_and_procedure(records: list[ProcedureRecord], now: Any) -> None:
    now.move_to(NOW + dt.timedelta(days=10))
    perform(records[0].performed_by)

    later = selectors.outcomes_report(date_from=dt.date(2026, 3, 20))
    earlier = selectors.outcomes_report(date_to=dt.date(2026, 3, 16))
    only = selectors.outcomes_report(procedure_type=procedure_type("Intercostal nerve block"))

    assert [(r.procedure_type, r.performed) for r in later] == [("Celiac plexus neurolysis", 1)]
    assert sum(r.performed for r in earlier) == 4
    assert [r.procedure_type for r in only] == ["Intercostal nerve block"]


def test_the_report_measures_from_recorded_assessments(clinician: User, now: Any) -> None:
    patient = make_patient(by=clinician)
    record_assessment(
        patient, by=clinician, at=NOW - dt.timedelta(hours=2), instruments={"nrs": {"score": 8}}
    )
    record = perform(clinician, patient)
    now.move_to(NOW + dt.timedelta(days=1))
    record_assessment(
        patient,
        by=clinician,
        instruments={"nrs": {"score": 5}},
        context="post_procedure",
        follow_up_code=record.follow_ups.get(day=1).code,
    )

    (row,) = selectors.outcomes_report()

    assert (row.point_list[0].measured, row.point_list[0].reached) == (1, {30: 1, 50: 0})


def test_the_page_groups_each_procedure_s_follow_up_points_and_escapes_names(
    records: list[ProcedureRecord], clinician: User, operators: Any
) -> None:
    operator = operators[1]
    operator.last_name = "<Okoro>"
    operator.save(update_fields=["last_name"])

    text = (
        client_for(clinician).get(reverse("procedures:outcomes-report"), {"by_operator": "on"}).text
    )

    body = text.split("<tbody>")[1].split("</tbody>")[0]
    assert "<Okoro>" not in body and "Bola &lt;Okoro&gt;" in body
    # The neurolysis has three follow-up points: its cells span three rows, one per point.
    neurolysis = body.split('<tr class="border-top">')[1]
    assert neurolysis.count('rowspan="3"') == 4  # procedure, operator, performed, complications
    assert neurolysis.count("<tr>") == 2
    assert "Reassessment" in neurolysis and "day 14" in neurolysis
    assert "0 / 1" in neurolysis  # his one procedure had no baseline: nothing measured


def test_the_page_shows_the_report_with_a_fixed_number_of_queries(
    records: list[ProcedureRecord], clinician: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(clinician)

    with django_assert_max_num_queries(REPORT_QUERIES):
        response = client.get(reverse("procedures:outcomes-report"))
    with django_assert_max_num_queries(REPORT_QUERIES):
        by_operator = client.get(reverse("procedures:outcomes-report"), {"by_operator": "on"})

    assert response.status_code == by_operator.status_code == 200
    assert "Celiac plexus neurolysis" in response.text
    assert "2 / 3" in response.text
    assert "1 severe" in response.text
    assert "Bola Okoro" in by_operator.text


def test_the_report_queries_do_not_grow_with_the_data(
    records: list[ProcedureRecord], clinician: User, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        perform(clinician, procedure_type=procedure_type("Stellate ganglion block"))
    client = client_for(clinician)

    with django_assert_max_num_queries(REPORT_QUERIES):
        client.get(reverse("procedures:outcomes-report"))


def test_an_empty_period_says_so(clinician: User) -> None:
    response = client_for(clinician).get(reverse("procedures:outcomes-report"))

    assert "No procedure was performed in this period." in response.text


def test_a_range_that_ends_before_it_starts_is_an_error(clinician: User) -> None:
    response = client_for(clinician).get(
        reverse("procedures:outcomes-report"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )

    assert "The end is before the start." in response.text


def test_the_csv_download_is_logged_as_an_export(
    records: list[ProcedureRecord], coordinator: User
) -> None:
    response = client_for(coordinator).get(
        reverse("procedures:outcomes-export"), {"date_from": "2026-03-01"}
    )

    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == selectors.OUTCOME_CSV_HEADER
    assert lines[1][:3] == ["Celiac plexus neurolysis", "", "3"]
    assert lines[1][7:] == ["1", "Phone check", "3", "2", "2", "100", "1", "50"]
    assert len(lines) == 1 + 3 + 2
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert entry.actor == coordinator
    assert "date_from=2026-03-01" in entry.note


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    row = selectors.OutcomeRow(procedure_type="=HYPERLINK(1)", operator="@x")

    line = selectors.outcome_csv_rows([row])[0]

    assert line[:2] == ["'=HYPERLINK(1)", "'@x"]
