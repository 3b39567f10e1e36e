"""The menu shows what waits: "Terminanfragen (n)" open requests and "Warteliste (n)" waiting
people, for partner A, partner B and staff (everyone), through the real script (AppTest).

The world (tests/support/worlds.py) has one waiting couple per partner; tests/support/demand.py
adds one open and one answered request per partner; A gets two more open ones and a second
waiting customer here, so A's, B's and staff's numbers all differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest

from components import menu_counts
from core.db import Databases
from data.access.viewer import Viewer
from data.demand import date_requests as dr
from data.demand import waitlist as wl
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, new_app
from tests.support.demand import add_date_requests
from tests.support.worlds import build_world

BETA = 20
PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        add_date_requests(db)
        for n, day in enumerate((date(2027, 1, 16), date(2027, 1, 23))):
            dr.create_request(
                PARTNER_A, db, product_id=101, day=day, start=time(18, 0), name=f"Kunde {n}",
                email=f"kunde{n}@example.org", participants=2,
            )  # fmt: skip
        wl.add_entry(
            PARTNER_A, db, product_id=101, customer_name="Gruppe Groß", email="gross@example.org",
            seats=4, consent=True,
        )  # fmt: skip
        yield db


def _menu(user_id: int) -> dict[str, str]:
    """URL path -> label of the pages the menu lists for this user."""
    at = new_app(user_id=user_id)
    at.run()
    assert not at.exception
    # AppTest keeps what st.navigation registered (there is no sidebar element to read).
    pages = at._registered_pages
    return {info["url_pathname"]: info["page_name"] for info in pages.values()}


@pytest.mark.parametrize(
    ("user_id", "requests", "waiting"),
    [(ALPHA, "Terminanfragen (3)", "Warteliste (2)"), (BETA, "Terminanfragen (1)",
     "Warteliste (1)"), (STAFF, "Terminanfragen (4)", "Warteliste (3)")],
)  # fmt: skip
def test_the_menu_counts_what_waits_for_the_viewer(
    world: Databases, user_id: int, requests: str, waiting: str
) -> None:
    menu = _menu(user_id)
    assert menu["terminanfragen"] == requests
    assert menu["warteliste"] == waiting
    assert menu["bestellungen"] == "Bestellungen"  # other pages carry no number


def test_an_answer_lowers_the_count_at_once(world: Databases) -> None:
    assert _menu(BETA)["terminanfragen"] == "Terminanfragen (1)"
    beta = Viewer(user_id=BETA, role="partner", partner_id=2)
    dr.reject_requests(beta, world, request_ids=[11], reason="Leider ausgebucht.")
    # The Terminanfragen page clears the remembered counts after its answer (here the answer
    # came from outside the app, so the test does what the page does).
    menu_counts.forget()
    assert _menu(BETA)["terminanfragen"] == "Terminanfragen"  # nothing open: no number
