"""Seed the medication catalogue and the clinic policy row.

Opioids carry the keys of patients/opioids.py; anticoagulants, antiplatelets and NSAIDs carry the
keys of procedures/safety.py HOLD_TABLE. Admins edit the catalogue in the app afterwards.
"""

from django.db import migrations

OPIOID, ANTICOAGULANT, ANTIPLATELET, NSAID, ADJUVANT, OTHER = (
    "opioid",
    "anticoagulant",
    "antiplatelet",
    "nsaid",
    "adjuvant",
    "other",
)

# (name, class, opioid key, hold key)
CATALOGUE = [
    # Opioids (keys: patients/opioids.py)
    ("Codeine", OPIOID, "codeine", ""),
    ("Dihydrocodeine", OPIOID, "dihydrocodeine", ""),
    ("Hydrocodone", OPIOID, "hydrocodone", ""),
    ("Hydromorphone", OPIOID, "hydromorphone", ""),
    ("Methadone", OPIOID, "methadone", ""),
    ("Morphine", OPIOID, "morphine", ""),
    ("Oxycodone", OPIOID, "oxycodone", ""),
    ("Oxymorphone", OPIOID, "oxymorphone", ""),
    ("Tapentadol", OPIOID, "tapentadol", ""),
    ("Tramadol", OPIOID, "tramadol", ""),
    ("Fentanyl", OPIOID, "fentanyl", ""),
    ("Buprenorphine", OPIOID, "buprenorphine", ""),
    ("Levorphanol", OPIOID, "levorphanol", ""),
    ("Pethidine (meperidine)", OPIOID, "meperidine", ""),
    # Anticoagulants (keys: procedures/safety.py HOLD_TABLE)
    ("Warfarin", ANTICOAGULANT, "", "warfarin"),
    ("Acenocoumarol", ANTICOAGULANT, "", "acenocoumarol"),
    ("Heparin (intravenous infusion)", ANTICOAGULANT, "", "heparin_iv"),
    ("Heparin (subcutaneous)", ANTICOAGULANT, "", "heparin_sc"),
    ("Enoxaparin (prophylactic dose)", ANTICOAGULANT, "", "enoxaparin_prophylactic"),
    ("Enoxaparin (therapeutic dose)", ANTICOAGULANT, "", "enoxaparin_therapeutic"),
    ("Dalteparin", ANTICOAGULANT, "", "dalteparin"),
    ("Dabigatran", ANTICOAGULANT, "", "dabigatran"),
    ("Rivaroxaban", ANTICOAGULANT, "", "rivaroxaban"),
    ("Apixaban", ANTICOAGULANT, "", "apixaban"),
    ("Edoxaban", ANTICOAGULANT, "", "edoxaban"),
    ("Fondaparinux", ANTICOAGULANT, "", "fondaparinux"),
    # Antiplatelets
    ("Aspirin (primary prevention)", ANTIPLATELET, "", "aspirin_primary"),
    ("Aspirin (secondary prevention)", ANTIPLATELET, "", "aspirin_secondary"),
    ("Clopidogrel", ANTIPLATELET, "", "clopidogrel"),
    ("Prasugrel", ANTIPLATELET, "", "prasugrel"),
    ("Ticagrelor", ANTIPLATELET, "", "ticagrelor"),
    ("Cilostazol", ANTIPLATELET, "", "cilostazol"),
    ("Dipyridamole", ANTIPLATELET, "", "dipyridamole"),
    # NSAIDs
    ("Ibuprofen", NSAID, "", "ibuprofen"),
    ("Diclofenac", NSAID, "", "diclofenac"),
    ("Ketorolac", NSAID, "", "ketorolac"),
    ("Etodolac", NSAID, "", "etodolac"),
    ("Indomethacin", NSAID, "", "indomethacin"),
    ("Naproxen", NSAID, "", "naproxen"),
    ("Meloxicam", NSAID, "", "meloxicam"),
    ("Nabumetone", NSAID, "", "nabumetone"),
    ("Oxaprozin", NSAID, "", "oxaprozin"),
    ("Piroxicam", NSAID, "", "piroxicam"),
    ("Celecoxib", NSAID, "", ""),
    # Adjuvant analgesics
    ("Gabapentin", ADJUVANT, "", ""),
    ("Pregabalin", ADJUVANT, "", ""),
    ("Duloxetine", ADJUVANT, "", ""),
    ("Venlafaxine", ADJUVANT, "", ""),
    ("Amitriptyline", ADJUVANT, "", ""),
    ("Nortriptyline", ADJUVANT, "", ""),
    ("Dexamethasone", ADJUVANT, "", ""),
    ("Prednisolone", ADJUVANT, "", ""),
    ("Ketamine", ADJUVANT, "", ""),
    ("Lidocaine 5% plaster", ADJUVANT, "", ""),
    ("Capsaicin 8% patch", ADJUVANT, "", ""),
    ("Carbamazepine", ADJUVANT, "", ""),
    ("Baclofen", ADJUVANT, "", ""),
    ("Clonidine", ADJUVANT, "", ""),
    ("Bupivacaine", ADJUVANT, "", ""),
    ("Ziconotide", ADJUVANT, "", ""),
    ("Zoledronic acid", ADJUVANT, "", ""),
    ("Denosumab", ADJUVANT, "", ""),
    # Other medicines common in the clinic
    ("Paracetamol (acetaminophen)", OTHER, "", ""),
    ("Metamizole (dipyrone)", OTHER, "", ""),
    ("Naloxone", OTHER, "", ""),
    ("Methylnaltrexone", OTHER, "", ""),
    ("Senna", OTHER, "", ""),
    ("Macrogol", OTHER, "", ""),
    ("Ondansetron", OTHER, "", ""),
    ("Metoclopramide", OTHER, "", ""),
    ("Haloperidol", OTHER, "", ""),
    ("Midazolam", OTHER, "", ""),
]


def seed(apps, schema_editor):
    Drug = apps.get_model("patients", "Drug")
    for name, drug_class, opioid_key, hold_key in CATALOGUE:
        Drug.objects.get_or_create(
            name=name,
            defaults={"drug_class": drug_class, "opioid_key": opioid_key, "hold_key": hold_key},
        )
    apps.get_model("patients", "ClinicPolicy").objects.get_or_create(singleton=True)


def unseed(apps, schema_editor):
    apps.get_model("patients", "Drug").objects.filter(
        name__in=[name for name, *_rest in CATALOGUE], prescriptions__isnull=True
    ).delete()
    apps.get_model("patients", "ClinicPolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_records")]

    operations = [migrations.RunPython(seed, unseed)]
