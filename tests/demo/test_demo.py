"""Demo data: what a person trying the demo would notice, on SQLite and on the servers.

One small demo (600 orders) is generated per backend and shared by the read-only tests;
tests that write get their own empty databases from `databases`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import bcrypt
import pytest
from sqlalchemy import Engine, Table, func, insert, select

from core.db import Databases
from core.settings import Settings
from data import demo
from data import portal_schema as p
from data.demo import build as demo_build
from data.demo import plan as demo_plan
from data.shop import schema as m
from tests.conftest import BACKENDS, fresh_databases

ORDERS = 600
SEED = 42
TODAY = date(2026, 11, 25)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")
CENT = Decimal("0.01")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Module-scoped, so that `demo` and `databases` in one test share the backend."""
    return request.param


@pytest.fixture(scope="module")
def demo_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    with fresh_databases(backend, tmp_path_factory.mktemp(f"demo-{backend}")) as db:
        demo.generate(db, orders=ORDERS, seed=SEED, today=TODAY)
        yield db


def _rows(engine: Engine, table: Table) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        pk = list(table.primary_key.columns)
        return [tuple(r) for r in conn.execute(select(table).order_by(*pk))]


def _normal(value: object) -> object:
    """The same value whichever database returned it (SQLite gives floats for DECIMAL)."""
    if isinstance(value, (Decimal, float)):
        return str(Decimal(value).quantize(CENT))
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return value


def _fingerprint(db: Databases, tables: tuple[Table, ...]) -> str:
    digest = hashlib.sha256()
    for table in tables:
        for row in _rows(db.magento, table):
            digest.update(repr(tuple(_normal(v) for v in row)).encode())
    return digest.hexdigest()


ORDER_TABLES = (
    m.sales_order,
    m.sales_order_item,
    m.sales_order_status_history,
    m.sales_order_payment,
    m.sales_order_address,
    m.miomente_course_date,
    m.review_detail,
    m.rating_option_vote,
)


def _partner_of_product(db: Databases) -> dict[int, int]:
    with db.portal.connect() as conn:
        return dict(conn.execute(select(p.courses.c.product_id, p.courses.c.partner_id)).all())


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_rows(demo_db: Databases, databases: Databases) -> None:
    demo.generate(databases, orders=ORDERS, seed=SEED, today=TODAY)
    assert _fingerprint(databases, ORDER_TABLES) == _fingerprint(demo_db, ORDER_TABLES)


def test_server_bulk_loaders_write_the_same_rows_as_sqlite(tmp_path: Path) -> None:
    with (
        fresh_databases("server", tmp_path) as server,
        fresh_databases("sqlite", tmp_path) as reference,
    ):
        demo.generate(server, orders=ORDERS, seed=SEED, today=TODAY)
        demo.generate(reference, orders=ORDERS, seed=SEED, today=TODAY)
        assert _fingerprint(server, ORDER_TABLES) == _fingerprint(reference, ORDER_TABLES)


def test_new_rows_get_fresh_ids_after_the_bulk_load(databases: Databases) -> None:
    demo.generate(databases, orders=50, seed=SEED, today=TODAY)
    with databases.portal.begin() as conn:
        before = conn.execute(select(func.max(p.users.c.user_id))).scalar_one()
        new_id = conn.execute(
            insert(p.users)
            .values(
                username="neu",
                display_name="Neu",
                email="neu@example.org",
                password_hash="x",
                role=p.ROLE_STAFF,
            )
            .returning(p.users.c.user_id)
        ).scalar_one()
    assert new_id > before


def test_generate_refuses_filled_databases(demo_db: Databases) -> None:
    with pytest.raises(demo.NotEmptyError):
        demo.generate(demo_db, orders=10, seed=SEED, today=TODAY)


# --- partners, logins, courses ----------------------------------------------------------------


def test_named_partners_and_demo_logins(demo_db: Databases) -> None:
    with demo_db.portal.connect() as conn:
        partners = {r.slug: r for r in conn.execute(select(p.partners))}
        users = {r.username: r for r in conn.execute(select(p.users))}
    assert len(partners) >= 6
    assert partners["kochschule"].name.startswith("Kochschule")
    assert partners["weinschule"].name.startswith("Weinschule")
    assert len({r.city for r in partners.values()}) >= 6
    assert len({r.kind for r in partners.values()}) >= 6
    assert any(r.small_business and r.vat_id is None for r in partners.values())
    for username, password, role in demo.DEMO_LOGINS:
        user = users[username]
        assert user.role == role
        assert bcrypt.checkpw(password.encode(), user.password_hash.encode())
        if role == p.ROLE_PARTNER:
            assert user.partner_id == partners[username].partner_id
    assert all(u.locale == "de" for u in users.values())


def test_courses_are_products_with_german_texts(demo_db: Databases) -> None:
    with demo_db.portal.connect() as conn:
        courses = conn.execute(select(p.courses)).all()
        named = dict(conn.execute(select(p.partners.c.partner_id, p.partners.c.slug)).all())
    per_partner: dict[str, int] = defaultdict(int)
    for course in courses:
        per_partner[named[course.partner_id]] += 1
    assert len(courses) >= 60
    assert per_partner["kochschule"] >= 6 and per_partner["weinschule"] >= 6
    name_id = m.PRODUCT_ATTRIBUTES["name"][0]
    status_id = m.PRODUCT_ATTRIBUTES["status"][0]
    with demo_db.magento.connect() as conn:
        skus = dict(
            conn.execute(
                select(m.catalog_product_entity.c.entity_id, m.catalog_product_entity.c.sku)
            ).all()
        )
        names = dict(
            conn.execute(
                select(
                    m.catalog_product_entity_varchar.c.entity_id,
                    m.catalog_product_entity_varchar.c.value,
                ).where(
                    m.catalog_product_entity_varchar.c.attribute_id == name_id,
                    m.catalog_product_entity_varchar.c.store_id == 0,
                )
            ).all()
        )
        statuses = (
            conn.execute(
                select(m.catalog_product_entity_int.c.value).where(
                    m.catalog_product_entity_int.c.attribute_id == status_id
                )
            )
            .scalars()
            .all()
        )
    assert all(skus[c.product_id] == c.sku for c in courses)
    assert "Italienische Pasta-Werkstatt" in names.values()
    assert "Weinprobe: Riesling entdecken" in names.values()
    assert m.PRODUCT_DISABLED in statuses and m.PRODUCT_ENABLED in statuses


# --- orders -----------------------------------------------------------------------------------


def test_every_state_and_partner_status_appears(demo_db: Databases) -> None:
    with demo_db.magento.connect() as conn:
        pairs = set(
            conn.execute(select(m.sales_order.c.status, m.sales_order.c.state).distinct()).all()
        )
        known = set(
            conn.execute(
                select(m.sales_order_status_state.c.status, m.sales_order_status_state.c.state)
            ).all()
        )
    assert {state for _s, state in pairs} == set(m.ORDER_STATES)
    statuses = {status for status, _s in pairs}
    assert {m.STATUS_PENDING_PARTNER, m.STATUS_CONFIRMED, m.STATUS_REJECTED} <= statuses
    assert pairs <= known  # every status sits in its own state


def test_some_orders_mix_two_partners(demo_db: Databases) -> None:
    owner = _partner_of_product(demo_db)
    partners_of: dict[int, set[int]] = defaultdict(set)
    with demo_db.magento.connect() as conn:
        items = conn.execute(select(m.sales_order_item.c.order_id, m.sales_order_item.c.product_id))
        for order_id, product_id in items:
            partners_of[order_id].add(owner[product_id])
    mixed = sum(len(ps) > 1 for ps in partners_of.values())
    assert 0 < mixed < len(partners_of) * 0.1


def test_no_date_is_overbooked(demo_db: Databases) -> None:
    item, order, when = m.sales_order_item, m.sales_order, m.miomente_course_date
    sold = (
        select(item.c.miomente_date_id, func.sum(item.c.qty_ordered).label("sold"))
        .join(order, order.c.entity_id == item.c.order_id)
        .where(order.c.state.not_in(m.VOID_STATES))
        .group_by(item.c.miomente_date_id)
        .subquery()
    )
    with demo_db.magento.connect() as conn:
        rows = conn.execute(
            select(when.c.date_id, when.c.seats_total, when.c.status, sold.c.sold).join(
                sold, sold.c.miomente_date_id == when.c.date_id
            )
        ).all()
    assert rows
    assert all(r.sold <= r.seats_total for r in rows)
    assert all(r.status == m.DATE_ACTIVE for r in rows)


def test_sold_out_dates_are_never_overbooked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Far fewer dates than demand: many dates sell out, and the generator must move or drop
    # bookings instead of overbooking. (The shared demo is too roomy to sell out.)
    monkeypatch.setattr(demo_plan, "_MIN_DATES_PER_DAY", 1 / 400)
    monkeypatch.setattr(demo_plan, "_TARGET_FILL", 4.0)
    item, when = m.sales_order_item, m.miomente_course_date
    with fresh_databases("sqlite", tmp_path) as db:
        demo.generate(db, orders=1500, seed=SEED, today=TODAY)
        with db.magento.connect() as conn:
            rows = conn.execute(
                select(when.c.seats_total, func.sum(item.c.qty_ordered).label("sold"))
                .join(item, item.c.miomente_date_id == when.c.date_id)
                .group_by(when.c.date_id, when.c.seats_total)
            ).all()
    assert sum(r.sold == r.seats_total for r in rows) > len(rows) / 4
    assert all(r.sold <= r.seats_total for r in rows)


def test_order_totals_equal_their_items(demo_db: Databases) -> None:
    item, order = m.sales_order_item, m.sales_order
    sums = (
        select(
            item.c.order_id,
            func.sum(item.c.row_total).label("net"),
            func.sum(item.c.tax_amount).label("tax"),
            func.sum(item.c.row_total_incl_tax).label("gross"),
            func.sum(item.c.discount_amount).label("discount"),
            func.sum(item.c.qty_ordered).label("qty"),
        )
        .group_by(item.c.order_id)
        .subquery()
    )
    with demo_db.magento.connect() as conn:
        rows = conn.execute(select(order, sums).join(sums, sums.c.order_id == order.c.entity_id))
        rows = rows.all()
    assert len(rows) == ORDERS

    def d(v: object) -> Decimal:
        return Decimal(v).quantize(CENT)  # type: ignore[arg-type]

    for r in rows:
        assert d(r.grand_total) == d(r.gross) - d(r.discount), r.increment_id
        assert d(r.subtotal) == d(r.net) and d(r.tax_amount) == d(r.tax)
        assert d(r.discount_amount) == -d(r.discount)
        assert d(r.total_qty_ordered) == d(r.qty)
        assert r.increment_id == f"{r.entity_id:09d}"
        assert r.updated_at >= r.created_at


def test_money_follows_the_order_state(demo_db: Databases) -> None:
    order, pay, item = m.sales_order, m.sales_order_payment, m.sales_order_item
    with demo_db.magento.connect() as conn:
        rows = conn.execute(
            select(
                order.c.state,
                order.c.status,
                order.c.grand_total,
                order.c.total_paid,
                order.c.total_refunded,
                pay.c.amount_paid,
                pay.c.method,
            ).join(pay, pay.c.parent_id == order.c.entity_id)
        ).all()
        refunded_items = conn.execute(
            select(func.sum(item.c.amount_refunded))
            .join(order, order.c.entity_id == item.c.order_id)
            .where(order.c.state == "closed")
        ).scalar_one()
        closed_total = conn.execute(
            select(func.sum(order.c.grand_total)).where(order.c.state == "closed")
        ).scalar_one()
    assert len(rows) == ORDERS
    for r in rows:
        if r.state in ("complete", "closed") or r.status == m.STATUS_CONFIRMED:
            assert Decimal(r.total_paid).quantize(CENT) == Decimal(r.grand_total).quantize(CENT)
            assert r.amount_paid is not None
        if r.state in ("new", "pending_payment", "canceled"):
            assert r.total_paid is None
        if r.state == "closed":
            assert r.total_refunded is not None
    assert Decimal(refunded_items).quantize(CENT) == Decimal(closed_total).quantize(CENT)
    assert {"paypal_express", "stripe_payments", "banktransfer"} <= {r.method for r in rows}


def test_items_book_a_later_date_of_their_own_course(demo_db: Databases) -> None:
    item, order, when = m.sales_order_item, m.sales_order, m.miomente_course_date
    with demo_db.magento.connect() as conn:
        rows = conn.execute(
            select(
                item.c.product_id,
                when.c.product_id.label("date_product"),
                when.c.starts_at,
                order.c.created_at,
                item.c.tax_percent,
            )
            .join(order, order.c.entity_id == item.c.order_id)
            .outerjoin(when, when.c.date_id == item.c.miomente_date_id)
        ).all()
    assert len(rows) >= ORDERS
    for r in rows:
        assert r.date_product == r.product_id
        assert r.starts_at > r.created_at
        assert Decimal(r.tax_percent) == 19


def test_every_order_has_history_address_and_german_customer(demo_db: Databases) -> None:
    order, hist, addr = m.sales_order, m.sales_order_status_history, m.sales_order_address
    with demo_db.magento.connect() as conn:
        history = conn.execute(
            select(hist.c.parent_id, func.count()).group_by(hist.c.parent_id)
        ).all()
        billing = conn.execute(select(addr).where(addr.c.address_type == "billing")).all()
        last_status = conn.execute(select(order.c.status)).scalars().all()
    assert len(history) == ORDERS and all(1 <= n <= 3 for _o, n in history)
    assert len(billing) == ORDERS
    assert all(a.country_id == "DE" and len(a.postcode) == 5 for a in billing)
    assert any(a.telephone and a.telephone.startswith("+49 ") for a in billing)
    assert all(
        a.email.split("@")[1].split(".")[-1] in ("com", "org", "net", "example") for a in billing
    )
    assert last_status


# --- calendar and reviews ---------------------------------------------------------------------


def test_calendar_spans_two_years_back_and_half_a_year_ahead(demo_db: Databases) -> None:
    when = m.miomente_course_date
    with demo_db.magento.connect() as conn:
        first, last = conn.execute(
            select(func.min(when.c.starts_at), func.max(when.c.starts_at))
        ).one()
        starts = conn.execute(select(when.c.starts_at, when.c.product_id, when.c.seats_total)).all()
    assert first.date() <= TODAY - timedelta(days=700)
    assert last.date() >= TODAY + timedelta(days=170)
    local = [s.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(BERLIN) for s in starts]
    assert all(9 <= t.hour <= 20 and t.minute in (0, 30) for t in local)
    assert all(8 <= s.seats_total <= 20 for s in starts)
    monday = TODAY - timedelta(days=TODAY.weekday())
    kochschule = {pid for pid, partner in _partner_of_product(demo_db).items() if partner == 1}
    this_week = [
        t
        for t, s in zip(local, starts, strict=True)
        if monday <= t.date() < monday + timedelta(days=7) and s.product_id in kochschule
    ]
    assert len(this_week) >= 3


def test_reviews_cover_some_past_orders_and_are_mostly_good(demo_db: Databases) -> None:
    with demo_db.magento.connect() as conn:
        votes = conn.execute(select(m.rating_option_vote)).all()
        statuses = set(conn.execute(select(m.review.c.status_id)).scalars())
        complete = conn.execute(
            select(func.count())
            .select_from(m.sales_order)
            .where(m.sales_order.c.state == "complete")
        ).scalar_one()
        details = conn.execute(select(m.review_detail.c.title)).scalars().all()
    assert 0.08 * complete <= len(votes) <= 0.3 * complete
    assert 4.0 <= sum(v.value for v in votes) / len(votes) <= 4.8
    assert all(v.percent == v.value * 20 and v.option_id == v.value for v in votes)
    assert {m.REVIEW_APPROVED, m.REVIEW_PENDING} <= statuses
    assert len(details) == len(votes)


def test_review_answers_approved_pending_and_rejected(demo_db: Databases) -> None:
    from data.portal_schema import review_response_history, review_responses

    with demo_db.portal.connect() as conn:
        rows = conn.execute(select(review_responses.c.partner_id, review_responses.c.status)).all()
        steps = conn.execute(select(func.count()).select_from(review_response_history)).scalar()
    per_partner: dict[int, set[str]] = {}
    for partner_id, status in rows:
        per_partner.setdefault(int(partner_id), set()).add(str(status))
    assert len(per_partner) == 2  # the Kochschule and the Weinschule
    for statuses in per_partner.values():
        assert statuses == {"approved", "pending", "rejected"}
    assert int(steps or 0) > len(rows)
    with demo_db.portal.connect() as conn:
        published = conn.execute(
            select(func.count()).where(
                review_responses.c.status == "approved",
                review_responses.c.published_body.is_not(None),
                review_responses.c.first_approved_at.is_not(None),
            )
        ).scalar()
    assert int(published or 0) == sum(1 for _p, status in rows if status == "approved")


# --- demo mode start-up -----------------------------------------------------------------------


def _settings(demo_dir: Path) -> Settings:
    return Settings(
        magento_url=None, magento_read_url=None, portal_url=None, demo_dir=demo_dir, cookie_key=None
    )


def test_ensure_demo_builds_once_and_then_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_build, "DEFAULT_ORDERS", 200)
    builds: list[Path] = []
    real_build = demo_build._build_demo

    def counting_build(demo_dir: Path, **kwargs: object) -> demo.DemoSummary:
        builds.append(demo_dir)
        return real_build(demo_dir, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(demo_build, "_build_demo", counting_build)
    opened: list[Databases] = []

    def start() -> None:
        opened.append(demo.ensure_demo(_settings(tmp_path)))

    # Two sessions starting at the same moment: one builds, the other waits and reuses.
    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len(opened) == 2
    inode = (tmp_path / "magento.sqlite").stat().st_ino
    opened.append(demo.ensure_demo(_settings(tmp_path)))
    assert len(builds) == 1
    assert (tmp_path / "magento.sqlite").stat().st_ino == inode
    try:
        for db in opened:
            with db.magento.connect() as conn:
                assert conn.execute(select(func.count()).select_from(m.sales_order)).scalar() == 200
            with db.portal.connect() as conn:
                assert conn.execute(
                    select(p.users.c.username).where(p.users.c.username == "kochschule")
                ).scalar()
    finally:
        for db in opened:
            db.dispose()
    assert not list(tmp_path.glob(".*.building*"))


def test_ensure_demo_rebuilds_an_incomplete_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_build, "DEFAULT_ORDERS", 50)
    (tmp_path / "magento.sqlite").write_bytes(b"half a file from a crashed start")
    db = demo.ensure_demo(_settings(tmp_path))
    try:
        with db.magento.connect() as conn:
            assert conn.execute(select(func.count()).select_from(m.sales_order)).scalar() == 50
    finally:
        db.dispose()
    assert (tmp_path / demo.MARKER_NAME).is_file()


def test_the_demo_partner_has_paid_payouts_with_credit_notes(tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader

    from core.i18n import to_berlin
    from data.access.viewer import Viewer
    from data.money import documents, payouts

    def berlin_day(moment):
        return to_berlin(moment).date()

    db = demo.ensure_demo(_settings(tmp_path))
    try:
        with db.portal.connect() as conn:
            partner_id, legal_name = conn.execute(
                select(p.partners.c.partner_id, p.partners.c.legal_name).where(
                    p.partners.c.slug == "kochschule"
                )
            ).one()
            user_id = conn.execute(
                select(p.users.c.user_id).where(p.users.c.username == "kochschule")
            ).scalar_one()
        viewer = Viewer(user_id=user_id, role=p.ROLE_PARTNER, partner_id=partner_id)
        history = payouts.list_payouts(viewer, db).sort_values("period")
        # Four months: the older three approved and paid, the newest still a draft.
        assert list(history["status"]) == ["paid", "paid", "paid", "draft"]
        assert set(history["partner_id"]) == {partner_id}
        for row in history.itertuples():
            assert row.gross > 0 and row.amount == row.gross - row.commission_gross
        # The first payout settles only its own month: the orders before the portal's start
        # (the demo's history reaches back a year) were settled outside it.
        first = history.iloc[0]
        lines = payouts.list_lines(viewer, db, payout_id=int(first["payout_id"]))
        months = {(d.year, d.month) for d in lines["event_at"].map(berlin_day)}
        assert months == {(first["period"].year, first["period"].month)}
        assert len(lines) == first["lines"]
        notes = documents.list_documents(viewer, db)
        assert len(notes) == 3 and all(n.startswith("GS-") for n in notes["number"])
        pdf = documents.document_pdf(viewer, db, document_id=int(notes["document_id"].iloc[0]))
        assert pdf is not None
        text = PdfReader(io.BytesIO(pdf.pdf)).pages[0].extract_text()
        assert "Gutschrift" in text and legal_name in text
    finally:
        db.dispose()
