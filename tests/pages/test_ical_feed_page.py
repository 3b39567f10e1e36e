"""Termine → "Kalender abonnieren": the partner makes the address, copies it from the page,
and the address (followed through the public service) gives that partner's dates; a new
address switches the old one off; staff looking at every partner get no address."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from core.db import Databases
from core.settings import load_settings
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.worlds import B, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("feed")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


@pytest.fixture(scope="module")
def client(world: Databases) -> Iterator[TestClient]:
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0)
    with TestClient(create_app(db=world, settings=settings)) as test_client:
        yield test_client


def _address(at) -> str:
    return next(c.value for c in at.code if "/v1/ical/" in c.value).strip()


def test_the_partner_subscribes_and_the_address_works(world: Databases, client: TestClient) -> None:
    at = open_page("angebot/termine.py", user_id=ALPHA)
    assert_clean(at)
    assert not [c for c in at.code if "/v1/ical/" in c.value]  # nothing before asked
    at.button(key="ical_feed_create").click().run()
    first = _address(assert_clean(at) and at)
    feed = client.get(urlsplit(first).path)
    assert feed.status_code == 200 and b"Alpha Pasta-Werkstatt" in feed.content
    assert B.course_names[0].encode() not in feed.content
    at.button(key="ical_feed_renew").click().run()
    second = _address(at)
    assert second != first
    assert client.get(urlsplit(first).path).status_code == 404
    assert client.get(urlsplit(second).path).status_code == 200
    at.button(key="ical_feed_end").click().run()
    assert_clean(at)
    assert client.get(urlsplit(second).path).status_code == 404
    assert at.button(key="ical_feed_create")


def test_staff_over_every_partner_get_no_address(world: Databases) -> None:
    at = open_page("angebot/termine.py", user_id=STAFF)
    assert_clean(at)
    assert not [b for b in at.button if b.key and b.key.startswith("ical_feed")]
