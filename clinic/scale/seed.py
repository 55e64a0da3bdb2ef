"""A clinic at scale: `python manage.py seed_scale --patients 50000 --seed 7`.

Everything is drawn from one seeded random generator, so the same seed and the same day give the
same clinic. Rows go in with COPY in dependency order (see `clinic.scale.copy`); the few hundred
meetings then get their frozen case summaries and minutes from the meetings app's own code, so
those JSON documents have exactly the shape the pages read.

History: the seeded rows are loaded as an import would be, with the history triggers (pghistory
insert events) and the audit table's append-only trigger switched off for this session
(`session_replication_role = replica`). That keeps the load within its time budget; the history
tables are filled by what people do afterwards, and the access log is seeded directly with the
rows a few years of use would have written.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from assessments.bodymap import REGIONS
from assessments.instruments.catalogue import INSTRUMENTS
from assessments.instruments.scoring import score
from assessments.models import (
    Assessment,
    AssessmentContext,
    InstrumentResponse,
    PainMechanism,
    PainPattern,
    PainQuality,
    SleepQuality,
)
from clinic.accounts.models import Discipline, User
from clinic.accounts.roles import Role
from clinic.reminders import registry
from clinic.reminders.models import Delivery, Notification, Reminder
from clinic.scale.copy import JsonText, Loader
from clinic.scale.names import NameDrawer
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    DecisionKind,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingSeries,
    MeetingStatus,
)
from patients.models import (
    Allergy,
    CareTeamMember,
    Device,
    Diagnosis,
    Drug,
    Goal,
    LabResult,
    Medication,
    OncologyEvent,
    Patient,
    PatientStatus,
)
from patients.text import normalised_name
from procedures.models import FollowUp, ProcedurePlan, ProcedureRecord, ProcedureType

Progress = Callable[[str, int, int], None]

# An import-style load: no per-row history or append-only triggers (see the module docstring).
IMPORT_SESSION = ("SET session_replication_role = replica",)
PATIENT_TABLES = (
    Patient,
    CareTeamMember,
    Diagnosis,
    OncologyEvent,
    Medication,
    LabResult,
    Allergy,
    Goal,
    Device,
    Assessment,
    InstrumentResponse,
    ProcedurePlan,
    ProcedureRecord,
    FollowUp,
)
PAIN_PATTERNS = tuple(PainPattern.values)
PAIN_QUALITIES = tuple(PainQuality.values)
MECHANISMS = tuple(PainMechanism.values)
SLEEP = tuple(SleepQuality.values)
REASONS = tuple(ItemReason.values[:-2])

PRIMARY_SITES = (
    "Pancreas",
    "Lung",
    "Breast",
    "Prostate",
    "Colorectal",
    "Head and neck",
    "Cervix",
    "Kidney",
    "Myeloma",
    "Stomach",
    "Ovary",
    "Bladder",
)
METASTATIC = ("bone", "liver", "lung", "brain", "peritoneum", "lymph nodes", "spine")
REGIMENS = ("FOLFIRINOX", "Gemcitabine", "Carboplatin/paclitaxel", "Docetaxel", "FOLFOX")
ALLERGENS = ("Penicillin", "Latex", "Iodinated contrast", "Morphine", "Codeine", "Sulfonamides")
LAB_RANGES = {
    "platelets": ("×10⁹/L", 20, 450, 0),
    "inr": ("ratio", 0.9, 2.5, 2),
    "anc": ("×10⁹/L", 0.4, 8.0, 2),
    "haemoglobin": ("g/L", 70, 160, 0),
    "creatinine": ("µmol/L", 45, 250, 0),
    "egfr": ("mL/min/1.73m²", 15, 110, 0),
}
GOAL_WORDS = (
    "Walk to the shops without stopping",
    "Sleep through the night",
    "Sit through my grandson's football match",
    "Go back to the allotment twice a week",
    "Manage the stairs at home",
)
NOTES = (
    "Pain worse at night; breakthrough doses helping partly.",
    "Reports better mobility since the last review.",
    "Family present; discussed goals of care.",
    "",
    "",
    "Constipation from opioids, laxatives adjusted.",
)


# The ESAS-r's "other problem", as patients name it.
OTHER_PROBLEMS = ("constipation", "itch", "dry mouth", "cough", "sweats", "numbness")


@dataclass
class Staff:
    clinicians: list[int]
    coordinators: list[int]
    admins: list[int]
    disciplines: dict[int, str]


@dataclass
class PatientSkeleton:
    id: int
    code: uuid.UUID
    referred: dt.date
    primary: int
    restricted: bool
    assessments: list[tuple[int, dt.datetime]] = field(default_factory=list)
    plan_codes: list[uuid.UUID] = field(default_factory=list)


class ClinicSeeder:
    def __init__(
        self, *, patients: int, seed: int, progress: Progress, meeting_weeks: int = 3 * 52
    ) -> None:
        self.patient_count = patients
        self.meeting_weeks = meeting_weeks
        self.seed = seed
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate(self.now)
        self.start = self.today - dt.timedelta(days=3 * 365)
        self.names = NameDrawer(self.rng)
        self.zone = timezone.get_current_timezone()
        self.counts: dict[str, int] = {}
        self.salt = 0

    # --- helpers -----------------------------------------------------------------------------

    def code(self) -> uuid.UUID:
        # Salted with what the database held before (nothing, usually), so adding to a seeded
        # database with the same seed draws the same clinic under new codes.
        return uuid.UUID(int=self.rng.getrandbits(128) ^ self.salt, version=4)

    def moment(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        hour = self.rng.randint(8, 17) if hour is None else hour
        minute = 5 * int(self.rng.random() * 12)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = max((last - first).days, 0)
        return first + dt.timedelta(days=self.rng.randint(0, span))

    # --- staff -------------------------------------------------------------------------------

    def seed_staff(self) -> Staff:
        disciplines = [
            Discipline.PAIN_ANAESTHESIA,
            Discipline.PALLIATIVE_CARE,
            Discipline.INTERVENTIONAL_RADIOLOGY,
            Discipline.ONCOLOGY,
            Discipline.NURSING,
            Discipline.PHYSIOTHERAPY,
            Discipline.PSYCHOLOGY,
            Discipline.SOCIAL_WORK,
        ]
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
        people: list[tuple[User, str]] = []
        for number in range(80):
            people.append(
                (self._staff(f"scale.clinician{number}", disciplines[number % 8]), Role.CLINICIAN)
            )
        for number in range(8):
            people.append(
                (
                    self._staff(f"scale.coordinator{number}", Discipline.COORDINATION),
                    Role.COORDINATOR,
                )
            )
        for number in range(3):
            people.append(
                (self._staff(f"scale.admin{number}", Discipline.ADMINISTRATION), Role.ADMIN)
            )
        existing = {
            user.username: user for user in User.objects.filter(username__startswith="scale.")
        }
        new = [user for user, _ in people if user.username not in existing]
        User.objects.bulk_create(new)
        saved = {user.username: user for user in User.objects.filter(username__startswith="scale.")}
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [
                Membership(user_id=saved[user.username].pk, group_id=groups[role].pk)
                for user, role in people
            ],
            ignore_conflicts=True,
        )
        staff = Staff([], [], [], {})
        for user, role in people:
            pk = saved[user.username].pk
            staff.disciplines[pk] = user.discipline
            {
                Role.CLINICIAN: staff.clinicians,
                Role.COORDINATOR: staff.coordinators,
                Role.ADMIN: staff.admins,
            }[role].append(pk)
        self.counts["accounts.User (staff)"] = len(people)
        return staff

    def _staff(self, username: str, discipline: str) -> User:
        user = User(
            username=username,
            email=f"{username}@clinic.example.org",
            first_name=self.names.given(),
            last_name=self.names.family(),
            discipline=discipline,
            code=self.code(),
            must_change_password=False,
        )
        user.set_unusable_password()
        return user

    # --- the whole clinic --------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        held = Patient.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.salt = (held * 0x9E3779B97F4A7C15F39CC0605CEDC834) % (1 << 128)
        staff = self.seed_staff()
        skeletons = self.seed_patients(staff)
        self.seed_meetings(staff, skeletons)
        self.seed_reminders(staff, skeletons)
        self.seed_access_log(staff, skeletons)
        self.freeze_meeting_documents()
        self.progress("analyse", 0, 1)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.progress("analyse", 1, 1)
        return self.counts

    def _finish(self, loader: Loader) -> None:
        for label, count in loader.finish().items():
            self.counts[label] = self.counts.get(label, 0) + count

    # --- patients and their records ----------------------------------------------------------

    def seed_patients(self, staff: Staff) -> list[PatientSkeleton]:
        drugs = {drug.name: drug for drug in Drug.objects.filter(is_active=True)}
        types = list(ProcedureType.objects.filter(is_active=True))
        with Loader(
            *PATIENT_TABLES,
            session_settings=IMPORT_SESSION,
        ) as loader:
            responses = self._response_pool()
            skeletons = []
            mrn_base = loader[Patient].next_id
            for number in range(self.patient_count):
                skeletons.append(
                    self._patient(loader, staff, number + mrn_base, drugs, types, responses)
                )
                if number % 500 == 0 or number == self.patient_count - 1:
                    self.progress("patients", number + 1, self.patient_count)
            self._finish(loader)
        return skeletons

    def _patient(
        self,
        loader: Loader,
        staff: Staff,
        number: int,
        drugs: dict[str, Drug],
        types: list[ProcedureType],
        responses: dict[str, list[tuple[dict[str, Any], Decimal, str, dict[str, Any], list[str]]]],
    ) -> PatientSkeleton:
        rng = self.rng
        given, family = self.names.given(), self.names.family()
        birth = self.day_between(dt.date(1935, 1, 1), dt.date(1995, 12, 31))
        referred = self.day_between(self.start, self.today - dt.timedelta(days=14))
        status_draw = rng.random()
        status = (
            PatientStatus.ACTIVE
            if status_draw < 0.7
            else PatientStatus.DISCHARGED
            if status_draw < 0.85
            else PatientStatus.DECEASED
        )
        last_day = self.today
        death = None
        if status == PatientStatus.DECEASED:
            death = self.day_between(referred + dt.timedelta(days=30), self.today)
            death = min(death, self.today)
            last_day = death
        primary = rng.choice(staff.clinicians)
        creator = rng.choice(staff.clinicians + staff.coordinators)
        created = self.moment(referred)
        skeleton = PatientSkeleton(
            id=0,
            code=self.code(),
            referred=referred,
            primary=primary,
            restricted=rng.random() < 0.02,
        )
        skeleton.id = loader.add(
            Patient,
            code=skeleton.code,
            mrn=f"S{number:08d}",
            given_name=given,
            family_name=family,
            search_name=normalised_name(f"{given} {family}"),
            date_of_birth=birth,
            sex=rng.choice(("female", "male", "female", "male", "unknown")),
            phone=f"07{rng.randint(100000000, 999999999)}",
            status=status,
            date_of_death=death,
            referral_date=referred,
            referral_source=rng.choice(("Oncology clinic", "GP", "Palliative care team", "")),
            primary_clinician_id=primary,
            restricted=skeleton.restricted,
            created_by_id=creator,
            created_at=created,
            updated_at=created,
        )
        team = {primary} | {rng.choice(staff.clinicians) for _ in range(rng.randint(0, 2))}
        for member in team:
            loader.add(CareTeamMember, patient_id=skeleton.id, user_id=member, added_at=created)
        entry = {"patient_id": skeleton.id, "created_by_id": primary, "created_at": created}
        site = rng.choice(PRIMARY_SITES)
        diagnosed = referred - dt.timedelta(days=rng.randint(60, 900))
        diagnosed = max(diagnosed, birth + dt.timedelta(days=18 * 365))
        loader.add(
            Diagnosis,
            code=self.code(),
            primary_site=site,
            histology=rng.choice(("Adenocarcinoma", "Squamous cell carcinoma", "Carcinoma", "")),
            stage=rng.choice(("III", "IV", "IVB", "")),
            metastatic_sites=", ".join(rng.sample(METASTATIC, rng.randint(0, 3))),
            diagnosed_on=diagnosed,
            is_main=True,
            **entry,
        )
        self._oncology(loader, entry, referred, last_day)
        self._medications(loader, entry, drugs, referred, last_day)
        self._labs(loader, entry, referred, last_day)
        if rng.random() < 0.3:
            loader.add(
                Allergy,
                code=self.code(),
                substance=rng.choice(ALLERGENS),
                kind=rng.choice(("allergy", "intolerance")),
                reaction=rng.choice(("Rash", "Nausea", "Anaphylaxis", "")),
                severity=rng.choice(("mild", "moderate", "severe", "unknown")),
                **entry,
            )
        loader.add(
            Goal,
            code=self.code(),
            patient_words=rng.choice(GOAL_WORDS),
            measure="nrs",
            baseline=Decimal(rng.randint(6, 9)),
            target=Decimal(rng.randint(2, 4)),
            target_date=referred + dt.timedelta(days=90),
            status=rng.choice(("active", "active", "achieved", "partly_achieved")),
            **entry,
        )
        if rng.random() < 0.05:
            pump = rng.random() < 0.6
            implanted = self.day_between(referred, last_day)
            loader.add(
                Device,
                code=self.code(),
                kind="intrathecal_pump" if pump else "spinal_cord_stimulator",
                model_name="SynchroMed II" if pump else "Proclaim XR",
                serial_number=f"SN{rng.randint(10**7, 10**8 - 1)}",
                implanted_on=implanted,
                drug="Morphine" if pump else "",
                concentration=Decimal(10) if pump else None,
                concentration_unit="mg/mL" if pump else "",
                reservoir_volume_ml=Decimal(20) if pump else None,
                next_refill_due=self.today + dt.timedelta(days=rng.randint(-5, 60))
                if pump
                else None,
                next_battery_check_due=None
                if pump
                else self.today + dt.timedelta(days=rng.randint(0, 180)),
                **entry,
            )
        self._assessments(loader, skeleton, staff, responses, referred, last_day)
        self._procedures(loader, skeleton, staff, types, referred, last_day)
        return skeleton

    def _oncology(
        self, loader: Loader, entry: dict[str, Any], first: dt.date, last: dt.date
    ) -> None:
        rng = self.rng
        # A course or two of chemotherapy in 21-day cycles, radiotherapy, and a progression.
        start = first - dt.timedelta(days=rng.randint(30, 400))
        for _course in range(rng.randint(1, 2)):
            regimen = rng.choice(REGIMENS)
            day = start
            for cycle in range(1, rng.randint(4, 8) + 1):
                if day > last:
                    break
                loader.add(
                    OncologyEvent,
                    code=self.code(),
                    kind="chemotherapy",
                    occurred_on=day,
                    regimen=regimen,
                    cycle_number=cycle,
                    cycle_length_days=21,
                    **entry,
                )
                day += dt.timedelta(days=21)
            start = day + dt.timedelta(days=rng.randint(60, 200))
        if rng.random() < 0.5:
            began = self.day_between(first - dt.timedelta(days=200), last)
            loader.add(
                OncologyEvent,
                code=self.code(),
                kind="radiotherapy",
                occurred_on=began,
                ended_on=began + dt.timedelta(days=5),
                site=rng.choice(("T10 vertebra", "Pelvis", "Left hip", "Coeliac plexus region")),
                details="20 Gy in 5 fractions",
                **entry,
            )
        if rng.random() < 0.4:
            loader.add(
                OncologyEvent,
                code=self.code(),
                kind="progression",
                occurred_on=self.day_between(first, last),
                site=rng.choice(METASTATIC),
                **entry,
            )

    def _medications(
        self,
        loader: Loader,
        entry: dict[str, Any],
        drugs: dict[str, Drug],
        first: dt.date,
        last: dt.date,
    ) -> None:
        rng = self.rng
        # (drug, strength, unit, route, doses per day or None for as-needed)
        regimen = [
            ("Morphine", rng.choice((10, 20, 30, 60)), "mg", "oral", 2),
            ("Morphine", rng.choice((5, 10)), "mg", "oral", None),
            ("Oxycodone", rng.choice((10, 20, 40)), "mg", "oral", 2),
            ("Fentanyl", rng.choice((12, 25, 50)), "mcg/h", "transdermal", Decimal("0.33")),
            ("Pregabalin", rng.choice((75, 150)), "mg", "oral", 2),
            ("Dexamethasone", 4, "mg", "oral", 1),
            ("Apixaban", 5, "mg", "oral", 2),
            ("Aspirin (secondary prevention)", 75, "mg", "oral", 1),
            ("Ibuprofen", 400, "mg", "oral", 3),
        ]
        for name, strength, unit, route, per_day in rng.sample(regimen, rng.randint(3, 7)):
            drug = drugs.get(name)
            if drug is None:
                continue
            started = self.day_between(first - dt.timedelta(days=90), last)
            stopped = None
            if rng.random() < 0.3:
                stopped = self.day_between(started, last)
            loader.add(
                Medication,
                code=self.code(),
                drug_id=drug.pk,
                strength=Decimal(strength),
                unit=unit,
                route=route,
                as_needed=per_day is None,
                doses_per_day=per_day,
                as_needed_max_doses_per_day=Decimal(6) if per_day is None else None,
                started_on=started,
                stopped_on=stopped,
                indication="Cancer pain" if drug.drug_class == "opioid" else "",
                **entry,
            )

    def _labs(self, loader: Loader, entry: dict[str, Any], first: dt.date, last: dt.date) -> None:
        rng = self.rng
        for _round in range(rng.randint(2, 5)):
            taken = self.moment(self.day_between(first, last), hour=rng.randint(7, 11))
            for test in rng.sample(list(LAB_RANGES), 4):
                unit, low, high, places = LAB_RANGES[test]
                value = round(Decimal(str(rng.uniform(low, high))), places)
                loader.add(
                    LabResult,
                    code=self.code(),
                    test=test,
                    value=value,
                    unit=unit,
                    taken_at=taken,
                    **entry,
                )

    def _response_pool(
        self,
    ) -> dict[str, list[tuple[dict[str, Any], Decimal, str, dict[str, Any], list[str]]]]:
        """A few hundred answer sets per instrument, scored by the real scoring code."""
        pool: dict[str, list[Any]] = {}
        for code, spec in INSTRUMENTS.items():
            entries = []
            for _ in range(300):
                answers: dict[str, Any] = {}
                for item in spec.items:
                    values = item.allowed_values
                    if not values:
                        continue
                    if code == "phq9" and item.key.endswith("9") and self.rng.random() < 0.9:
                        answers[item.key] = values[0]
                        continue
                    answers[item.key] = self.rng.choice(values)
                if code == "esas_r":
                    # One patient in five names another problem; a scored one needs its name.
                    if self.rng.random() < 0.2:
                        answers["other_label"] = self.rng.choice(OTHER_PROBLEMS)
                    else:
                        answers.pop("other", None)
                try:
                    result = score(code, answers)
                except ValueError:
                    continue
                subscores = {
                    name: (
                        None
                        if value is None
                        else str(value)
                        if isinstance(value, Decimal)
                        else value
                    )
                    for name, value in result.subscores.items()
                }
                entries.append(
                    (
                        JsonText(json.dumps(answers)),
                        Decimal(result.total),
                        result.band or "",
                        JsonText(json.dumps(subscores)),
                        sorted(result.flags),
                    )
                )
            pool[code] = entries
        return pool

    def _assessments(
        self,
        loader: Loader,
        skeleton: PatientSkeleton,
        staff: Staff,
        responses: dict[str, list[Any]],
        first: dt.date,
        last: dt.date,
    ) -> None:
        rng = self.rng
        count = rng.randint(10, 40)
        span = max((last - first).days, 1)
        days = sorted(first + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))
        regions = [region.key for region in REGIONS]
        for index, day in enumerate(days):
            at = self.moment(day)
            by = rng.choice(staff.clinicians)
            others = rng.sample(("bpi", "esas_r", "phq9", "dn4", "ecog"), rng.randint(1, 3))
            instruments = ["nrs", *others]
            chosen = {code: rng.choice(responses[code]) for code in instruments if responses[code]}
            nrs = chosen.get("nrs")
            # As the services store it: the sorted union of the responses' flags.
            flags = sorted({flag for response in chosen.values() for flag in response[4]})
            marked = rng.sample(regions, rng.randint(1, 3))
            assessment_id = loader.add(
                Assessment,
                code=self.code(),
                patient_id=skeleton.id,
                assessed_at=at,
                assessed_by_id=by,
                context="initial"
                if index == 0
                else rng.choice(("review", "review", "post_procedure", "pre_meeting")),
                pain_patterns=rng.sample(PAIN_PATTERNS, rng.randint(1, 2)),
                pain_qualities=rng.sample(PAIN_QUALITIES, rng.randint(1, 3)),
                breakthrough_per_day=rng.randint(0, 6),
                mechanism=rng.choice(MECHANISMS),
                sleep_quality=rng.choice(SLEEP),
                body_map_regions=marked,
                worst_region=marked[0],
                note=rng.choice(NOTES),
                pain_intensity=nrs[1] if nrs else None,
                pain_source="nrs" if nrs else "",
                flags=flags,
                created_by_id=by,
                created_at=at,
            )
            skeleton.assessments.append((assessment_id, at))
            for code, (answers, total, band, subscores, flags) in chosen.items():
                loader.add(
                    InstrumentResponse,
                    assessment_id=assessment_id,
                    instrument=code,
                    answers=answers,
                    total=total,
                    band=band,
                    subscores=subscores,
                    flags=flags,
                    created_at=at,
                )
        _ = AssessmentContext  # the contexts above are its values

    def _procedures(
        self,
        loader: Loader,
        skeleton: PatientSkeleton,
        staff: Staff,
        types: list[ProcedureType],
        first: dt.date,
        last: dt.date,
    ) -> None:
        rng = self.rng
        for _plan in range(rng.choice((0, 1, 1, 2, 3))):
            kind = rng.choice(types)
            planned = self.day_between(first, last + dt.timedelta(days=30))
            created = self.moment(max(first, planned - dt.timedelta(days=rng.randint(7, 30))))
            if created > self.now:
                created = self.now - dt.timedelta(hours=1)
            by = skeleton.primary
            if planned > self.today:
                status = rng.choice(("proposed", "awaiting_mdt", "approved", "scheduled"))
            else:
                status = rng.choice(("performed", "followed_up", "followed_up", "cancelled"))
            approved = status in ("approved", "scheduled", "performed", "followed_up")
            code = self.code()
            skeleton.plan_codes.append(code)
            plan_id = loader.add(
                ProcedurePlan,
                code=code,
                patient_id=skeleton.id,
                procedure_type_id=kind.pk,
                stage="diagnostic" if kind.category == "diagnostic_block" else "definitive",
                target=rng.choice(
                    (
                        "Coeliac plexus",
                        "Superior hypogastric plexus",
                        "L4 medial branch",
                        "T10 vertebra",
                    )
                ),
                level=rng.choice(("L1", "T12", "L4-L5", "")),
                laterality=rng.choice(("left", "right", "bilateral", "midline")),
                indication="Refractory cancer pain despite optimised opioids",
                planned_date=planned,
                scheduled_date=planned if status == "scheduled" else None,
                operator_id=rng.choice(staff.clinicians),
                imaging_guidance=rng.choice(("fluoroscopy", "ct", "ultrasound")),
                infection_screen="none",
                consent_recorded=approved,
                consent_date=created.date() if approved else None,
                status=status,
                submitted_at=created if status != "proposed" else None,
                approval_source="meeting" if approved else "",
                approved_at=created + dt.timedelta(days=3) if approved else None,
                approved_by_id=by if approved else None,
                cancelled_at=created + dt.timedelta(days=2) if status == "cancelled" else None,
                cancelled_by_id=by if status == "cancelled" else None,
                cancel_reason="Patient declined" if status == "cancelled" else "",
                created_by_id=by,
                created_at=created,
            )
            if status not in ("performed", "followed_up"):
                continue
            performed = self.moment(planned, hour=10)
            record_id = loader.add(
                ProcedureRecord,
                code=self.code(),
                plan_id=plan_id,
                performed_at=performed,
                performed_by_id=rng.choice(staff.clinicians),
                imaging_guidance="fluoroscopy",
                had_complications=False,
                complications=[],
                immediate_relief_percent=rng.choice((0, 30, 50, 70, 90)),
                notes="",
                baseline_pain=Decimal(rng.randint(6, 9)),
                baseline_at=performed - dt.timedelta(days=1),
                baseline_source="nrs",
                created_by_id=by,
                created_at=performed,
            )
            for day in kind.follow_up_days or [1, 7, 28]:
                due = planned + dt.timedelta(days=day)
                done = due < self.today and (status == "followed_up" or rng.random() < 0.7)
                missed = not done and due < self.today - dt.timedelta(days=14)
                loader.add(
                    FollowUp,
                    code=self.code(),
                    plan_id=plan_id,
                    record_id=record_id,
                    kind="phone_check" if day <= 2 else "reassessment",
                    day=day,
                    due_date=due,
                    status="done" if done else "missed" if missed else "pending",
                    responsible_id=skeleton.primary,
                    completed_at=self.moment(due) if done or missed else None,
                    completed_by_id=skeleton.primary if done or missed else None,
                    pain=Decimal(rng.randint(1, 7)) if done else None,
                    pain_at=self.moment(due) if done else None,
                    pain_source="nrs" if done else "",
                    created_at=performed,
                )

    # --- meetings -----------------------------------------------------------------------------

    def seed_meetings(self, staff: Staff, skeletons: list[PatientSkeleton]) -> None:
        rng = self.rng
        chair = staff.clinicians[0]
        coordinator = staff.coordinators[0]
        with Loader(
            MeetingSeries,
            Meeting,
            AgendaItem,
            Attendance,
            ActionItem,
            session_settings=IMPORT_SESSION,
        ) as loader:
            created = self.moment(self.start - dt.timedelta(days=7))
            series_id = loader.add(
                MeetingSeries,
                code=self.code(),
                name="Cancer pain MDT",
                weekday=2,
                start_time=dt.time(13, 0),
                duration_minutes=90,
                place="Seminar room 2",
                chair_id=chair,
                deadline_days_before=2,
                weeks_ahead=4,
                created_by_id=coordinator,
                created_at=created,
            )
            first_day = self.today - dt.timedelta(weeks=self.meeting_weeks)
            first = first_day + dt.timedelta(days=(2 - first_day.weekday()) % 7)
            weeks = (self.today - first).days // 7 + 5
            attendees = staff.clinicians[:12] + staff.coordinators[:2]
            upcoming_published = False
            for week in range(weeks):
                day = first + dt.timedelta(weeks=week)
                starts = self.moment(day, hour=13).replace(minute=0)
                past = starts < self.now - dt.timedelta(hours=2)
                if past:
                    status = (
                        MeetingStatus.CANCELLED if rng.random() < 0.03 else MeetingStatus.CLOSED
                    )
                elif not upcoming_published:
                    status, upcoming_published = MeetingStatus.PUBLISHED, True
                else:
                    status = MeetingStatus.DRAFT
                published = (
                    starts - dt.timedelta(days=1) if status in ("published", "closed") else None
                )
                meeting_id = loader.add(
                    Meeting,
                    code=self.code(),
                    name="Cancer pain MDT",
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=90),
                    place="Seminar room 2",
                    chair_id=chair,
                    agenda_deadline=starts - dt.timedelta(days=2),
                    status=status,
                    series_id=series_id,
                    created_by_id=coordinator,
                    created_at=starts - dt.timedelta(weeks=4),
                    published_at=published,
                    published_by_id=coordinator if published else None,
                    started_at=starts if status == "closed" else None,
                    closed_at=starts + dt.timedelta(minutes=90) if status == "closed" else None,
                    closed_by_id=chair if status == "closed" else None,
                    cancelled_at=starts - dt.timedelta(days=3) if status == "cancelled" else None,
                    cancel_reason="Bank holiday" if status == "cancelled" else "",
                    minutes={} if status == "closed" else None,
                )
                if status == MeetingStatus.CANCELLED:
                    continue
                cases = (
                    30
                    if status == "published"
                    else rng.randint(15, 30)
                    if status == "closed"
                    else rng.randint(0, 6)
                )
                for order, skeleton in enumerate(
                    rng.sample(skeletons, min(cases, len(skeletons))), 1
                ):
                    self._agenda_item(loader, meeting_id, status, order, skeleton, starts, staff)
                if status == MeetingStatus.CLOSED:
                    for person in attendees:
                        loader.add(
                            Attendance,
                            meeting_id=meeting_id,
                            person_id=person,
                            discipline=staff.disciplines[person],
                            status=rng.choice(("present", "present", "present", "apologies")),
                            recorded_by_id=coordinator,
                            created_at=starts,
                        )
                    for _action in range(rng.randint(2, 6)):
                        done = rng.random() < 0.8
                        loader.add(
                            ActionItem,
                            code=self.code(),
                            meeting_id=meeting_id,
                            owner_id=rng.choice(staff.clinicians),
                            what=rng.choice(
                                (
                                    "Book the block",
                                    "Ask oncology about the next cycle",
                                    "Call the family",
                                )
                            ),
                            due_date=starts.date() + dt.timedelta(days=14),
                            status="done" if done else "open",
                            done_at=starts + dt.timedelta(days=7) if done else None,
                            done_by_id=chair if done else None,
                            created_by_id=coordinator,
                            created_at=starts,
                        )
                self.progress("meetings", week + 1, weeks)
            self._finish(loader)

    def _agenda_item(
        self,
        loader: Loader,
        meeting_id: int,
        status: str,
        order: int,
        skeleton: PatientSkeleton,
        starts: dt.datetime,
        staff: Staff,
    ) -> None:
        rng = self.rng
        removed = status == "closed" and rng.random() < 0.03
        if removed:
            item_status = ItemStatus.REMOVED
        elif status == "closed":
            item_status = ItemStatus.DEFERRED if rng.random() < 0.05 else ItemStatus.DISCUSSED
        elif status == "published":
            item_status = ItemStatus.ACCEPTED
        else:
            item_status = rng.choice((ItemStatus.PROPOSED, ItemStatus.ACCEPTED))
        decision_kind = ""
        plan_code = None
        if item_status == ItemStatus.DISCUSSED:
            decision_kind = rng.choice(
                (
                    DecisionKind.REFER,
                    DecisionKind.CHANGE_MEDICATION,
                    DecisionKind.OTHER,
                    DecisionKind.APPROVE_PLAN,
                )
            )
            if decision_kind == DecisionKind.APPROVE_PLAN:
                if skeleton.plan_codes:
                    plan_code = skeleton.plan_codes[0]
                else:
                    decision_kind = DecisionKind.OTHER
        loader.add(
            AgendaItem,
            code=self.code(),
            meeting_id=meeting_id,
            patient_id=skeleton.id,
            reason=rng.choice(REASONS),
            question="Is a coeliac plexus neurolysis appropriate now?",
            proposed_by_id=skeleton.primary,
            presenter_id=skeleton.primary,
            order=order,
            status=item_status,
            discussion="Discussed imaging and current analgesia." if decision_kind else "",
            decision_kind=decision_kind,
            decision="Agreed by the team." if decision_kind else "",
            decided_at=starts + dt.timedelta(minutes=order * 3) if decision_kind else None,
            decided_by_id=staff.clinicians[0] if decision_kind else None,
            plan_code=plan_code,
            removed_at=starts - dt.timedelta(days=1) if removed else None,
            removed_by_id=staff.coordinators[0] if removed else None,
            removed_reason="Patient admitted elsewhere" if removed else "",
            created_by_id=skeleton.primary,
            created_at=starts - dt.timedelta(days=rng.randint(3, 10)),
        )

    def freeze_meeting_documents(self) -> None:
        """Case summaries and minutes, written by the meetings app's own code."""
        from meetings.selectors import minutes_snapshot
        from meetings.summaries import build_summaries

        meetings = list(
            Meeting.objects.filter(status__in=("published", "closed"), items__summary__isnull=True)
            .distinct()
            .order_by("starts_at")
        )
        for number, meeting in enumerate(meetings, 1):
            items = list(
                meeting.items.filter(
                    status__in=(ItemStatus.ACCEPTED, ItemStatus.DISCUSSED, ItemStatus.DEFERRED)
                ).select_related("patient")
            )
            summaries = build_summaries(items, today=self.today)
            for item in items:
                item.summary = summaries[item.pk]
                item.summary_frozen_at = meeting.published_at
            AgendaItem.objects.bulk_update(items, ["summary", "summary_frozen_at"])
            if meeting.status == MeetingStatus.CLOSED:
                meeting.minutes = minutes_snapshot(meeting)
                meeting.save(update_fields=["minutes"])
            self.progress("meeting summaries", number, len(meetings))

    # --- reminders and notifications ---------------------------------------------------------

    def seed_reminders(self, staff: Staff, skeletons: list[PatientSkeleton]) -> None:
        rng = self.rng
        kinds = [kind.name for kind in registry.kinds()]
        patient_type = ContentType.objects.get_for_model(Patient).pk
        with Loader(Reminder, Delivery, Notification, session_settings=IMPORT_SESSION) as loader:
            total = len(skeletons) * 2
            statuses = ("sent", "sent", "sent", "pending", "cancelled", "failed", "claimed")
            for number in range(total):
                skeleton = skeletons[number % len(skeletons)]
                status = rng.choice(statuses)
                due = (
                    self.now + dt.timedelta(hours=rng.randint(1, 24 * 30))
                    if status == "pending"
                    else self.moment(self.day_between(skeleton.referred, self.today))
                )
                if status != "pending" and due > self.now:
                    due = self.now - dt.timedelta(hours=1)
                recipient = skeleton.primary
                channel = rng.choice(("both", "in_app", "email"))
                kind = rng.choice(kinds)
                reminder_code = self.code()
                sent_at = due + dt.timedelta(minutes=1) if status == "sent" else None
                reminder_id = loader.add(
                    Reminder,
                    code=reminder_code,
                    kind=kind,
                    recipient_id=recipient,
                    channel=channel,
                    due_at=due,
                    status=status,
                    attempts=3 if status == "failed" else 1 if status in ("sent", "claimed") else 0,
                    last_error="SMTP timeout" if status == "failed" else "",
                    claimed_at=due if status in ("claimed", "sent") else None,
                    sent_at=sent_at,
                    cancelled_at=due - dt.timedelta(hours=1) if status == "cancelled" else None,
                    cancel_reason="No longer due" if status == "cancelled" else "",
                    dedupe_key=f"scale:{reminder_code}",
                    subject_type_id=patient_type,
                    subject_code=skeleton.code,
                    title="Reassessment due",
                    body="A review of this patient is due.",
                    created_at=due - dt.timedelta(days=1),
                )
                if status == "sent":
                    channels = ("email", "in_app") if channel == "both" else (channel,)
                    for sent_channel in channels:
                        loader.add(
                            Delivery,
                            reminder_id=reminder_id,
                            channel=sent_channel,
                            delivered_at=sent_at,
                        )
                    if channel != "email":
                        loader.add(
                            Notification,
                            code=self.code(),
                            recipient_id=recipient,
                            reminder_id=reminder_id,
                            title="Reassessment due",
                            body="A review of this patient is due.",
                            read_at=sent_at + dt.timedelta(hours=2) if rng.random() < 0.8 else None,
                            created_at=sent_at,
                        )
                if number % 2000 == 0 or number == total - 1:
                    self.progress("reminders", number + 1, total)
            self._finish(loader)

    # --- access log ---------------------------------------------------------------------------

    def seed_access_log(self, staff: Staff, skeletons: list[PatientSkeleton]) -> None:
        """What a few years of use writes: one to three chart views or prints per assessment,
        and the day's sign-ins. Generated inside PostgreSQL from the seeded assessments (about
        fifty rows per patient), with its random generator seeded so the rows repeat."""
        readers = staff.clinicians + staff.coordinators
        self.progress("access log", 0, 2)
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
            cursor.execute("SELECT setseed(%s)", [self.rng.random() * 2 - 1])
            cursor.execute(
                """
                INSERT INTO audit_accesslog
                    (at, actor_id, actor_label, action, patient_code, object_type,
                     object_code, path, request_id, ip, flagged, note)
                SELECT LEAST(seen.at, %(now)s), seen.actor, actor.username,
                       CASE WHEN seen.draw < 0.95 THEN 'view' ELSE 'print' END,
                       seen.patient_code, 'patients.patient', seen.patient_code,
                       '/patients/' || seen.patient_code || '/',
                       md5(seen.assessment_id || '-' || seen.n || '-' || %(seed)s)::uuid,
                       ('10.0.' || (seen.assessment_id %% 256) || '.' || (1 + seen.n))::inet,
                       false, ''
                FROM (
                    SELECT a.id AS assessment_id, views.n, p.code AS patient_code,
                           a.assessed_at + random() * interval '5 days' AS at,
                           (%(readers)s::bigint[])[1 + floor(random() * %(count)s)::int] AS actor,
                           random() AS draw
                    FROM (SELECT * FROM assessments_assessment ORDER BY id) a
                    JOIN patients_patient p ON p.id = a.patient_id
                    CROSS JOIN LATERAL generate_series(1, 1 + (a.id %% 3)::int) AS views(n)
                    ORDER BY a.id, views.n
                ) seen
                JOIN accounts_user actor ON actor.id = seen.actor
                ORDER BY seen.assessment_id, seen.n
                """,
                {
                    "now": self.now,
                    "readers": readers,
                    "count": len(readers),
                    "seed": self.seed,
                },
            )
            views = cursor.rowcount
            self.progress("access log", 1, 2)
            cursor.execute(
                """
                INSERT INTO audit_accesslog
                    (at, actor_id, actor_label, action, object_type, path, request_id, ip,
                     flagged, note)
                SELECT day + interval '8 hours' + random() * interval '2 hours', actor,
                       (SELECT username FROM accounts_user WHERE id = actor), 'sign_in', '',
                       '/accounts/sign-in/',
                       md5(day::text || '-' || actor || '-' || %(seed)s)::uuid,
                       '10.0.1.1'::inet, false, ''
                FROM generate_series(%(start)s::timestamptz, %(now)s::timestamptz, interval '1 day')
                     AS days(day)
                CROSS JOIN unnest(%(readers)s::bigint[]) AS people(actor)
                WHERE random() < 0.3
                ORDER BY day, actor
                """,
                {
                    "now": self.now,
                    "start": self.moment(self.start, 0),
                    "readers": readers,
                    "seed": self.seed,
                },
            )
            self.counts["audit.AccessLog"] = views + cursor.rowcount
        self.progress("access log", 2, 2)
