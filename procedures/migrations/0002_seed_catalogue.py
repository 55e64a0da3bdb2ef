"""Seed the procedure catalogue. Admins edit it in the app afterwards.

Bleeding-risk classes follow Narouze et al., Reg Anesth Pain Med 2018;43:225–262 (DESIGN.md
section 6): high for spinal cord and dorsal root ganglion stimulation, intrathecal catheters
and pumps, vertebral augmentation (and, here, cordotomy); intermediate for sympathetic blocks
(stellate, celiac, superior hypogastric, ganglion impar), epidural injections and cervical
medial branch procedures; low for peripheral nerve blocks, lumbar and thoracic medial branch
procedures and peripheral nerve stimulators. Cryoablation is classed intermediate because in
this clinic it is most often percutaneous ablation of a bone metastasis.

Follow-up days: empty means the clinic policy's schedule for the category (default day 1 phone
check, day 14 review, day 42 reassessment); diagnostic blocks and trials are judged early.
"""

from django.db import migrations

LOW, INTERMEDIATE, HIGH = "low", "intermediate", "high"

CALL = (
    "Weekdays 8:00–18:00: the pain clinic, on the number on your appointment letter.\n"
    "Evenings, nights and weekends: the hospital switchboard, asking for the on-call "
    "anaesthetist or pain doctor.\n"
    "If you cannot reach anyone and you are worried: the emergency department."
)

BLOCK_EXPECT = (
    "The area may feel numb or heavy for a few hours while the local anaesthetic works. Some "
    "soreness where the needle went in is common for a day or two. Keep a note of your pain "
    "score (0–10) every few hours today: the team will ask you how much the pain eased."
)
BLOCK_ACTIVITY = (
    "Rest today and have someone with you this evening. Do not drive or operate machinery for "
    "24 hours. Take your usual medicines unless you were told otherwise; restart any blood "
    "thinner only as instructed below."
)
BLOCK_WARNINGS = (
    "Fever, chills, or redness, swelling or pus where the needle went in\n"
    "Severe or rapidly worsening pain\n"
    "New weakness, or numbness that lasts more than 24 hours\n"
    "Shortness of breath or chest pain"
)

NEUROLYSIS_EXPECT = (
    "Pain relief may start within hours but can take up to a week to settle. Feeling "
    "light-headed when standing up and loose stools for a few days are common after a plexus "
    "neurolysis. Some aching where the needle went in is expected."
)
NEUROLYSIS_ACTIVITY = (
    "Rest for the rest of the day. Get up slowly, sitting on the edge of the bed first, for "
    "the next 2–3 days. Drink plenty of fluids. No driving for 24 hours."
)
NEUROLYSIS_WARNINGS = (
    "Fainting, or dizziness that does not settle when you lie down\n"
    "Diarrhoea more than 5 times a day, or for more than 3 days\n"
    "Blood in urine or stool, or black stools\n"
    "New weakness or numbness of the legs\n"
    "Fever, chills, or severe back or abdominal pain"
)

NEURAXIAL_WARNINGS = (
    "New weakness or numbness of the legs or arms\n"
    "New problems passing urine or controlling the bladder or bowel\n"
    "Severe back pain, or a headache that is worse when you sit or stand\n"
    "Fever, stiff neck, or redness, swelling or leaking at the wound\n"
    "Go to the emergency department at once for weakness or bladder/bowel problems"
)

EPIDURAL_EXPECT = (
    "Your legs may feel heavy or numb for a few hours. Pain can briefly increase before a "
    "steroid starts working after 2–5 days. A mild headache can occur."
)
EPIDURAL_ACTIVITY = (
    "Rest today; walk short distances only. No driving for 24 hours. Do not take a bath or "
    "swim for 24 hours."
)

IMPLANT_EXPECT = (
    "The wounds will be sore for 1–2 weeks; keep the dressings dry and in place until they "
    "are checked. You will get a card for your device: carry it with you."
)
IMPLANT_ACTIVITY = (
    "For 6 weeks: no lifting above shoulder height, no bending or twisting at the waist, "
    "nothing heavier than 2–3 kg. No driving until the team says so. No baths or swimming "
    "until the wounds have healed."
)
TRIAL_EXPECT = (
    "During the trial, note your pain score, sleep and what you are able to do each day: the "
    "team uses these to decide about a permanent system. Keep the dressing dry and do not "
    "pull on the wires or catheter."
)
TRIAL_ACTIVITY = (
    "Normal gentle activity; no lifting, bending or twisting and no showering while the trial "
    "leads or catheter are in. No driving during the trial."
)
IT_WARNINGS = (
    "Unusual drowsiness, confusion or slow breathing (call for help at once)\n"
    "Headache that is worse when you sit or stand\n"
    "New weakness or numbness, or problems with the bladder or bowel\n"
    "Fever, redness, swelling or leaking at the wound or pump site\n"
    "Pain returning suddenly (the pump or catheter may not be working)"
)

ABLATION_EXPECT = (
    "The treated area may ache or burn for 1–3 weeks, and the skin over it may feel numb or "
    "tender. Full relief can take up to 3 weeks."
)
ABLATION_ACTIVITY = (
    "Rest today; gentle activity from tomorrow. No driving for 24 hours. Apply a cool pack "
    "(wrapped in a cloth) to soreness for 15 minutes at a time."
)

AUGMENTATION_EXPECT = (
    "Back pain from the fracture often eases within 48 hours. The needle sites will be sore "
    "for a few days."
)
AUGMENTATION_ACTIVITY = (
    "Lie flat for the first hour at home, then walk as comfort allows. No heavy lifting for 6 "
    "weeks. No driving for 24 hours."
)
AUGMENTATION_WARNINGS = (
    "New weakness or numbness of the legs, or bladder or bowel problems\n"
    "Sudden shortness of breath or chest pain\n"
    "Severe new back pain\n"
    "Fever, or redness or swelling at the needle sites"
)

CORDOTOMY_EXPECT = (
    "Pain on the treated side usually eases at once. You will notice that heat, cold and "
    "pinpricks feel different on that side: protect the skin from burns. Some neck soreness "
    "and a mild headache are common."
)
CORDOTOMY_ACTIVITY = (
    "You stay in hospital at least one night. At home, test bath water with the other hand. "
    "Walk with help until your balance has been checked."
)
CORDOTOMY_WARNINGS = (
    "Difficulty breathing, especially when asleep (call for help at once)\n"
    "New weakness of an arm or leg, or difficulty walking\n"
    "Problems passing urine\n"
    "New pain on the other side of the body\n"
    "Fever or severe headache"
)

PNS_EXPECT = (
    "The site will be sore for a few days. Stimulation should be felt over the painful area; "
    "the team will adjust the settings."
)
PNS_ACTIVITY = (
    "Keep the site dry and covered as instructed. Avoid heavy use of the treated limb for 1–2 "
    "weeks. Remove the device before an MRI scan unless the team has said otherwise."
)
PNS_WARNINGS = (
    "Fever, or redness, swelling or pus at the site\n"
    "Painful or uncomfortable stimulation that does not stop when switched off\n"
    "New weakness of the limb"
)


def _type(
    name,
    category,
    risk,
    *,
    neuraxial=False,
    implant="",
    days=(),
    expect=BLOCK_EXPECT,
    activity=BLOCK_ACTIVITY,
    warnings=BLOCK_WARNINGS,
    snomed="",
):
    return {
        "name": name,
        "category": category,
        "bleeding_risk": risk,
        "neuraxial": neuraxial,
        "implant_kind": implant,
        "follow_up_days": list(days),
        "what_to_expect": expect,
        "activity_guidance": activity,
        "warning_signs": warnings,
        "whom_to_call": CALL,
        "snomed_code": snomed,
    }


CATALOGUE = [
    _type("Diagnostic peripheral nerve block", "diagnostic_block", LOW, days=(1, 7)),
    _type("Celiac plexus block (diagnostic)", "diagnostic_block", INTERMEDIATE, days=(1, 7)),
    _type(
        "Celiac plexus neurolysis",
        "neurolysis",
        INTERMEDIATE,
        expect=NEUROLYSIS_EXPECT,
        activity=NEUROLYSIS_ACTIVITY,
        warnings=NEUROLYSIS_WARNINGS,
    ),
    _type(
        "Superior hypogastric plexus block (diagnostic)",
        "diagnostic_block",
        INTERMEDIATE,
        days=(1, 7),
    ),
    _type(
        "Superior hypogastric plexus neurolysis",
        "neurolysis",
        INTERMEDIATE,
        expect=NEUROLYSIS_EXPECT,
        activity=NEUROLYSIS_ACTIVITY,
        warnings=NEUROLYSIS_WARNINGS,
    ),
    _type("Ganglion impar block", "diagnostic_block", INTERMEDIATE, days=(1, 7)),
    _type("Stellate ganglion block", "diagnostic_block", INTERMEDIATE, days=(1, 7)),
    _type("Intercostal nerve block", "diagnostic_block", LOW, days=(1, 7)),
    _type(
        "Intercostal nerve neurolysis",
        "neurolysis",
        LOW,
        expect=NEUROLYSIS_EXPECT,
        activity=NEUROLYSIS_ACTIVITY,
        warnings=BLOCK_WARNINGS,
    ),
    _type(
        "Epidural injection",
        "other",
        INTERMEDIATE,
        neuraxial=True,
        expect=EPIDURAL_EXPECT,
        activity=EPIDURAL_ACTIVITY,
        warnings=NEURAXIAL_WARNINGS,
    ),
    _type(
        "Intrathecal drug delivery trial",
        "intrathecal_drug_delivery",
        HIGH,
        neuraxial=True,
        days=(1, 3),
        expect=TRIAL_EXPECT,
        activity=TRIAL_ACTIVITY,
        warnings=IT_WARNINGS,
    ),
    _type(
        "Intrathecal pump implant",
        "intrathecal_drug_delivery",
        HIGH,
        neuraxial=True,
        implant="intrathecal_pump",
        expect=IMPLANT_EXPECT,
        activity=IMPLANT_ACTIVITY,
        warnings=IT_WARNINGS,
    ),
    _type(
        "Spinal cord stimulator trial",
        "neuromodulation",
        HIGH,
        neuraxial=True,
        days=(1, 7),
        expect=TRIAL_EXPECT,
        activity=TRIAL_ACTIVITY,
        warnings=NEURAXIAL_WARNINGS,
    ),
    _type(
        "Spinal cord stimulator implant",
        "neuromodulation",
        HIGH,
        neuraxial=True,
        implant="spinal_cord_stimulator",
        expect=IMPLANT_EXPECT,
        activity=IMPLANT_ACTIVITY,
        warnings=NEURAXIAL_WARNINGS,
    ),
    _type(
        "Dorsal root ganglion stimulation",
        "neuromodulation",
        HIGH,
        neuraxial=True,
        implant="drg_stimulator",
        expect=IMPLANT_EXPECT,
        activity=IMPLANT_ACTIVITY,
        warnings=NEURAXIAL_WARNINGS,
    ),
    _type(
        "Peripheral nerve stimulator",
        "neuromodulation",
        LOW,
        implant="peripheral_nerve_stimulator",
        expect=PNS_EXPECT,
        activity=PNS_ACTIVITY,
        warnings=PNS_WARNINGS,
    ),
    _type(
        "Radiofrequency ablation, peripheral nerve",
        "ablation",
        LOW,
        expect=ABLATION_EXPECT,
        activity=ABLATION_ACTIVITY,
    ),
    _type(
        "Radiofrequency ablation, lumbar or thoracic medial branch",
        "ablation",
        LOW,
        expect=ABLATION_EXPECT,
        activity=ABLATION_ACTIVITY,
    ),
    _type(
        "Radiofrequency ablation, cervical medial branch",
        "ablation",
        INTERMEDIATE,
        expect=ABLATION_EXPECT,
        activity=ABLATION_ACTIVITY,
    ),
    _type(
        "Cryoablation",
        "ablation",
        INTERMEDIATE,
        expect=ABLATION_EXPECT,
        activity=ABLATION_ACTIVITY,
    ),
    _type(
        "Vertebral augmentation (vertebroplasty or kyphoplasty)",
        "vertebral_augmentation",
        HIGH,
        expect=AUGMENTATION_EXPECT,
        activity=AUGMENTATION_ACTIVITY,
        warnings=AUGMENTATION_WARNINGS,
    ),
    _type(
        "Percutaneous cervical cordotomy",
        "ablation",
        HIGH,
        neuraxial=True,
        expect=CORDOTOMY_EXPECT,
        activity=CORDOTOMY_ACTIVITY,
        warnings=CORDOTOMY_WARNINGS,
    ),
]


def seed(apps, schema_editor):
    ProcedureType = apps.get_model("procedures", "ProcedureType")
    for entry in CATALOGUE:
        ProcedureType.objects.get_or_create(name=entry["name"], defaults=entry)


def unseed(apps, schema_editor):
    apps.get_model("procedures", "ProcedureType").objects.filter(
        name__in=[entry["name"] for entry in CATALOGUE], plans__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
