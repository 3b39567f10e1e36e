"""One script run per click: filtering Bestellungen puts the view into the URL in the button's
callback, so the click's own run shows it (no run thrown away by a rerun). Runs are counted by
the page's first data call, the ledger refresh every run of Bestellungen makes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.db import Databases
from data.bookings import ledger
from tests.conftest import fresh_databases
from tests.support.app import STAFF, app_environment, assert_clean, open_page
from tests.support.calls import Calls
from tests.support.worlds import build_world

ORDERS = "verkauf/bestellungen.py"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("script_runs")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


def test_applying_and_resetting_filters_runs_the_script_once(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(ORDERS, user_id=STAFF)
    runs = Calls().wrap(monkeypatch, ledger, "ensure_fresh")
    at.button_group(key="f_statuses").select("new")
    next(b for b in at.button if b.label == "Anwenden").click().run()
    assert_clean(at)
    assert runs["ledger.ensure_fresh"] == 1
    assert at.query_params["status"] in ("new", ["new"])
    next(b for b in at.button if b.label == "Zurücksetzen").click().run()
    assert runs["ledger.ensure_fresh"] == 2
    assert "status" not in at.query_params
