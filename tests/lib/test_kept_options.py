"""Staff filter lists kept while the staff tables stay the same (clinic.lib.forms)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def clinician_options(client: Any) -> list[str]:
    """The labels of the patient list's "Primary clinician" filter, in order."""
    body = client.get(reverse("patients:patient-list")).content.decode()
    select = re.search(r'<select[^>]*name="clinician".*?</select>', body, re.S)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))[1:]


def person_options(client: Any) -> list[str]:
    """The labels of the audit log's "Person" filter."""
    body = client.get(reverse("audit:access-log")).content.decode()
    select = re.search(r'<select[^>]*name="person".*?</select>', body, re.S)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))[1:]


def test_a_renamed_clinician_is_listed_by_the_new_name_at_once(clinician: Any) -> None:
    other = make_user(Role.CLINICIAN, first_name="Ada", last_name="Byron")
    client = client_for(clinician)
    assert any("Byron" in label for label in clinician_options(client))

    # Changed without the ORM's save (no signal): the list still follows the table. (A test runs
    # in one transaction; the savepoint gives the change its own transaction id, as the next
    # request's transaction has in use.)
    with transaction.atomic():
        User.objects.filter(pk=other.pk).update(last_name="Lovelace")

    labels = clinician_options(client)
    assert any("Lovelace" in label for label in labels)
    assert not any("Byron" in label for label in labels)


def test_a_clinician_who_loses_the_role_or_leaves_is_no_longer_offered(clinician: Any) -> None:
    leaving = make_user(Role.CLINICIAN, last_name="Leaving")
    moving = make_user(Role.CLINICIAN, last_name="Moving")
    client = client_for(clinician)
    assert {"Leaving", "Moving"} <= {label.split()[-1] for label in clinician_options(client)}

    with transaction.atomic():
        User.objects.filter(pk=leaving.pk).update(is_active=False)
        moving.groups.set([Group.objects.get_or_create(name=Role.COORDINATOR)[0]])

    names = {label.split()[-1] for label in clinician_options(client)}
    assert "Leaving" not in names and "Moving" not in names


def test_a_new_clinician_is_offered_and_the_chosen_one_stays_selected(clinician: Any) -> None:
    client = client_for(clinician)
    clinician_options(client)
    newcomer = make_user(Role.CLINICIAN, last_name="Newcomer")

    body = client.get(
        reverse("patients:patient-list"), {"clinician": str(newcomer.code)}
    ).content.decode()

    assert f'<option value="{newcomer.code}" selected>' in body
    assert "Newcomer" in body


def test_the_kept_list_reads_its_version_instead_of_the_staff(clinician: Any, admin: Any) -> None:
    client = client_for(clinician)
    clinician_options(client)

    with CaptureQueriesContext(connection) as queries:
        clinician_options(client)

    staff_reads = [q["sql"] for q in queries if 'FROM "accounts_user" INNER JOIN' in q["sql"]]
    assert staff_reads == []
    assert any("xmin" in q["sql"] for q in queries)
    # The audit log's list of everyone is kept apart from the clinicians' list.
    assert any(clinician.last_name in label for label in person_options(client_for(admin)))
    assert any(admin.last_name in label for label in person_options(client_for(admin)))
