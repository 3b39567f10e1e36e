"""The customer's proposal link, followed from the real mail in the outbox to the accepted
request, through the public service's TestClient, on SQLite and MariaDB + PostgreSQL.

The partner proposes a date for a request (data.demand.date_requests.propose_date); the mail
rendered from the outbox row carries the link; the page shows the course and the date; its
button takes the proposal once; the partner sees the request accepted. Unknown, used, forged
or expired links get a polite German page with a 4xx status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.settings import ApiSettings
from core import links
from core.db import Databases
from core.settings import load_settings
from data.access.sessions import new_token
from data.access.viewer import Viewer
from data.demand import date_requests as dr
from data.demand.waitlist import unsubscribe_token
from data.portal_schema import outbox
from data.shop.schema import (
    DATE_CANCELLED,
    PRODUCT_ATTRIBUTES,
    catalog_product_entity_varchar,
    miomente_course_date,
)
from messaging.render import render

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
NOW = datetime(2026, 11, 25, 11, 0)  # Wednesday, 12:00 Berlin
URL = re.compile(r"https?://[^\s\"'<>]+")
HOSTILE = '<script>alert("x")</script> & <b>Kurs</b>'


@pytest.fixture
def client(shop: Databases) -> Iterator[TestClient]:
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0)
    app = create_app(db=shop, settings=settings, clock=lambda: NOW)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _propose(db: Databases, *, email: str = "clara@example.org", locale: str = "de") -> int:
    saved = dr.create_request(
        ALPHA, db, product_id=101, day=date(2026, 12, 12), start=time(14, 0),
        name="Clara Kunde", email=email, participants=2, locale=locale, now=NOW,
    )  # fmt: skip
    dr.propose_date(ALPHA, db, request_ids=[saved.request_id], date_id=13, now=NOW)
    return saved.request_id


def _link_in_mail(db: Databases, email: str = "clara@example.org") -> str:
    """The proposal link as the customer reads it: the outbox row rendered as the mail."""
    with db.portal.connect() as conn:
        row = (
            conn.execute(
                select(outbox).where(
                    outbox.c.template == "date_request_proposed", outbox.c.recipient == email
                )
            )
            .mappings()
            .one()
        )
    mail = render(row["template"], locale=row["locale"], payload=row["payload"], channel="email")
    found = {u for u in URL.findall(mail.text) if links.DATE_PROPOSAL_PATH in u}
    assert len(found) == 1, found
    url = found.pop()
    assert url.startswith(f"{links.api_url()}{links.DATE_PROPOSAL_PATH}/")
    return urlsplit(url).path


def _status(db: Databases, request_id: int) -> str:
    listed = dr.list_requests(ALPHA, db, now=NOW)
    return str(listed.set_index("request_id").loc[request_id, "status"])


def test_the_mails_link_shows_the_date_and_its_button_takes_it_once(
    shop: Databases, client: TestClient
) -> None:
    request_id = _propose(shop)
    path = _link_in_mail(shop)
    page = client.get(path)
    assert page.status_code == 200
    assert "Alpha Pasta-Werkstatt" in page.text
    assert "Termin annehmen" in page.text
    assert f'<form method="post" action="{path}">' in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]
    assert _status(shop, request_id) == "proposed"  # looking changes nothing

    taken = client.post(path)
    assert taken.status_code == 200
    assert "angenommen" in taken.text
    assert links.shop_date_url(101, 13).replace("&", "&amp;") in taken.text
    assert _status(shop, request_id) == "accepted"  # the partner sees it answered

    again = client.post(path)
    assert again.status_code == 404
    assert "ungültig oder wurde schon benutzt" in again.text
    assert "Traceback" not in again.text
    assert client.get(path).status_code == 404
    assert _status(shop, request_id) == "accepted"


def test_the_page_speaks_the_customers_language(shop: Databases, client: TestClient) -> None:
    _propose(shop, email="jane@example.org", locale="en")
    page = client.get(_link_in_mail(shop, "jane@example.org"))
    assert page.status_code == 200
    assert "Take this date" in page.text
    assert page.headers["content-language"] == "en"


@pytest.mark.parametrize(
    "token",
    ["nicht-vorhanden", "x" * 300, "%C3%A4", "waitlist"],
)
def test_unknown_or_forged_links_get_a_polite_german_page(
    shop: Databases, client: TestClient, token: str
) -> None:
    _propose(shop)
    if token == "waitlist":  # a real signed token, of another kind: no key here
        token = unsubscribe_token(1)
    for response in (
        client.get(f"{links.DATE_PROPOSAL_PATH}/{token}"),
        client.post(f"{links.DATE_PROPOSAL_PATH}/{token}"),
    ):
        assert response.status_code == 404
        assert "Dieser Link funktioniert leider nicht mehr" in response.text
        assert response.headers["content-type"].startswith("text/html")
    assert client.get(f"{links.DATE_PROPOSAL_PATH}/{new_token()}").status_code == 404


def test_a_proposal_whose_date_is_gone_is_refused_politely(
    shop: Databases, client: TestClient
) -> None:
    request_id = _propose(shop)
    path = _link_in_mail(shop)
    d = miomente_course_date
    with shop.magento.begin() as conn:
        conn.execute(update(d).where(d.c.date_id == 13).values(status=DATE_CANCELLED))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "nicht mehr verfügbar" in response.text
    assert _status(shop, request_id) == "proposed"


def test_a_hostile_course_name_is_shown_as_text(shop: Databases, client: TestClient) -> None:
    v = catalog_product_entity_varchar
    with shop.magento.begin() as conn:
        conn.execute(
            update(v)
            .where(v.c.entity_id == 101, v.c.attribute_id == PRODUCT_ATTRIBUTES["name"][0])
            .values(value=HOSTILE)
        )
    _propose(shop)
    path = _link_in_mail(shop)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 200
        assert "<script>" not in response.text and "<b>Kurs" not in response.text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in response.text
