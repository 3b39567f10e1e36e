"""Every link a message carries into the portal opens the record it names.

The two-partner world gets a new booking of each partner (the new-booking notice), October's
payouts approved (the credit-note mails), an approved answer to a review of each partner (the
review-answer mail) and a rejection with an alternative date (a customer
mail, shop links only). Every outbox row is rendered in every channel; each portal link in it
is followed through the app with AppTest, as the partner the message was for, and the page
must show that record's number where it shows an opened record (a subheader), which it does
not without the link. The template samples (Postausgang's previews) must carry links of the
same shape as the followed ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from components.navigation import PAGES
from core import links
from core.db import Databases
from core.settings import DEFAULT_PUBLIC_URL
from data.access.viewer import SYSTEM
from data.bookings.decisions import decide
from data.bookings.ledger import sync_ledger
from data.money import payouts
from data.portal_schema import DECISION_REJECTED, bookings, outbox
from data.reviews import responses
from messaging.render import TEMPLATES, preview, render
from tests.conftest import fresh_databases
from tests.support.app import app_environment, assert_clean, new_app
from tests.support.orders import ALPHA, BETA, NOW, REASON, _add_order
from tests.support.reviews import add_review
from tests.support.worlds import build_world

PUBLIC = "https://portal.test/app"
OCTOBER = date(2026, 10, 1)
USERS = {1: 10, 2: 20}  # partner id -> its user in tests/support/worlds.py
URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass(frozen=True)
class Link:
    url: str
    template: str
    partner_id: int | None
    names: str  # the order or credit-note number the message speaks of


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("links")
    with pytest.MonkeyPatch.context() as mp, fresh_databases("sqlite", tmp) as db:
        mp.setenv("MIOMENTE_PUBLIC_URL", PUBLIC)
        build_world(db)
        _add_order(db, 1101, [(5201, 101, 13)])  # A's new booking
        _add_order(db, 2101, [(5202, 202, 22)])  # B's new booking
        assert sync_ledger(SYSTEM, db, now=NOW).notified == 2
        rejected = decide(
            ALPHA, db, item_ids=[5001], decision=DECISION_REJECTED, reason=REASON, alternatives=[13]
        )
        assert rejected.decided
        with db.portal.begin() as conn:
            conn.execute(
                update(bookings)
                .where(bookings.c.order_id < 1100)
                .values(event_at=datetime(2026, 10, 14, 16, 0))
            )
        # An approved answer of each partner (the review-answer mail links to its review).
        for review_id, product_id, partner in ((7001, 101, ALPHA), (7002, 201, BETA)):
            add_review(db, review_id, product_id, 4, created_at=NOW)
            answer = responses.save_answer(partner, db, review_id=review_id, body="Danke!", now=NOW)
            assert responses.approve_answer(SYSTEM, db, response_id=answer.response_id, now=NOW)
        payouts.compute_payouts(SYSTEM, db, period=OCTOBER)
        ids = payouts.list_payouts(SYSTEM, db)["payout_id"].tolist()
        assert len(payouts.approve_payouts(SYSTEM, db, payout_ids=ids).documents) == 2
        with app_environment(db, tmp):
            yield db


def _urls(text: str) -> list[str]:
    return [html.unescape(u) for u in URL.findall(text)]


def _rendered_urls(template: str, locale: str, payload: dict, channel: str) -> set[str]:
    out = render(template, locale=locale, payload=payload, channel=channel)
    return set(_urls(out.html) + _urls(out.text) + _urls(out.subject))


def _is_portal(url: str) -> bool:
    return not url.startswith(links.SHOP_URL)


def _every_link(db: Databases) -> list[Link]:
    """Each URL in each queued message, rendered in every channel its template offers."""
    with db.portal.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.message_id)).mappings().all()
    found: list[Link] = []
    for row in rows:
        payload = dict(row["payload"])
        named = ("order_number", "credit_note_number", "review_id")
        names = str(next((payload[key] for key in named if payload.get(key)), ""))
        for channel in TEMPLATES[row["template"]].channels:
            for url in _rendered_urls(row["template"], row["locale"], payload, channel):
                found.append(Link(url, row["template"], row["partner_id"], names))
    return found


def _real_links(db: Databases) -> list[Link]:
    return [link for link in _every_link(db) if _is_portal(link.url)]


def _page_file(url: str) -> str:
    parts = urlsplit(url)
    assert url.startswith(f"{PUBLIC}/"), f"{url} is not on the portal's public URL"
    path = parts.path.removeprefix(urlsplit(PUBLIC).path).strip("/")
    spec = next((s for s in PAGES if s.url_path == path), None)
    assert spec is not None, f"{url}: no page has the URL path {path!r}"
    return f"pages/{spec.file}"


def _open(url: str, *, user_id: int, with_query: bool = True) -> AppTest:
    at = new_app(user_id=user_id)
    at.run()
    at.switch_page(_page_file(url))
    if with_query:
        at.query_params = {k: v for k, v in parse_qs(urlsplit(url).query).items()}
    at.run()
    return at


def _opened(at: AppTest) -> str:
    """What the page shows as the one record it opened."""
    return "\n".join(str(el.value) for el in at.subheader)


def test_messages_carry_portal_links_of_both_kinds(world: Databases) -> None:
    real = _real_links(world)
    kinds = {(link.template, link.partner_id) for link in real}
    assert kinds == {
        ("new_booking_partner", 1),
        ("new_booking_partner", 2),
        ("credit_note_available", 1),
        ("credit_note_available", 2),
        ("review_answer_approved", 1),
        ("review_answer_approved", 2),
    }
    assert all(link.names for link in real)
    # Everything else leads into the shop, built by core/links.py as well.
    shop = {link.url for link in _every_link(world) if not _is_portal(link.url)}
    assert links.shop_date_url(101, 13) in shop  # the rejection's alternative date
    assert all(url.startswith(links.SHOP_URL) for url in shop)


def test_every_portal_link_opens_the_record_it_names(world: Databases) -> None:
    real = _real_links(world)
    for url in sorted({link.url for link in real}):
        link = next(item for item in real if item.url == url)
        assert link.partner_id is not None
        user = USERS[link.partner_id]
        at = _open(url, user_id=user)
        assert_clean(at)
        assert link.names in _opened(at), f"{url} opens nothing for {link.names}"
        # It is the link that opened it: the same page without the query opens nothing.
        assert link.names not in _opened(_open(url, user_id=user, with_query=False)), url


def test_another_partners_link_opens_nothing(world: Databases) -> None:
    for link in _real_links(world):
        other = USERS[3 - int(link.partner_id or 0)]
        at = _open(link.url, user_id=other)
        text = assert_clean(at)
        assert link.names not in _opened(at) and link.names not in text, link.url
        shown = [el.value for el in (*at.info, *at.warning)]
        assert any("nicht" in str(value) for value in shown), (link.url, shown)


def _shape(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[-1], tuple(sorted(parse_qs(parts.query)))


def test_sample_links_have_the_shape_of_followed_ones(world: Databases) -> None:
    followed = {_shape(link.url) for link in _real_links(world)}
    for name, spec in TEMPLATES.items():
        for locale in ("de", "en"):
            for channel in spec.channels:
                out = preview(name, locale=locale, channel=channel)
                for url in _urls(out.html) + _urls(out.text):
                    if name == "password_reset" and _is_portal(url):
                        # Opens the form before any login, not a record: followed through
                        # the app in tests/pages/test_sessions_app.py.
                        assert _shape(url) == ("", (links.RESET_PARAM,)), url
                    elif name == "waitlist_new_date" and _is_portal(url):
                        # Leaving the waitlist needs no login either: followed through the
                        # app in tests/pages/test_app_waitlist.py.
                        assert _shape(url) == ("", (links.WAITLIST_UNSUBSCRIBE_PARAM,)), url
                    elif name == "date_request_proposed" and _is_portal(url):
                        # The public service's page, no login: followed from the real mail
                        # to the accepted request in tests/api/test_proposals.py.
                        path = urlsplit(url).path
                        assert path.startswith(f"{links.DATE_PROPOSAL_PATH}/"), url
                    elif name in ("review_request", "review_reminder") and _is_portal(url):
                        # The public service's review form and objection link, no login:
                        # followed from the real mail in tests/api/test_reviews_form.py.
                        path = urlsplit(url).path
                        assert path.startswith(f"{links.REVIEW_FORM_PATH}/"), url
                    elif name == "team_invitation" and _is_portal(url):
                        # The join form, no login: followed through the app to the new
                        # member's logged-in Übersicht in tests/pages/test_team_page.py.
                        assert _shape(url) == ("", (links.INVITATION_PARAM,)), url
                    elif name == "news_digest" and _is_portal(url):
                        # The Neuigkeiten page itself, no record: followed from a real digest
                        # in tests/pages/test_news_page.py.
                        assert _shape(url) == (links.NEWS_PAGE, ()), url
                    elif name == "webhook_disabled" and not url.startswith(links.SHOP_URL):
                        # The partner's own endpoint address, named in a detail row as text,
                        # and the Integrationen page (followed from the mail in
                        # tests/pages/test_webhooks_page.py).
                        shapes = {
                            spec.sample["url"],
                            links.integrations_url(base=DEFAULT_PUBLIC_URL),
                        }
                        assert url in shapes, url
                    elif _is_portal(url):
                        assert _shape(url) in followed, (name, url)
                    else:
                        assert url == links.SHOP_URL or url.startswith(f"{links.SHOP_URL}/")
