"""Sign-ups from the widget: waitlist and date request, refusals, rate limits, scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.settings import ApiSettings
from core.settings import load_settings
from data.demand.date_requests import list_requests
from data.demand.waitlist import list_entries
from data.portal_schema import date_requests, rate_limits, waitlist
from tests.support.widget import NOW, PARTNER_A, PARTNER_B, WidgetWorld

# Friday 4 Dec 2026, 18:00: a weekday, inside the default rules (9–20 h, 3 days ahead).
WISH = {"course_id": 101, "day": "2026-12-04", "start": "18:00", "name": "Ida Beispiel",
        "email": "ida@example.org", "participants": 4, "consent": True}  # fmt: skip
WAIT = {"course_id": 102, "date_id": 12, "name": "Ida Beispiel", "email": "ida@example.org",
        "seats": 2, "consent": True}  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(world: WidgetWorld, clock: Clock) -> Iterator[TestClient]:
    """A service with small limits (3 per IP, 2 per email in 10 minutes) on a movable clock."""
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0, signup_per_ip=3,
                           signup_per_email=2, events_per_ip=3)  # fmt: skip
    app = create_app(db=world.db, settings=settings, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _count(world: WidgetWorld, table) -> int:
    with world.db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_waitlist_signup_is_stored_like_the_portals(world: WidgetWorld, client: TestClient) -> None:
    answer = client.post(f"/v1/widget/{world.key_a}/waitlist", json=WAIT)
    assert answer.status_code == 201
    assert answer.json()["message"].startswith("Sie stehen auf der Warteliste")
    assert answer.headers["access-control-allow-origin"] == "*"
    entries = list_entries(PARTNER_A, world.db, product_id=102)
    mine = entries[entries["source"] == "widget"]
    assert mine[["date_id", "email", "seats"]].to_dict("records") == [
        {"date_id": 12, "email": "ida@example.org", "seats": 2}
    ]
    before = _count(world, waitlist)
    english = client.post(f"/v1/widget/{world.key_a}/waitlist?lang=en", json=WAIT | {"seats": 3})
    assert english.status_code == 201  # the same email and date: merged, not doubled
    assert english.json()["message"].startswith("You are on the waitlist")
    assert _count(world, waitlist) == before


def test_date_request_is_stored_like_the_portals(world: WidgetWorld, client: TestClient) -> None:
    answer = client.post(f"/v1/widget/{world.key_a}/date-request", json=WISH)
    assert answer.status_code == 201
    assert "Anfrage ist angekommen" in answer.json()["message"]
    stored = list_requests(PARTNER_A, world.db, now=NOW)
    assert [(r["product_id"], str(r["requested_day"]), r["participants"], r["source"])
            for r in stored.to_dict("records")] == [(101, "2026-12-04", 4, "widget")]  # fmt: skip
    assert list_requests(PARTNER_B, world.db, now=NOW).empty


@pytest.mark.parametrize(
    ("path", "change", "code"),
    [
        ("waitlist", {"course_id": 201}, "waitlist.unknown_course"),  # partner B's course
        ("waitlist", {"course_id": 999999}, "waitlist.unknown_course"),
        ("waitlist", {"date_id": 21}, "waitlist.unknown_date"),  # B's date under A's course
        ("waitlist", {"date_id": 11}, "waitlist.unknown_date"),  # A's date of another course
        ("waitlist", {"date_id": 987654}, "waitlist.unknown_date"),
        ("waitlist", {"email": "keine-adresse"}, "waitlist.email_invalid"),
        ("waitlist", {"seats": 0}, "waitlist.seats_invalid"),
        ("waitlist", {"name": "  "}, "waitlist.name_missing"),
        ("waitlist", {"consent": False}, "widget_signup.consent_missing"),
        ("waitlist", {"extra": 1}, "api_error.invalid_request"),
        ("waitlist", {"course_id": 10**30}, "api_error.invalid_request"),
        ("date-request", {"course_id": 201}, "date_requests.unknown_course"),
        ("date-request", {"day": "2026-11-24"}, "date_requests.day_past"),
        ("date-request", {"day": "2026-11-27"}, "date_requests.rule_lead"),
        ("date-request", {"start": "23:00"}, "date_requests.rule_time"),
        ("date-request", {"participants": 40}, "date_requests.rule_participants"),
        ("date-request", {"day": "9999-01-01"}, "date_requests.day_too_far"),
        ("date-request", {"day": "2026-02-30"}, "date_requests.day_invalid"),
        ("date-request", {"day": ""}, "date_requests.day_invalid"),
        ("date-request", {"start": "25:99"}, "date_requests.day_invalid"),
        ("date-request", {"consent": False}, "widget_signup.consent_missing"),
        ("date-request", {"message": "x" * 3000}, "date_requests.message_too_long"),
    ],
)
def test_refusals_give_the_german_reason_and_store_nothing(
    world: WidgetWorld, client: TestClient, path: str, change: dict, code: str
) -> None:
    body = (WAIT if path == "waitlist" else WISH) | change
    before = _count(world, waitlist), _count(world, date_requests)
    answer = client.post(f"/v1/widget/{world.key_a}/{path}", json=body)
    assert 400 <= answer.status_code < 500
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert error["message"] and "Traceback" not in answer.text
    assert (_count(world, waitlist), _count(world, date_requests)) == before


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b"null", b'"text"', b'{"course_id": "x"}', b"\xff\xfe", b""]
)
def test_malformed_json_is_a_json_422(world: WidgetWorld, client: TestClient, raw: bytes) -> None:
    for path in ("waitlist", "date-request"):
        answer = client.post(f"/v1/widget/{world.key_a}/{path}", content=raw,
                             headers={"Content-Type": "application/json"})  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "api_error.invalid_request"


def test_unknown_key_and_preflight(world: WidgetWorld, client: TestClient) -> None:
    unknown = client.post("/v1/widget/pk_unknownunknownunknown/waitlist", json=WAIT)
    assert unknown.status_code == 404
    preflight = client.options(
        f"/v1/widget/{world.key_a}/date-request",
        headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()


def test_a_flood_from_one_address_is_refused_until_the_window_ends(
    world: WidgetWorld, limited: TestClient, clock: Clock
) -> None:
    url = f"/v1/widget/{world.key_a}/waitlist"
    before = _count(world, waitlist)
    people = [WAIT | {"email": f"gast{n}@example.org"} for n in range(5)]
    assert [limited.post(url, json=p).status_code for p in people[:3]] == [201, 201, 201]
    refused = limited.post(url, json=people[3])
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "widget_signup.rate_limited"
    assert "Zu viele Versuche" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    english = limited.post(url + "?lang=en", json=people[3])
    assert "Too many attempts" in english.json()["error"]["message"]
    assert _count(world, waitlist) == before + 3  # nothing stored while refused
    clock.now += timedelta(seconds=int(refused.headers["retry-after"]))
    assert limited.post(url, json=people[4]).status_code == 201
    assert _count(world, waitlist) == before + 4


def test_one_email_is_limited_across_addresses_and_endpoints(
    world: WidgetWorld, limited: TestClient, clock: Clock
) -> None:
    base = f"/v1/widget/{world.key_a}"
    requests_before = _count(world, date_requests)
    assert limited.post(f"{base}/waitlist", json=WAIT).status_code == 201
    assert limited.post(f"{base}/date-request", json=WISH).status_code == 201
    # A third try with the same email from another address (a second TestClient with its
    # own client host) is refused as well.
    other = TestClient(limited.app, client=("203.0.113.9", 50000))
    again = other.post(f"{base}/date-request", json=WISH | {"day": "2026-12-11"})
    assert again.status_code == 429
    assert _count(world, date_requests) == requests_before + 1
    # Partner B's widget shares the limit: it is the same person.
    assert other.post(f"/v1/widget/{world.key_b}/waitlist",
                      json=WAIT | {"course_id": 201, "date_id": 21}).status_code == 429  # fmt: skip


def test_old_counter_rows_are_pruned(world: WidgetWorld, limited: TestClient, clock: Clock) -> None:
    url = f"/v1/widget/{world.key_a}/waitlist"
    limited.post(url, json=WAIT)
    assert _count(world, rate_limits) == 2  # the IP's and the email's window
    clock.now += timedelta(days=2)
    limited.post(url, json=WAIT | {"email": "neu@example.org"})
    with world.db.portal.connect() as conn:
        starts = set(conn.execute(select(rate_limits.c.window_start)).scalars())
    assert starts and min(starts) > NOW + timedelta(days=1)


def test_events_are_rate_limited_per_address(
    world: WidgetWorld, limited: TestClient, clock: Clock
) -> None:
    url = f"/v1/widget/{world.key_a}/events?event=view"
    assert [limited.post(url).status_code for _ in range(4)] == [204, 204, 204, 429]
    clock.now += timedelta(minutes=1)
    assert limited.post(url).status_code == 204


def test_the_dates_answer_offers_both_sign_ups(world: WidgetWorld, client: TestClient) -> None:
    body = client.get(f"/v1/widget/{world.key_a}/dates").json()
    assert body["features"] == {"waitlist": True, "date_request": True}
    assert {c["course_id"] for c in body["course_list"]} == {101, 102}
    assert body["texts"]["waitlist_open"] == "Auf die Warteliste"
    assert body["texts"]["request_open"] == "Termin anfragen"
