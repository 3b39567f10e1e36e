"""Similar courses: the same kind of course in the same city, else the region, else anywhere.

A course's kind and place are its partner's (`miomente_partners.kind`, `city`, `postcode`).
The comparison widens until it holds at least `MIN_OTHERS` enabled courses of *other*
partners (the partner's own courses alone say nothing about the market): the city, then the
postcode region (first digit, the German Leitzone), then every course of the kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select

from core import sql
from core.db import Databases
from data.access import scope
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import courses, partners
from data.shop.schema import (
    PRODUCT_ATTRIBUTES,
    PRODUCT_ENABLED,
    catalog_product_entity_int,
    catalog_product_entity_text,
    catalog_product_entity_varchar,
)

MIN_OTHERS = 3
AREA_CITY, AREA_REGION, AREA_KIND = "city", "region", "kind"
# The Magento texts a course is found by, in this order.
TEXT_FIELDS = ("name", "short_description", "description", "meta_title", "meta_description")


@dataclass(frozen=True)
class Place:
    product_id: int
    partner_id: int
    kind: str
    city: str
    region: str


@dataclass(frozen=True)
class Peers:
    course: Place
    area: str  # AREA_CITY, AREA_REGION or AREA_KIND
    area_name: str  # "Hamburg", "2" (postcode region) or the kind
    places: tuple[Place, ...]  # the similar courses, without the course itself
    kind_ids: tuple[int, ...]  # every enabled course of the kind (the catalogue for TF-IDF)


def _region(postcode: str | None) -> str:
    return (postcode or "").strip()[:1]


def _kind_places(db: Databases, kind: str) -> list[Place]:
    query = (
        select(courses.c.product_id, courses.c.partner_id, partners.c.city, partners.c.postcode)
        .join(partners, partners.c.partner_id == courses.c.partner_id)
        .where(partners.c.kind == kind, partners.c.active.is_(True))
        .order_by(courses.c.product_id)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    return [Place(int(r[0]), int(r[1]), kind, r[2] or "", _region(r[3])) for r in rows]


def _enabled(db: Databases, product_ids: list[int]) -> set[int]:
    status = catalog_product_entity_int
    query = select(status.c.entity_id).where(
        sql.int_in(status.c.entity_id, product_ids),
        status.c.attribute_id == PRODUCT_ATTRIBUTES["status"][0],
        status.c.store_id == 0,
        status.c.value == PRODUCT_ENABLED,
    )
    with db.magento_read.connect() as conn:
        return {int(r[0]) for r in conn.execute(query)}


def own_place(viewer: Viewer, db: Databases, product_id: int) -> Place:
    """The viewer's course with its kind and place; ScopeError for a course not in scope."""
    owners = scope.product_partner_map(viewer, db)
    if int(product_id) not in owners:
        raise ScopeError()
    query = (
        select(partners.c.kind, partners.c.city, partners.c.postcode)
        .join(courses, courses.c.partner_id == partners.c.partner_id)
        .where(courses.c.product_id == int(product_id))
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).one()
    return Place(int(product_id), owners[int(product_id)], row[0], row[1] or "", _region(row[2]))


def _widest_needed(course: Place, others: list[Place]) -> tuple[str, str]:
    """The narrowest area with enough courses of other partners."""
    foreign = [p for p in others if p.partner_id != course.partner_id]
    if sum(p.city == course.city for p in foreign) >= MIN_OTHERS:
        return AREA_CITY, course.city
    if course.region and sum(p.region == course.region for p in foreign) >= MIN_OTHERS:
        return AREA_REGION, course.region
    return AREA_KIND, course.kind


def find_peers(viewer: Viewer, db: Databases, product_id: int) -> Peers:
    """The course (checked against the viewer) and its similar courses."""
    course = own_place(viewer, db, product_id)
    places = _kind_places(db, course.kind)
    enabled = _enabled(db, [p.product_id for p in places])
    others = [p for p in places if p.product_id in enabled and p.product_id != product_id]
    area, name = _widest_needed(course, others)
    if area == AREA_CITY:
        others = [p for p in others if p.city == course.city]
    elif area == AREA_REGION:
        others = [p for p in others if p.region == course.region]
    kind_ids = tuple(sorted(enabled | {course.product_id}))
    return Peers(course, area, name, tuple(others), kind_ids)


def course_texts(db: Databases, product_ids: list[int]) -> dict[int, dict[str, str]]:
    """product id -> {field: text} of the default store for the fields in TEXT_FIELDS."""
    wanted = {PRODUCT_ATTRIBUTES[f][0]: f for f in TEXT_FIELDS}
    found: dict[int, dict[str, str]] = {pid: {} for pid in product_ids}
    with db.magento_read.connect() as conn:
        for table in (catalog_product_entity_varchar, catalog_product_entity_text):
            query = select(table.c.entity_id, table.c.attribute_id, table.c.value).where(
                and_(
                    sql.int_in(table.c.entity_id, product_ids),
                    table.c.attribute_id.in_(list(wanted)),
                    table.c.store_id == 0,
                )
            )
            for pid, attribute, value in conn.execute(query):
                found[int(pid)][wanted[int(attribute)]] = value or ""
    return found
