"""Integrationen → Webhooks through AppTest: a partner adds an endpoint, sees and rotates its
secret, sends a test event and sees the delivery log; URLs and response excerpts stay text;
staff see every partner's endpoints; German and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from core import ssrf
from core.db import Databases
from data.access.viewer import Viewer
from data.integrations import webhooks as wh
from data.portal_schema import webhook_deliveries
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.worlds import HOSTILE

PAGE = "konto/integrationen.py"
A = Viewer(user_id=ALPHA, role="partner", partner_id=1)
B = Viewer(user_id=20, role="partner", partner_id=2)
RECEIVER = "http://127.0.0.1:9/hook"


@pytest.fixture
def app_world(
    shop: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Databases]:
    monkeypatch.setenv(ssrf.ALLOW_LOOPBACK_ENV, "1")
    with app_environment(shop, tmp_path):
        yield shop


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_partner_adds_a_webhook_and_sends_a_test_event(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    text = assert_clean(at)
    assert "Webhooks" in text and "Noch kein Webhook eingerichtet." in text
    at.text_input(key="wh_new_url").set_value(RECEIVER)
    at.checkbox(key="wh_new_date.changed").uncheck()
    _button(at, "Webhook hinzufügen").click().run()
    assert_clean(at)
    [endpoint] = wh.list_endpoints(A, app_world)
    assert endpoint.url == RECEIVER and "date.changed" not in endpoint.events
    at = open_page(PAGE, user_id=ALPHA)
    assert endpoint.secret in [c.value for c in at.code]
    _button(at, "Testereignis senden").click().run()
    text = assert_clean(at)
    assert "Testereignis eingereiht" in text
    log = wh.list_deliveries(A, app_world)
    assert list(log["event_type"]) == [wh.TEST_EVENT]


def test_a_bad_url_is_refused_in_german(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    at.text_input(key="wh_new_url").set_value("https://10.0.0.1/hook")
    _button(at, "Webhook hinzufügen").click().run()
    text = assert_clean(at)
    assert "interne Adresse" in text
    assert wh.list_endpoints(A, app_world) == []


def test_rotate_disable_and_excerpts_as_text(app_world: Databases) -> None:
    endpoint = wh.save_endpoint(A, app_world, url=RECEIVER, events=wh.EVENT_TYPES)
    wh.send_test_event(A, app_world, endpoint_id=endpoint.endpoint_id)
    with app_world.portal.begin() as conn:
        conn.execute(update(webhook_deliveries).values(status="failed", status_code=500,
                                                       response_excerpt=HOSTILE))  # fmt: skip
    at = open_page(PAGE, user_id=ALPHA)
    assert_clean(at)
    frames = [f.value for f in at.dataframe]
    assert any(HOSTILE in set(frame.get("Antwort (Auszug)", [])) for frame in frames)
    assert not any("evil.example" in str(m.value) for m in at.markdown)
    _button(at, "Schlüssel erneuern").click().run()
    assert_clean(at)
    [rotated] = wh.list_endpoints(A, app_world)
    assert rotated.previous_secret == endpoint.secret
    _button(at, "Ausschalten").click().run()
    assert_clean(at)
    assert not wh.list_endpoints(A, app_world)[0].enabled
    at = open_page(PAGE, user_id=ALPHA)
    _button(at, "Wieder einschalten").click().run()
    assert_clean(at)
    assert wh.list_endpoints(A, app_world)[0].enabled
    _button(at, "Fehlgeschlagene erneut senden").click().run()
    assert "erneut gesendet" in assert_clean(at)


def test_staff_see_every_partners_webhooks(app_world: Databases) -> None:
    wh.save_endpoint(A, app_world, url=RECEIVER, events=["booking.created"])
    wh.save_endpoint(B, app_world, url=RECEIVER + "?b", events=["date.created"])
    at = open_page(PAGE, user_id=STAFF)
    assert_clean(at)
    tables = [f.value for f in at.dataframe if "Adresse" in f.value.columns]
    assert set(tables[0]["Partner"]) == {1, 2}
    partner = open_page(PAGE, user_id=ALPHA)
    assert RECEIVER + "?b" not in [e.value for e in partner.text_input]


def test_english(app_world: Databases) -> None:
    wh.save_endpoint(A, app_world, url=RECEIVER, events=["booking.created"])
    at = open_page(PAGE, user_id=ALPHA, locale="en")
    text = assert_clean(at)
    assert "Signing secret" in text or "Send test event" in text
    assert "Add webhook" in text


def test_the_jobs_reasons_are_in_the_readers_language(app_world: Databases) -> None:
    endpoint = wh.save_endpoint(A, app_world, url=RECEIVER, events=wh.EVENT_TYPES)
    for _ in range(3):
        wh.send_test_event(A, app_world, endpoint_id=endpoint.endpoint_id)
    recorded = [wh.ERROR_TLS + "self-signed certificate", wh.ERROR_TIMEOUT, "HTTP 500"]
    d = webhook_deliveries
    with app_world.portal.begin() as conn:
        ids = sorted(conn.execute(select(d.c.delivery_id)).scalars())
        for delivery_id, error in zip(ids, recorded, strict=True):
            conn.execute(update(d).where(d.c.delivery_id == delivery_id)
                         .values(status="failed", error=error))  # fmt: skip
    shown = {
        "de": [
            "HTTP 500",
            "Zeitüberschreitung: keine Antwort rechtzeitig",
            "TLS-Zertifikat des Empfängers nicht vertrauenswürdig (self-signed certificate)",
        ],
        "en": [
            "HTTP 500",
            "Timeout: no answer in time",
            "The receiver's TLS certificate is not trusted (self-signed certificate)",
        ],
    }
    for locale, column in (("de", "Fehler"), ("en", "Error")):
        at = open_page(PAGE, user_id=ALPHA, locale=locale)
        assert_clean(at)
        [log] = [f.value for f in at.dataframe if column in f.value.columns]
        assert list(log[column]) == shown[locale]  # newest first


def test_the_disabled_mail_links_to_this_page(app_world: Databases) -> None:
    from urllib.parse import urlsplit

    from components.navigation import BY_KEY
    from core import links
    from messaging.render import TEMPLATES

    spec = BY_KEY["integrations"]
    link = links.integrations_url(base="https://portal.test/app")
    assert urlsplit(link).path == f"/app/{spec.url_path}"
    sample = TEMPLATES[wh.DISABLED_TEMPLATE].sample["integrations_url"]
    assert urlsplit(str(sample)).path == f"/{spec.url_path}"
    wh.save_endpoint(A, app_world, url=RECEIVER, events=["booking.created"])
    at = open_page(spec.file, user_id=ALPHA)
    assert "Signaturschlüssel" in assert_clean(at)
