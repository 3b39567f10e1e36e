"""Übersicht figures, exact, on every backend (the world in tests/support/worlds.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core import periods
from core.db import Databases
from core.validation import InvalidInput
from data import overview
from data.access.viewer import Viewer

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


def test_pending_counts_items_waiting_for_the_partner(world: Databases) -> None:
    assert overview.pending_confirmations(ALPHA, world) == 2  # order 1001 + A's half of 1003
    assert overview.pending_confirmations(BETA, world) == 2  # order 2001 + B's half of 1003
    assert overview.pending_confirmations(STAFF, world) == 4


def test_week_page_shows_seats_sold_without_cancelled_orders(world: Databases) -> None:
    week = overview.week_page(ALPHA, world).rows
    by_course = dict(
        zip(week["course"], zip(week["seats_sold"], week["seats_total"], strict=True), strict=True)
    )
    # Date 11: order 1001 (2) + 1003 (1); the cancelled order 1004 (3) frees its seats.
    assert by_course["Alpha Pasta-Werkstatt"] == (3, 12)
    assert by_course["Alpha Sushi für Einsteiger"] == (1, 10)
    assert set(week["partner"]) == {"Kochschule Alpha"}
    staff = overview.week_page(STAFF, world)
    assert (staff.total, staff.pages, len(staff.rows)) == (4, 1, 4)


def test_week_totals_are_the_sums_of_the_rows(world: Databases) -> None:
    for viewer in (ALPHA, BETA, STAFF):
        rows = overview.week_page(viewer, world).rows
        totals = overview.week_totals(viewer, world)
        assert totals == overview.WeekTotals(
            len(rows), int(rows["seats_sold"].sum()), int(rows["seats_total"].sum())
        )


def test_week_pages_cover_the_week_once(world: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overview, "PAGE_SIZES", (3, 50))
    first = overview.week_page(STAFF, world, page_size=3)
    second = overview.week_page(STAFF, world, page=2, page_size=3)
    beyond = overview.week_page(STAFF, world, page=9, page_size=3)
    assert (first.pages, len(first.rows), len(second.rows)) == (2, 3, 1)
    assert beyond.page == 2 and list(beyond.rows["date_id"]) == list(second.rows["date_id"])
    everything = list(overview.week_page(STAFF, world).rows["date_id"])
    assert list(first.rows["date_id"]) + list(second.rows["date_id"]) == everything


def test_a_page_size_not_offered_is_refused(world: Databases) -> None:
    with pytest.raises(InvalidInput):
        overview.week_page(STAFF, world, page_size=7)
    with pytest.raises(InvalidInput):
        overview.partner_page(STAFF, world, page_size=100_000)


def test_next_week_is_empty(world: Databases) -> None:
    next_week = periods.berlin_today() + timedelta(days=7)
    assert overview.week_page(ALPHA, world, today=next_week).rows.empty
    assert overview.week_totals(ALPHA, world, today=next_week) == overview.WeekTotals(0, 0, 0)


def test_revenue_compares_this_month_with_last(world: Databases) -> None:
    # As at the month's last day: whole month against whole month (the world's bookings are
    # relative to today; the same-days cut is tested in tests/money/test_revenue.py).
    end = periods.month_of(periods.berlin_today()).last_day
    alpha = overview.revenue_this_month(ALPHA, world, today=end)
    assert alpha.this_month == Decimal("267.00")
    assert alpha.last_month == Decimal("99.00")
    assert alpha.change.quantize(Decimal("0.0001")) == Decimal("1.6970")
    beta = overview.revenue_this_month(BETA, world, today=end)
    assert beta.this_month == Decimal("777.77") + Decimal("236.00")
    staff = overview.revenue_this_month(STAFF, world, today=end)
    assert staff.this_month == alpha.this_month + beta.this_month


def test_average_rating_counts_only_the_partners_reviews(world: Databases) -> None:
    assert overview.average_rating(ALPHA, world) == overview.RatingSummary(Decimal("4.5"), 2)
    assert overview.average_rating(BETA, world) == overview.RatingSummary(Decimal("1.5"), 2)
    assert overview.average_rating(STAFF, world) == overview.RatingSummary(Decimal("3.0"), 4)


def test_staff_partner_table(world: Databases) -> None:
    result = overview.partner_page(STAFF, world)
    assert (result.total, result.pages) == (2, 1)
    table = result.rows.set_index("name")
    assert table.loc["Kochschule Alpha", "revenue_month"] == Decimal("267.00")
    assert table.loc["Kochschule Alpha", "pending"] == 2
    assert table.loc["Weinschule Beta", "rating"] == Decimal("1.5")
    assert list(table["courses"]) == [2, 2]


def test_partner_pages_by_name(world: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overview, "PAGE_SIZES", (1, 50))
    first = overview.partner_page(STAFF, world, page_size=1)
    second = overview.partner_page(STAFF, world, page=2, page_size=1)
    assert (first.total, first.pages) == (2, 2)
    assert list(first.rows["name"]) + list(second.rows["name"]) == [
        "Kochschule Alpha",
        "Weinschule Beta",
    ]
    assert second.rows.iloc[0]["rating"] == Decimal("1.5")  # figures follow the page
    alpha = overview.partner_page(ALPHA, world)
    assert (alpha.total, list(alpha.rows["name"])) == (1, ["Kochschule Alpha"])
