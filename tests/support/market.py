"""A small market for the Marketing views: cooking schools in Hamburg, one in München, a wine
school, their courses with texts and prices, past dates with known sales, and a search log.

Partner 1 ("Kochschule Alpha", user 10) owns the course under test, 101 "Pasta-Kurs in
Hamburg" at 95 €: 9 of 20 seats sold in the last year (45 %). Its similar courses in Hamburg
are its own 102 (99 €, 10/10) and three of other schools: 201 (69 €, 9/10), 202 (79 €,
8/10) and 301 (109 €, 5/20). So the cheaper ones are 85 % full, the dearer ones 50 %, the
median price is 89 € and the advice is to check the price. Not counted: a future date, a
date older than a year, a cancelled date and a cancelled order. 401 (München) and 501 (wine)
are no similar courses. `hostile=True` puts tests/support/worlds.HOSTILE in front of the
course names and of a search term that leads to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert

from core.db import Databases
from data import portal_schema as p
from data.shop import schema as m
from tests.support.shop import Item, add_order
from tests.support.worlds import HOSTILE, _password_hash

NOW = datetime(2026, 11, 25, 12, 0)
PARTNER_USER, OTHER_USER, STAFF_USER = 10, 20, 30

# partner_id, name, kind, postcode, city
PARTNERS = [
    (1, "Kochschule Alpha", "Kochschule", "20457", "Hamburg"),
    (2, "Kochwerk Nord", "Kochschule", "22765", "Hamburg"),
    (3, "Küche an der Elbe", "Kochschule", "21073", "Hamburg"),
    (4, "Kochstudio Süd", "Kochschule", "80331", "München"),
    (5, "Weinschule Hafen", "Weinschule", "20459", "Hamburg"),
]
# product_id, partner, name, description, price
COURSES = [
    (101, 1, "Pasta-Kurs in Hamburg",
     "<p>Frische <b>Pasta</b> von Hand: Tagliatelle mit Salbeibutter.</p>", "95.00"),
    (102, 1, "Sushi für Einsteiger", "<p>Reis, Nori und eine Sauce.</p>", "99.00"),
    (201, 2, "Ravioli und Gnocchi",
     "<p>Wir füllen Ravioli, formen Gnocchi und kochen Saucen.</p>", "69.00"),
    (202, 2, "Italienische Pasta-Werkstatt", "<p>Ravioli, Tagliatelle und eine Sauce.</p>",
     "79.00"),
    (301, 3, "Spanischer Tapas-Abend", "<p>Tapas, Tortilla und eine Sauce zum Wein.</p>",
     "109.00"),
    (401, 4, "Pasta in München", "<p>Ravioli und Gnocchi in München.</p>", "59.00"),
    (501, 5, "Weinprobe Riesling", "<p>Sechs Rieslinge und Käse.</p>", "49.00"),
]  # fmt: skip
# date_id, product, days before NOW (negative: ahead), seats, sold, status
DATES = [
    (1011, 101, 30, 10, 4, m.DATE_ACTIVE),
    (1012, 101, 60, 10, 5, m.DATE_ACTIVE),
    (1013, 101, -20, 10, 2, m.DATE_ACTIVE),  # ahead: still selling, not counted
    (1014, 101, 400, 10, 10, m.DATE_ACTIVE),  # older than a year
    (1015, 101, 90, 10, 0, m.DATE_CANCELLED),
    (1021, 102, 45, 10, 10, m.DATE_ACTIVE),
    (2011, 201, 30, 10, 9, m.DATE_ACTIVE),
    (2021, 202, 30, 10, 8, m.DATE_ACTIVE),
    (3011, 301, 30, 20, 5, m.DATE_ACTIVE),
    (4011, 401, 30, 10, 1, m.DATE_ACTIVE),
    (5011, 501, 30, 10, 10, m.DATE_ACTIVE),
]
# query_text, store, popularity, results
SEARCHES = [
    ("ravioli", 1, 80, 4),
    ("Ravioli", 0, 20, 4),  # another store and spelling: one idea, 100 searches
    ("pasta", 1, 200, 9),
    ("gnocchi ravioli", 1, 60, 2),
    ("tapas", 1, 40, 1),
    ("trüffel", 1, 300, 0),  # found nothing in the shop
    ("weinprobe hamburg", 1, 300, 3),
    ("pasta münchen", 1, 90, 2),
]


def _attr(code: str) -> int:
    return m.PRODUCT_ATTRIBUTES[code][0]


def _portal(db: Databases) -> None:
    with db.portal.begin() as conn:
        for pid, name, kind, postcode, city in PARTNERS:
            conn.execute(
                insert(p.partners).values(
                    partner_id=pid, slug=f"p{pid}", name=name, kind=kind, legal_name=name,
                    street="Weg 1", postcode=postcode, city=city, email=f"p{pid}@example.org",
                )
            )  # fmt: skip
        for user_id, partner_id, role in (
            (10, 1, "partner"),
            (20, 2, "partner"),
            (30, None, "staff"),
        ):
            conn.execute(
                insert(p.users).values(
                    user_id=user_id, username=f"u{user_id}", display_name=f"User {user_id}",
                    email=f"u{user_id}@example.org", password_hash=_password_hash(), role=role,
                    partner_id=partner_id,
                )
            )  # fmt: skip
        for product_id, partner_id, *_rest in COURSES:
            conn.execute(
                insert(p.courses).values(
                    course_id=product_id, partner_id=partner_id, product_id=product_id,
                    sku=f"SKU-{product_id}",
                )
            )  # fmt: skip


def _catalog(conn, *, hostile: bool) -> None:
    for pid, _partner, name, description, price in COURSES:
        shown = f"{HOSTILE}{name}" if hostile else name
        conn.execute(insert(m.catalog_product_entity).values(entity_id=pid, sku=f"SKU-{pid}"))
        conn.execute(
            insert(m.catalog_product_entity_varchar),
            [
                dict(attribute_id=_attr("name"), store_id=0, entity_id=pid, value=shown),
                dict(attribute_id=_attr("meta_title"), store_id=0, entity_id=pid, value=name),
            ],
        )
        conn.execute(
            insert(m.catalog_product_entity_text).values(
                attribute_id=_attr("description"), store_id=0, entity_id=pid, value=description
            )
        )
        conn.execute(
            insert(m.catalog_product_entity_decimal).values(
                attribute_id=_attr("price"), store_id=0, entity_id=pid, value=Decimal(price)
            )
        )
        conn.execute(
            insert(m.catalog_product_entity_int).values(
                attribute_id=_attr("status"), store_id=0, entity_id=pid, value=m.PRODUCT_ENABLED
            )
        )


def _sales(conn) -> None:
    order_id, item_id = 9000, 90000
    price = {pid: Decimal(pr) for pid, _p, _n, _d, pr in COURSES}
    for date_id, pid, days_ago, seats, sold, status in DATES:
        starts = NOW - timedelta(days=days_ago)
        conn.execute(
            insert(m.miomente_course_date).values(
                date_id=date_id, product_id=pid, starts_at=starts,
                ends_at=starts + timedelta(hours=3), seats_total=seats, price=price[pid],
                status=status,
            )
        )  # fmt: skip
        if sold:
            order_id, item_id = order_id + 1, item_id + 1
            item = Item(item_id, pid, date_id=date_id, qty=sold, price=price[pid])
            add_order(conn, order_id=order_id, items=[item], created_at=starts - timedelta(days=7))
    # A cancelled order on 101's counted date: takes no seat.
    item = Item(item_id + 1, 101, date_id=1011, qty=3, price=price[101])
    add_order(
        conn, order_id=order_id + 1, items=[item], created_at=NOW - timedelta(days=40),
        status="canceled", state="canceled",
    )  # fmt: skip


def build_market(db: Databases, *, hostile: bool = False) -> None:
    _portal(db)
    with db.magento.begin() as conn:
        _catalog(conn, hostile=hostile)
        _sales(conn)
        searches = list(SEARCHES)
        if hostile:
            searches.append((f"{HOSTILE} ravioli", 1, 999, 1))
        conn.execute(
            insert(m.search_query),
            [
                dict(query_text=q, store_id=s, popularity=pop, num_results=res, updated_at=NOW)
                for q, s, pop, res in searches
            ],
        )
