"""The focus keyword of a course: the most searched shop query whose words the course holds.

`KeywordIndex` holds the shop's search log (data/marketing/_search_log.py reads it) as an
inverted index from stem to queries, so finding the best query for one of 20,000 courses
touches only the queries that share a stem with it. Pure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from itertools import chain

from marketing.keywords import SearchTerm, stems_of


class KeywordIndex:
    """The search log as an inverted index: the most searched query whose stems a text holds."""

    def __init__(self, queries: Iterable[SearchTerm]) -> None:
        ranked = sorted(queries, key=lambda q: (-q.popularity, q.text))
        self._queries: list[tuple[str, int]] = []
        self._by_stem: dict[str, list[int]] = defaultdict(list)
        for query in ranked:
            stems = stems_of(query.text)
            if not stems:
                continue
            index = len(self._queries)
            self._queries.append((" ".join(query.text.split()), len(stems)))
            for one in stems:
                self._by_stem[one].append(index)

    def best(self, stems: AbstractSet[str]) -> str | None:
        # How many of each query's stems the text holds, counted in C (Counter over the
        # postings): a course's ~70 stems meet a few hundred queries.
        hits = Counter(chain.from_iterable([self._by_stem.get(one, ()) for one in stems]))
        queries = self._queries
        complete = [i for i, n in hits.items() if n == queries[i][1]]
        return queries[min(complete)][0] if complete else None
