"""One page of a list read a page at a time: the rows, the list's size from a SQL count, and
the rule that turns a page number into an offset (a page beyond the end is the last one).

Pure: the data functions that page (Übersicht's week and partners, Termine's list) count and
read in SQL and wrap their rows here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from core.validation import InvalidInput

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """One page of a list, with the list's size from a SQL count."""

    rows: pd.DataFrame
    total: int
    page: int  # 1..pages; a page beyond the end is the last
    page_size: int
    pages: int  # >= 1, also for an empty list

    @property
    def paged(self) -> bool:
        """True when the list does not fit on one page (the page must say so)."""
        return self.pages > 1


def bounds(
    total: int, page: int, page_size: int, *, sizes: Sequence[int] = PAGE_SIZES
) -> tuple[int, int, int]:
    """(page, pages, offset) for `total` rows; refuses a page size not offered."""
    if page_size not in sizes:
        raise InvalidInput(
            "validation.page_size",
            value=str(page_size)[:20],
            sizes=", ".join(str(size) for size in sizes),
        )
    pages = max(1, -(-total // page_size))
    page = min(max(1, int(page)), pages)
    return page, pages, (page - 1) * page_size
