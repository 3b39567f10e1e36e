"""Keyword ideas for one course: what customers search and what similar courses write.

`keyword_ideas` reads the course (in the viewer's scope), its similar courses (same kind, same
city, else region, else anywhere: data/marketing/_peers.py), their shop texts and the shop's
search log (`search_query`), and hands them to marketing/keywords.py. Other partners' courses
enter only as counts ("3 ähnliche Kurse"), never by name or id.

`find_courses` is the course picker's search: the viewer's courses whose name or sku
contains the typed text, a short list however big the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from core import sql
from core.db import Databases
from data.access import scope
from data.access.permissions import DATES_READ, requires
from data.access.viewer import Viewer
from data.marketing._peers import Peers, course_texts, find_peers
from data.marketing._search_log import search_log
from data.shop.catalog import product_names
from data.shop.schema import catalog_product_entity
from marketing.keywords import (
    PeerTerm,
    SearchIdea,
    analyse,
    combine,
    peer_terms,
    search_ideas,
    stems_of,
)

PICKER_LIMIT = 20


@dataclass(frozen=True)
class KeywordIdeas:
    product_id: int
    area: str  # city, region or kind (data/marketing/_peers.py)
    area_name: str
    similar: int  # how many similar courses were compared
    searches: tuple[SearchIdea, ...]
    terms: tuple[PeerTerm, ...]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@requires(DATES_READ)
def find_courses(
    viewer: Viewer, db: Databases, *, text: str = "", limit: int = PICKER_LIMIT
) -> pd.DataFrame:
    """(product_id, name, sku) of the viewer's courses matching `text`, by name."""
    owners = scope.product_partner_map(viewer, db)
    columns = ["product_id", "name", "sku"]
    if not owners:
        return pd.DataFrame(columns=columns)
    names = product_names().subquery()
    entity = catalog_product_entity
    query = (
        select(entity.c.entity_id, names.c.name, entity.c.sku)
        .outerjoin(names, names.c.entity_id == entity.c.entity_id)
        .where(sql.int_in(entity.c.entity_id, sorted(owners)))
        .order_by(names.c.name, entity.c.entity_id)
        .limit(max(1, min(int(limit), 200)))
    )
    typed = " ".join((text or "").split())
    if typed:
        pattern = _like(typed)
        query = query.where(
            func.lower(names.c.name).like(pattern, escape="\\")
            | func.lower(entity.c.sku).like(pattern, escape="\\")
        )
    with db.magento_read.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _foreign_places(peers: Peers) -> frozenset[str]:
    """Stems of the other cities among the similar courses (not this course's city)."""
    cities = {p.city for p in peers.places if p.city != peers.course.city}
    found = frozenset().union(*(stems_of(c) for c in cities)) if cities else frozenset()
    return found - stems_of(peers.course.city)


@requires(DATES_READ)
def keyword_ideas(
    viewer: Viewer, db: Databases, *, product_id: int, limit: int = 15
) -> KeywordIdeas:
    """Search queries and words of similar courses that the course's own text lacks."""
    peers = find_peers(viewer, db, int(product_id))
    # Each course's text is analysed once: for the catalogue, as a similar course, and (with
    # its city and kind, as the shop finds it) for matching searches.
    docs = {
        pid: analyse(*texts.values())
        for pid, texts in course_texts(db, list(peers.kind_ids)).items()
    }
    places = {(p.city, p.kind): analyse(p.city, p.kind) for p in peers.places}
    own = docs[peers.course.product_id]
    similar = [docs[p.product_id] for p in peers.places]
    findable = [combine(docs[p.product_id], places[(p.city, p.kind)]) for p in peers.places]
    corpus = list(docs.values())
    exclude = _foreign_places(peers)
    return KeywordIdeas(
        product_id=peers.course.product_id,
        area=peers.area,
        area_name=peers.area_name,
        similar=len(peers.places),
        searches=tuple(search_ideas(own, findable, search_log(db), limit=limit, exclude=exclude)),
        terms=tuple(peer_terms(own, similar, corpus, limit=limit, exclude=exclude)),
    )
