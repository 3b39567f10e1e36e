"""The calendar subscription, followed from the address Termine shows (core/links.py) through
the public service's TestClient, on SQLite and MariaDB + PostgreSQL: a partner's token yields
that partner's dates only; a renewed or ended address answers 404; ETag and Cache-Control."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from core import links
from data.access.viewer import ScopeError, Viewer
from data.dates import ical_feed
from tests.support.widget import NOW, PARTNER_A, PARTNER_B, WidgetWorld
from tests.support.worlds import B

STAFF = Viewer(user_id=30, role="staff")


def _follow(client: TestClient, token: str, **headers: str):
    url = links.ical_feed_url(token, base="https://api.example.org")
    assert url.startswith("https://api.example.org/v1/ical/cal_") and url.endswith(".ics")
    return client.get(urlsplit(url).path, headers=headers)


def _summaries(body: bytes) -> set[str]:
    return {str(e["summary"]) for e in Calendar.from_ical(body).walk("VEVENT")}


def test_a_partners_feed_holds_its_dates_only(world: WidgetWorld, client: TestClient) -> None:
    a = ical_feed.renew_feed(PARTNER_A, world.db, now=NOW)
    b = ical_feed.renew_feed(PARTNER_B, world.db, now=NOW)
    assert a.token != b.token
    answer = _follow(client, a.token)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["cache-control"] == "private, max-age=900"
    shown = _summaries(answer.content)
    assert "Alpha Pasta-Werkstatt" in shown
    assert not shown & set(B.course_names)
    theirs = _summaries(_follow(client, b.token).content)
    assert theirs and theirs <= set(B.course_names)


def test_an_unchanged_feed_is_not_sent_again(world: WidgetWorld, client: TestClient) -> None:
    token = ical_feed.renew_feed(PARTNER_A, world.db, now=NOW).token
    first = _follow(client, token)
    again = _follow(client, token, **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert _follow(client, token).headers["etag"] == first.headers["etag"]


def test_a_renewed_or_ended_address_stops_working(world: WidgetWorld, client: TestClient) -> None:
    old = ical_feed.renew_feed(PARTNER_A, world.db, now=NOW).token
    new = ical_feed.renew_feed(PARTNER_A, world.db, now=NOW).token
    assert _follow(client, old).status_code == 404
    assert _follow(client, new).status_code == 200
    assert ical_feed.current_feed(PARTNER_A, world.db).token == new
    assert ical_feed.end_feed(PARTNER_A, world.db) is True
    assert _follow(client, new).status_code == 404
    assert ical_feed.current_feed(PARTNER_A, world.db) is None
    assert ical_feed.end_feed(PARTNER_A, world.db) is False


@pytest.mark.parametrize("token", ["cal_" + "x" * 32, "nope", "cal_%27%20OR%201=1", "x" * 500])
def test_unknown_or_malformed_tokens_are_404(client: TestClient, token: str) -> None:
    assert client.get(f"/v1/ical/{token}.ics").status_code == 404


def test_only_a_partner_has_an_address(world: WidgetWorld) -> None:
    with pytest.raises(ScopeError):
        ical_feed.current_feed(STAFF, world.db)
    with pytest.raises(ScopeError):
        ical_feed.renew_feed(Viewer.widget(1), world.db, now=NOW)  # read-only
    staff_as_a = ical_feed.renew_feed(STAFF.view_as(1), world.db, now=NOW)
    assert ical_feed.current_feed(PARTNER_A, world.db) == staff_as_a
