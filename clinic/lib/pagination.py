"""Pagination whose count stays cheap on tables of millions of rows."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Nobody pages through more than a thousand rows of a list: past that, one searches or filters.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most `cap` rows (`SELECT count(*) FROM (... LIMIT cap + 1)`), so the count costs
    the same on a clinic of 500 or of 50,000 patients. `capped` tells the page to say "1,000+"
    and to ask for a narrower search; pages past the cap are not offered."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if hasattr(rows, "values"):
            # Only the keys, unordered: the count needs neither the columns, the joins of
            # select_related, nor computed ranks (a name search's similarity), nor the sort.
            rows = rows.order_by().values("pk")
        counted = rows[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class KeyedPaginator(CappedPaginator):
    """For a ranked search: reads the ordered keys of the first `cap + 1` matches in one query
    (which gives the count), then the page's rows by key.

    A search whose order is computed (trigram similarity) would otherwise match and rank its
    rows twice, once to count them and once for the page.

    `rows`, when given, is where the page's rows are read from by key (what a row shows, with
    its joins): the keys already passed the search's conditions in this request, so the rows
    need not match and rank them again. Without it, the search is asked again for the keys.
    """

    def __init__(
        self, object_list: Any, per_page: int, *, rows: QuerySet[Any] | None = None, **kwargs: Any
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows

    @cached_property
    def keys(self) -> list[Any]:
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        self.capped = len(self.keys) > self.cap
        return min(len(self.keys), self.cap)

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = self.keys[bottom : min(bottom + self.per_page, self.count)]
        source = self.rows if self.rows is not None else self.object_list.order_by()
        rows = {row.pk: row for row in source.filter(pk__in=keys)}
        # A row removed since the keys were read is left out, not shown as a gap.
        return self._get_page([rows[key] for key in keys if key in rows], number, self)
