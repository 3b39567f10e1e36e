"""data/money/revenue.py: the revenue dashboard's figures, on SQLite and MariaDB + PostgreSQL.

The world of tests/support/worlds.py: partner A (Kochschule Alpha, 25 % commission) and partner B
(Weinschule Beta, 20 %) share order 1003; A's revenue must hold only A's item of it. Plus the
period and comparison maths, empty periods and money as Decimal in German formats.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from core import i18n, periods
from core.db import Databases
from data import overview
from data.money import revenue
from data.money.revenue import Change, MonthSpan, Totals, change
from tests.support.orders import ALPHA, BETA, STAFF
from tests.support.worlds import B

TODAY = periods.berlin_today()
THIS_MONTH = MonthSpan.month(TODAY)
LAST_MONTH = THIS_MONTH.previous()
# The world's bookings are relative to today; counted as at the month's last day, the running
# month and its comparisons are whole months (like for like, see test_like_for_like_*).
MONTH_END = periods.month_of(TODAY).last_day


# --- pure maths ------------------------------------------------------------------------------


def test_spans_and_their_comparison_periods() -> None:
    nov = MonthSpan.month(date(2026, 11, 25))
    assert (nov.first, nov.last, nov.length) == (date(2026, 11, 1), date(2026, 11, 1), 1)
    assert nov.previous() == MonthSpan(date(2026, 10, 1), date(2026, 10, 1))
    assert nov.year_earlier() == MonthSpan(date(2025, 11, 1), date(2025, 11, 1))
    q1 = MonthSpan.quarter(date(2026, 2, 14))
    assert (q1.first, q1.last) == (date(2026, 1, 1), date(2026, 3, 1))
    assert q1.previous() == MonthSpan(date(2025, 10, 1), date(2025, 12, 1))
    year = MonthSpan.year(date(2026, 7, 1))
    assert year.length == 12 and year.previous() == MonthSpan.year(date(2025, 1, 1))
    span = MonthSpan(date(2025, 11, 1), date(2026, 2, 1))  # four months over a year's end
    assert span.months() == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert span.previous() == MonthSpan(date(2025, 7, 1), date(2025, 10, 1))
    assert MonthSpan.last_months(24, ending=date(2026, 11, 30)).first == date(2024, 12, 1)
    with pytest.raises(ValueError):
        MonthSpan(date(2026, 2, 1), date(2026, 1, 1))


def test_change_absolute_and_relative() -> None:
    assert change(Decimal("267.00"), Decimal("99.00")) == Change(
        Decimal("168.00"), Decimal("1.6970")
    )
    assert change(Decimal("50"), Decimal("100")) == Change(Decimal("-50"), Decimal("-0.5000"))
    assert change(Decimal("10"), Decimal("0")) == Change(Decimal("10"), None)  # no base
    assert change(3, 3) == Change(Decimal(0), Decimal(0))
    assert change(None, Decimal(1)) is None
    assert i18n.percent(Decimal("1.6970"), "de", signed=True) == "+169,7\u00a0%"


def test_average_order_value_rounds_half_up() -> None:
    assert Totals(Decimal("100.00"), 3, 3, 3, Decimal(0)).average_order == Decimal("33.33")
    assert Totals(Decimal("0.05"), 1, 2, 2, Decimal(0)).average_order == Decimal("0.03")
    assert Totals(Decimal(0), 0, 0, 0, Decimal(0)).average_order is None


# --- the data layer over the world ----------------------------------------------------------------


def test_partner_revenue_holds_only_its_own_items(world: Databases) -> None:
    s = revenue.summary(ALPHA, world, span=THIS_MONTH, today=MONTH_END)
    # 1001: 2 × 89 €; 1003: A's 89 € only (B's 777,77 € item is B's); 1004 cancelled.
    assert s.current == Totals(Decimal("267.00"), 3, 2, 2, Decimal("66.75"))
    assert s.previous == Totals(Decimal("99.00"), 1, 1, 1, Decimal("24.75"))
    assert s.year_ago == Totals(Decimal("0.00"), 0, 0, 0, Decimal("0.00"))
    assert s.current.average_order == Decimal("133.50")
    assert s.vs_previous("revenue") == Change(Decimal("168.00"), Decimal("1.6970"))
    assert s.vs_year_ago("revenue") == Change(Decimal("267.00"), None)
    assert isinstance(s.current.revenue, Decimal)
    assert i18n.money(s.current.revenue, "de") == "267,00\u00a0€"
    b = revenue.summary(BETA, world, span=THIS_MONTH)
    assert b.current.revenue == Decimal("1013.77")  # 777,77 € of 1003 + 4 × 59 € of 2001
    # Staff: both, an order shared by two partners counted once for each.
    everyone = revenue.summary(STAFF, world, span=THIS_MONTH, today=MONTH_END)
    assert everyone.current == Totals(Decimal("1280.77"), 8, 4, 4, Decimal("269.50"))


def test_the_overview_and_the_dashboard_agree_on_this_month(world: Databases) -> None:
    for viewer in (ALPHA, BETA, STAFF):
        quick = overview.revenue_this_month(viewer, world, today=MONTH_END)
        s = revenue.summary(viewer, world, span=THIS_MONTH, today=MONTH_END)
        assert (quick.this_month, quick.last_month) == (s.current.revenue, s.previous.revenue)


def test_monthly_fills_every_month_and_sums_to_the_years(world: Databases) -> None:
    frame = revenue.monthly(ALPHA, world)
    assert len(frame) == 24 and frame["month"].iloc[-1] == THIS_MONTH.first
    assert frame["revenue"].iloc[-1] == Decimal("267.00")
    assert frame["revenue"].iloc[-2] == Decimal("99.00")
    assert frame["revenue"].iloc[0] == Decimal("0.00") and frame["average_order"].iloc[0] is None
    years = revenue.yearly(ALPHA, world)
    assert list(years["year"]) == [TODAY.year - 2, TODAY.year - 1, TODAY.year]
    assert sum(years["revenue"]) == Decimal("366.00")
    by_year = {
        y: sum(v for m, v in zip(frame["month"], frame["revenue"], strict=True) if m.year == y)
        for y in years["year"]
    }
    assert by_year[TODAY.year] == years["revenue"].iloc[-1]


def test_event_month_basis(world: Databases) -> None:
    # All of A's booked items are for dates of this week (which may start in the last month).
    # Last month to next month: this week's dates may fall into the next month.
    span = MonthSpan(LAST_MONTH.first, THIS_MONTH.first.replace(day=28) + timedelta(days=7))
    booked = revenue.summary(ALPHA, world, span=span, basis="booked")
    event = revenue.summary(ALPHA, world, span=span, basis="event")
    assert booked.current.revenue == event.current.revenue == Decimal("366.00")
    with pytest.raises(ValueError):
        revenue.summary(ALPHA, world, basis="paid")


def test_revenue_by_course_and_partner(world: Databases) -> None:
    courses = revenue.by_course(ALPHA, world, span=THIS_MONTH)
    assert list(courses["course"]) == ["Alpha Pasta-Werkstatt"]
    assert courses["revenue"].iloc[0] == Decimal("267.00")
    assert courses["share"].iloc[0] == Decimal("1")
    both = revenue.by_course(ALPHA, world, span=MonthSpan.last_months(2))
    assert list(both["course"]) == ["Alpha Pasta-Werkstatt", "Alpha Sushi für Einsteiger"]
    assert sum(both["share"]) == Decimal("1.0000")
    everyone = revenue.by_course(STAFF, world, span=THIS_MONTH)
    assert set(everyone["course"]) == {"Alpha Pasta-Werkstatt", *B.course_names}
    top = revenue.by_partner(STAFF, world, span=THIS_MONTH)
    assert list(top["name"]) == [B.partner_name, "Kochschule Alpha"]
    assert list(top["commission"]) == [Decimal("202.75"), Decimal("66.75")]
    assert list(top["commission_rate"]) == [Decimal("20.00"), Decimal("25.00")]
    own = revenue.by_partner(ALPHA, world, span=THIS_MONTH)
    assert list(own["name"]) == ["Kochschule Alpha"]


def test_an_empty_period(world: Databases) -> None:
    long_ago = MonthSpan.year(date(2001, 1, 1))
    s = revenue.summary(ALPHA, world, span=long_ago)
    assert s.current == Totals(Decimal("0.00"), 0, 0, 0, Decimal("0.00"))
    assert s.current.average_order is None and s.vs_previous("revenue") == Change(Decimal(0), None)
    assert revenue.by_course(ALPHA, world, span=long_ago).empty
    assert list(revenue.by_course(ALPHA, world, span=long_ago).columns) == revenue.COURSE_COLUMNS
    assert revenue.by_partner(STAFF, world, span=long_ago).empty
    assert (revenue.monthly(STAFF, world, span=long_ago)["revenue"] == 0).all()


def test_a_course_rate_replaces_the_contract_rate_from_its_month(shop: Databases) -> None:
    from sqlalchemy import insert

    from data.portal_schema import commission_rates

    with shop.portal.begin() as conn:
        conn.execute(  # A's pasta course: 10 % instead of 25 % from this month on
            insert(commission_rates).values(
                partner_id=1, product_id=101, rate=Decimal("10.00"), valid_from=THIS_MONTH.first
            )
        )
    s = revenue.summary(ALPHA, shop, span=THIS_MONTH, today=MONTH_END)
    assert s.current.commission == Decimal("26.70")  # 267 € of pasta × 10 %
    assert s.previous.commission == Decimal("24.75")  # sushi, 99 € × 25 %, before it anyway
    top = revenue.by_partner(STAFF, shop, span=MonthSpan(LAST_MONTH.first, THIS_MONTH.first))
    commission = dict(zip(top["name"], top["commission"], strict=True))
    assert commission["Kochschule Alpha"] == Decimal("51.45")  # 26,70 + 24,75


# --- like for like: a running period against the same days ---------------------------------------


def _book(db: Databases, booked: dict[int, datetime]) -> None:
    """Move A's items to fixed booking times (UTC) and rebuild the roll-ups from the ledger."""
    from sqlalchemy import update

    from data.money.rollup import rebuild_rollups
    from data.portal_schema import bookings

    with db.portal.begin() as conn:
        for item_id, moment in booked.items():
            conn.execute(
                update(bookings)
                .where(bookings.c.item_id == item_id)
                .values(booked_at=moment, event_at=moment + timedelta(days=1))
            )
        rebuild_rollups(conn)


def test_like_for_like_a_running_month_against_the_same_days(shop: Databases) -> None:
    # A: 178 € on 3 Dec 2026, 99 € on 2 Nov and 89 € on 20 Nov, nothing last December.
    _book(
        shop,
        {
            5001: datetime(2026, 12, 3, 9),
            5002: datetime(2026, 11, 2, 9),
            5003: datetime(2026, 11, 20, 9),
        },
    )
    december = MonthSpan.month(date(2026, 12, 1))
    s = revenue.summary(ALPHA, shop, span=december, today=date(2026, 12, 4))
    # 1.–4. December against 1.–4. November: the 20 November booking is not yet comparable.
    assert (s.current.revenue, s.previous.revenue) == (Decimal("178.00"), Decimal("99.00"))
    assert s.previous.commission == Decimal("24.75") and s.previous.orders == 1
    assert (s.current_until, s.previous_until) == (date(2026, 12, 4), date(2026, 11, 4))
    assert s.year_ago_until == date(2025, 12, 4)
    # A finished month compares whole months.
    done = revenue.summary(ALPHA, shop, span=december, today=date(2027, 1, 10))
    assert done.previous.revenue == Decimal("188.00") and done.previous_until is None
    # The 31st against a 30-day month: up to its last day.
    assert periods.shift_day(date(2026, 12, 31), -1) == date(2026, 11, 30)
    assert periods.shift_day(date(2028, 2, 29), -12) == date(2027, 2, 28)


def test_like_for_like_a_running_year_and_its_one_comparison(shop: Databases) -> None:
    _book(
        shop,
        {
            5001: datetime(2026, 3, 3, 9),
            5002: datetime(2025, 3, 2, 9),
            5003: datetime(2025, 12, 20, 9),  # later in last year than today is in this one
        },
    )
    year = MonthSpan.year(date(2026, 1, 1))
    s = revenue.summary(ALPHA, shop, span=year, today=date(2026, 12, 4))
    assert (s.current.revenue, s.year_ago.revenue) == (Decimal("178.00"), Decimal("99.00"))
    assert s.year_ago_until == date(2025, 12, 4)
    # Twelve months: the period before is last year's, so there is one comparison, not two.
    assert s.previous_is_year_ago
    assert not revenue.summary(
        ALPHA, shop, span=MonthSpan.month(date(2026, 12, 1))
    ).previous_is_year_ago
