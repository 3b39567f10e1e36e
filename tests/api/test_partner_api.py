"""The partner API over real HTTP (TestClient) on the real databases: keys, tenant safety,
scopes, rate limit, idempotency, cursor pages, problem+json, and keys absent from logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.errors import is_partner_api
from api.settings import ApiSettings
from core.settings import load_settings
from data.access.permissions import (
    DATES_WRITE,
    ORDERS_READ,
    WAITLIST_READ,
)
from data.bookings.listing import list_bookings
from data.integrations.api_keys import KEY_SCOPES, create_key
from data.portal_schema import outbox
from data.shop.schema import miomente_course_date
from tests.support.widget import NOW, PARTNER_A, PARTNER_B, WidgetWorld

PROBLEM = "application/problem+json"


def _client(world: WidgetWorld, **settings: int) -> TestClient:
    app = create_app(
        db=world.db,
        settings=ApiSettings(core=load_settings(env={}), version_ttl=0, **settings),
        clock=lambda: NOW,
    )
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def api(world: WidgetWorld) -> Iterator[TestClient]:
    with _client(world) as client:
        yield client


def _auth(world: WidgetWorld, viewer=PARTNER_A, scopes=KEY_SCOPES) -> dict[str, str]:
    made = create_key(viewer, world.db, name="Test", scopes=list(scopes), now=NOW)
    return {"Authorization": f"Bearer {made.secret}"}


def _is_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "code", "request_id"} <= set(body)
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    if code is not None:
        assert body["code"] == code
        assert body["type"].endswith(code)
    return body


def test_without_or_with_a_bad_key_the_answer_is_401(world: WidgetWorld, api: TestClient) -> None:
    body = _is_problem(api.get("/v1/orders"), 401, "api_key.missing")
    assert body["title"] == "Nicht angemeldet"
    bad = {"Authorization": "Bearer mio_live_abcdefgh_" + "x" * 43, "Accept-Language": "en"}
    response = api.get("/v1/orders", headers=bad)
    assert _is_problem(response, 401, "api_key.invalid")["title"] == "Not authenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")
    # The widget's routes keep their own error shape.
    assert set(api.get("/v1/widget/pk_unknown_key_12345/dates").json()) == {"error"}


def test_a_key_of_a_reads_only_as_far_as_a_reaches(world: WidgetWorld, api: TestClient) -> None:
    headers = _auth(world)
    items = api.get("/v1/orders", headers=headers, params={"limit": 200}).json()["items"]
    assert items and {row["partner_id"] for row in items} == {1}
    assert 5004 not in {row["item_id"] for row in items}  # B's item of the shared order
    shared = api.get("/v1/orders/1003", headers=headers).json()
    assert [i["item_id"] for i in shared["items"]] == [5003]
    assert shared["total_for_viewer"] == "89.00"
    _is_problem(api.get("/v1/orders/2001", headers=headers), 404)  # B's own order
    _is_problem(api.get("/v1/dates/21", headers=headers), 404)
    dates = api.get("/v1/dates", headers=headers, params={"from": "2026-11-01T00:00:00Z"})
    assert {d["product_id"] for d in dates.json()["items"]} <= {101, 102}
    waiting = api.get("/v1/waitlist", headers=headers).json()["items"]
    assert [w["customer_name"] for w in waiting] == ["Wanda Warte"]
    assert api.get("/v1/date-requests", headers=headers).status_code == 200
    reviews = api.get("/v1/reviews", headers=headers).json()["items"]
    assert {r["review_id"] for r in reviews} == {1, 2}  # B's 3 and 4: never
    assert {r["product_id"] for r in reviews} <= {101, 102}
    # Filters of the portal's list, by their API names.
    only = api.get("/v1/orders", headers=headers, params={"course": "102"}).json()["items"]
    assert {row["product_id"] for row in only} == {102}
    _is_problem(api.get("/v1/orders", headers=headers, params={"status": "nonsense"}), 422)


def test_a_key_of_a_never_changes_b(world: WidgetWorld, api: TestClient) -> None:
    headers = _auth(world)

    def b_date() -> tuple:
        with world.db.magento.connect() as conn:
            d = miomente_course_date
            return conn.execute(select(d).where(d.c.date_id == 21)).one()

    before = b_date()
    _is_problem(api.patch("/v1/dates/21", headers=headers, json={"seats": 99}), 404)
    _is_problem(api.delete("/v1/dates/21", headers=headers, params={"confirm": True}), 404)
    created = api.post(
        "/v1/dates",
        headers=headers,
        json={
            "product_id": 201,
            "starts_at": "2027-01-10T18:00:00+01:00",
            "ends_at": "2027-01-10T20:00:00+01:00",
            "seats": 5,
            "price": "10.00",
        },
    )
    assert created.status_code in (403, 404), created.text
    assert b_date() == before
    # And B's key sees none of A's orders.
    b_headers = _auth(world, PARTNER_B)
    b_items = api.get("/v1/orders", headers=b_headers).json()["items"]
    assert {row["partner_id"] for row in b_items} == {2}
    b_reviews = api.get("/v1/reviews", headers=b_headers).json()["items"]
    assert {r["review_id"] for r in b_reviews} == {3, 4}


def test_scopes_are_refused_by_the_data_layer(world: WidgetWorld, api: TestClient) -> None:
    headers = _auth(world, scopes=[ORDERS_READ])
    assert api.get("/v1/orders", headers=headers).status_code == 200
    body = _is_problem(api.get("/v1/dates", headers=headers), 403, "access.no_permission")
    assert "dates:read" in body["detail"]
    _is_problem(api.patch("/v1/dates/13", headers=headers, json={"seats": 3}), 403)
    _is_problem(api.get("/v1/waitlist", headers=headers), 403)
    readers = _auth(world, scopes=[WAITLIST_READ])
    _is_problem(api.get("/v1/orders/1001", headers=readers), 403)
    _is_problem(
        api.post(
            "/v1/date-requests/answer",
            headers=readers,
            json={"action": "reject", "request_ids": [1], "reason": "nein"},
        ),
        403,
    )


def test_a_date_changed_through_the_api_mails_its_customers(
    world: WidgetWorld, api: TestClient
) -> None:
    headers = _auth(world, scopes=[DATES_WRITE])
    moved = api.patch(
        "/v1/dates/11", headers=headers, json={"starts_at": "2026-11-25T19:00:00+01:00"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["messages"] >= 1
    with world.db.portal.connect() as conn:
        queued = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.template == "date_moved")
        ).scalar_one()
    assert queued == moved.json()["messages"]
    detail = api.get("/v1/dates/11", headers=headers).json()
    assert detail["starts_at"] == "2026-11-25T18:00:00Z"


def test_every_answer_says_the_rate_limit_and_the_121st_is_refused(world: WidgetWorld) -> None:
    headers = _auth(world)
    with _client(world, api_per_minute=3) as api:
        answers = [api.get("/v1/waitlist", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a.headers["x-ratelimit-limit"] == "3" for a in answers)
    refused = answers[-1]
    _is_problem(refused, 429, "partner_api.rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["retry-after"] == refused.headers["x-ratelimit-reset"]


def test_a_write_with_the_same_idempotency_key_happens_once(
    world: WidgetWorld, api: TestClient
) -> None:
    headers = {**_auth(world), "Idempotency-Key": "c0ffee-1"}
    body = {
        "product_id": 101,
        "starts_at": "2027-02-10T18:00:00+01:00",
        "ends_at": "2027-02-10T21:00:00+01:00",
        "seats": 8,
        "price": "79.50",
    }
    first = api.post("/v1/dates", headers=headers, json=body)
    again = api.post("/v1/dates", headers=headers, json=body)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    _is_problem(
        api.post("/v1/dates", headers=headers, json={**body, "seats": 9}),
        422,
        "partner_api.idempotency_mismatch",
    )
    with world.db.magento.connect() as conn:
        d = miomente_course_date
        made = conn.execute(select(func.count()).where(d.c.starts_at == NOW.replace(
            year=2027, month=2, day=10, hour=17, minute=0))).scalar_one()  # fmt: skip
    assert made == 1
    # A failed write frees its key: the corrected request may use it.
    fresh = {**headers, "Idempotency-Key": "c0ffee-2"}
    _is_problem(api.post("/v1/dates", headers=fresh, json={**body, "seats": 0}), 422)
    later = {
        **body,
        "starts_at": "2027-02-11T18:00:00+01:00",
        "ends_at": "2027-02-11T20:00:00+01:00",
    }
    assert api.post("/v1/dates", headers=fresh, json=later).status_code == 201


def test_cursor_pages_walk_the_portal_list_without_gaps(
    world: WidgetWorld, api: TestClient
) -> None:
    headers = _auth(world)
    for sort in ("booked_desc", "event_asc", "event_desc"):
        seen, cursor = [], None
        while True:
            params = {"limit": 1, "sort": sort, **({"cursor": cursor} if cursor else {})}
            answer = api.get("/v1/orders", headers=headers, params=params).json()
            seen += [row["item_id"] for row in answer["items"]]
            cursor = answer["next_cursor"]
            if cursor is None:
                break
        portal = list_bookings(PARTNER_A, world.db, sort=sort, page_size=100).rows
        assert seen == list(portal["item_id"]), sort
    _is_problem(
        api.get("/v1/orders", headers=headers, params={"cursor": "bm9uc2Vuc2U"}),
        422,
        "partner_api.cursor_invalid",
    )


def test_a_key_never_appears_in_a_log_line_or_an_error(
    world: WidgetWorld, api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = _auth(world, scopes=[ORDERS_READ])
    secret = headers["Authorization"].split()[1]
    wrong = {"Authorization": "Bearer " + secret[:-2] + "zz"}
    with caplog.at_level(logging.DEBUG):
        answers = [
            api.get("/v1/orders", headers=headers),
            api.get("/v1/dates", headers=headers),
            api.get("/v1/orders", headers=wrong),
            api.get("/v1/orders", headers={"Authorization": secret}),  # no scheme
            api.get(f"/v1/orders/{secret}", headers=headers),
        ]
    # The service's own loggers (not the test client's, which logs the URL it was given).
    ours = [r for r in caplog.records if r.name.startswith(("api", "uvicorn", "data", "core"))]
    text = "\n".join(r.getMessage() + str(r.__dict__) for r in ours)
    assert len(ours) >= len(answers) and secret not in text and secret[:-2] not in text
    for answer in answers:
        assert secret not in answer.text and secret[:-2] not in answer.text


def test_an_expired_key_is_refused(world: WidgetWorld) -> None:
    made = create_key(PARTNER_A, world.db, name="Kurz", scopes=[ORDERS_READ], expiry="30d",
                      now=NOW - timedelta(days=31))  # fmt: skip
    with _client(world) as api:
        answer = api.get("/v1/orders", headers={"Authorization": f"Bearer {made.secret}"})
    _is_problem(answer, 401, "api_key.invalid")


def test_openapi_has_the_bearer_scheme_and_an_example_per_endpoint(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    partner = {
        (path, method): op
        for path, ops in schema["paths"].items()
        if is_partner_api(path)
        for method, op in ops.items()
    }
    assert len(partner) == 11
    assert ("/v1/reviews", "get") in partner  # the shop's …/{review_id}/answer is not
    for (path, method), op in partner.items():
        assert op["security"] == [{"ApiKey": []}], (path, method)
        ok = op["responses"].get("200") or op["responses"]["201"]
        assert ok["content"]["application/json"]["example"], (path, method)
        assert PROBLEM in op["responses"]["401"]["content"], (path, method)
