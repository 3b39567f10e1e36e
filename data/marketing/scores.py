"""Qualitäts-Score: gather a course's shop content, score it (marketing/score.py), store it.

`score_courses` scores every course in the viewer's scope (the nightly `score-courses` job runs
it as SYSTEM over all courses) or the given ones, in chunks: per chunk a handful of set queries
on the shop (texts, images, dates, reviews) and the portal (city and kind), then one upsert of
the current scores and one of the day's history. `rescore_course` is the page's "Jetzt neu
berechnen" for one course of the viewer. Reading is one indexed query: `course_scores` for a
partner (index on partner_id, score), `score_overview` for staff over all partners (paged).

The focus keyword of a course is the most searched query of the shop's search log whose words
all occur in the course's texts, city or kind (what customers type and the shop finds it by);
data/marketing/_search_log.py reads the log, marketing/focus.py indexes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, and_, case, func, select

from core import sql
from core.clock import now_utc
from core.db import Databases
from core.periods import berlin_today
from data.access import scope
from data.access.permissions import DATES_READ, requires
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.marketing._search_log import search_log
from data.portal_schema import course_score_history, courses, partners
from data.portal_schema import course_scores as scores_table
from data.reviews.responses import answered_counts
from data.shop import schema as m
from marketing.focus import KeywordIndex
from marketing.score import (
    FACT_ATTRIBUTES,
    CourseContent,
    Item,
    Score,
    focus_keyword,
    items_from_json,
    score,
)

CHUNK = 500
_TEXTS = ("name", "description", "short_description", "meta_title", "meta_description", "url_key")
SORTS = ("score_asc", "score_desc", "partner")


@dataclass(frozen=True)
class CourseScore:
    product_id: int
    partner_id: int
    name: str
    score: int
    items: tuple[Item, ...]
    keyword: str | None
    computed_at: datetime

    @property
    def gain(self) -> int:
        return 100 - self.score


# --- reading the shop --------------------------------------------------------------------------


def _texts(conn: Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    """product -> {code: value} for the text fields and any fact attributes the shop has."""
    wanted = {m.PRODUCT_ATTRIBUTES[code][0]: code for code in _TEXTS}
    fact_codes = sorted({code for codes in FACT_ATTRIBUTES.values() for code in codes})
    extra = conn.execute(
        select(m.eav_attribute.c.attribute_id, m.eav_attribute.c.attribute_code).where(
            m.eav_attribute.c.entity_type_id == m.PRODUCT_ENTITY_TYPE_ID,
            m.eav_attribute.c.attribute_code.in_(fact_codes),
        )
    )
    wanted |= {int(aid): str(code) for aid, code in extra}
    found: dict[int, dict[str, str]] = {pid: {} for pid in ids}
    for table in (m.catalog_product_entity_varchar, m.catalog_product_entity_text):
        query = select(table.c.entity_id, table.c.attribute_id, table.c.value).where(
            sql.int_in(table.c.entity_id, ids),
            table.c.attribute_id.in_(sorted(wanted)),
            table.c.store_id == 0,
        )
        for pid, attribute, value in conn.execute(query):
            found[int(pid)][wanted[int(attribute)]] = str(value or "")
    return found


def _images(conn: Connection, ids: list[int]) -> dict[int, int]:
    gallery = m.catalog_product_entity_media_gallery
    link = m.catalog_product_entity_media_gallery_value_to_entity
    query = (
        select(link.c.entity_id, func.count())
        .join(gallery, gallery.c.value_id == link.c.value_id)
        .where(
            sql.int_in(link.c.entity_id, ids),
            gallery.c.disabled == 0,
            gallery.c.media_type == "image",
        )
        .group_by(link.c.entity_id)
    )
    return {int(pid): int(n) for pid, n in conn.execute(query)}


def _dates(conn: Connection, ids: list[int], now: datetime) -> dict[int, tuple[int, int]]:
    """product -> (dates ever, active dates in the next 90 days)."""
    d = m.miomente_course_date
    soon = and_(
        d.c.status == m.DATE_ACTIVE,
        d.c.starts_at >= now,
        d.c.starts_at < now + timedelta(days=90),
    )
    query = (
        select(d.c.product_id, func.count(), func.sum(case((soon, 1), else_=0)))
        .where(sql.int_in(d.c.product_id, ids))
        .group_by(d.c.product_id)
    )
    return {int(pid): (int(n), int(upcoming or 0)) for pid, n, upcoming in conn.execute(query)}


def _reviews(conn: Connection, ids: list[int]) -> dict[int, tuple[int, Decimal | None]]:
    """product -> (approved reviews, average vote 1–5)."""
    r, v = m.review, m.rating_option_vote
    query = (
        select(r.c.entity_pk_value, func.count(func.distinct(r.c.review_id)), func.avg(v.c.value))
        .outerjoin(v, v.c.review_id == r.c.review_id)
        .where(
            sql.int_in(r.c.entity_pk_value, ids),
            r.c.status_id == m.REVIEW_APPROVED,
            r.c.entity_id == m.REVIEW_ENTITY_PRODUCT,
        )
        .group_by(r.c.entity_pk_value)
    )
    return {
        int(pid): (int(n), Decimal(str(avg)) if avg is not None else None)
        for pid, n, avg in conn.execute(query)
    }


def _answered_share(
    db: Databases, reviews: dict[int, tuple[int, Decimal | None]]
) -> dict[int, float]:
    """Share of each course's approved reviews that carry a published answer (capped at 1: an
    answered review the shop later hid still counts its answer, never more than all)."""
    reviewed = [pid for pid, (count, _avg) in reviews.items() if count]
    answered = answered_counts(SYSTEM, db, product_ids=reviewed)
    return {pid: min(1.0, answered.get(pid, 0) / reviews[pid][0]) for pid in reviewed}


def _places(db: Databases, ids: list[int]) -> dict[int, tuple[int, str, str]]:
    """product -> (partner id, city, kind)."""
    query = (
        select(courses.c.product_id, courses.c.partner_id, partners.c.city, partners.c.kind)
        .join(partners, partners.c.partner_id == courses.c.partner_id)
        .where(sql.int_in(courses.c.product_id, ids))
    )
    with db.portal.connect() as conn:
        return {int(r[0]): (int(r[1]), r[2] or "", r[3] or "") for r in conn.execute(query)}


def _gather(db: Databases, ids: list[int], *, now: datetime) -> list[tuple[int, CourseContent]]:
    """(partner id, content) of each course in `ids` that a partner owns."""
    places = _places(db, ids)
    ids = sorted(places)
    with db.magento_read.connect() as conn:
        texts = _texts(conn, ids)
        images = _images(conn, ids)
        dates = _dates(conn, ids, now)
        reviews = _reviews(conn, ids)
    answered = _answered_share(db, reviews)
    out = []
    for pid in ids:
        partner_id, city, kind = places[pid]
        t = texts.get(pid, {})
        ever, upcoming = dates.get(pid, (0, 0))
        count, average = reviews.get(pid, (0, None))
        content = CourseContent(
            product_id=pid,
            name=t.get("name", ""),
            description=t.get("description", ""),
            short_description=t.get("short_description", ""),
            meta_title=t.get("meta_title", ""),
            meta_description=t.get("meta_description", ""),
            url_key=t.get("url_key", ""),
            city=city,
            kind=kind,
            is_course=ever > 0,
            attributes={k: v for k, v in t.items() if k not in _TEXTS},
            images=images.get(pid, 0),
            upcoming_dates=upcoming,
            reviews=count,
            average=average,
            answered_share=answered.get(pid),  # None: no review to answer yet
        )
        out.append((partner_id, content))
    return out


@requires(DATES_READ)
def course_content(
    viewer: Viewer, db: Databases, *, product_ids: Sequence[int], now: datetime | None = None
) -> list[CourseContent]:
    """What the score reads about each of the viewer's courses in `product_ids`."""
    owners = scope.product_partner_map(viewer, db)
    ids = sorted({int(p) for p in product_ids})
    if any(p not in owners for p in ids):
        raise ScopeError()
    keywords = KeywordIndex(search_log(db))
    return [
        replace(c, keyword=focus_keyword(c, keywords))
        for _partner, c in _gather(db, ids, now=now or now_utc())
    ]


# --- writing -----------------------------------------------------------------------------------


def _store(db: Databases, scored: list[tuple[int, int, Score]], *, now: datetime) -> None:
    day = berlin_today(now)
    current = [
        {
            "product_id": pid,
            "partner_id": partner_id,
            "score": s.total,
            "items": s.items_json(),
            "keyword": (s.keyword or "")[:255] or None,
            "computed_at": now,
        }
        for partner_id, pid, s in scored
    ]
    history = [
        {"product_id": pid, "day": day, "partner_id": partner_id, "score": s.total}
        for partner_id, pid, s in scored
    ]
    with db.portal.begin() as conn:
        sql.upsert(conn, scores_table, current, index_elements=["product_id"])
        sql.upsert(conn, course_score_history, history, index_elements=["product_id", "day"])


@requires(DATES_READ)
def score_courses(
    viewer: Viewer,
    db: Databases,
    *,
    product_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score and store the viewer's courses (or those of `product_ids`, all in scope)."""
    viewer.require_writer()
    owners = scope.product_partner_map(viewer, db)
    if product_ids is None:
        ids = sorted(owners)
    else:
        ids = sorted({int(p) for p in product_ids})
        if any(p not in owners for p in ids):
            raise ScopeError()
    moment = now or now_utc()
    keywords = KeywordIndex(search_log(db))
    done = 0
    for begin in range(0, len(ids), max(1, chunk)):
        part = ids[begin : begin + max(1, chunk)]
        found = _gather(db, part, now=moment)
        scored = [(partner, c.product_id, score(c, keywords=keywords)) for partner, c in found]
        _store(db, scored, now=moment)
        done += len(found)
        if progress is not None:
            progress(len(part))
    return done


@requires(DATES_READ)
def rescore_course(
    viewer: Viewer, db: Databases, *, product_id: int, now: datetime | None = None
) -> CourseScore:
    """The page's "Jetzt neu berechnen": score one course of the viewer now, return it."""
    score_courses(viewer, db, product_ids=[int(product_id)], now=now)
    s = scores_table
    query = select(s).where(
        s.c.product_id == int(product_id), scope.partner_filter(s.c.partner_id, viewer)
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise ScopeError()
    return _row(row, _names(db, [int(product_id)]))


# --- reading -----------------------------------------------------------------------------------


def _names(db: Databases, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    v = m.catalog_product_entity_varchar
    query = select(v.c.entity_id, v.c.value).where(
        sql.int_in(v.c.entity_id, ids),
        v.c.attribute_id == m.PRODUCT_ATTRIBUTES["name"][0],
        v.c.store_id == 0,
    )
    with db.magento_read.connect() as conn:
        return {int(pid): str(name or "") for pid, name in conn.execute(query)}


def _row(r: object, names: dict[int, str]) -> CourseScore:
    pid = int(r.product_id)  # type: ignore[attr-defined]
    return CourseScore(
        product_id=pid,
        partner_id=int(r.partner_id),  # type: ignore[attr-defined]
        name=names.get(pid, ""),
        score=int(r.score),  # type: ignore[attr-defined]
        items=items_from_json(r.items),  # type: ignore[attr-defined]
        keyword=r.keyword,  # type: ignore[attr-defined]
        computed_at=r.computed_at,  # type: ignore[attr-defined]
    )


@requires(DATES_READ)
def course_scores(viewer: Viewer, db: Databases, *, names: bool = True) -> list[CourseScore]:
    """The viewer's stored scores, biggest possible gain first (one query on partner, score)."""
    s = scores_table
    query = (
        select(s)
        .where(scope.partner_filter(s.c.partner_id, viewer))
        .order_by(s.c.score, s.c.product_id)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    found = _names(db, [int(r.product_id) for r in rows]) if names else {}
    return [_row(r, found) for r in rows]


@dataclass(frozen=True)
class UnscoredCourse:
    product_id: int
    name: str


@requires(DATES_READ)
def unscored_courses(viewer: Viewer, db: Databases) -> list[UnscoredCourse]:
    """The viewer's courses without a stored score yet (a new course before the nightly job
    ran), by product id: one query for the courses the score table lacks, then their names."""
    c, s = courses, scores_table
    query = (
        select(c.c.product_id)
        .outerjoin(s, s.c.product_id == c.c.product_id)
        .where(s.c.product_id.is_(None), scope.partner_filter(c.c.partner_id, viewer))
        .order_by(c.c.product_id)
    )
    with db.portal.connect() as conn:
        ids = [int(pid) for pid in conn.execute(query).scalars()]
    names = _names(db, ids)
    return [UnscoredCourse(pid, names.get(pid, "")) for pid in ids]


@requires(DATES_READ)
def score_history(viewer: Viewer, db: Databases, *, product_ids: Sequence[int]) -> pd.DataFrame:
    """(product_id, day, score) of the viewer's courses among `product_ids`, oldest first."""
    h = course_score_history
    query = (
        select(h.c.product_id, h.c.day, h.c.score)
        .where(
            sql.int_in(h.c.product_id, [int(p) for p in product_ids]),
            scope.partner_filter(h.c.partner_id, viewer),
        )
        .order_by(h.c.product_id, h.c.day)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["product_id", "day", "score"])


@dataclass(frozen=True)
class Overview:
    rows: pd.DataFrame  # product_id, name, partner_id, partner, score, gain, computed_at
    total: int  # rows over all pages


@requires(DATES_READ)
def score_overview(
    viewer: Viewer,
    db: Databases,
    *,
    page: int = 0,
    page_size: int = 50,
    sort: str = "score_asc",
) -> Overview:
    """Staff: every partner's course scores, one page, sorted by score (or partner)."""
    viewer.require_staff()
    s, p = scores_table, partners
    order = {
        "score_asc": (s.c.score, s.c.product_id),
        "score_desc": (s.c.score.desc(), s.c.product_id),
        "partner": (p.c.name, s.c.score, s.c.product_id),
    }[sort if sort in SORTS else "score_asc"]
    size = max(1, min(int(page_size), 200))
    query = (
        select(s.c.product_id, s.c.partner_id, p.c.name, s.c.score, s.c.computed_at)
        .join(p, p.c.partner_id == s.c.partner_id)
        .where(scope.partner_filter(s.c.partner_id, viewer))
        .order_by(*order)
        .limit(size)
        .offset(max(0, int(page)) * size)
    )
    counted = (
        select(func.count()).select_from(s).where(scope.partner_filter(s.c.partner_id, viewer))
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
        total = int(conn.execute(counted).scalar_one())
    names = _names(db, [int(r[0]) for r in rows])
    frame = pd.DataFrame(
        [(int(r[0]), names.get(int(r[0]), ""), int(r[1]), r[2], int(r[3]), 100 - int(r[3]), r[4])
         for r in rows],
        columns=["product_id", "name", "partner_id", "partner", "score", "gain", "computed_at"],
    )  # fmt: skip
    return Overview(frame, total)
