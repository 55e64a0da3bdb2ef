"""The instruments the clinic uses: items, allowed answers, bands and sources.

Question texts are our own short paraphrases for forms and detail pages; they are not the
instruments' published wording, which clinics should use when a patient fills a form in
themselves. Standard answer labels (PHQ-9/GAD-7 frequencies, ECOG grades, Karnofsky levels)
are kept because scores are only comparable when everyone means the same thing by them.
"""

from __future__ import annotations

from .base import AnswerChoice, BandSpec, InstrumentSpec, ItemSpec

__all__ = ["INSTRUMENTS", "instrument_codes"]

PAIN_ANCHORS = ("No pain", "Worst pain imaginable")


def _scale(
    key: str,
    label: str,
    question: str,
    *,
    anchors: tuple[str, str] | None = None,
    maximum: int = 10,
    step: int = 1,
    required: bool = True,
    scored: bool = True,
    group: str = "",
) -> ItemSpec:
    return ItemSpec(
        key=key,
        label=label,
        question=question,
        minimum=0,
        maximum=maximum,
        step=step,
        required=required,
        scored=scored,
        group=group,
        anchors=anchors,
    )


def _choice_item(
    key: str,
    label: str,
    question: str,
    choices: tuple[AnswerChoice, ...],
    *,
    required: bool = True,
    scored: bool = True,
) -> ItemSpec:
    values = [int(choice.value) for choice in choices]
    return ItemSpec(
        key=key,
        label=label,
        question=question,
        minimum=min(values),
        maximum=max(values),
        step=values[1] - values[0] if len(values) > 1 else 1,
        required=required,
        scored=scored,
        choices=choices,
    )


def _yes_no(key: str, label: str, question: str, *, group: str) -> ItemSpec:
    return ItemSpec(
        key=key,
        label=label,
        question=question,
        kind="boolean",
        group=group,
        choices=(AnswerChoice(False, "No"), AnswerChoice(True, "Yes")),
    )


def _choices(*labels: str) -> tuple[AnswerChoice, ...]:
    return tuple(AnswerChoice(value, label) for value, label in enumerate(labels))


# --- Numeric rating scale -------------------------------------------------------------------

NRS = InstrumentSpec(
    code="nrs",
    name="NRS",
    title="Numeric rating scale for pain intensity",
    source=(
        "NCCN Clinical Practice Guidelines in Oncology: Adult Cancer Pain (0-10 numeric "
        "rating; 0 none, 1-3 mild, 4-6 moderate, 7-10 severe)"
    ),
    items=(
        _scale(
            "score",
            "pain intensity",
            "How strong is the pain, from 0 (no pain) to 10 (worst pain imaginable)?",
            anchors=PAIN_ANCHORS,
        ),
    ),
    scoring="Total is the rating itself.",
    bands=(
        BandSpec("none", "No pain", 0, 0),
        BandSpec("mild", "Mild", 1, 3),
        BandSpec("moderate", "Moderate", 4, 6),
        BandSpec("severe", "Severe", 7, 10),
    ),
)

# --- Brief Pain Inventory (short form) ------------------------------------------------------

BPI_SEVERITY_KEYS = ("worst", "least", "average", "now")
BPI_INTERFERENCE_KEYS = (
    "general_activity",
    "mood",
    "walking",
    "work",
    "relations",
    "sleep",
    "enjoyment",
)
# BPI User Guide: the interference mean may be used when at least half (4 of 7) are answered.
BPI_MIN_INTERFERENCE_ANSWERS = 4

_INTERFERENCE_ANCHORS = ("Does not interfere", "Completely interferes")


def _interference(key: str, label: str) -> ItemSpec:
    return _scale(
        key,
        label,
        f"In the last 24 hours, how much has pain got in the way of {label}?",
        anchors=_INTERFERENCE_ANCHORS,
        required=False,
        group="interference",
    )


BPI = InstrumentSpec(
    code="bpi",
    name="BPI",
    title="Brief Pain Inventory (short form)",
    source="Cleeland CS. The Brief Pain Inventory User Guide. MD Anderson Cancer Center.",
    recall="the last 24 hours",
    items=(
        _scale(
            "worst",
            "worst pain",
            "Pain at its worst in the last 24 hours",
            anchors=PAIN_ANCHORS,
            group="severity",
        ),
        _scale(
            "least",
            "least pain",
            "Pain at its least in the last 24 hours",
            anchors=PAIN_ANCHORS,
            group="severity",
        ),
        _scale(
            "average",
            "average pain",
            "Pain on average",
            anchors=PAIN_ANCHORS,
            group="severity",
        ),
        _scale(
            "now",
            "pain now",
            "Pain at this moment",
            anchors=PAIN_ANCHORS,
            group="severity",
        ),
        _scale(
            "relief",
            "relief from treatment, %",
            "In the last 24 hours, how much relief have pain treatments or medicines given?",
            anchors=("No relief", "Complete relief"),
            maximum=100,
            step=10,
            required=False,
            scored=False,
            group="relief",
        ),
        _interference("general_activity", "general activity"),
        _interference("mood", "mood"),
        _interference("walking", "walking ability"),
        _interference("work", "normal work, at home and outside"),
        _interference("relations", "relations with other people"),
        _interference("sleep", "sleep"),
        _interference("enjoyment", "enjoyment of life"),
    ),
    scoring=(
        "Severity is the mean of worst, least, average and now; interference is the mean of "
        "the answered interference items when at least 4 of 7 are answered. The total is the "
        "severity. No band: the BPI User Guide sets no cut-points for these means. "
        "Relief is recorded, not scored."
    ),
)

# --- Edmonton Symptom Assessment System, revised --------------------------------------------

ESAS_R_PHYSICAL_KEYS = (
    "pain",
    "tiredness",
    "drowsiness",
    "nausea",
    "appetite",
    "shortness_of_breath",
)
ESAS_R_EMOTIONAL_KEYS = ("depression", "anxiety")
ESAS_R_SCORED_KEYS = (*ESAS_R_PHYSICAL_KEYS, *ESAS_R_EMOTIONAL_KEYS, "wellbeing")
# Selby 2010: 7-10 is severe on every ESAS item.
ESAS_R_SEVERE_FROM = 7


def _symptom(key: str, label: str, symptom: str, *, group: str) -> ItemSpec:
    return _scale(
        key,
        label,
        f"How much {symptom} is there now?",
        anchors=(f"No {symptom}", f"Worst possible {symptom}"),
        group=group,
    )


ESAS_R = InstrumentSpec(
    code="esas_r",
    name="ESAS-r",
    title="Edmonton Symptom Assessment System, revised",
    source=(
        "Watanabe SM et al. A multicenter study comparing two numerical versions of the "
        "Edmonton Symptom Assessment System in palliative care patients. J Pain Symptom Manage "
        "2011;41:456-468. Severe cut-point: Selby D et al. A single set of numerical cutpoints "
        "to define moderate and severe symptoms for the Edmonton Symptom Assessment System. "
        "J Pain Symptom Manage 2010;39:241-249."
    ),
    recall="now",
    items=(
        _symptom("pain", "pain", "pain", group="physical"),
        _symptom("tiredness", "tiredness (lack of energy)", "tiredness", group="physical"),
        _symptom("drowsiness", "drowsiness (feeling sleepy)", "drowsiness", group="physical"),
        _symptom("nausea", "nausea", "nausea", group="physical"),
        _symptom("appetite", "lack of appetite", "lack of appetite", group="physical"),
        _symptom(
            "shortness_of_breath",
            "shortness of breath",
            "shortness of breath",
            group="physical",
        ),
        _symptom("depression", "depression (feeling sad)", "depression", group="emotional"),
        _symptom("anxiety", "anxiety (feeling nervous)", "anxiety", group="emotional"),
        _scale(
            "wellbeing",
            "wellbeing (how you feel overall)",
            "How is your wellbeing, how do you feel overall, now?",
            anchors=("Best wellbeing", "Worst possible wellbeing"),
            group="wellbeing",
        ),
        _scale(
            "other",
            "other problem",
            "How bad is the other problem, named by the patient, now?",
            anchors=("No problem", "Worst possible problem"),
            required=False,
            scored=False,
            group="other",
        ),
        ItemSpec(
            key="other_label",
            label="name of the other problem",
            question="Which other problem (for example constipation)?",
            kind="text",
            required=False,
            scored=False,
            group="other",
        ),
    ),
    scoring=(
        "Total is the sum of the nine symptoms (0-90); physical is the sum of the first six "
        "(0-60), emotional is depression plus anxiety (0-20). Each symptom of 7 or more is "
        "flagged as severe (Selby 2010), including the patient's other problem, which is not "
        "added to the total."
    ),
)

# --- PHQ-9 and GAD-7 ------------------------------------------------------------------------

FREQUENCY_CHOICES = _choices(
    "Not at all", "Several days", "More than half the days", "Nearly every day"
)
DIFFICULTY_CHOICES = _choices(
    "Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"
)


def _frequency(key: str, label: str) -> ItemSpec:
    return _choice_item(
        key,
        label,
        f"Over the last 2 weeks, how often bothered by {label}?",
        FREQUENCY_CHOICES,
    )


PHQ9 = InstrumentSpec(
    code="phq9",
    name="PHQ-9",
    title="Patient Health Questionnaire-9 (depression)",
    source=(
        "Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16:606-613."
    ),
    recall="the last 2 weeks",
    items=(
        _frequency("q1", "loss of interest or pleasure"),
        _frequency("q2", "low mood or hopelessness"),
        _frequency("q3", "poor sleep or sleeping too much"),
        _frequency("q4", "tiredness or low energy"),
        _frequency("q5", "poor appetite or overeating"),
        _frequency("q6", "feeling a failure or bad about oneself"),
        _frequency("q7", "trouble concentrating"),
        _frequency("q8", "moving or speaking slowly, or being restless"),
        _frequency("q9", "thoughts of death or self-harm"),
        _choice_item(
            "difficulty",
            "difficulty caused",
            "How hard have these problems made work, home life or getting along with others?",
            DIFFICULTY_CHOICES,
            required=False,
            scored=False,
        ),
    ),
    scoring=(
        "Total is the sum of q1-q9 (0-27). Any answer above 0 on q9 is flagged for a "
        "same-day safety assessment, whatever the total. Difficulty is recorded, not scored."
    ),
    bands=(
        BandSpec("minimal", "Minimal", 0, 4),
        BandSpec("mild", "Mild", 5, 9),
        BandSpec("moderate", "Moderate", 10, 14),
        BandSpec("moderately_severe", "Moderately severe", 15, 19),
        BandSpec("severe", "Severe", 20, 27),
    ),
)

GAD7 = InstrumentSpec(
    code="gad7",
    name="GAD-7",
    title="Generalized Anxiety Disorder 7-item scale",
    source=(
        "Spitzer RL, Kroenke K, Williams JB, Löwe B. A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097."
    ),
    recall="the last 2 weeks",
    items=(
        _frequency("q1", "feeling nervous, anxious or on edge"),
        _frequency("q2", "not being able to stop or control worrying"),
        _frequency("q3", "worrying too much about different things"),
        _frequency("q4", "trouble relaxing"),
        _frequency("q5", "restlessness that makes it hard to sit still"),
        _frequency("q6", "becoming easily annoyed or irritable"),
        _frequency("q7", "feeling afraid that something awful might happen"),
    ),
    scoring="Total is the sum of q1-q7 (0-21).",
    bands=(
        BandSpec("minimal", "Minimal", 0, 4),
        BandSpec("mild", "Mild", 5, 9),
        BandSpec("moderate", "Moderate", 10, 14),
        BandSpec("severe", "Severe", 15, 21),
    ),
)

# --- DN4 ------------------------------------------------------------------------------------

DN4_INTERVIEW_KEYS = (
    "burning",
    "painful_cold",
    "electric_shocks",
    "tingling",
    "pins_and_needles",
    "numbness",
    "itching",
)
DN4_EXAMINATION_KEYS = ("hypoesthesia_touch", "hypoesthesia_pinprick", "brushing")

DN4 = InstrumentSpec(
    code="dn4",
    name="DN4",
    title="Douleur Neuropathique 4 questions",
    source=(
        "Bouhassira D et al. Comparison of pain syndromes associated with nervous or somatic "
        "lesions and development of a new neuropathic pain diagnostic questionnaire (DN4). "
        "Pain 2005;114:29-36."
    ),
    items=(
        _yes_no("burning", "burning", "Does the pain feel like burning?", group="interview"),
        _yes_no(
            "painful_cold",
            "painful cold",
            "Does the pain feel like painful cold?",
            group="interview",
        ),
        _yes_no(
            "electric_shocks",
            "electric shocks",
            "Does the pain feel like electric shocks?",
            group="interview",
        ),
        _yes_no(
            "tingling",
            "tingling",
            "Is there tingling in the painful area?",
            group="interview",
        ),
        _yes_no(
            "pins_and_needles",
            "pins and needles",
            "Are there pins and needles in the painful area?",
            group="interview",
        ),
        _yes_no(
            "numbness",
            "numbness",
            "Is there numbness in the painful area?",
            group="interview",
        ),
        _yes_no(
            "itching",
            "itching",
            "Is there itching in the painful area?",
            group="interview",
        ),
        _yes_no(
            "hypoesthesia_touch",
            "reduced feeling to touch",
            "On examination, is feeling to touch reduced in the painful area?",
            group="examination",
        ),
        _yes_no(
            "hypoesthesia_pinprick",
            "reduced feeling to pinprick",
            "On examination, is feeling to pinprick reduced in the painful area?",
            group="examination",
        ),
        _yes_no(
            "brushing",
            "pain on brushing",
            "On examination, does brushing the painful area cause or increase pain?",
            group="examination",
        ),
    ),
    scoring=(
        "Total is the number of yes answers (0-10); 4 or more suggests neuropathic pain. "
        "Interview (7 items) and examination (3 items) are also given separately."
    ),
    bands=(
        BandSpec("negative", "Neuropathic pain unlikely", 0, 3),
        BandSpec("positive", "Neuropathic pain likely", 4, 10),
    ),
)

# --- Performance status ---------------------------------------------------------------------

ECOG = InstrumentSpec(
    code="ecog",
    name="ECOG",
    title="ECOG performance status",
    source=(
        "Oken MM et al. Toxicity and response criteria of the Eastern Cooperative Oncology "
        "Group. Am J Clin Oncol 1982;5:649-655."
    ),
    items=(
        _choice_item(
            "grade",
            "performance status",
            "Which grade best describes the patient's activity?",
            _choices(
                "Fully active; no restriction on usual activities",
                "Limited in strenuous activity; walks about and can do light or desk work",
                "Walks about and manages all self-care but cannot work; up more than half "
                "the waking day",
                "Limited self-care; in bed or chair more than half the waking day",
                "Completely disabled; no self-care; confined to bed or chair",
                "Dead",
            ),
        ),
    ),
    scoring="Total is the grade (0-5).",
)

# The usual side-by-side reading of the two scales (as tabled by ECOG-ACRIN): each ECOG grade
# spans two Karnofsky deciles, and KPS 0 is ECOG 5.
KPS_TO_ECOG: dict[int, int] = {
    100: 0,
    90: 0,
    80: 1,
    70: 1,
    60: 2,
    50: 2,
    40: 3,
    30: 3,
    20: 4,
    10: 4,
    0: 5,
}

KPS = InstrumentSpec(
    code="kps",
    name="KPS",
    title="Karnofsky performance status",
    source=(
        "Karnofsky DA, Burchenal JH. The clinical evaluation of chemotherapeutic agents in "
        "cancer. In: MacLeod CM, ed. Evaluation of Chemotherapeutic Agents. Columbia "
        "University Press; 1949:191-205."
    ),
    items=(
        _choice_item(
            "score",
            "Karnofsky score",
            "Which level best describes the patient?",
            tuple(
                AnswerChoice(value, label)
                for value, label in (
                    (0, "Dead"),
                    (10, "Moribund; dying rapidly"),
                    (20, "Very sick; admission and active supportive care needed"),
                    (30, "Severely disabled; admission indicated though death not imminent"),
                    (40, "Disabled; needs special care and help"),
                    (50, "Needs considerable help and frequent medical care"),
                    (60, "Needs occasional help; manages most personal needs"),
                    (70, "Cares for self; cannot carry on normal activity or work"),
                    (80, "Normal activity with effort; some signs or symptoms"),
                    (90, "Normal activity; minor signs or symptoms"),
                    (100, "Normal; no complaints, no evidence of disease"),
                )
            ),
        ),
    ),
    scoring=(
        "Total is the score (0-100 in steps of 10). The ECOG equivalent reads 100-90 as 0, "
        "80-70 as 1, 60-50 as 2, 40-30 as 3, 20-10 as 4 and 0 as 5."
    ),
)

PPS = InstrumentSpec(
    code="pps",
    name="PPS",
    title="Palliative Performance Scale, version 2",
    source=(
        "Victoria Hospice Society. Palliative Performance Scale (PPSv2). 2001. After Anderson "
        "F et al. Palliative performance scale (PPS): a new tool. J Palliat Care 1996;12:5-11."
    ),
    items=(
        # No per-level labels: a PPS level is read across five columns (ambulation, activity
        # and evidence of disease, self-care, intake, conscious level) on the licensed PPSv2
        # chart, and a one-line summary would invite rating from the summary instead.
        _scale(
            "score",
            "PPS level, %",
            "Which PPSv2 level fits best, read across its five columns?",
            anchors=("Death", "Full ambulation and activity, no evidence of disease"),
            maximum=100,
            step=10,
        ),
    ),
    scoring="Total is the level (0-100% in steps of 10), rated with the PPSv2 chart.",
)

INSTRUMENTS: dict[str, InstrumentSpec] = {
    spec.code: spec for spec in (NRS, BPI, ESAS_R, PHQ9, GAD7, DN4, ECOG, KPS, PPS)
}


def instrument_codes() -> tuple[str, ...]:
    """Every instrument code, in the order an assessment form shows them."""
    return tuple(INSTRUMENTS)
