"""Long lists count at most a thousand rows and say so, whatever the size of the table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.lib.pagination import CappedPaginator, KeyedPaginator
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


def test_the_count_reads_only_keys_without_sorting() -> None:
    paginator = CappedPaginator(Drug.objects.select_related().order_by("name"), 10, cap=30)

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count > 0
    sql = queries.captured_queries[0]["sql"]
    assert "ORDER BY" not in sql and '"patients_drug"."name"' not in sql


def test_a_keyed_list_pages_in_its_order_and_counts_from_the_same_query() -> None:
    drugs = Drug.objects.order_by("-name", "id")
    names = list(drugs.values_list("name", flat=True))
    paginator = KeyedPaginator(drugs, 10, cap=30)

    with CaptureQueriesContext(connection) as queries:
        second = paginator.get_page(2)
    assert len(queries.captured_queries) == 2  # the ordered keys, then the page's rows
    assert [drug.name for drug in second.object_list] == names[10:20]
    assert paginator.count == 30 and paginator.capped
    last = paginator.get_page(99)
    assert last.number == 3 and [drug.name for drug in last.object_list] == names[20:30]


def test_a_keyed_page_leaves_out_a_row_removed_after_the_keys_were_read() -> None:
    drugs = Drug.objects.order_by("name")
    paginator = KeyedPaginator(drugs, 5)
    keys = paginator.keys[:5]
    gone = Drug.objects.get(pk=keys[1])
    names = list(drugs.filter(pk__in=keys).order_by("name").values_list("name", flat=True))
    gone.delete()

    page = paginator.get_page(1)
    assert [drug.name for drug in page.object_list] == [n for n in names if n != gone.name]


def test_a_keyed_page_reads_its_rows_where_it_is_told_in_the_search_order() -> None:
    from django.db.models.functions import Length

    # A ranked search (longest names first) whose rows are read plainly, by key.
    ranked = Drug.objects.annotate(length=Length("name")).order_by("-length", "name", "id")
    names = list(ranked.values_list("name", flat=True))
    paginator = KeyedPaginator(ranked, 5, rows=Drug.objects.only("name"))

    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(2)

    assert [drug.name for drug in page.object_list] == names[5:10]
    rows_sql = queries.captured_queries[1]["sql"]
    assert "LENGTH" not in rows_sql.upper() and '"patients_drug"."drug_class"' not in rows_sql
