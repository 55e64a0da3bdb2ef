"""The list, detail and story chart pages: what they show, the access log, the patient's scope,
and a fixed number of queries whatever the history length."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, InstrumentResponse, PainSource
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessAction, AccessLog
from patients.models import Patient
from tests.assessments.helpers import answers, record, record_pain
from tests.conftest import client_for, make_user
from tests.patients.helpers import add_medication, add_oncology_event, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician: User) -> Patient:
    return make_patient(by=clinician, primary_clinician=clinician)


def list_url(patient: Patient) -> str:
    return reverse("assessments:assessment-list", kwargs={"patient_code": patient.code})


def chart_url(patient: Patient) -> str:
    return reverse("assessments:story-chart", kwargs={"patient_code": patient.code})


def detail_url(assessment: Assessment) -> str:
    return reverse("assessments:assessment-detail", kwargs={"code": assessment.code})


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def full_history(patient: Patient, count: int, *, by: User) -> None:
    """`count` assessments with the default instruments, straight into the tables (fast)."""
    start = timezone.now() - dt.timedelta(days=count * 3 + 1)
    assessments = Assessment.objects.bulk_create(
        Assessment(
            patient=patient,
            assessed_at=start + dt.timedelta(days=3 * n),
            assessed_by=by,
            created_by=by,
            context="review",
            pain_intensity=Decimal(n % 11),
            pain_source=PainSource.BPI_AVERAGE,
        )
        for n in range(count)
    )
    responses = []
    for n, assessment in enumerate(assessments):
        bpi = answers("bpi", average=n % 11, worst=10, least=0)
        for code, given in (("bpi", bpi), ("esas_r", answers("esas_r")), ("phq9", answers("phq9"))):
            values = services._response_values(
                code, given, services.instruments_score({code: given}).scores[code]
            )
            responses.append(InstrumentResponse(assessment=assessment, **values))
        values = services._response_values(
            "gad7",
            answers("gad7"),
            services.instruments_score({"gad7": answers("gad7")}).scores["gad7"],
        )
        responses.append(InstrumentResponse(assessment=assessment, **values))
    InstrumentResponse.objects.bulk_create(responses)


def count_queries(client: Any, url: str) -> int:
    client.get(url)  # a first request of a session does a little more (last login, session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_scores_with_their_changes(clinician: User, patient: Patient) -> None:
    record(
        patient, at=ago(20), instruments={"bpi": answers("bpi", average=4), "phq9": answers("phq9")}
    )
    record(
        patient,
        at=ago(10),
        instruments={"bpi": answers("bpi", average=7), "phq9": answers("phq9", q1=3)},
    )
    record(patient, at=ago(1), instruments={"bpi": answers("bpi", average=6)})

    html = client_for(clinician).get(list_url(patient)).content.decode()

    # 4 → 7 is a clinically important worsening; 7 → 6 a small improvement.
    assert 'class="change change--worse"' in html and "↑&#8239;+3" in html
    assert "↓&#8239;\u22121" in html  # a typographic minus
    # PHQ-9 went from 8 to 10.
    assert "↑&#8239;+2" in html


def test_the_list_strikes_entries_in_error_only_when_asked(
    clinician: User, patient: Patient
) -> None:
    wrong = record_pain(patient, 9, at=ago(2))
    services.assessment_mark_in_error(by=clinician, assessment=wrong, reason="Typo")
    client = client_for(clinician)

    assert "entered in error" not in client.get(list_url(patient)).content.decode()
    shown = client.get(list_url(patient), {"in_error": "1"}).content.decode()
    assert "entered in error" in shown


def test_the_list_has_an_empty_state(clinician: User, patient: Patient) -> None:
    html = client_for(clinician).get(list_url(patient)).content.decode()

    assert "No assessment recorded yet." in html


def test_the_list_paginates_25_a_page(clinician: User, patient: Patient) -> None:
    full_history(patient, 30, by=clinician)
    client = client_for(clinician)

    first = client.get(list_url(patient)).content.decode()
    second = client.get(list_url(patient), {"page": 2}).content.decode()

    assert first.count('href="/assessments/') - second.count('href="/assessments/') > 0
    assert "Page 1 of 2" in first and "Page 2 of 2" in second


def test_the_list_runs_the_same_queries_with_1_or_60_assessments(clinician: User) -> None:
    small = make_patient(by=clinician)
    large = make_patient(by=clinician)
    full_history(small, 1, by=clinician)
    full_history(large, 60, by=clinician)
    client = client_for(clinician)

    assert count_queries(client, list_url(small)) == count_queries(client, list_url(large))
    assert count_queries(client, list_url(large)) <= LIST_QUERIES


# --- the detail page -----------------------------------------------------------------------------


def test_the_detail_shows_questions_and_answers_side_by_side(
    clinician: User, patient: Patient
) -> None:
    assessment = record(
        patient,
        instruments={"phq9": answers("phq9", q9=2), "dn4": answers("dn4"), "bpi": answers("bpi")},
        body_map_regions=["back_lumbar_spine"],
        worst_region="back_lumbar_spine",
        pain_qualities=["burning"],
    )

    html = client_for(clinician).get(detail_url(assessment)).content.decode()

    assert "Over the last 2 weeks, how often bothered by thoughts of death or self-harm?" in html
    assert '<strong>2</strong> <span class="small">More than half the days</span>' in html
    assert "Does the pain feel like burning?" in html
    assert 'data-alert="phq9_self_harm"' in html
    assert "Lumbar spine (back) <strong>(worst)</strong>" in html
    assert "Burning" in html
    assert "Interference: <strong>6</strong>" in html


def test_the_detail_offers_editing_to_its_author_only(clinician: User, patient: Patient) -> None:
    assessment = record(patient, by=clinician)
    edit = reverse("assessments:assessment-edit", kwargs={"code": assessment.code})

    assert edit in client_for(clinician).get(detail_url(assessment)).content.decode()
    other = make_user(Role.CLINICIAN)
    assert edit not in client_for(other).get(detail_url(assessment)).content.decode()


def test_the_detail_shows_its_history(clinician: User, patient: Patient) -> None:
    assessment = record(patient, by=clinician, instruments={"nrs": {"score": 4}})
    services.assessment_update(
        by=clinician,
        assessment=assessment,
        version=1,
        instruments={"nrs": {"score": 6}},
    )

    html = client_for(clinician).get(detail_url(assessment)).content.decode()

    assert "pain intensity: 4 → 6" in html
    assert "score: 4 → 6" in html


def test_opening_an_assessment_is_logged(clinician: User, patient: Patient) -> None:
    assessment = record(patient)

    client_for(clinician).get(detail_url(assessment))

    log = AccessLog.objects.get(object_code=assessment.code)
    assert (log.action, log.patient_code, log.actor) == (AccessAction.VIEW, patient.code, clinician)


def test_the_detail_runs_a_fixed_number_of_queries(clinician: User, patient: Patient) -> None:
    assessment = record(
        patient, instruments={k: answers(k) for k in ("bpi", "esas_r", "phq9", "gad7", "ecog")}
    )
    for score in range(5):
        services.assessment_update(
            by=patient.created_by,
            assessment=Assessment.objects.get(pk=assessment.pk),
            version=score + 1,
            instruments={
                **{k: answers(k) for k in ("bpi", "esas_r", "phq9", "gad7")},
                "ecog": {"grade": score % 5},
            },
        )

    assert count_queries(client_for(clinician), detail_url(assessment)) <= DETAIL_QUERIES


# --- scope ---------------------------------------------------------------------------------------


def test_a_restricted_record_is_not_found_for_others(clinician: User) -> None:
    owner = make_user(Role.CLINICIAN)
    hidden = make_patient(by=owner, restricted=True, primary_clinician=owner)
    assessment = record(hidden, by=owner)
    client = client_for(clinician)

    for url in (
        detail_url(assessment),
        list_url(hidden),
        chart_url(hidden),
        reverse("assessments:assessment-create", kwargs={"patient_code": hidden.code}),
        reverse("assessments:assessment-edit", kwargs={"code": assessment.code}),
    ):
        assert client.get(url).status_code in (403, 404), url
        # 403 only as the lead's break-glass page, which shows nothing of the patient.
    assert client.get(detail_url(assessment)).status_code != 200


def test_an_unknown_assessment_is_not_found(clinician: User) -> None:
    url = reverse(
        "assessments:assessment-detail", kwargs={"code": "0" * 8 + "-0000-0000-0000-" + "0" * 12}
    )

    assert client_for(clinician).get(url).status_code == 404


def test_coordinators_read_but_do_not_write(coordinator: User, patient: Patient) -> None:
    assessment = record(patient)
    client = client_for(coordinator)

    assert client.get(detail_url(assessment)).status_code == 200
    assert client.get(chart_url(patient)).status_code == 200
    new = reverse("assessments:assessment-create", kwargs={"patient_code": patient.code})
    assert client.get(new).status_code == 403
    assert client.post(new, {}).status_code == 403


# --- the story chart -----------------------------------------------------------------------------


def test_the_chart_draws_scores_mme_and_treatments_without_inline_code(
    clinician: User, patient: Patient
) -> None:
    today = timezone.localdate()
    add_oncology_event(patient, occurred_on=today - dt.timedelta(days=12))
    add_medication(patient, "Morphine", "20", started_on=today - dt.timedelta(days=30))
    record(patient, at=ago(20), instruments={"bpi": answers("bpi"), "esas_r": answers("esas_r")})
    record(patient, at=ago(2), instruments={"nrs": {"score": 3}, "phq9": answers("phq9")})

    html = client_for(clinician).get(chart_url(patient)).content.decode()

    assert html.count("<svg") == 3
    assert "<script type" not in html and "<style" not in html and " style=" not in html
    for css in (
        "series--pain",
        "series--interference",
        "series--esas",
        "series--phq9",
        "series--mme",
        "series--chemotherapy series--marker",
    ):
        assert css in html, css
    assert "FOLFIRINOX cycle 1" in html  # the marker's tooltip and the events table
    assert html.count("<tr>") >= 2 + 1  # a row per assessment in the table
    assert 'id="story-scores"' in html


def test_the_chart_fragment_for_htmx_is_the_figure_only(clinician: User, patient: Patient) -> None:
    record(patient)

    response = client_for(clinician).get(chart_url(patient), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html and "story-figure" in html and 'id="story-scores"' not in html


def test_opening_the_chart_is_logged(clinician: User, patient: Patient) -> None:
    client_for(clinician).get(chart_url(patient))

    assert AccessLog.objects.filter(
        patient_code=patient.code, action=AccessAction.VIEW, note="story chart"
    ).exists()


def test_the_chart_runs_the_same_queries_with_1_or_60_assessments(clinician: User) -> None:
    from tests.procedures.helpers import perform

    small = make_patient(by=clinician)
    large = make_patient(by=clinician)
    full_history(small, 1, by=clinician)
    full_history(large, 60, by=clinician)
    # The time axis's markers too: each provider reads its events in one query, however many.
    for patient, cycles in ((small, 1), (large, 8)):
        for cycle in range(1, cycles + 1):
            add_oncology_event(patient, cycle_number=cycle, occurred_on=dt.date(2025, 2, cycle))
        add_oncology_event(
            patient,
            kind="radiotherapy",
            site="T10",
            occurred_on=dt.date(2025, 3, 1),
            regimen="",
            cycle_number=None,
            cycle_length_days=None,
        )
    for _ in range(3):
        perform(clinician, large)
    client = client_for(clinician)

    assert count_queries(client, chart_url(small)) == count_queries(client, chart_url(large))
    assert count_queries(client, chart_url(large)) <= CHART_QUERIES


def test_the_chart_of_500_assessments_renders_every_point(
    clinician: User, capsys: pytest.CaptureFixture[str]
) -> None:
    patient = make_patient(by=clinician)
    full_history(patient, 500, by=clinician)
    add_medication(
        patient, "Oxycodone", "10", started_on=timezone.localdate() - dt.timedelta(days=900)
    )
    client = client_for(clinician)
    client.get(chart_url(patient))  # warm up (templates, first connection)

    # Wall time depends on what else the machine runs; the CPU time this process spends on
    # the page does not (the database's part is a few small queries, counted in the wall time).
    wall, cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(chart_url(patient))
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert response.status_code == 200
    assert len(re.findall(r"<tr>", response.content.decode())) >= 500

    with capsys.disabled():
        print(
            f"\n[story chart, 500 assessments] best of 3: {min(wall) * 1000:.0f} ms wall, "
            f"{min(cpu) * 1000:.0f} ms CPU (load average {os.getloadavg()[0]:.1f})"
        )
    # The figure is reported, not asserted: speed belongs to benchmarks, not tests.


# The pinned counts (session, user, roles, patient, header (5), selectors, access log, …).
LIST_QUERIES = 20
DETAIL_QUERIES = 20
CHART_QUERIES = 22
