"""Measurable goals: tied to an instrument item, drawn on the chart, reviewed with an outcome."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import chart, selectors, services
from assessments.models import GoalMeasure, GoalReview
from clinic.accounts.models import User
from patients.models import Goal, GoalStatus, Patient
from tests.assessments.helpers import answers, record
from tests.conftest import client_for
from tests.patients.helpers import add_goal, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician)


def walking_goal(patient: Patient, by: User) -> Goal:
    return services.goal_create_measured(
        by=by,
        patient=patient,
        patient_words="Walk to the shops",
        measure="bpi.walking",
        comparison="at_most",
        target=Decimal(3),
        baseline=Decimal(7),
    )


def test_a_goal_is_tied_to_an_instrument_item(clinician: User, patient: Patient) -> None:
    goal = walking_goal(patient, clinician)

    assert goal.patient == patient
    assert goal.measure == "BPI interference: walking ability ≤ 3"
    assert (goal.baseline, goal.target) == (Decimal(7), Decimal(3))
    link = GoalMeasure.objects.get(goal=goal)
    assert (link.measure, link.comparison, link.created_by) == ("bpi.walking", "at_most", clinician)


@pytest.mark.parametrize(
    ("measure", "target", "field"),
    [("bpi.nothing", Decimal(3), "measure"), ("bpi.walking", Decimal(11), "target")],
)
def test_a_goal_needs_a_known_measure_and_a_target_on_its_scale(
    clinician: User, patient: Patient, measure: str, target: Decimal, field: str
) -> None:
    with pytest.raises(services.AssessmentInvalid) as raised:
        services.goal_create_measured(
            by=clinician,
            patient=patient,
            patient_words="Sleep",
            measure=measure,
            comparison="at_most",
            target=target,
        )

    assert field in raised.value.field_errors
    assert not Goal.objects.exists()


def test_progress_follows_the_measure_over_time(clinician: User, patient: Patient) -> None:
    goal = walking_goal(patient, clinician)
    now = timezone.now()
    record(patient, at=now - dt.timedelta(days=20), instruments={"bpi": answers("bpi", walking=7)})
    record(patient, at=now - dt.timedelta(days=10), instruments={"phq9": answers("phq9")})
    record(patient, at=now - dt.timedelta(days=1), instruments={"bpi": answers("bpi", walking=3)})
    add_goal(patient)  # a goal without an instrument

    progress = {p.goal.pk: p for p in selectors.goals_with_progress(patient)}

    walking = progress[goal.pk]
    assert [value for _at, value in walking.values] == [Decimal(7), Decimal(3)]
    assert walking.latest == 3 and walking.reached and walking.symbol == "≤"
    assert selectors.goal_latest_value(Goal.objects.get(pk=goal.pk)) == Decimal(3)
    plain = next(p for p in progress.values() if p.goal.pk != goal.pk)
    assert plain.measure is None and plain.values == ()


def test_the_chart_draws_the_target_and_the_measure(clinician: User, patient: Patient) -> None:
    walking_goal(patient, clinician)
    record(patient, instruments={"bpi": answers("bpi", walking=5)})

    panels, _start, _end = chart.story_panels(selectors.story(patient))

    pain = panels[0]
    target = next(s for s in pain.series if s.line == chart.TARGET)
    assert target.label == "Goal: BPI interference: walking ability ≤ 3"
    assert {value for _m, value in target.points} == {3.0}
    measured = next(s for s in pain.series if s.key == "goal" and not s.line)
    assert [value for _m, value in measured.points] == [Decimal(5)]


def test_a_goal_on_a_questionnaire_total_goes_to_the_symptom_panel(
    clinician: User, patient: Patient
) -> None:
    services.goal_create_measured(
        by=clinician,
        patient=patient,
        patient_words="Feel like myself",
        measure="phq9.total",
        comparison="at_most",
        target=Decimal(5),
    )
    record(patient, instruments={"phq9": answers("phq9")})

    panels, _start, _end = chart.story_panels(selectors.story(patient))

    assert any(s.line == chart.TARGET for s in panels[1].series)
    assert not any(s.key == "goal" for s in panels[0].series)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("achieved", GoalStatus.ACHIEVED),
        ("partly_achieved", GoalStatus.PARTLY_ACHIEVED),
        ("not_achieved", GoalStatus.NOT_ACHIEVED),
    ],
)
def test_a_review_records_the_outcome_and_sets_the_goals_status(
    clinician: User, patient: Patient, outcome: str, status: str
) -> None:
    goal = walking_goal(patient, clinician)

    review = services.goal_review(
        by=clinician, goal=goal, outcome=outcome, note="Walked halfway", value_at_review=Decimal(4)
    )

    assert (review.outcome, review.note, review.reviewed_by) == (
        outcome,
        "Walked halfway",
        clinician,
    )
    assert review.value_at_review == 4
    assert Goal.objects.get(pk=goal.pk).status == status


def test_a_goal_in_error_cannot_be_reviewed(clinician: User, patient: Patient) -> None:
    from patients import services as patient_services

    goal = patient_services.entry_mark_in_error(
        by=clinician, entry=walking_goal(patient, clinician), reason="Duplicate"
    )

    with pytest.raises(services.AssessmentError):
        services.goal_review(by=clinician, goal=goal, outcome="achieved")


def test_the_goal_pages_create_and_review(clinician: User, patient: Patient) -> None:
    client = client_for(clinician)
    create = reverse("assessments:goal-create", kwargs={"patient_code": patient.code})

    response = client.post(
        create,
        {
            "patient_words": "Sleep through the night",
            "measure": "bpi.sleep",
            "comparison": "at_most",
            "target": "2",
            "baseline": "8",
        },
    )

    assert response.status_code == 302
    goal = Goal.objects.get(patient=patient)
    record(patient, instruments={"bpi": answers("bpi", sleep=2)})
    review = reverse(
        "assessments:goal-review", kwargs={"patient_code": patient.code, "goal_code": goal.code}
    )
    page = client.get(review).content.decode()
    assert "Latest measured value:" in page and "<strong>2</strong>" in page

    response = client.post(review, {"outcome": "achieved", "note": "Sleeps 7 hours"})

    assert response.status_code == 302
    saved = GoalReview.objects.get(goal=goal)
    assert (saved.outcome, saved.value_at_review) == ("achieved", Decimal(2))
    chart_page = client.get(
        reverse("assessments:story-chart", kwargs={"patient_code": patient.code})
    ).content.decode()
    assert "Sleeps 7 hours" in chart_page and "target reached" in chart_page


def test_a_review_without_an_outcome_is_refused(clinician: User, patient: Patient) -> None:
    goal = walking_goal(patient, clinician)
    review = reverse(
        "assessments:goal-review", kwargs={"patient_code": patient.code, "goal_code": goal.code}
    )

    response = client_for(clinician).post(review, {"note": "?"})

    assert response.status_code == 200
    assert not GoalReview.objects.exists()


def test_another_patients_goal_is_not_found(clinician: User, patient: Patient) -> None:
    other = make_patient(by=clinician)
    goal = walking_goal(other, clinician)
    review = reverse(
        "assessments:goal-review", kwargs={"patient_code": patient.code, "goal_code": goal.code}
    )

    assert client_for(clinician).get(review).status_code == 404


def test_the_story_page_lists_a_goals_reviews_and_the_embedded_figure_reads_none(
    clinician: User, patient: Patient
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    goal = walking_goal(patient, clinician)
    services.goal_review(by=clinician, goal=goal, outcome="partly_achieved", note="Walked halfway")
    record(patient)
    client = client_for(clinician)
    url = reverse("assessments:story-chart", kwargs={"patient_code": patient.code})

    with CaptureQueriesContext(connection) as page_queries:
        page = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as figure_queries:
        figure = client.get(url, headers={"HX-Request": "true"}).content.decode()

    assert "Walked halfway" in page and "Partly achieved" in page
    assert "Walked halfway" not in figure  # the figure shows the goal's line, not its table
    reviews = [q for q in figure_queries.captured_queries if "goalreview" in q["sql"]]
    assert reviews == [] and len(figure_queries) < len(page_queries)
