"""Long lists count at most a thousand rows and say so, whatever the size of the table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.lib.pagination import CappedPaginator
from patients.models import Drug

pytestmark = pytest.mark.django_db


def test_a_list_longer_than_the_cap_counts_to_the_cap_and_says_there_are_more() -> None:
    drugs = Drug.objects.order_by("name")  # the catalogue the migrations load (72 drugs)
    assert drugs.count() > 30

    paginator = CappedPaginator(drugs, 10, cap=30)

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 30
    assert "LIMIT 31" in queries.captured_queries[0]["sql"]
    assert paginator.capped
    assert paginator.num_pages == 3
    assert paginator.get_page(99).number == 3  # pages past the cap are not offered


def test_a_list_within_the_cap_is_counted_exactly() -> None:
    paginator = CappedPaginator(Drug.objects.order_by("name"), 10)

    assert paginator.count == Drug.objects.count()
    assert not paginator.capped
