"""The widget's data: a partner's bookable dates, their fingerprint, keys and traffic."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from core.db import Databases
from data.access.viewer import ScopeError, Viewer
from data.dates.course_dates import create_date, update_date
from data.integrations.widget import widget_courses, widget_dates, widget_version
from data.integrations.widget_keys import set_widget_enabled, widget_key, widget_partner
from data.integrations.widget_traffic import count_widget_event, widget_traffic_per_day
from tests.support.shop import Item, add_order
from tests.support.widget import NOW, PARTNER_A, PARTNER_B, WidgetWorld, rebuild

STAFF = Viewer(user_id=30, role="staff")


@pytest.fixture
def world(module_databases: Databases) -> WidgetWorld:
    return rebuild(module_databases)


def test_a_partners_dates_with_free_seats_price_and_link(world: WidgetWorld) -> None:
    dates = widget_dates(Viewer.widget(1), world.db, now=NOW)
    assert [d.date_id for d in dates] == [11, 12, 13]
    first = dates[0]
    assert first.course == "Alpha Pasta-Werkstatt"
    # Orders 1001 (2 tickets) and 1003 (1) hold seats; the cancelled 1004 (3) does not.
    assert (first.seats_total, first.seats_free) == (12, 9)
    assert first.price == Decimal("89.00")
    assert first.booking_url == "https://www.miomente.de/kurs/101?termin=11"


def test_filters_by_course_and_month(world: WidgetWorld) -> None:
    widget = Viewer.widget(1)
    assert [d.date_id for d in widget_dates(widget, world.db, product_ids=[102], now=NOW)] == [12]
    both = widget_dates(widget, world.db, product_ids=[102, 101, 102], now=NOW)
    assert [d.date_id for d in both] == [11, 12, 13]
    january = widget_dates(widget, world.db, month=date(2027, 1, 1), now=NOW)
    assert [d.date_id for d in january] == [13]
    assert widget_dates(widget, world.db, month=date(2026, 12, 1), now=NOW) == []


def test_another_partners_course_is_refused_like_an_unknown_one(world: WidgetWorld) -> None:
    with pytest.raises(ScopeError) as refused:
        widget_dates(Viewer.widget(1), world.db, product_ids=[101, 201], now=NOW)
    assert refused.value.key == "widget.course_unknown"
    with pytest.raises(ScopeError):
        widget_version(Viewer.widget(1), world.db, product_ids=[201], now=NOW)
    assert [c.name for c in widget_courses(Viewer.widget(2), world.db)] == [
        "Beta Rotweinseminar",
        "Beta Sektprobe",
    ]


def test_past_and_cancelled_dates_are_not_offered(world: WidgetWorld) -> None:
    later = NOW + timedelta(days=1)  # date 11 (yesterday evening) has begun
    assert [d.date_id for d in widget_dates(Viewer.widget(1), world.db, now=later)] == [12, 13]


def _add_booking(db: Databases, *, order_id: int, date_id: int, product_id: int) -> None:
    with db.magento.begin() as conn:
        add_order(
            conn,
            order_id=order_id,
            items=[Item(order_id * 10, product_id, date_id, 2, Decimal("50.00"))],
            created_at=NOW,
            updated_at=NOW + timedelta(minutes=1),
        )


def test_the_fingerprint_moves_with_the_partners_dates_bookings_and_prices(
    world: WidgetWorld,
) -> None:
    widget, db = Viewer.widget(1), world.db
    seen = {widget_version(widget, db, now=NOW)}

    def moved() -> bool:
        version = widget_version(widget, db, now=NOW)
        new = version not in seen
        seen.add(version)
        return new

    # B's new date and B's new booking change nothing of A's.
    create_date(PARTNER_B, db, product_id=201, starts_at=datetime(2026, 12, 20, 18),
                ends_at=datetime(2026, 12, 20, 21), seats=8, price="40", now=NOW)  # fmt: skip
    _add_booking(db, order_id=3001, date_id=21, product_id=201)
    assert not moved()
    create_date(PARTNER_A, db, product_id=101, starts_at=datetime(2026, 12, 20, 18),
                ends_at=datetime(2026, 12, 20, 21), seats=8, price="40", now=NOW)  # fmt: skip
    assert moved()
    _add_booking(db, order_id=3002, date_id=13, product_id=101)
    assert moved()
    update_date(PARTNER_A, db, date_id=13, price="95", now=NOW + timedelta(minutes=2))
    assert moved()


def test_keys_name_enabled_partners_only(world: WidgetWorld) -> None:
    db = world.db
    assert widget_partner(db, key=world.key_a).partner_id == 1  # type: ignore[union-attr]
    assert widget_key(PARTNER_A, db).public_key == world.key_a  # made once, then kept
    assert widget_partner(db, key="pk_" + "x" * 24) is None
    assert widget_partner(db, key="' OR 1=1 --") is None
    set_widget_enabled(PARTNER_A, db, enabled=False, now=NOW)
    assert widget_partner(db, key=world.key_a) is None
    assert widget_partner(db, key=world.key_b) is not None


def test_the_widget_viewer_reads_but_makes_no_key(world: WidgetWorld) -> None:
    db = world.db
    with db.portal.begin() as conn:
        from data.portal_schema import widget_keys

        conn.execute(widget_keys.delete())
    with pytest.raises(ScopeError) as refused:
        widget_key(Viewer.widget(1), db, now=NOW)
    assert refused.value.key == "api_error.read_only"
    with pytest.raises(ScopeError):
        widget_key(STAFF, db, now=NOW)  # staff seeing all have no widget of their own
    assert widget_key(STAFF.view_as(2), db, now=NOW).partner_id == 2


def test_traffic_counts_views_and_clicks_per_day(world: WidgetWorld) -> None:
    db = world.db
    for _ in range(3):
        count_widget_event(Viewer.widget(1), db, event="view", now=NOW)
    count_widget_event(Viewer.widget(1), db, event="click", now=NOW)
    count_widget_event(Viewer.widget(2), db, event="view", now=NOW - timedelta(days=1))
    mine = widget_traffic_per_day(PARTNER_A, db, now=NOW)
    assert mine.to_dict("records") == [
        {"day": date(2026, 11, 25), "partner_id": 1, "partner": "Kochschule Alpha",
         "views": 3, "clicks": 1},
    ]  # fmt: skip
    everyone = widget_traffic_per_day(STAFF, db, now=NOW)
    assert list(everyone["partner_id"]) == [1, 2]
    assert list(everyone["views"]) == [3, 1]


def test_bad_traffic_input_is_refused(world: WidgetWorld) -> None:
    from core.validation import InvalidInput

    with pytest.raises(InvalidInput):
        count_widget_event(Viewer.widget(1), world.db, event="purchase", now=NOW)
    with pytest.raises(InvalidInput):
        widget_traffic_per_day(PARTNER_A, world.db, days=0, now=NOW)
    with pytest.raises(ValueError):
        Viewer(user_id=0, role="widget")  # a widget always belongs to one partner
