"""Pain intensity over time, latest scores with their changes, and worsening pain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from assessments import selectors, services
from assessments.selectors import PainPoint
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from patients.models import Patient
from tests.assessments.helpers import answers, record, record_pain
from tests.conftest import make_user
from tests.patients.helpers import make_patient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def now() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


# --- pain intensity (the contract with procedures and meetings) -----------------------------------


def test_the_series_is_oldest_first_with_its_source_and_without_entries_in_error(
    clinician: User, patient: Patient
) -> None:
    first = record_pain(patient, 6, at=days_ago(10), by=clinician)
    wrong = record_pain(patient, 9, at=days_ago(5), by=clinician)
    latest = record(patient, at=days_ago(1), instruments={"bpi": answers("bpi", average=3)})
    record(patient, at=days_ago(2), instruments={"phq9": answers("phq9")})  # no pain score
    services.assessment_mark_in_error(by=clinician, assessment=wrong, reason="Wrong patient")

    series = selectors.pain_intensity_series(patient)

    assert series == [
        PainPoint(first.assessed_at, Decimal("6.00"), "nrs", first.code),
        PainPoint(latest.assessed_at, Decimal("3.00"), "bpi_average", latest.code),
    ]


def test_the_series_since_a_moment_starts_at_the_latest_score_at_or_before_it(
    patient: Patient,
) -> None:
    record_pain(patient, 8, at=days_ago(30))
    baseline = record_pain(patient, 7, at=days_ago(10))
    after = record_pain(patient, 3, at=days_ago(2))

    series = selectors.pain_intensity_series(patient, since=days_ago(5))
    at_the_moment = selectors.pain_intensity_series(patient, since=days_ago(10))
    before_any = selectors.pain_intensity_series(patient, since=days_ago(40))

    assert [p.assessment_code for p in series] == [baseline.code, after.code]
    assert [p.assessment_code for p in at_the_moment] == [baseline.code, after.code]
    assert before_any == selectors.pain_intensity_series(patient)  # no score before: all after
    assert len(before_any) == 3


def test_pain_before_a_moment_is_the_latest_at_or_before_it(patient: Patient) -> None:
    record_pain(patient, 6, at=days_ago(10))
    at_moment = record_pain(patient, 4, at=days_ago(5))
    record_pain(patient, 2, at=days_ago(1))

    point = selectors.pain_intensity_before(patient, days_ago(5))

    assert point is not None and point.assessment_code == at_moment.code
    assert selectors.pain_intensity_before(patient, days_ago(11)) is None


def test_pain_between_two_moments_includes_both_ends(patient: Patient) -> None:
    record_pain(patient, 6, at=days_ago(10))
    start = record_pain(patient, 5, at=days_ago(8))
    end = record_pain(patient, 4, at=days_ago(4))
    record_pain(patient, 3, at=days_ago(1))

    points = selectors.pain_intensity_between(patient, days_ago(8), days_ago(4))

    assert [p.assessment_code for p in points] == [start.code, end.code]


def test_pain_reads_run_one_query_each(patient: Patient, django_assert_num_queries: object) -> None:
    for day in range(5):
        record_pain(patient, day, at=days_ago(day + 1))

    with django_assert_num_queries(1):  # type: ignore[operator]
        selectors.pain_intensity_series(patient)
    with django_assert_num_queries(1):  # type: ignore[operator]
        selectors.pain_intensity_series(patient, since=days_ago(2))
    with django_assert_num_queries(1):  # type: ignore[operator]
        selectors.pain_intensity_before(patient, NOW)
    with django_assert_num_queries(1):  # type: ignore[operator]
        selectors.pain_intensity_between(patient, days_ago(3), NOW)


# --- clinically important change -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "previous", "current", "badge"),
    [
        (
            "nrs",
            Decimal(4),
            Decimal(7),
            '<span class="change change--worse" title="from 4 — clinically important worsening">'
            '↑&#8239;+3<span class="visually-hidden"> (clinically important worsening)</span>'
            "</span>",
        ),
        (
            "nrs",
            Decimal("6.5"),
            Decimal(4),
            '<span class="change change--better" title="from 6.5 — clinically important '
            'improvement">↓&#8239;\u22122.5<span class="visually-hidden"> (clinically important '
            "improvement)</span></span>",
        ),
        (
            "nrs",
            Decimal(5),
            Decimal(5),
            '<span class="change" title="from 5">→&#8239;0<span class="visually-hidden"></span>'
            "</span>",
        ),
    ],
)
def test_a_change_badge_says_which_way_by_how_much_and_whether_it_matters(
    instrument: str, previous: Decimal, current: Decimal, badge: str
) -> None:
    from assessments.templatetags.assessments_tags import change_badge

    change = selectors.change_of(instrument, current, previous, pain=True)

    assert change_badge(change) == badge
    assert change_badge(None) == ""  # no earlier score to compare with


@pytest.mark.parametrize(
    ("previous", "current", "important"),
    [
        (Decimal(5), Decimal(7), True),  # 2 points
        (Decimal(5), Decimal(6), False),  # 1 point, 20 %
        (Decimal(3), Decimal(4), True),  # 1 point, 33 %
        (Decimal(8), Decimal(6), True),  # a fall counts too
        (Decimal(0), Decimal(1), False),  # 30 % of 0 is undefined: 1 point is not important
        (Decimal(4), Decimal(4), False),
        (Decimal(10), Decimal(7), True),  # 3 points
        (Decimal(10), Decimal(8), True),  # 2 points
        (Decimal(10), Decimal(9), False),  # 10 %
    ],
)
def test_an_important_change_is_2_points_or_30_percent(
    previous: Decimal, current: Decimal, important: bool
) -> None:
    assert selectors.pain_change_is_important(previous, current) is important


def test_a_change_says_which_way_is_worse() -> None:
    worse_pain = selectors.change_of("nrs", Decimal(7), Decimal(4), pain=True)
    better_kps = selectors.change_of("kps", Decimal(70), Decimal(50))

    assert worse_pain is not None and worse_pain.tone == "worse" and worse_pain.delta == 3
    assert better_kps is not None and better_kps.better and better_kps.tone == ""
    assert selectors.change_of("nrs", Decimal(3), None) is None


# --- latest scores -------------------------------------------------------------------------------


def test_latest_scores_compare_each_instrument_with_its_previous_answer(
    patient: Patient, django_assert_num_queries: object
) -> None:
    record(
        patient,
        at=days_ago(20),
        instruments={"bpi": answers("bpi", average=3), "phq9": answers("phq9")},
    )
    record(patient, at=days_ago(10), instruments={"esas_r": answers("esas_r")})
    record(
        patient,
        at=days_ago(1),
        instruments={"bpi": answers("bpi", average=7), "phq9": answers("phq9", q1=3, q9=1)},
    )

    with django_assert_num_queries(1):  # type: ignore[operator]
        latest = selectors.latest_scores(patient)

    assert latest.pain is not None and latest.pain.value == 7
    assert latest.pain_change is not None and latest.pain_change.tone == "worse"
    by_code = latest.by_instrument
    assert list(by_code) == ["bpi", "esas_r", "phq9"]
    phq9 = by_code["phq9"]
    assert phq9.total == 11 and phq9.change is not None and phq9.change.delta == 3
    assert by_code["esas_r"].change is None  # only one ESAS-r so far
    assert latest.self_harm is by_code["phq9"]
    assert [s.label for s in latest.severe_symptoms] == ["tiredness (lack of energy)"]
    assert not latest.severe_pain_twice


def test_a_later_phq9_without_item_9_clears_the_banner(patient: Patient) -> None:
    record(patient, at=days_ago(5), instruments={"phq9": answers("phq9", q9=2)})
    record(patient, at=days_ago(1), instruments={"phq9": answers("phq9", q9=0)})

    assert selectors.latest_scores(patient).self_harm is None


def test_severe_pain_on_two_consecutive_assessments_is_flagged(patient: Patient) -> None:
    record_pain(patient, 7, at=days_ago(8))
    record_pain(patient, 8, at=days_ago(1))

    assert selectors.latest_scores(patient).severe_pain_twice


def test_severe_pain_once_is_not_flagged_twice(patient: Patient) -> None:
    record_pain(patient, 6, at=days_ago(8))
    record_pain(patient, 9, at=days_ago(1))

    assert not selectors.latest_scores(patient).severe_pain_twice


def test_a_patient_without_assessments_has_no_scores(patient: Patient) -> None:
    latest = selectors.latest_scores(patient)

    assert latest.pain is None and latest.lines == () and not latest.has_alerts


# --- worsening pain ------------------------------------------------------------------------------


def worsening(user: User, **kwargs: object) -> dict[str, str]:
    rows = selectors.patients_with_worsening_pain(user=user, **kwargs)  # type: ignore[arg-type]
    return {row.patient.family_name: row.reason for row in rows}


def test_it_lists_severe_twice_and_important_rises_only(clinician: User) -> None:
    cases = {
        "Severe": (7, 7),
        "RiseTwo": (3, 5),
        "RiseThirty": (3, 4),
        "Steady": (5, 5),
        "Better": (8, 5),
        "SmallRise": (6, 7),
        "Once": (5,),
    }
    for name, values in cases.items():
        patient = make_patient(by=clinician, family_name=name)
        for index, value in enumerate(values):
            record_pain(patient, value, at=days_ago(10 - index))

    assert worsening(clinician) == {
        "Severe": "severe_twice",
        "RiseTwo": "rise",
        "RiseThirty": "rise",
    }


def test_it_compares_only_the_two_latest_assessments(clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Recovered")
    for index, value in enumerate((2, 8, 8, 5)):
        record_pain(patient, value, at=days_ago(10 - index))

    assert worsening(clinician) == {}


def test_entries_in_error_do_not_count(clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Mistake")
    record_pain(patient, 3, at=days_ago(3))
    wrong = record_pain(patient, 9, at=days_ago(1))
    services.assessment_mark_in_error(by=clinician, assessment=wrong, reason="Typo")

    assert worsening(clinician) == {}


def test_old_news_and_inactive_patients_are_left_out(clinician: User) -> None:
    old = make_patient(by=clinician, family_name="Old")
    record_pain(old, 3, at=days_ago(200))
    record_pain(old, 8, at=days_ago(190))
    gone = make_patient(by=clinician, family_name="Discharged", status="discharged")
    record_pain(gone, 3, at=days_ago(3))
    record_pain(gone, 8, at=days_ago(1))

    assert worsening(clinician) == {}
    assert worsening(clinician, within_days=None) == {"Old": "rise"}


def test_the_previous_assessment_may_be_older_than_the_window(clinician: User) -> None:
    patient = make_patient(by=clinician, family_name="Returning")
    record_pain(patient, 3, at=days_ago(120))
    record_pain(patient, 8, at=days_ago(2))

    assert worsening(clinician, within_days=14) == {"Returning": "rise"}


def test_restricted_records_of_others_are_not_listed(clinician: User) -> None:
    owner = make_user(Role.CLINICIAN)
    hidden = make_patient(by=owner, family_name="Hidden", restricted=True, primary_clinician=owner)
    record_pain(hidden, 2, at=days_ago(3), by=owner)
    record_pain(hidden, 9, at=days_ago(1), by=owner)

    assert worsening(clinician) == {}
    assert worsening(owner) == {"Hidden": "rise"}


def test_worsening_pain_is_newest_first_and_limited(
    clinician: User, django_assert_num_queries: object
) -> None:
    for number in range(5):
        patient = make_patient(by=clinician, family_name=f"P{number}")
        record_pain(patient, 2, at=days_ago(20))
        record_pain(patient, 9, at=days_ago(10 - number))

    assert clinician.roles  # read once per request (the navigation reads it first)
    with django_assert_num_queries(1):  # type: ignore[operator]
        rows = selectors.patients_with_worsening_pain(user=clinician, limit=3)

    assert [row.patient.family_name for row in rows] == ["P4", "P3", "P2"]
    assert rows[0].previous.value == 2 and rows[0].latest.value == 9


def test_coordinators_see_worsening_pain_and_admins_nothing(
    clinician: User, coordinator: User, admin: User
) -> None:
    patient = make_patient(by=clinician, family_name="Rising")
    record_pain(patient, 2, at=days_ago(3))
    record_pain(patient, 6, at=days_ago(1))

    assert worsening(coordinator) == {"Rising": "rise"}
    assert worsening(admin) == {}
