"""Partners: the list staff choose from, and the partner record a partner sees of itself."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select

from core import sql
from core.db import Databases
from data.access import scope
from data.access.viewer import Viewer
from data.portal_schema import partners


def list_partners(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """Partners in the viewer's scope, by name: id, slug, name, kind, city."""
    query = (
        select(
            partners.c.partner_id,
            partners.c.slug,
            partners.c.name,
            partners.c.kind,
            partners.c.city,
        )
        .where(scope.partner_filter(partners.c.partner_id, viewer))
        .order_by(partners.c.name)
    )
    with db.portal.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).mappings().all(),
            columns=["partner_id", "slug", "name", "kind", "city"],
        )


def choosable_partners(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """Staff's "view as" choices: every partner, whatever partner staff view as right now."""
    if not viewer.is_staff:
        return list_partners(viewer, db)
    return list_partners(viewer.view_as(None), db)


SEARCH_LIMIT = 20  # hits a picker offers; more say "bitte genauer suchen"
MAX_SEARCH = 100  # characters of search text


def _search(viewer: Viewer, db: Databases, text: str, limit: int) -> pd.DataFrame:
    needle = " ".join(str(text).split())[:MAX_SEARCH]
    query = (
        select(partners.c.partner_id, partners.c.name, partners.c.city)
        .where(scope.partner_filter(partners.c.partner_id, viewer))
        .order_by(partners.c.name, partners.c.partner_id)
        .limit(max(1, min(int(limit), 100)))
    )
    if needle:
        query = query.where(
            sql.contains(partners.c.name, needle) | sql.contains(partners.c.city, needle)
        )
    with db.portal.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).mappings().all(), columns=["partner_id", "name", "city"]
        )


def search_partners(
    viewer: Viewer, db: Databases, *, text: str = "", limit: int = SEARCH_LIMIT
) -> pd.DataFrame:
    """Search as you type: partners in scope whose name or city contains `text`, by name, at
    most `limit` (without text: the first by name)."""
    return _search(viewer, db, text, limit)


def search_choosable(
    viewer: Viewer, db: Databases, *, text: str = "", limit: int = SEARCH_LIMIT
) -> pd.DataFrame:
    """`search_partners` over staff's "view as" choices (every partner, whoever staff view as
    now); a partner finds only itself."""
    return _search(viewer.view_as(None) if viewer.is_staff else viewer, db, text, limit)


def choosable_names(viewer: Viewer, db: Databases, *, partner_ids: Sequence[int]) -> dict[int, str]:
    """The names of the given partners among the viewer's "view as" choices (for labels of
    what is chosen now, without reading every partner)."""
    chooser = viewer.view_as(None) if viewer.is_staff else viewer
    query = select(partners.c.partner_id, partners.c.name).where(
        sql.int_in(partners.c.partner_id, partner_ids),
        scope.partner_filter(partners.c.partner_id, chooser),
    )
    with db.portal.connect() as conn:
        return {int(pid): name for pid, name in conn.execute(query).all()}
