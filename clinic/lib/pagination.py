"""Pagination whose count stays cheap on tables of millions of rows."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
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
        counted = self.object_list[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)
