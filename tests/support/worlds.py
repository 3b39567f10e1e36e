"""A small, hand-made shop and portal with two partners, for scope and data tests.

Partner A ("Kochschule Alpha") and partner B ("Weinschule Beta") each have courses, dates,
orders and reviews, and order 1003 holds one item of each. `build_world(db, partners="AB")`
writes both; `partners="A"` writes the same rows for A only, with the shared order's totals
recomputed from A's item, so any figure of A that changes between the two worlds leaked
something of B. Ids are fixed so both worlds give A the same ids.

Dates are relative to the world's clock `now` (naive UTC, default: the real time), so functions
that default to "today" see this week and this month. They hold on every weekday and at any
hour: this week's dates may already be past (from Thursday on; a test that needs them ahead
passes a `now=` from before the week, e.g. a month ago), this month's orders are never later
than `now` (on the 1st before 10:00 they are placed at the Berlin month's first moment), last
month's are on its 15th, and date 13 is 40 days ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Connection, func, insert, literal, select, update

from core import periods
from core.db import Databases
from data import portal_schema as p
from data.access.users import hash_password
from data.access.viewer import SYSTEM
from data.bookings.ledger import sync_ledger
from data.shop import schema as m
from messaging.render import TEMPLATES
from tests.support.shop import Customer, Item, add_order

PASSWORD = "richtig-geheim"
_HASH: list[str] = []


@dataclass(frozen=True)
class Marker:
    """Strings and amounts that belong to B alone and must never reach A."""

    partner_name: str = "Weinschule Beta"
    course_names: tuple[str, ...] = ("Beta Rotweinseminar", "Beta Sektprobe")
    customer_email: str = "zora.beta@example.org"
    amount: Decimal = Decimal("777.77")


B = Marker()

# What an attacker or a careless customer types into any text field: a blank line (it would
# end an HTML block), a Markdown image and link, raw HTML, an emoji shortcode and LaTeX. It
# goes in front of each value, so that a shortened value (a calendar entry) still starts so.
HOSTILE = (
    "\n\n![x](https://evil.example/x.png) [Jetzt neu anmelden](https://evil.example)"
    " <img src=x onerror=alert(1)> :smile: $x^2$ "
)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=periods.BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def _advance_sequences(conn: Connection) -> None:
    """PostgreSQL: move id sequences past the fixed ids written here, so later inserts work."""
    if conn.dialect.name != "postgresql":
        return
    for table in (p.partners, p.users, p.courses, p.outbox, p.waitlist, p.announcements):
        pk = next(iter(table.primary_key.columns)).name
        conn.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(table.name, pk),
                    select(func.coalesce(func.max(table.c[pk]), 0) + 1).scalar_subquery(),
                    False,
                )
            )
        )


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def build_world(
    db: Databases,
    *,
    partners: str = "AB",
    sync: bool = True,
    now: datetime | None = None,
    hostile: bool = False,
) -> None:
    now = (now or datetime.now(UTC).replace(tzinfo=None)).replace(microsecond=0)
    today = periods.berlin_today(now.replace(tzinfo=UTC))
    week_monday = today - timedelta(days=today.weekday())
    month_first = today.replace(day=1)
    last_month = (month_first - timedelta(days=1)).replace(day=15)

    partner_rows = {
        "A": dict(
            partner_id=1,
            slug="alpha",
            name="Kochschule Alpha",
            kind="Kochschule",
            legal_name="Alpha Kochschule GmbH",
            street="Hafenstraße 1",
            postcode="20457",
            city="Hamburg",
            email="info@alpha.example",
            commission_rate=Decimal("25.00"),
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            account_holder="Alpha Kochschule GmbH",
        ),
        "B": dict(
            partner_id=2,
            slug="beta",
            name=B.partner_name,
            kind="Weinschule",
            legal_name="Beta Wein GbR",
            street="Rheinweg 7",
            postcode="65343",
            city="Eltville am Rhein",
            email="info@beta.example",
            commission_rate=Decimal("20.00"),
            iban="DE02120300000000202051",
            bic="BYLADEM1001",
            account_holder="Beta Wein GbR",
        ),
    }
    # product_id, sku, name, price, owner
    products = [
        (101, "ALP-PASTA", "Alpha Pasta-Werkstatt", Decimal("89.00"), "A"),
        (102, "ALP-SUSHI", "Alpha Sushi für Einsteiger", Decimal("99.00"), "A"),
        (201, "BET-ROT", B.course_names[0], Decimal("69.00"), "B"),
        (202, "BET-SEKT", B.course_names[1], Decimal("59.00"), "B"),
    ]
    wednesday = week_monday + timedelta(days=2)
    dates = [  # date_id, product, starts (Berlin), seats
        (11, 101, _utc(wednesday, 18), 12),
        (12, 102, _utc(week_monday + timedelta(days=4), 18, 30), 10),
        (13, 101, _utc(today + timedelta(days=40), 18), 12),
        (21, 201, _utc(wednesday, 19), 16),
        (22, 202, _utc(week_monday + timedelta(days=5), 17), 14),
    ]
    # The 1st, 10:00 Berlin; before that hour the month's first moment: never in the future,
    # and the same for every world built that day (tests compare two worlds' figures).
    this_month = _utc(month_first, 10) if _utc(month_first, 10) <= now else _utc(month_first, 0)
    # order_id, status, state, created, customer, email, items[(item_id, product, date, qty, price)]
    orders = [
        (
            1001,
            m.STATUS_PENDING_PARTNER,
            "processing",
            this_month,
            ("Anna", "Adler"),
            "anna.adler@example.org",
            [(5001, 101, 11, 2, Decimal("89.00"))],
        ),
        (
            1002,
            m.STATUS_CONFIRMED,
            "processing",
            _utc(last_month, 9),
            ("Bernd", "Alt"),
            "bernd.alt@example.org",
            [(5002, 102, 12, 1, Decimal("99.00"))],
        ),
        (
            1003,
            m.STATUS_PENDING_PARTNER,
            "processing",
            this_month,
            ("Dora", "Gemeinsam"),
            "dora.gemeinsam@example.org",
            [(5003, 101, 11, 1, Decimal("89.00")), (5004, 201, 21, 1, B.amount)],
        ),
        (
            1004,
            "canceled",
            "canceled",
            this_month,
            ("Carla", "Acker"),
            "carla.acker@example.org",
            [(5005, 101, 11, 3, Decimal("89.00"))],
        ),
        (
            2001,
            m.STATUS_PENDING_PARTNER,
            "processing",
            this_month,
            ("Zora", "Beta"),
            B.customer_email,
            [(5101, 202, 22, 4, Decimal("59.00"))],
        ),
        (
            2002,
            "complete",
            "complete",
            _utc(last_month, 11),
            ("Xaver", "Beta"),
            "xaver.beta@example.org",
            [(5102, 201, 21, 2, Decimal("69.00"))],
        ),
    ]
    reviews = [(1, 101, 5, "A"), (2, 102, 4, "A"), (3, 201, 1, "B"), (4, 202, 2, "B")]

    keep = set(partners)
    owner_of = {pid: owner for pid, _s, _n, _p, owner in products}
    sku_of = {pid: sku for pid, sku, _n, _p, _o in products}
    name_of = {pid: name for pid, _s, name, _p, _o in products}
    with db.portal.begin() as conn:
        for key in sorted(keep):
            conn.execute(insert(p.partners).values(**partner_rows[key]))
        users = [
            dict(
                user_id=10,
                username="alpha",
                display_name="Alpha Team",
                partner_id=1,
                role="partner",
                email="team@alpha.example",
            ),
            dict(
                user_id=20,
                username="beta",
                display_name="Beta Team",
                partner_id=2,
                role="partner",
                email="team@beta.example",
            ),
            dict(
                user_id=30,
                username="staff",
                display_name="Miomente Staff",
                partner_id=None,
                role="staff",
                email="staff@miomente.example",
            ),
        ]
        for user in users:
            owner = {1: "A", 2: "B"}.get(user["partner_id"])
            if owner is None or owner in keep:
                conn.execute(insert(p.users).values(**user, password_hash=_password_hash()))
        for pid, sku, _name, _price, owner in products:
            if owner in keep:
                conn.execute(
                    insert(p.courses).values(
                        course_id=pid,
                        partner_id=partner_rows[owner]["partner_id"],
                        product_id=pid,
                        sku=sku,
                    )
                )

        messages = [  # outbox rows sent on behalf of each partner, and one of Miomente's own
            (1, 1, "A", "anna.adler@example.org", "booking_confirmed"),
            (2, 2, "B", B.customer_email, "booking_confirmed"),
            # In every world: new messages then get the same ids whichever partners exist.
            (10, None, None, "team@miomente.example", "booking_confirmed"),
        ]
        for message_id, partner_id, owner, recipient, template in messages:
            if owner is None or owner in keep:
                conn.execute(
                    insert(p.outbox).values(
                        message_id=message_id,
                        channel="email",
                        template=template,
                        recipient=recipient,
                        locale="de",
                        payload=dict(TEMPLATES[template].sample),
                        partner_id=partner_id,
                        dedupe_key=f"world-{message_id}",
                        status="failed",
                        last_error="550 mailbox unavailable",
                        created_at=this_month,
                        updated_at=this_month,
                        next_attempt_at=this_month,
                    )
                )

        _add_waitlist(conn, keep, now)
        _add_news(conn, keep, now)
        _advance_sequences(conn)

    with db.magento.begin() as conn:
        for pid, sku, name, price, owner in products:
            if owner not in keep:
                continue
            conn.execute(insert(m.catalog_product_entity).values(entity_id=pid, sku=sku))
            conn.execute(
                insert(m.catalog_product_entity_varchar).values(
                    attribute_id=m.PRODUCT_ATTRIBUTES["name"][0],
                    store_id=0,
                    entity_id=pid,
                    value=name,
                )
            )
            conn.execute(
                insert(m.catalog_product_entity_decimal).values(
                    attribute_id=m.PRODUCT_ATTRIBUTES["price"][0],
                    store_id=0,
                    entity_id=pid,
                    value=price,
                )
            )
            conn.execute(
                insert(m.catalog_product_entity_int).values(
                    attribute_id=m.PRODUCT_ATTRIBUTES["status"][0],
                    store_id=0,
                    entity_id=pid,
                    value=m.PRODUCT_ENABLED,
                )
            )
        for date_id, pid, starts, seats in dates:
            if owner_of[pid] in keep:
                conn.execute(
                    insert(m.miomente_course_date).values(
                        date_id=date_id,
                        product_id=pid,
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=3),
                        seats_total=seats,
                        price=next(pr for q, _s, _n, pr, _o in products if q == pid),
                    )
                )
        for oid, status, state, created, (first, last), email, items in orders:
            kept = [i for i in items if owner_of[i[1]] in keep]
            if not kept:
                continue
            add_order(
                conn,
                order_id=oid,
                items=[
                    Item(item_id, pid, date_id, qty, price, sku=sku_of[pid], name=name_of[pid])
                    for item_id, pid, date_id, qty, price in kept
                ],
                created_at=created,
                status=status,
                state=state,
                customer=Customer(first, last, email),
                history="Bestellung eingegangen",
            )
        for review_id, pid, stars, owner in reviews:
            if owner not in keep:
                continue
            conn.execute(
                insert(m.review).values(
                    review_id=review_id,
                    entity_pk_value=pid,
                    status_id=m.REVIEW_APPROVED,
                    # fixed, not the build's clock: two worlds built apart must read alike
                    created_at=_utc(last_month, 12 + review_id),
                )
            )
            conn.execute(
                insert(m.review_detail).values(
                    review_id=review_id,
                    title="Toller Kurs",
                    detail="Sehr empfehlenswert.",
                    nickname=f"Gast {review_id}",
                )
            )
            conn.execute(
                insert(m.rating_option_vote).values(
                    option_id=stars,
                    rating_id=1,
                    review_id=review_id,
                    entity_pk_value=pid,
                    percent=stars * 20,
                    value=stars,
                )
            )
    if hostile:
        _make_hostile(db)
    # The booking ledger as the sync job leaves it (no new-booking mail: dates vary by day).
    if sync:
        sync_ledger(SYSTEM, db, notify=False, now=now)


def _add_waitlist(conn: Connection, keep: set[str], now: datetime) -> None:
    """One waiting customer per partner (A: a couple for any date of 101; B: a group of three
    for B's first course). A's has the highest id, so new entries get the same ids in every
    world."""
    rows = [
        (2, "A", 1, 101, "Wanda Warte", "wanda.warte@example.org", 2),
        (1, "B", 2, 201, "Zora Beta", B.customer_email, 3),
    ]
    for entry_id, owner, partner_id, product_id, name, email, seats in rows:
        if owner not in keep:
            continue
        since = _utc(periods.berlin_today(now.replace(tzinfo=UTC)) - timedelta(days=20), 9)
        conn.execute(
            insert(p.waitlist).values(
                entry_id=entry_id,
                partner_id=partner_id,
                product_id=product_id,
                date_id=0,
                customer_name=name,
                email=email,
                seats=seats,
                source="phone",
                note="Ruft gern zurück",
                consent_at=since,
                created_at=since,
                updated_at=since,
            )
        )


def _add_news(conn: Connection, keep: set[str], now: datetime) -> None:
    """An announcement for B only (id 1, if B is in the world) and one for all (id 2), both
    published a day ago, so new announcements get the same ids in every world."""
    day_ago = now.replace(tzinfo=None) - timedelta(days=1)
    rows = [(1, "B", f"Nur für {B.partner_name}"), (2, None, "Für alle Partner")]
    for announcement_id, only, title in rows:
        if only is not None and only not in keep:
            continue
        conn.execute(
            insert(p.announcements).values(
                announcement_id=announcement_id, title=title, body="Hallo **Partner**",
                category="news", all_partners=only is None, pinned=False, publish_at=day_ago,
                created_at=day_ago, created_by=30, updated_at=day_ago,
            )
        )  # fmt: skip
        if only == "B":
            conn.execute(insert(p.announcement_partners).values(announcement_id=1, partner_id=2))


# Every text the portal shows that a customer, partner, the shop or staff wrote. Codes the
# portal branches on (status, sku, template, locale, role, username) stay as they are.
_HOSTILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "miomente_partners": (
        "name", "kind", "legal_name", "street", "city", "email", "account_holder",
    ),
    "miomente_users": ("display_name", "email"),
    "miomente_outbox": ("recipient", "last_error"),
    "miomente_waitlist": ("customer_name", "note"),
    # Only the title: the body is staff's own Markdown, links allowed (core/markdown.py).
    "miomente_announcements": ("title",),
    "catalog_product_entity_varchar": ("value",),
    "sales_order": ("customer_firstname", "customer_lastname", "customer_email"),
    "sales_order_item": ("name",),
    "sales_order_address": (
        "firstname", "lastname", "company", "street", "city", "email", "telephone",
    ),
    "sales_order_status_history": ("comment",),
    "sales_order_status": ("label",),
    "review_detail": ("title", "detail", "nickname"),
}  # fmt: skip


def _make_hostile(db: Databases) -> None:
    """`HOSTILE` in front of every text field of the world (and of each outbox payload's texts)."""
    for engine, schema in ((db.portal, p.metadata), (db.magento, m.metadata)):
        with engine.begin() as conn:
            for name, columns in _HOSTILE_COLUMNS.items():
                table = schema.tables.get(name)
                if table is None:
                    continue
                conn.execute(
                    update(table).values(
                        {c: literal(HOSTILE) + func.coalesce(table.c[c], "") for c in columns}
                    )
                )
    with db.portal.begin() as conn:
        for row in conn.execute(select(p.outbox.c.message_id, p.outbox.c.payload)).all():
            payload = {k: HOSTILE + v if isinstance(v, str) else v for k, v in row.payload.items()}
            conn.execute(
                update(p.outbox)
                .where(p.outbox.c.message_id == row.message_id)
                .values(payload=payload)
            )
