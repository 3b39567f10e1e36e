"""AppTest of the staff page Partner: the commission tool (contract rate, course rates).

The real page over the two-partner world of tests/support/worlds.py (A: 25 %, B: 20 %)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.db import Databases
from data.access.viewer import SYSTEM
from data.money import commission
from data.portal_schema import audit_log
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, new_app, open_page, visible_text
from tests.support.app import assert_clean as _assert_clean
from tests.support.worlds import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("app_partners")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        with app_environment(db, tmp):
            yield db


def _partner_page(partner_id: int, *, locale: str = "de") -> AppTest:
    at = open_page("verwaltung/partner.py", user_id=STAFF, locale=locale)
    at.selectbox(key="partners_commission_partner").set_value(partner_id).run()
    return at


def _override(at: AppTest, *, product_id: int, rate: str, valid_from: date) -> AppTest:
    at.selectbox(key="commission_course_0").set_value(product_id)
    at.text_input(key="commission_rate_0").input(rate)
    at.date_input(key="commission_valid_from_0").set_value(valid_from)
    return at.button(key="commission_save_0").click().run()


@pytest.mark.parametrize("locale", ["de", "en"])
def test_staff_sees_contract_rate_and_empty_course_rates(world: Databases, locale: str) -> None:
    at = _partner_page(2, locale=locale)
    text = _assert_clean(at)
    assert ("20,00\u00a0%" if locale == "de" else "20.00%") in text
    assert ("Keine abweichenden Kurs-Sätze" if locale == "de" else "No course rates") in text


def test_staff_adds_a_course_rate_and_sees_it_listed(world: Databases) -> None:
    at = _partner_page(1)
    text = _assert_clean(at)
    assert "25,00\u00a0%" in text  # A's contract
    at = _override(at, product_id=102, rate="22,5", valid_from=date(2026, 12, 1))
    text = _assert_clean(at)
    assert "Alpha Sushi für Einsteiger (ALP-SUSHI): 22,50\u00a0% ab 01.12.2026 gespeichert." in text
    listed = at.dataframe[-1].value.to_csv()
    assert "Alpha Sushi für Einsteiger" in listed and "22,50" in listed and "01.12.2026" in listed
    # The form starts empty again for the next rate.
    assert at.text_input(key="commission_rate_1").value == ""
    stored = commission.list_rates(SYSTEM, world, partner_id=1)
    assert list(zip(stored["product_id"], stored["rate"], strict=True)) == [(102, Decimal("22.50"))]
    with world.portal.connect() as conn:
        actions = conn.execute(
            select(audit_log.c.action, audit_log.c.user_id).where(
                audit_log.c.action == "commission_rate_set"
            )
        ).all()
    assert [(a.action, a.user_id) for a in actions] == [("commission_rate_set", STAFF)]


@pytest.mark.parametrize("rate", ["130", "12,345", "zwanzig"])
def test_a_bad_rate_is_refused_in_german_and_nothing_is_saved(world: Databases, rate: str) -> None:
    before = commission.list_rates(SYSTEM, world)
    at = _partner_page(1)
    at = _override(at, product_id=101, rate=rate, valid_from=date(2026, 12, 1))
    _assert_clean(at)
    assert [e.value for e in at.error] == [
        "Der Provisionssatz muss eine Zahl zwischen 0 und 100 mit höchstens zwei "
        "Nachkommastellen sein, z. B. 22,5."
    ]
    assert at.text_input(key="commission_rate_0").value == rate  # kept for correcting
    assert commission.list_rates(SYSTEM, world).equals(before)


def test_staff_changes_the_contract_rate(world: Databases) -> None:
    at = _partner_page(2)
    at.text_input(key="commission_contract_rate_0").input("21,75")
    at.button(key="commission_contract_save_0").click().run()
    text = _assert_clean(at)
    assert "Der Vertragssatz ist jetzt 21,75\u00a0%." in text
    assert at.metric[0].value == "21,75\u00a0%"
    assert commission.contract_rate(SYSTEM, world, partner_id=2) == Decimal("21.75")
    # A bad one is refused, the rate stays.
    at.text_input(key="commission_contract_rate_1").input("-3")
    at.button(key="commission_contract_save_1").click().run()
    assert "Der Provisionssatz muss eine Zahl zwischen 0 und 100" in visible_text(at)
    assert commission.contract_rate(SYSTEM, world, partner_id=2) == Decimal("21.75")


def test_a_partner_cannot_reach_the_commission_tool(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    with pytest.raises(ValueError):
        at.switch_page("pages/verwaltung/partner.py")


def test_staff_sets_the_partners_settlement_start(world: Databases) -> None:
    from data.money import settlement

    at = _partner_page(2)
    text = _assert_clean(at)
    assert "Das Portal rechnet alle Kurstermine dieses Partners ab." in text
    at.date_input(key="settlement_start_0").set_value(date(2026, 10, 1))
    at = at.button(key="settlement_save_0").click().run()
    text = _assert_clean(at)
    assert "Das Portal rechnet Kurstermine ab dem 01.10.2026 ab" in text
    assert at.date_input(key="settlement_start_1").value == date(2026, 10, 1)
    stored = settlement.settlement_start(SYSTEM, world, partner_id=2)
    assert stored is not None and stored.own == date(2026, 10, 1)
    with world.portal.connect() as conn:
        actions = conn.execute(
            select(audit_log.c.action, audit_log.c.user_id, audit_log.c.partner_id).where(
                audit_log.c.action == "settlement_start_set"
            )
        ).all()
    assert [tuple(a) for a in actions] == [("settlement_start_set", STAFF, 2)]
