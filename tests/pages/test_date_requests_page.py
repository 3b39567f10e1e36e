"""Terminanfragen through the real script runner (AppTest): accept, propose and reject, each with
its confirmation; customers' text stays text; staff see every partner; the rules form.

The world is relative to the real clock (tests/support/worlds.py), so the requests here are for
a day two weeks ahead of it and for 18:00: inside the default rules on any weekday.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import periods
from core.db import Databases
from core.i18n import catalog
from data import portal_schema as p
from data.access.viewer import Viewer
from data.demand import date_requests as dr
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, as_shown, assert_clean, open_page
from tests.support.worlds import HOSTILE, build_world

PAGE = "angebot/terminanfragen.py"
A = Viewer(user_id=10, role="partner", partner_id=1)
B = Viewer(user_id=20, role="partner", partner_id=2)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _day() -> object:
    return periods.berlin_today() + timedelta(days=14)


def _ask(db: Databases, viewer: Viewer, product_id: int, email: str, name: str) -> int:
    return dr.create_request(
        viewer,
        db,
        product_id=product_id,
        day=_day(),
        start=time(18, 0),
        name=name,
        email=email,
        participants=3,
        message=HOSTILE + "Geht auch vegetarisch?",
        now=datetime.now(UTC).replace(tzinfo=None),
    ).request_id


def _statuses(db: Databases) -> dict[str, str]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(p.date_requests.c.email, p.date_requests.c.status))
        return {str(e): str(s) for e, s in rows}


def _templates(db: Databases) -> list[str]:
    query = select(p.outbox.c.template).where(p.outbox.c.template.like("date_request%"))
    with db.portal.connect() as conn:
        return sorted(str(r[0]) for r in conn.execute(query))


def _key(name: str, product_id: int = 101) -> str:
    return f"dr_{product_id}_{_day().isoformat()}_{name}"


def _confirm(at: AppTest, product_id: int = 101) -> str:
    at.button(key=_key("submit", product_id)).click().run()
    assert_clean(at)
    warning = "\n".join(str(w.value) for w in at.warning)
    at.button(key=_key("confirm", product_id)).click().run()
    assert_clean(at)
    return warning


def test_the_page_shows_groups_and_customers_text_as_text(world: Databases) -> None:
    _ask(world, A, 101, "clara@example.org", HOSTILE + "Clara")
    _ask(world, A, 101, "ben@example.org", "Ben")
    for locale in ("de", "en"):
        at = open_page(PAGE, user_id=ALPHA, locale=locale)
        text = assert_clean(at)
        assert at.title[0].value == catalog(locale)["nav.date_requests"]
        assert "Alpha Pasta-Werkstatt" in text
        assert "Geht auch vegetarisch?" in text
    markdown = "\n".join(str(el.value) for el in (*at.markdown, *at.caption))
    # Escaped (components.text.md): no live link, image or HTML.
    assert not re.search(r"(?<!\\)\]\(https://evil", markdown)
    assert not re.search(r"(?<!\\)<img", markdown)
    assert "[Jetzt neu anmelden](https://evil.example)" in as_shown(markdown)  # shown as typed
    caption = "\n".join(str(c.value) for c in at.caption)
    assert "2 requests" in caption and "6 people" in caption


def test_accept_creates_the_date_after_a_yes(world: Databases) -> None:
    _ask(world, A, 101, "clara@example.org", "Clara")
    _ask(world, A, 101, "ben@example.org", "Ben")
    at = open_page(PAGE, user_id=ALPHA)
    assert at.radio(key=_key("action")).value == "accept"
    assert at.number_input(key=_key("seats")).value == 10
    at.text_area(key=_key("note")).input("Wir freuen uns!")
    warning = _confirm(at)
    assert "2 Kunden bekommen" in warning
    assert "Angenommen: 2 Anfragen, 2 E-Mails" in "\n".join(str(s.value) for s in at.success)
    assert set(_statuses(world).values()) == {"accepted"}
    assert _templates(world) == ["date_request_accepted"] * 2
    with world.magento.connect() as conn:
        created = conn.execute(
            select(m.miomente_course_date.c.starts_at).where(
                m.miomente_course_date.c.product_id == 101,
                m.miomente_course_date.c.starts_at >= datetime.combine(_day(), time(0)),
                m.miomente_course_date.c.starts_at < datetime.combine(_day(), time(23, 59)),
            )
        ).all()
    assert len(created) == 1
    assert "Zurzeit gibt es keine offenen" in "\n".join(str(i.value) for i in at.info)


def test_propose_an_existing_date(world: Databases) -> None:
    _ask(world, A, 101, "clara@example.org", "Clara")
    at = open_page(PAGE, user_id=ALPHA)
    at.radio(key=_key("action")).set_value("propose").run()
    at.radio(key=_key("mode")).set_value("existing").run()
    assert at.selectbox(key=_key("existing")).value == 13
    warning = _confirm(at)
    assert "1 Kunde bekommt" in warning and "Vorschlag" in warning
    assert _statuses(world) == {"clara@example.org": "proposed"}
    assert _templates(world) == ["date_request_proposed"]


def test_reject_needs_a_reason_then_tells_the_customer(world: Databases) -> None:
    _ask(world, A, 101, "clara@example.org", "Clara")
    at = open_page(PAGE, user_id=ALPHA)
    at.radio(key=_key("action")).set_value("reject").run()
    _confirm(at)  # without a reason: refused, nothing sent
    assert "Bitte einen Grund angeben" in "\n".join(str(w.value) for w in at.warning)
    assert _statuses(world) == {"clara@example.org": "pending"}
    at.text_area(key=_key("reason")).input("Da sind wir im Urlaub.").run()
    _confirm(at)
    assert _statuses(world) == {"clara@example.org": "rejected"}
    assert _templates(world) == ["date_request_rejected"]
    at.switch_page(f"pages/{PAGE}").run()
    table = at.dataframe[0].value.to_csv()
    assert "Abgelehnt" in table and "Da sind wir im Urlaub." in table


def test_staff_see_every_partner_and_partners_only_their_own(world: Databases) -> None:
    _ask(world, A, 101, "clara@example.org", "Clara")
    _ask(world, B, 201, "zora.beta@example.org", "Zora")
    staff = assert_clean(open_page(PAGE, user_id=STAFF))
    assert "Alpha Pasta-Werkstatt" in staff and "Beta Rotweinseminar" in staff
    assert "Partner: Weinschule Beta" in staff
    assert "Regeln gehören zu einem Partner" in staff
    alpha = assert_clean(open_page(PAGE, user_id=ALPHA))
    assert "Beta Rotweinseminar" not in alpha and "Zora" not in alpha


def test_the_rules_form_saves_and_refuses_in_german(world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    numbers = at.number_input
    low = next(n for n in numbers if n.label == "Mindestens Personen")
    high = next(n for n in numbers if n.label == "Höchstens Personen")
    low.set_value(9)
    high.set_value(8)
    submit = next(b for b in at.button if b.label == "Regeln speichern")
    submit.click().run()
    assert "das Minimum nicht über dem Maximum" in "\n".join(str(e.value) for e in at.error)
    assert dr.get_rules(A, world) == dr.DEFAULT_RULES
    low = next(n for n in at.number_input if n.label == "Mindestens Personen")
    low.set_value(2)
    next(b for b in at.button if b.label == "Regeln speichern").click().run()
    assert_clean(at)
    assert dr.get_rules(A, world).min_participants == 2
    assert "Regeln gespeichert." in "\n".join(str(s.value) for s in at.success)
