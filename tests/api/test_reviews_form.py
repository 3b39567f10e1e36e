"""The review form, followed from the real request mail in the outbox, through the public
service's TestClient on SQLite and MariaDB + PostgreSQL: the page shows the course escaped
with stars per rating; its POST writes a pending review once; bad input keeps what was typed
with a German hint; forged, used and expired links get a polite page with a 4xx status; the
objection link asks first and then records the objection."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.settings import ApiSettings
from core import links
from core.db import Databases
from core.settings import load_settings
from data.access.viewer import SYSTEM
from data.portal_schema import outbox, review_objections, review_requests
from data.reviews import requests as rq
from data.shop import schema as m
from messaging.render import render
from tests.support.review_requests import DUE, add_ended_courses

URL = re.compile(r"https?://[^\s\"'<>]+")
HOSTILE = '<script>alert("x")</script> & <b>Kurs</b>'


@pytest.fixture
def clock() -> list:
    return [DUE + timedelta(days=1)]


@pytest.fixture
def requested(shop: Databases) -> Databases:
    add_ended_courses(shop, course=HOSTILE)
    rq.queue_due_requests(SYSTEM, shop, now=DUE)
    return shop


@pytest.fixture
def client(requested: Databases, clock: list) -> Iterator[TestClient]:
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0)
    app = create_app(db=requested, settings=settings, clock=lambda: clock[0])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def review_link(db: Databases, email: str = "anna.a@example.org") -> str:
    """The review link as the customer reads it: the outbox row rendered as the mail."""
    query = select(outbox).where(outbox.c.template == "review_request", outbox.c.recipient == email)
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().one()
    mail = render(row["template"], locale=row["locale"], payload=row["payload"], channel="email")
    found = {u for u in URL.findall(mail.text) if links.REVIEW_FORM_PATH in u}
    assert len(found) == 2, found  # the form and the objection link
    (form,) = [u for u in found if not u.endswith("/abmelden")]
    assert form.startswith(f"{links.api_url()}{links.REVIEW_FORM_PATH}/")
    assert f"{form}/abmelden" in found
    return urlsplit(form).path


def _reviews(db: Databases) -> list[tuple]:
    d = m.review_detail.c
    query = (
        select(m.review.c.status_id, d.title, d.detail, d.nickname)
        .join(m.review_detail, d.review_id == m.review.c.review_id)
        .where(m.review.c.entity_pk_value == 101, d.nickname == "Anna K.")
    )
    with db.magento.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


GOOD = {
    "rating_1": "5",
    "title": "Sehr lecker",
    "text": "<i>Gern wieder</i>",
    "nickname": "Anna K.",
}


def test_the_mails_link_opens_the_form_and_writes_a_pending_review_once(
    requested: Databases, client: TestClient
) -> None:
    path = review_link(requested)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-language"] == "de"
    assert "Wie hat es Ihnen gefallen?" in page.text
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert page.text.count('type="radio"') == 5 and "5 von 5 Sternen" in page.text
    assert f'<form method="post" action="{path}">' in page.text
    csp = page.headers["content-security-policy"]
    assert "form-action 'self'" in csp and "script-src" not in csp
    assert _reviews(requested) == []  # looking changes nothing

    sent = client.post(path, data=GOOD)
    assert sent.status_code == 200 and "Vielen Dank für Ihre Bewertung!" in sent.text
    assert _reviews(requested) == [
        (m.REVIEW_PENDING, "Sehr lecker", "<i>Gern wieder</i>", "Anna K.")
    ]
    with requested.portal.connect() as conn:
        marked = conn.execute(
            select(review_requests.c.review_id).where(review_requests.c.item_id == 8001)
        )
        assert marked.scalar_one() is not None  # the verified-booking mark

    for again in (client.post(path, data=GOOD), client.get(path)):
        assert again.status_code == 409
        assert "bereits eine Bewertung abgegeben" in again.text
    assert len(_reviews(requested)) == 1


def test_bad_input_shows_the_form_again_with_a_hint(
    requested: Databases, client: TestClient
) -> None:
    path = review_link(requested)
    missing = client.post(path, data={**GOOD, "rating_1": ""})
    assert missing.status_code == 422
    assert "Bitte vergeben Sie für jede Frage 1 bis 5 Sterne." in missing.text
    assert (
        'value="Sehr lecker"' in missing.text and "&lt;i&gt;Gern wieder&lt;/i&gt;" in missing.text
    )
    no_name = client.post(path, data={**GOOD, "nickname": "  "})
    assert no_name.status_code == 422 and "einen Namen" in no_name.text
    assert _reviews(requested) == []
    assert client.post(path, data=GOOD).status_code == 200  # the link still works


def test_english_on_request(requested: Databases, client: TestClient) -> None:
    page = client.get(review_link(requested) + "?lang=en")
    assert page.status_code == 200 and "How did you like it?" in page.text
    assert page.headers["content-language"] == "en"


@pytest.mark.parametrize(
    "token", ["nicht-vorhanden", "x" * 300, "%C3%A4", "8001.AAAAAAAAAAAAAAAAAAAAAA"]
)
def test_forged_links_get_a_polite_german_page(client: TestClient, token: str) -> None:
    base = links.REVIEW_FORM_PATH
    for response in (
        client.get(f"{base}/{token}"),
        client.post(f"{base}/{token}", data=GOOD),
        client.post(f"{base}/{token}/abmelden"),
    ):
        assert response.status_code == 404, response.text
        assert "Dieser Link funktioniert leider nicht" in response.text
        assert "ungültig" in response.text and "Traceback" not in response.text


def test_an_expired_link_says_so(requested: Databases, client: TestClient, clock: list) -> None:
    path = review_link(requested)
    clock[0] = DUE + timedelta(days=rq.TOKEN_DAYS)
    expired = client.post(path, data=GOOD)
    assert expired.status_code == 410 and "abgelaufen" in expired.text
    assert _reviews(requested) == []


def test_the_objection_link_asks_then_records(requested: Databases, client: TestClient) -> None:
    path = review_link(requested) + "/abmelden"
    asked = client.get(path)
    assert asked.status_code == 200 and "Ja, keine Bewertungs-E-Mails mehr" in asked.text
    with requested.portal.connect() as conn:
        assert conn.execute(select(review_objections)).first() is None  # a GET changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "keine Bitten um Bewertungen mehr" in done.text
    with requested.portal.connect() as conn:
        (row,) = conn.execute(select(review_objections)).mappings().all()
    assert row["email_hash"] == rq.email_hash("anna.a@example.org")
