"""Every form of the app, fed the fixed hostile list: German refusals, data unchanged.

One world for the module (two partners, temp SQLite). Each case fills one field of one form
through the real script runner (AppTest), submits, and checks what a user and the data would
show: no error page, no raw key, nothing the value could turn into (image, link, script) on the
page, and either a German refusal with every table unchanged, or — where the value is
legitimately free text — the value stored as the user typed it and shown as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import MetaData, select, update
from streamlit.testing.v1 import AppTest

from core import periods
from core import recurrence as rec
from core.db import Databases
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.bookings import ledger
from data.money import payouts
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    STAFF,
    app_environment,
    assert_clean,
    new_app,
    open_dates_tab,
    open_page,
)
from tests.support.orders import _add_order
from tests.support.worlds import build_world

# The fixed list of the issue, as text ...
TEXT: dict[str, str] = {
    "10000-chars": "x" * 10_000,
    "sql": "'; DROP TABLE miomente_partners;--",
    "html": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "md-image": "![x](https://evil.example/x.png)",
    "md-link": "[Jetzt neu anmelden](https://evil.example/login)",
    "formula-eq": '=HYPERLINK("https://evil.example","Klick")',
    "formula-plus": "+1+cmd|' /C calc'!A0",
    "formula-minus": "-2+3+cmd|' /C calc'!A0",
    "formula-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "emoji": "🍝🔥👩‍🍳",
    "rtl": "\u202eمرحبا بالعالم",
    "empty": "",
    "negative": "-5",
    "30.02.": "30.02.2027",
    "year-9999": "31.12.9999",
}
# ... and as what a number or a date field can hold (a date field cannot hold a 30 February:
# the browser's field clamps it, tests/pages/test_date_range_browser.py covers typing).
NUMBER: dict[str, float] = {"negative": -5, "10000-chars": 1e12}
# Prices are text fields with the German decimal comma (components/widgets.money_input):
# every hostile text, a negative price, a fraction of a cent and a number too big to sell.
PRICE: dict[str, str] = TEXT | {"negative": "-5,00", "cent-fraction": "0,004", "huge": "1e12"}
DAY: dict[str, date] = {"year-9999": date(9999, 12, 31), "year-1": date(1, 1, 1)}
# Traces of a value that turned into markup: what `md` escapes never looks like this.
LIVE = re.compile(r"(?<!\\)<(script|img)|!\[x\]\(|\]\(https://evil")
# Tables that change by being looked at, not by a form.
VOLATILE = {p.sessions.name, "miomente_sync_state", "miomente_job_runs", "alembic_version"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("hostile")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


_TABLES: dict[str, MetaData] = {}


def snapshot(db: Databases) -> dict[str, list[tuple]]:
    """Every row of every table of both databases (the volatile ones aside)."""
    rows: dict[str, list[tuple]] = {}
    for engine in (db.magento, db.portal):
        meta = _TABLES.get(str(engine.url))
        if meta is None:
            meta = _TABLES[str(engine.url)] = MetaData()
            meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                if table.name not in VOLATILE:
                    rows[table.name] = sorted(map(tuple, conn.execute(select(table))), key=repr)
    return rows


def _changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def _rendered(at: AppTest) -> list[str]:
    """The Markdown sources the page rendered (not the values inside the input fields)."""
    kinds = ("markdown", "caption", "error", "warning", "success", "info", "title", "subheader")
    return [str(el.value) for kind in kinds for el in getattr(at, kind)]


def _button(at: AppTest, *, form: str | None = None, key: str | None = None):
    if key is not None:
        return at.button(key=key)
    return next(b for b in at.button if b.form_id == form)


@dataclass(frozen=True)
class Form:
    """How to open one form, fill one of its fields with a value and send it."""

    name: str
    open: Callable[[Databases], AppTest]
    fill: Callable[[Databases, AppTest, object], AppTest]
    values: dict[str, object]
    # Values the form may legitimately take (free text, an empty optional field): saved, and
    # then shown as text. Every other value must be refused with the data unchanged.
    accepts: frozenset[str] = frozenset()
    # Where an accepted value ends up, to compare with what was typed.
    stored: Callable[[Databases], object] | None = None
    # What each value needs in the world first (before the "unchanged" snapshot).
    prepare: Callable[[Databases], None] | None = None


# --- Login ------------------------------------------------------------------------------------


def _login_page(db: Databases) -> AppTest:
    at = new_app()
    at.run()
    return at


def _login(db: Databases, at: AppTest, value: object) -> AppTest:
    at.text_input(key="login_username").input(str(value))
    at.text_input(key="login_password").input(str(value) or "x")
    return at.button[0].click().run()


# --- Einstellungen -----------------------------------------------------------------------------


def _settings_page(db: Databases) -> AppTest:
    return open_page("konto/einstellungen.py", user_id=ALPHA)


def _settings(field: str) -> Callable[[Databases, AppTest, object], AppTest]:
    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        at.text_input(key=f"pref_new_booking_{field}").input(str(value))
        return (
            at.button(key="FormSubmitter:notification_prefs-Benachrichtigungen speichern")
            .click()
            .run()
        )

    return fill


def _password_current(db: Databases, at: AppTest, value: object) -> AppTest:
    at.text_input(key="pw_current").input(str(value))
    at.text_input(key="pw_new").input("Kochen-mit-2-Löffeln")
    at.text_input(key="pw_repeat").input("Kochen-mit-2-Löffeln")
    return at.button(key="FormSubmitter:password_change-Passwort ändern").click().run()


# --- Termine -----------------------------------------------------------------------------------


def _dates_page(db: Databases) -> AppTest:
    return open_page("angebot/termine.py", user_id=ALPHA)


def _series_form_page(db: Databases) -> AppTest:
    """Termine → Serien, the tab opened (only the open tab runs)."""
    return open_dates_tab(_dates_page(db), "series")


def _booked_dates_page(db: Databases) -> AppTest:
    """Termine, with a customer's booking on date 13: moving it would ask and tell them."""
    with db.portal.connect() as conn:
        booked = conn.execute(select(p.bookings.c.order_id).where(p.bookings.c.order_id == 7001))
        if booked.first() is None:
            _add_order(db, 7001, [(7101, 101, 13)])
    return _dates_page(db)


def _edit(field: str, date_id: int = 13) -> Callable[[Databases, AppTest, object], AppTest]:
    """Termin bearbeiten: date 13 is partner A's pasta course in 40 days."""

    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        at.selectbox(key="edit_pick").select(date_id).run()
        form = f"edit_{date_id}"
        if field == "day":
            next(w for w in at.date_input if w.form_id == form).set_value(value)
        elif field == "price":
            next(w for w in at.text_input if w.form_id == form).input(str(value))
        else:
            next(w for w in at.number_input if w.form_id == form).set_value(value)
        return next(b for b in at.button if b.form_id == form).click().run()

    return fill


def _series(field: str) -> Callable[[Databases, AppTest, object], AppTest]:
    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        at.selectbox(key="s_course").select(102)
        if field == "rrule":
            at.selectbox(key="s_kind").select(rec.CUSTOM).run()
            at.text_input(key="s_rrule").input(str(value))
        elif field == "s_start":
            at.date_input(key="s_start").set_value(value)
        elif field == "s_price":
            at.text_input(key=field).input(str(value)).run()
            if "s_save" not in {b.key for b in at.button}:
                return at  # no amount: the form says why and offers no save
        else:
            at.number_input(key=field).set_value(value)
        return at.button(key="s_save").click().run()

    return fill


def _new_date_script() -> None:
    """The "Neuer Termin" form on its own: in the app it lives in a dialog, which AppTest
    cannot click through."""
    from components import date_form, session

    db, settings = session.databases(), session.settings()
    user = session.current_user(db, settings)
    assert user is not None
    viewer = session.viewer_for(user)
    ctx = session.PageContext(db=db, user=user, viewer=viewer, settings=settings)
    date_form.new_date_form(ctx, key="nd")


def _new_date_form(db: Databases) -> AppTest:
    at = AppTest.from_function(_new_date_script, default_timeout=60)
    at.session_state["auth_user_id"] = ALPHA
    return at.run()


def _new_date(field: str) -> Callable[[Databases, AppTest, object], AppTest]:
    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        if field == "day":
            at.date_input(key="nd_day").set_value(value)
        elif field == "price":
            at.text_input(key="nd_price").input(str(value))
        else:
            at.number_input(key=f"nd_{field}").set_value(value)
        return at.button(key="nd_save").click().run()

    return fill


def _series_page(db: Databases) -> AppTest:
    """Termine → Serien with a weekly series of course 102 (made through the form)."""
    at = _series_form_page(db)
    at.selectbox(key="s_course").select(102)
    at.selectbox(key="s_kind").select(rec.WEEKLY).run()
    at.multiselect(key="s_weekdays").set_value(["TU", "TH"])
    at.date_input(key="s_start").set_value(periods.berlin_today() + timedelta(days=1))
    at.radio(key="s_end").set_value("count").run()
    at.number_input(key="s_count").set_value(6)
    at.button(key="s_save").click().run()
    assert at.button(key="bulk_apply") and at.button(key="move_apply")
    return at


def _bulk(field: str) -> Callable[[Databases, AppTest, object], AppTest]:
    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        if field == "from":
            at.radio(key="bulk_scope").set_value("from").run()
            at.date_input(key="bulk_from").set_value(value)
        elif field == "price":
            at.text_input(key="bulk_price").input(str(value))
        else:
            at.number_input(key=f"bulk_{field}").set_value(value)
        return at.button(key="bulk_apply").click().run()

    return fill


def _move_series_date(db: Databases, at: AppTest, value: object) -> AppTest:
    at.date_input(key="move_to_day").set_value(value)
    return at.button(key="move_apply").click().run()


# --- Bestellungen ------------------------------------------------------------------------------

_orders = iter(range(8001, 8100))


def _orders_page(db: Databases) -> AppTest:
    return open_page("verkauf/bestellungen.py", user_id=ALPHA)


_order: list[int] = []


def _new_order(db: Databases) -> None:
    """A new order of partner A (date 13) for each value."""
    _order[:] = [next(_orders)]
    _add_order(db, _order[0], [(_order[0] + 1000, 101, 13)])
    # In the ledger already (with its new-booking mail), as the page's sync would do.
    ledger.sync_ledger(SYSTEM, db)


def _reject(db: Databases, at: AppTest, value: object) -> AppTest:
    """The new order rejected with the value as the reason."""
    order_id = _order[0]
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    at.query_params["bestellung"] = str(order_id)
    at.run()
    at.text_area(key="reject_reason").input(str(value))
    return next(b for b in at.button if b.form_id == f"reject_{order_id}").click().run()


def _last_reason(db: Databases) -> object:
    with db.portal.connect() as conn:
        query = select(p.booking_decisions.c.reason).order_by(p.booking_decisions.c.item_id)
        return list(conn.execute(query).scalars())[-1]


# --- Neuigkeiten (staff) ---------------------------------------------------------------------


def _news_page(db: Databases) -> AppTest:
    return open_page("konto/neuigkeiten.py", user_id=STAFF)


def _news_title(db: Databases, at: AppTest, value: object) -> AppTest:
    at.text_input(key="news_title").input(str(value))
    at.text_area(key="news_body").input("Ein Text.")
    return at.button(key="news_save").click().run()


def _last_news_title(db: Databases) -> object:
    with db.portal.connect() as conn:
        query = select(p.announcements.c.title).order_by(p.announcements.c.announcement_id)
        return list(conn.execute(query).scalars())[-1]


def _news_day(db: Databases, at: AppTest, value: object) -> AppTest:
    at.text_input(key="news_title").input("Geplant")
    at.text_area(key="news_body").input("Ein Text.")
    at.radio(key="news_publish").set_value("Später").run()
    at.date_input(key="news_day").set_value(value)
    return at.button(key="news_save").click().run()


# --- Auszahlungen (staff) ---------------------------------------------------------------------


def _payouts_page(db: Databases) -> AppTest:
    """Auszahlungen with October's payouts computed and approved, all of them chosen."""
    if payouts.list_payouts(SYSTEM, db).empty:
        with db.portal.begin() as conn:
            conn.execute(update(p.bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        payouts.compute_payouts(SYSTEM, db, period=date(2026, 10, 1))
        ids = payouts.list_payouts(SYSTEM, db)["payout_id"].tolist()
        payouts.approve_payouts(SYSTEM, db, payout_ids=ids)
    at = open_page("buchhaltung/auszahlungen.py", user_id=STAFF)
    at.selectbox(key="payouts_status").set_value("approved").run()
    at.checkbox(key="payouts_select_all").check().run()
    return at


def _payout_day(field: str) -> Callable[[Databases, AppTest, object], AppTest]:
    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        at.date_input(key=f"payouts_{field}").set_value(value)
        return (
            at.button(key="payouts_mark_paid" if field == "paid_on" else "payouts_sepa")
            .click()
            .run()
        )

    return fill


# --- Partner (staff) ---------------------------------------------------------------------------


def _partner_page(db: Databases) -> AppTest:
    at = open_page("verwaltung/partner.py", user_id=STAFF)
    at.selectbox(key="partners_commission_partner").select(1).run()
    return at


def _settlement_start(db: Databases, at: AppTest, value: object) -> AppTest:
    at.date_input(key="settlement_start_0").set_value(value)
    return at.button(key="settlement_save_0").click().run()


def _commission(field: str) -> Callable[[Databases, AppTest, object], AppTest]:
    def fill(db: Databases, at: AppTest, value: object) -> AppTest:
        if field == "contract":
            at.text_input(key="commission_contract_rate_0").input(str(value))
            return at.button(key="commission_contract_save_0").click().run()
        if field == "override":
            at.text_input(key="commission_rate_0").input(str(value))
        else:
            at.text_input(key="commission_rate_0").input("15")
            at.date_input(key="commission_valid_from_0").set_value(value)
        return at.button(key="commission_save_0").click().run()

    return fill


FORMS = [
    Form("login", _login_page, _login, TEXT),
    Form("settings-phone", _settings_page, _settings("phone"), TEXT, frozenset({"empty"})),
    Form("settings-emails", _settings_page, _settings("emails"), TEXT, frozenset({"empty"})),
    Form("password-current", _settings_page, _password_current, TEXT),
    Form("edit-date-day", _dates_page, _edit("day"), DAY),
    Form("edit-date-seats", _dates_page, _edit("seats"), NUMBER),
    Form("edit-date-price", _dates_page, _edit("price"), PRICE),
    Form("move-booked-date", _booked_dates_page, _edit("day"), DAY),
    Form("series-rrule", _series_form_page, _series("rrule"), TEXT),
    Form("series-start", _series_form_page, _series("s_start"), DAY),
    Form("series-interval", _series_form_page, _series("s_interval"), NUMBER),
    Form("series-seats", _series_form_page, _series("s_seats"), NUMBER),
    Form("series-price", _series_form_page, _series("s_price"), PRICE),
    Form("bulk-edit-seats", _series_page, _bulk("seats"), NUMBER),
    Form("bulk-edit-price", _series_page, _bulk("price"), PRICE),
    Form("bulk-edit-from-day", _series_page, _bulk("from"), DAY),
    Form("move-series-date", _series_page, _move_series_date, DAY),
    Form("new-date-day", _new_date_form, _new_date("day"), DAY),
    Form("new-date-seats", _new_date_form, _new_date("seats"), NUMBER),
    Form("new-date-price", _new_date_form, _new_date("price"), PRICE),
    Form(
        "reject-order",
        _orders_page,
        _reject,
        TEXT,
        frozenset(TEXT) - {"10000-chars", "empty"},
        stored=_last_reason,
        prepare=_new_order,
    ),
    Form("commission-contract", _partner_page, _commission("contract"), TEXT),
    Form("commission-override", _partner_page, _commission("override"), TEXT),
    Form("commission-valid-from", _partner_page, _commission("valid_from"), DAY),
    Form("settlement-start", _partner_page, _settlement_start, DAY),
    Form("payouts-paid-on", _payouts_page, _payout_day("paid_on"), DAY),
    Form("payouts-execution", _payouts_page, _payout_day("execution"), DAY),
    Form(
        "news-title",
        _news_page,
        _news_title,
        TEXT,
        frozenset(TEXT) - {"10000-chars", "empty"},
        stored=_last_news_title,
    ),
    Form("news-day", _news_page, _news_day, DAY | {"yesterday": date(2020, 1, 1)}),
]


def _outcome(
    at: AppTest, form: Form, key: str, before: dict[str, list[tuple]], db: Databases
) -> str | None:
    """What is wrong with the page after sending `key` (None: nothing)."""
    assert_clean(at)
    rendered = _rendered(at)
    if [s for s in rendered if LIVE.search(s)]:
        return f"a value turned into markup: {rendered}"
    if key in form.accepts:
        if not at.success or at.error:
            return f"not saved: {rendered}"
        value = form.values[key]
        stored = form.stored(db) if form.stored else value
        return None if stored == value else f"stored as {stored!r}"
    if at.success:
        return f"success shown: {[s.value for s in at.success]}"
    if not (at.error or at.warning):
        return f"no refusal shown: {rendered}"
    changed = _changed(before, snapshot(db))
    return f"tables changed: {changed}" if changed else None


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_hostile_values_are_refused_in_german_and_change_nothing(
    world: Databases, form: Form
) -> None:
    at = form.open(world)
    problems: dict[str, str] = {}
    for key, value in form.values.items():
        if form.prepare is not None:
            form.prepare(world)
        before = snapshot(world)
        problem = _outcome(form.fill(world, at, value), form, key, before, world)
        if problem is not None:
            problems[key] = problem[:300]
    assert problems == {}
