"""The scale seed fills a clinic the pages can show, within the model's rules, repeatably."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min

from assessments.models import Assessment, InstrumentResponse
from clinic.accounts.roles import Role
from clinic.audit.models import AccessLog
from clinic.reminders.models import Reminder
from meetings.models import AgendaItem, Meeting, MeetingStatus
from patients.models import Patient
from tests.conftest import client_for, make_user, restore_seeded_catalogues

# The seed writes on its own connection, so the tests run outside a wrapping transaction (and
# the database is flushed after each); the catalogues the migrations load are put back first.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def catalogues(transactional_db: None) -> None:
    restore_seeded_catalogues()


def seed(patients: int, *extra: str) -> str:
    out = StringIO()
    call_command(
        "seed_scale",
        "--patients",
        str(patients),
        "--seed",
        "11",
        "--meeting-weeks",
        "2",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_it_seeds_a_clinic_the_pages_show_and_reports_row_counts() -> None:
    report = seed(32)

    assert "patients.Patient" in report and "total rows" in report
    assert Patient.objects.count() == 32
    per_patient = Patient.objects.annotate(n=Count("assessments")).aggregate(
        fewest=Min("n"), most=Max("n")
    )
    assert per_patient["fewest"] >= 10 and per_patient["most"] <= 40
    # The stored pain intensity is the NRS response's total, as recording an assessment does.
    for assessment in Assessment.objects.filter(pain_source="nrs")[:50]:
        nrs = InstrumentResponse.objects.get(assessment=assessment, instrument="nrs")
        assert assessment.pain_intensity == nrs.total
    # Its flags are the sorted union of its responses' flags, as recording stores them.
    assessments = list(Assessment.objects.prefetch_related("responses"))
    assert all(
        a.flags == sorted({flag for r in a.responses.all() for flag in r.flags})
        for a in assessments
    )
    assert any("self_harm" in a.flags for a in assessments)
    # Every instrument the seed draws is answered, the ESAS-r included: its scored "other
    # problem" must carry the problem's name, or the scoring refuses the answers.
    answered = set(InstrumentResponse.objects.values_list("instrument", flat=True).distinct())
    assert {"nrs", "bpi", "esas_r", "phq9", "dn4", "ecog"} <= answered
    assert set(Reminder.objects.values_list("status", flat=True)) == {
        "pending",
        "claimed",
        "sent",
        "cancelled",
        "failed",
    }
    assert AccessLog.objects.filter(action="view").count() >= Assessment.objects.count()
    published = Meeting.objects.get(status=MeetingStatus.PUBLISHED)
    assert published.items.count() == 30
    assert not AgendaItem.objects.filter(
        meeting__status__in=["published", "closed"], status="discussed", summary__isnull=True
    ).exists()
    assert all(m.minutes.get("cases") is not None for m in Meeting.objects.filter(status="closed"))

    clinician = client_for(make_user(Role.CLINICIAN))
    coordinator = client_for(make_user(Role.COORDINATOR))
    patient = Patient.objects.filter(restricted=False).first()
    assert clinician.get(f"/patients/{patient.code}/").status_code == 200
    assert clinician.get(f"/patients/?q={patient.family_name}").status_code == 200
    agenda = coordinator.get(f"/meetings/{published.code}/")
    assert agenda.status_code == 200
    # Restricted patients' cases are on the agenda but shown only to their care team.
    shown = published.items.filter(patient__restricted=False).count()
    # Each case summary is loaded when its case is opened; the seeded ones render.
    assert agenda.content.count(b'hx-trigger="toggle once"') == shown > 0
    item = published.items.filter(patient__restricted=False).first()
    summary = coordinator.get(f"/meetings/{published.code}/items/{item.code}/summary/")
    assert summary.status_code == 200
    assert summary.content.count(b'class="case-summary"') == 1


def test_the_same_seed_gives_the_same_clinic() -> None:
    seed(4)
    seed(4, "--force")  # the same seed again, added under new codes

    people = list(
        Patient.objects.order_by("id").values_list("given_name", "family_name", "date_of_birth")
    )
    pain = [
        list(patient.assessments.order_by("id").values_list("assessed_at", "pain_intensity"))
        for patient in Patient.objects.order_by("id")
    ]
    assert people[:4] == people[4:]
    assert pain[:4] == pain[4:]


def test_it_refuses_a_database_that_already_holds_patients() -> None:
    seed(1)
    with pytest.raises(CommandError, match="already holds 1 patients"):
        seed(1)
    assert Patient.objects.count() == 1
