"""Bestellungen through AppTest: every click shows its result in the same run.

After a decision the detail, the list and the buttons show the new state at once, the
message appears once at the top (and not again on the next run); a prepared export is dropped
when the filters change. As partner and as staff (viewing as the partner), German and English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core.clock import now_utc
from core.db import Databases
from core.i18n import catalog, translate
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app
from tests.support.worlds import build_world

ORDERS = "pages/verkauf/bestellungen.py"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    """A world per test: each one decides orders."""
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _orders(user_id: int, locale: str, **params: str) -> AppTest:
    at = new_app(user_id=user_id, locale=locale)
    at.run()
    if user_id == STAFF:  # decisions belong to one partner: staff view as Kochschule Alpha
        at.selectbox(key="_view_as_choice").select(1).run()
    at.switch_page(ORDERS)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _status_column(at: AppTest, locale: str) -> list[str]:
    frame = at.dataframe[0].value
    return list(frame[catalog(locale)["orders.col_status"]])


def _buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def _alerts(at: AppTest) -> list[str]:
    return [a.value for a in (*at.success, *at.warning, *at.info)]


USERS = pytest.mark.parametrize("user_id", [ALPHA, STAFF], ids=["partner", "staff"])
LOCALES = pytest.mark.parametrize("locale", ["de", "en"])


@USERS
@LOCALES
def test_confirming_shows_the_new_state_in_the_same_run(
    world: Databases, user_id: int, locale: str
) -> None:
    words = catalog(locale)
    at = _orders(user_id, locale, bestellung="1001")
    assert_clean(at)
    assert "confirm_1001" in _buttons(at)
    new, confirmed = words["bookings.status_new"], words["bookings.status_confirmed"]
    before = _status_column(at, locale)

    at.button(key="confirm_1001").click().run()
    assert_clean(at)
    done = translate("orders.confirmed_n", locale, n=1)
    assert [s.value for s in at.success] == [done]  # once, at the top
    assert "confirm_1001" not in _buttons(at)  # a second click is impossible
    assert not [p for p in at.get("popover")]  # nor a rejection
    # The order's item and the list show the new status; one new booking fewer.
    assert [c.value for c in at.caption].count(confirmed) == 1
    after = _status_column(at, locale)
    assert after.count(new) == before.count(new) - 1
    assert after.count(confirmed) == before.count(confirmed) + 1

    at.run()  # the message was for that click only
    assert done not in _alerts(at)


@USERS
@LOCALES
def test_rejecting_closes_the_form_and_shows_the_new_state(
    world: Databases, user_id: int, locale: str
) -> None:
    words = catalog(locale)
    at = _orders(user_id, locale, bestellung="1001")
    at.text_area(key="reject_reason").input("Kurs ausgebucht")
    next(b for b in at.button if b.label == words["orders.reject_send"]).click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [translate("orders.rejected_n", locale, n=1)]
    assert not at.get("popover") and "confirm_1001" not in _buttons(at)
    assert not [a for a in at.text_area if a.key == "reject_reason"]
    assert words["bookings.status_rejected"] in _status_column(at, locale)


@LOCALES
def test_a_refused_rejection_keeps_the_form_and_changes_nothing(
    world: Databases, locale: str
) -> None:
    words = catalog(locale)
    at = _orders(ALPHA, locale, bestellung="1001")
    next(b for b in at.button if b.label == words["orders.reject_send"]).click().run()
    assert at.error, "a rejection without a reason is refused"
    assert not at.success
    assert "confirm_1001" in _buttons(at)


@USERS
def test_bulk_confirmation_updates_list_and_choices(world: Databases, user_id: int) -> None:
    at = _orders(user_id, "de")
    new = catalog("de")["bookings.status_new"]
    assert _status_column(at, "de").count(new) == 2
    at.multiselect(key="bulk_items").select(5001).run()
    at.button(key="bulk_confirm").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [translate("orders.confirmed_n", "de", n=1)]
    assert _status_column(at, "de").count(new) == 1
    assert at.multiselect(key="bulk_items").options == [
        o for o in at.multiselect(key="bulk_items").options if "1001" not in o
    ]


def _downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.mark.parametrize(
    ("user_id", "locale"), [(ALPHA, "de"), (STAFF, "en")], ids=["partner-de", "staff-en"]
)
def test_a_prepared_export_is_dropped_when_the_filters_change(
    world: Databases, user_id: int, locale: str
) -> None:
    words = catalog(locale)
    at = new_app(user_id=user_id, locale=locale)
    at.run()
    at.switch_page(ORDERS).run()
    at.button(key="export_csv").click().run()
    ready = words["orders.export_download"].format(name="bestellungen.csv")
    assert _downloads(at) == [ready]
    at.run()  # still there while the filters stay
    assert _downloads(at) == [ready]

    at.button_group(key="f_statuses").select("new")
    next(b for b in at.button if b.label == words["orders.apply"]).click().run()
    assert_clean(at)
    assert _downloads(at) == []  # never the old selection's file under the new filters


def test_staff_without_a_partner_sees_the_order_but_no_decision(world: Databases) -> None:
    at = new_app(user_id=STAFF, locale="en")
    at.run()
    at.switch_page(ORDERS)
    at.query_params["bestellung"] = "1001"
    at.run()
    text = assert_clean(at)
    assert "Order 000001001" in text
    assert "confirm_1001" not in _buttons(at) and not at.get("popover")


@LOCALES
def test_the_reject_form_offers_other_dates_but_never_the_booked_one(
    world: Databases, locale: str
) -> None:
    # Order 1001 is booked on date 11; moved into the future it is one of the course's
    # upcoming dates (with date 13), yet the customer cannot be offered the date they have.
    with world.magento.begin() as conn:
        conn.execute(
            update(m.miomente_course_date)
            .where(m.miomente_course_date.c.date_id == 11)
            .values(starts_at=now_utc() + timedelta(days=20))
        )
    at = _orders(ALPHA, locale, bestellung="1001")
    assert_clean(at)
    offered = at.multiselect(key="alternatives_5001")
    labels = [str(o) for o in offered.options]
    assert len(labels) == 1  # date 13 only: date 11 is the booked one
    assert offered.placeholder == translate("orders.alternatives_placeholder", locale)


@pytest.mark.parametrize(
    "params",
    [
        {"bestellung": "9" * 25},  # past every integer column: was an OverflowError
        {"bestellung": "4294967296"},  # one past the shop's unsigned entity_id
        {"bestellung": "1001", "seite": "9" * 25},
        {"seite": "2147483647"},  # the largest page parse_params accepts
        {"bestellung": "²"},  # str.isdigit() says yes, int() says no
    ],
    ids=["order-25-digits", "order-2^32", "page-25-digits", "page-max", "superscript"],
)
def test_huge_numbers_in_the_url_read_as_not_found(
    world: Databases, params: dict[str, str]
) -> None:
    at = _orders(ALPHA, "de", **params)
    text = assert_clean(at)
    assert not at.error, [e.value for e in at.error]  # not the generic error page
    if params.get("bestellung", "1001") not in ("1001", "²"):
        assert catalog("de")["orders.not_found"] in text
