"""The shop's search log (`search_query`), read once per use: keyword ideas and focus keywords."""

from __future__ import annotations

from sqlalchemy import literal_column, select

from core.db import Databases
from data.shop.schema import search_query
from marketing.keywords import SearchTerm

# The most searched queries considered (the log of a big shop holds millions of one-offs).
TOP_QUERIES = 5000


def search_log(db: Databases) -> list[SearchTerm]:
    """The most searched queries that found something, merged over stores and spellings.

    The most popular rows, not a GROUP BY over the whole log: Magento keeps one row per text
    and store, so a query is rarely split, and a top-N sort is far cheaper on a big log.
    """
    q = search_query
    query = (
        select(q.c.query_text, q.c.popularity, q.c.num_results)
        .where(q.c.num_results > 0, q.c.query_text.is_not(None))
        .order_by(q.c.popularity.desc(), q.c.query_id)
        # Inline, not a bound parameter: SQLite's top-N sort needs a constant LIMIT (with
        # `LIMIT ?` it sorted all 200,000 rows of the bench's log: 1.5 s instead of 0.09 s).
        .limit(literal_column(str(int(TOP_QUERIES))))
    )
    merged: dict[str, list[int]] = {}
    with db.magento_read.connect() as conn:
        for text, pop, results in conn.execute(query):
            key = " ".join(str(text).lower().split())
            seen = merged.setdefault(key, [0, 0])
            seen[0] += int(pop or 0)
            seen[1] = max(seen[1], int(results or 0))
    return [SearchTerm(text, pop, res) for text, (pop, res) in merged.items() if text]
