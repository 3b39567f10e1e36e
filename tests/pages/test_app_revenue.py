"""The Umsatz tab (Buchhaltung) through AppTest: partner and staff, German and English.

What is asserted is what a user reads: the period's revenue equals the sum of the partner's own
counted ledger items of that month, the month table, the course table, German number formats
in the figures and in the Plotly charts, and nothing of partner B for partner A. The fixture
pattern is the one of tests/test_app.py (a two-partner world in temp SQLite files, the viewer
in session state).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import i18n, periods
from core.db import Databases
from data.portal_schema import bookings
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, open_page
from tests.support.worlds import B, build_world

COUNTED = {"new", "confirmed", "completed"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("app_revenue")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


_REAL_TODAY = periods.berlin_today


def _today_is(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """The pages' Berlin today (the world's bookings stay where they are)."""
    monkeypatch.setattr(
        periods, "berlin_today", lambda now=None: day if now is None else _REAL_TODAY(now)
    )


@pytest.fixture(autouse=True)
def _month_end(monkeypatch: pytest.MonkeyPatch) -> None:
    # The world books relative to today; seen on the month's last day, the running month and
    # its comparisons are whole months whatever day the tests run (like for like, below).
    _today_is(monkeypatch, periods.month_of(_REAL_TODAY()).last_day)


def _tab(user_id: int, locale: str = "de") -> AppTest:
    at = open_page("buchhaltung/buchhaltung.py", user_id=user_id, locale=locale)
    assert not at.exception, [e.message for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, str(m.delta or "")) for m in at.metric}


def _frames(at: AppTest) -> str:
    return "\n".join(frame.value.to_csv() for frame in at.dataframe)


def _text(at: AppTest) -> str:
    parts = [
        str(el.value) for kind in ("caption", "info", "error", "subheader") for el in at.get(kind)
    ]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    return "\n".join(parts) + "\n" + _frames(at)


def _table(at: AppTest, first_column: str) -> dict[str, dict[str, str]]:
    """The shown table whose first column is `first_column`: {first cell: {column: cell}}."""
    for frame in at.dataframe:
        df = frame.value
        if next(iter(df.columns)) == first_column:
            return {
                str(row[first_column]): {k: str(v) for k, v in row.items()}
                for _, row in df.iterrows()
            }
    raise AssertionError(f"no table starting with {first_column!r}")


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _expected(db: Databases, *, partner_id: int | None, month: date, basis: str) -> Decimal:
    """The sum of counted ledger items in that Berlin month, computed here independently."""
    column = bookings.c.booked_at if basis == "booked" else bookings.c.event_at
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(
                bookings.c.partner_id,
                column,
                bookings.c.gross,
                bookings.c.refunded,
                bookings.c.status,
            )
        ).all()
    total = Decimal(0)
    for pid, at, gross, refunded, status in rows:
        if at is None or status not in COUNTED or (partner_id and pid != partner_id):
            continue
        if i18n.to_berlin(at).date().replace(day=1) == month:
            total += Decimal(str(gross)) - Decimal(str(refunded))
    return total.quantize(Decimal("0.01"))


def test_partner_sees_this_months_revenue_and_its_courses_in_german(world: Databases) -> None:
    at = _tab(ALPHA)
    assert at.tabs[0].label == "Umsatz"
    assert not at.tabs[0].error, [e.value for e in at.tabs[0].error]
    month = periods.berlin_today().replace(day=1)
    expected = _expected(world, partner_id=1, month=month, basis="booked")
    assert expected == Decimal("267.00")  # 2 × 89 € (order 1001) + A's own 89 € of shared 1003
    metrics = _metrics(at)
    assert metrics["Umsatz"][0] == "267,00\u00a0€"
    assert metrics["Tickets"][0] == "3"
    assert metrics["Bestellungen"][0] == "2"
    assert metrics["Ø Bestellwert"][0] == "133,50\u00a0€"
    # Last month: order 1002, 99 € -> +169,7 %.
    assert metrics["Umsatz"][1] == "+169,7\u00a0% zur Vorperiode"
    assert "Provision" not in metrics  # staff only
    text = _text(at)
    months = _table(at, "Monat")  # the month table
    assert months[i18n.month_label(month, "de")]["Umsatz"] == "267,00\u00a0€"
    last = periods.previous_month(periods.berlin_today()).first_day
    assert months[i18n.month_label(last, "de")]["Umsatz"] == "99,00\u00a0€"
    courses = _table(at, "Kurs")
    assert courses["Alpha Pasta-Werkstatt"]["Umsatz"] == "267,00\u00a0€"
    assert courses["Alpha Pasta-Werkstatt"]["Anteil"] == "100,0\u00a0%"
    for marker in (B.partner_name, *B.course_names, "777,77"):
        assert marker not in text
    charts = _charts(at)
    assert charts and all(c["layout"]["separators"] == ",." for c in charts)
    month_chart = charts[0]["data"][0]
    assert month_chart["y"][-1] == 267.0 and month_chart["y"][-2] == 99.0


def test_partner_in_english(world: Databases) -> None:
    at = _tab(ALPHA, "en")
    metrics = _metrics(at)
    assert metrics["Revenue"][0] == "€267.00"
    assert metrics["Avg. order value"][0] == "€133.50"
    assert all(c["layout"]["separators"] == ".," for c in _charts(at))
    assert "Revenue by course" in _text(at)


def test_staff_sees_all_partners_top_list_and_commission(world: Databases) -> None:
    at = _tab(STAFF)
    metrics = _metrics(at)
    month = periods.berlin_today().replace(day=1)
    expected = _expected(world, partner_id=None, month=month, basis="booked")
    assert expected == Decimal("1280.77")
    assert metrics["Umsatz"][0] == "1.280,77\u00a0€"
    # A: 267 € × 25 % = 66,75 €; B: 1.013,77 € × 20 % = 202,75 €.
    assert metrics["Provision"][0] == "269,50\u00a0€"
    text = _text(at)
    assert "Top-Partner" in text
    top = _table(at, "Partner")
    assert list(top) == [B.partner_name, "Kochschule Alpha"]  # biggest first
    assert top[B.partner_name]["Umsatz"] == "1.013,77\u00a0€"
    assert top[B.partner_name]["Provision"] == "202,75\u00a0€"
    assert top["Kochschule Alpha"]["Provisionssatz"] == "25,0\u00a0%"
    courses = _table(at, "Kurs")
    assert set(courses) == {"Alpha Pasta-Werkstatt", *B.course_names}


def test_staff_in_english(world: Databases) -> None:
    at = _tab(STAFF, "en")
    metrics = _metrics(at)
    assert metrics["Revenue"][0] == "€1,280.77"
    assert metrics["Commission"][0] == "€269.50"


def test_year_and_event_month_follow_the_ledger(world: Databases) -> None:
    at = _tab(ALPHA)
    at.segmented_control(key="revenue_basis").set_value("event").run()
    month = periods.berlin_today().replace(day=1)
    expected = _expected(world, partner_id=1, month=month, basis="event")
    assert _metrics(at)["Umsatz"][0] == i18n.money(expected, "de")
    at.segmented_control(key="revenue_kind").set_value("year").run()
    assert not at.exception
    year = periods.berlin_today().year
    total = sum(
        (
            _expected(world, partner_id=1, month=date(year, m, 1), basis="event")
            for m in range(1, 13)
        ),
        Decimal(0),
    )
    assert _metrics(at)["Umsatz"][0] == i18n.money(total, "de")


def test_an_empty_period_says_so(world: Databases) -> None:
    at = _tab(ALPHA)
    at.segmented_control(key="revenue_kind").set_value("range").run()
    months = at.selectbox(key="revenue_from").options
    oldest = len(months) - 1
    at.selectbox(key="revenue_from").set_value(at.selectbox(key="revenue_from").options[oldest])
    at.selectbox(key="revenue_to").select_index(oldest).run()
    assert not at.exception
    assert _metrics(at)["Umsatz"][0] == "0,00\u00a0€"
    assert "Im gewählten Zeitraum gibt es keinen Umsatz." in _text(at)


# --- like for like -----------------------------------------------------------------------


def test_a_running_month_is_compared_with_the_same_days(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    this_month = _REAL_TODAY().replace(day=1)
    last = periods.previous_month(this_month).first_day
    # The world's last-month booking (order 1002, 99 €) lies on the 15th: on the 4th it is
    # not yet comparable, so the running month has nothing to compare with.
    fourth = this_month.replace(day=4)
    _today_is(monkeypatch, fourth)
    at = _tab(ALPHA)
    text = _text(at)
    expected = f"Vorperiode: {i18n.day(last, 'de')} – {i18n.day(last.replace(day=4), 'de')}."
    assert expected in text
    previous = _table(at, "Kennzahl")["Umsatz"]["Vorperiode"]
    assert previous == "0,00\u00a0€"


def test_a_year_has_one_comparison_named_last_year(world: Databases) -> None:
    at = _tab(ALPHA)
    at.segmented_control(key="revenue_kind").set_value("year").run()
    metrics = _metrics(at)
    assert metrics["Umsatz"][1].endswith("zum Vorjahr") or metrics["Umsatz"][1] == ""
    assert "zur Vorperiode" not in _text(at)
    row = _table(at, "Kennzahl")["Umsatz"]
    assert "Vorperiode" not in row and "Vorjahr" in row


def test_the_overview_shows_a_fall_in_red(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.proto.Metric_pb2 import Metric

    # Next month's last day: nothing booked yet, this month's 267 € whole: -100 %.
    following = periods.month_of(periods.month_of(_REAL_TODAY()).last_day + timedelta(days=1))
    _today_is(monkeypatch, following.last_day)
    at = open_page("verkauf/uebersicht.py", user_id=ALPHA)
    assert not at.exception, [e.message for e in at.exception]
    metric = next(m for m in at.metric if m.label == "Umsatz diesen Monat")
    assert metric.delta.startswith("-100,0")
    assert metric.proto.color == Metric.MetricColor.RED
    assert metric.proto.direction == Metric.MetricDirection.DOWN
