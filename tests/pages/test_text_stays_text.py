"""Text from customers, partners, the shop and the URL stays text on every page.

A world whose every text field carries a Markdown image and link, raw HTML, an emoji shortcode
and LaTeX (tests/support/worlds.py `HOSTILE`), a rejection reason and URL parameters with the
same, and every page rendered for a partner and for staff: no element that Streamlit reads as
Markdown may hold those pieces unescaped, so none of them can become an image, a link, HTML,
an emoji or a formula that the portal did not write itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from google.protobuf.message import Message
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from components.navigation import PAGES
from components.session import VIEW_AS_KEY
from components.text import html_text, md
from core.db import Databases
from core.links import ORDER_PARAM
from data.access.viewer import ROLE_PARTNER, SYSTEM, Viewer
from data.bookings.decisions import decide
from data.money import payouts
from data.portal_schema import DECISION_REJECTED, bookings
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    STAFF,
    app_environment,
    as_shown,
    assert_clean,
    new_app,
    open_dates_tab,
)
from tests.support.worlds import HOSTILE, build_world

# Each piece is harmless only with its characters escaped (a backslash before `.`, `<`, `:`,
# `$`): found in a Markdown source with the escapes blanked out, it would be rendered.
PIECES = ("evil.example", "<img", ":smile:", "$x^2$", "[Jetzt neu anmelden]")
_ESCAPE = re.compile(r"\\.", re.S)
# Protobuf fields Streamlit renders as Markdown (bodies of markdown, captions, alerts, headings,
# metrics; labels, help texts, deltas of widgets, metrics, expanders, popovers, tabs).
MARKDOWN_FIELDS = {"body", "label", "help", "delta", "labels"}
PLAIN = {"Text", "Code", "IFrame", "Exception", "Arrow", "Selectbox", "MultiSelect"}
URL = {  # URL parameters of Bestellungen, the page that reads them; other pages ignore them
    ORDER_PARAM: "1001",
    "status": HOSTILE,
    "suche": HOSTILE,
    "gebucht_von": HOSTILE,
    "sortierung": HOSTILE,
    "kurs": HOSTILE,
}


def unescaped(source: str) -> list[str]:
    """The hostile pieces that `source`, read as Markdown, would render as markup."""
    neutral = _ESCAPE.sub("_", source)
    return [piece for piece in PIECES if piece in neutral]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def html_problems(source: str) -> list[str]:
    """The portal's own HTML (`unsafe_allow_html`): only its table tags, no outside address,
    and no blank line (it would end the HTML block, and Markdown would follow)."""
    parser = _Tags()
    parser.feed(source)
    own = {"style", "div", "table", "tr", "th", "td", "span", "b", "br"}
    problems = [f"<{tag}>" for tag, _ in parser.tags if tag not in own]
    problems += [
        f"{name}={value}" for _, a in parser.tags for name, value in a if "evil" in (value or "")
    ]
    return problems + (["blank line"] if re.search(r"\n\s*\n", source) else [])


def _strings(msg: Message, path: str) -> Iterator[tuple[str, str]]:
    """(where, Markdown source) of every Markdown-read string in `msg` and its sub-messages."""
    name = msg.DESCRIPTOR.name
    if name in PLAIN:
        return
    if name == "Markdown" and getattr(msg, "allow_html", False):
        for problem in html_problems(msg.body):
            yield f"{path}/Markdown(html)", problem
        return
    for field, value in msg.ListFields():
        where = f"{path}/{name}.{field.name}"
        values = (
            list(value)
            if isinstance(value, Sequence) and not isinstance(value, str | bytes)
            else [value]
        )
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item, where)
            elif isinstance(item, str) and field.name in MARKDOWN_FIELDS:
                yield from ((where, piece) for piece in unescaped(item))


def rendered_markup(at: AppTest) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            found += _strings(proto, type(node).__name__)
        stack += list(getattr(node, "children", {}).values())
    return found


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("hostile")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db, hostile=True)
        # A partner's rejection reason: shown in the order's timeline, carried in the mail.
        alpha = Viewer(user_id=ALPHA, role=ROLE_PARTNER, partner_id=1)
        decide(alpha, db, item_ids=[5001], decision=DECISION_REJECTED, reason=HOSTILE.strip())
        yield db


# Every page of each role's menu (a partner's menu has no staff pages).
CASES = [
    pytest.param(spec, user_id, id=f"{spec.key}-{role}")
    for spec in PAGES
    for user_id, role in ((ALPHA, "partner"), (STAFF, "staff"))
    if not (spec.staff_only and user_id == ALPHA)
]


@pytest.mark.parametrize(("spec", "user_id"), CASES)
def test_no_page_renders_markup_from_data_or_url(hostile_world: Databases, spec, user_id) -> None:
    at = new_app(user_id=user_id)
    at.run()
    at.switch_page(f"pages/{spec.file}")
    for key, value in URL.items():
        at.query_params[key] = value
    at.run()
    text = assert_clean(at)
    assert rendered_markup(at) == []
    if spec.key == "dates":  # Termine runs only its open tab: each of the others opened
        for tab in ("calendar", "series", "refunds"):
            assert_clean(open_dates_tab(at, tab))
            assert rendered_markup(at) == [], tab
    if spec.url_path == "bestellungen":
        # The hostile texts are there, as text: the customer card, the timeline's reason.
        assert "[Jetzt neu anmelden](https://evil.example)" in text
        assert "Grund:" in text


def test_md_escapes_every_piece_and_reads_back_as_typed() -> None:
    for value in (HOSTILE, "a@b.example www.evil.example https://evil.example", "| a | b |"):
        source = md(value)
        assert unescaped(source) == []
        assert "\n" not in source and "@" not in _ESCAPE.sub("_", source)
        assert as_shown(source) == " ".join(value.splitlines()).strip()
    assert md(None) == "" and md(1234) == "1234"


def test_html_text_keeps_the_portals_html_block_closed() -> None:
    block = f"<div>{html_text(HOSTILE)}</div>"
    assert html_problems(block) == []
    assert "\n" not in block


def test_an_open_order_awaiting_the_partners_decision_shows_its_texts_as_text(
    hostile_world: Databases,
) -> None:
    """Order 1003 waits for partner A: the items, the customer card and the reject form (its
    alternative-dates label names the course)."""
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    at.query_params[ORDER_PARAM] = "1003"
    at.run()
    text = assert_clean(at)
    assert [b.label for b in at.button if b.key == "confirm_1003"] == ["Bestätigen"]
    assert ":smile: $x^2$ Alpha Pasta-Werkstatt" in text
    assert rendered_markup(at) == []


def test_staff_viewing_as_a_partner_sees_its_name_as_text(hostile_world: Databases) -> None:
    at = new_app(user_id=STAFF)
    at.session_state[VIEW_AS_KEY] = 1
    at.run()
    text = assert_clean(at)
    assert "$x^2$ Kochschule Alpha" in text
    assert rendered_markup(at) == []


@pytest.fixture(scope="module")
def hostile_payouts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """The hostile world with October's payouts computed and approved (credit notes issued)."""
    tmp = tmp_path_factory.mktemp("hostile_payouts")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db, hostile=True)
        with db.portal.begin() as conn:
            conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        payouts.compute_payouts(SYSTEM, db, period=date(2026, 10, 1))
        ids = payouts.list_payouts(SYSTEM, db)["payout_id"].tolist()
        payouts.approve_payouts(SYSTEM, db, payout_ids=ids)
        yield db


@pytest.mark.parametrize(
    ("page", "user_id"),
    [("buchhaltung/buchhaltung.py", ALPHA), ("buchhaltung/auszahlungen.py", STAFF)],
    ids=["partner", "staff"],
)
def test_payouts_and_credit_notes_show_their_texts_as_text(
    hostile_payouts: Databases, page: str, user_id: int
) -> None:
    at = new_app(user_id=user_id)
    at.run()
    at.switch_page(f"pages/{page}").run()
    text = assert_clean(at)
    assert rendered_markup(at) == []
    if user_id == ALPHA:  # Buchhaltung runs only its open tab: walk them
        for label in ("Auszahlungen", "Gutschriften"):
            at.session_state["accounting_tab"] = label
            text += assert_clean(at.run())
            assert rendered_markup(at) == []
    assert ":smile: $x^2$ Kochschule Alpha" in text or ":smile: $x^2$ Alpha" in text
    if user_id == STAFF:
        at.selectbox(key="payouts_status").set_value("approved").run()
        at.checkbox(key="payouts_select_all").check().run()
        at.button(key="payouts_sepa").click().run()
        at.button(key="payouts_datev").click().run()
        assert_clean(at)
        assert rendered_markup(at) == []
