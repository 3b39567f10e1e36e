"""Partners: the list staff choose from, and the partner record a partner sees of itself."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

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
