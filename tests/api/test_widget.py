"""The widget's endpoints: dates JSON, filters, caching, invalidation, bad input, scope."""

from __future__ import annotations

import gzip
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from data.dates.course_dates import create_date
from data.integrations.widget_keys import set_widget_enabled
from data.integrations.widget_traffic import widget_traffic_per_day
from tests.support.widget import NOW, PARTNER_A, WidgetWorld
from tests.support.worlds import B


def _dates(client: TestClient, key: str, query: str = "", **headers: str):
    return client.get(f"/v1/widget/{key}/dates{query}", headers=headers)


def test_a_partners_upcoming_dates(world: WidgetWorld, client: TestClient) -> None:
    answer = _dates(client, world.key_a)
    assert answer.status_code == 200
    body = answer.json()
    assert body["partner"] == {"name": "Kochschule Alpha"}
    assert body["features"] == {"waitlist": True, "date_request": True}
    assert [d["date_id"] for d in body["dates"]] == [11, 12, 13]
    first = body["dates"][0]
    assert first | {"book_label": ""} == {
        "date_id": 11,
        "course_id": 101,
        "course": "Alpha Pasta-Werkstatt",
        "starts_at": "2026-11-25T18:00:00+01:00",
        "ends_at": "2026-11-25T21:00:00+01:00",
        "day": "2026-11-25",
        "date_label": "Mi. 25.11.2026",
        "time_label": "18:00–21:00",
        "seats_total": 12,
        "seats_free": 9,
        "seats_label": "9 Plätze frei",
        "price": "89.00",
        "price_label": "89,00\xa0€",
        "currency": "EUR",
        "booking_url": "https://www.miomente.de/kurs/101?termin=11",
        "book_label": "",
    }
    assert body["texts"]["book"] == "Buchen"
    assert answer.headers["access-control-allow-origin"] == "*"
    text = answer.text
    for marker in (B.partner_name, *B.course_names):
        assert marker not in text


def test_english_on_request(world: WidgetWorld, client: TestClient) -> None:
    body = _dates(client, world.key_a, "?lang=en").json()
    assert body["texts"]["book"] == "Book"
    assert body["dates"][0]["date_label"] == "Wed 25/11/2026"
    by_header = _dates(client, world.key_a, **{"Accept-Language": "en-US"}).json()
    assert by_header["lang"] == "en"


def test_filters_by_course_and_month(world: WidgetWorld, client: TestClient) -> None:
    course = _dates(client, world.key_a, "?course=102").json()
    assert [d["date_id"] for d in course["dates"]] == [12]
    both = _dates(client, world.key_a, "?course=102&course=101").json()
    assert [d["date_id"] for d in both["dates"]] == [11, 12, 13]
    assert both["courses"] == [101, 102]
    january = _dates(client, world.key_a, "?month=2027-01").json()
    assert [d["date_id"] for d in january["dates"]] == [13]
    assert _dates(client, world.key_a, "?month=2026-12").json()["dates"] == []
    assert [d["date_id"] for d in _dates(client, world.key_a, "?limit=1").json()["dates"]] == [11]


def test_etag_and_304(world: WidgetWorld, client: TestClient) -> None:
    first = _dates(client, world.key_a)
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = _dates(client, world.key_a, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other_query = _dates(client, world.key_a, "?course=101", **{"If-None-Match": etag})
    assert other_query.status_code == 200


def test_a_new_date_appears_on_the_next_request(world: WidgetWorld, client: TestClient) -> None:
    etag = _dates(client, world.key_a).headers["etag"]
    create_date(PARTNER_A, world.db, product_id=102, starts_at=datetime(2026, 12, 3, 18),
                ends_at=datetime(2026, 12, 3, 21), seats=6, price="120", now=NOW)  # fmt: skip
    answer = _dates(client, world.key_a, **{"If-None-Match": etag})
    assert answer.status_code == 200
    assert answer.headers["etag"] != etag
    new = [d for d in answer.json()["dates"] if d["day"] == "2026-12-03"]
    assert [(d["course_id"], d["price"], d["seats_free"]) for d in new] == [(102, "120.00", 6)]


def test_a_disabled_key_is_unknown(world: WidgetWorld, client: TestClient) -> None:
    set_widget_enabled(PARTNER_A, world.db, enabled=False, now=NOW)
    answer = _dates(client, world.key_a)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "widget.unknown_key"
    assert _dates(client, world.key_b).status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/widget/pk_unknownunknownunknown/dates", 404, "widget.unknown_key"),
        ("/v1/widget/%27%20OR%201%3D1/dates", 404, "widget.unknown_key"),
        ("/v1/widget/" + "x" * 500 + "/dates", 422, "api_error.invalid_request"),
        ("{a}?course=201", 404, "widget.course_unknown"),  # partner B's course
        ("{a}?course=999999", 404, "widget.course_unknown"),
        ("{a}?course=101&course=201", 404, "widget.course_unknown"),
        ("{a}?" + "&".join(f"course={n}" for n in range(1, 60)), 422, "widget.too_many_courses"),
        ("{a}?course=-1", 422, "api_error.invalid_request"),
        ("{a}?course=99999999999999999999999", 422, "api_error.invalid_request"),
        ("{a}?course=abc", 422, "api_error.invalid_request"),
        ("{a}?month=2026-13", 422, "widget.month_invalid"),
        ("{a}?month=2026-00", 422, "widget.month_invalid"),
        ("{a}?month=9999-01", 422, "widget.month_out_of_range"),
        ("{a}?month=0001-01", 422, "widget.month_out_of_range"),
        ("{a}?month=2026-1", 422, "api_error.invalid_request"),
        ("{a}?limit=0", 422, "api_error.invalid_request"),
        ("{a}?limit=-5", 422, "api_error.invalid_request"),
        ("{a}?limit=100000000000000000000", 422, "api_error.invalid_request"),
        ("{a}?lang=fr", 422, "api_error.invalid_request"),
    ],
)
def test_bad_input_is_a_json_4xx(
    world: WidgetWorld, client: TestClient, path: str, status: int, code: str
) -> None:
    url = path.replace("{a}", f"/v1/widget/{world.key_a}/dates")
    answer = client.get(url)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert answer.json()["error"]["message"]
    assert answer.headers["access-control-allow-origin"] == "*"  # the widget can read it


def test_events_count_views_and_clicks(world: WidgetWorld, client: TestClient) -> None:
    assert client.post(f"/v1/widget/{world.key_a}/events?event=view").status_code == 204
    assert client.post(f"/v1/widget/{world.key_a}/events?event=click").status_code == 204
    bad = client.post(f"/v1/widget/{world.key_a}/events?event=buy")
    assert bad.status_code == 422
    unknown = client.post("/v1/widget/pk_unknownunknownunknown/events?event=view")
    assert unknown.status_code == 404
    traffic = widget_traffic_per_day(PARTNER_A, world.db, now=NOW)
    assert traffic[["views", "clicks"]].to_dict("records") == [{"views": 1, "clicks": 1}]


def test_script_frame_and_preflight(world: WidgetWorld, client: TestClient) -> None:
    script = client.get("/v1/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert client.get("/v1/widget.js", headers={"If-None-Match": script.headers["etag"]}
                      ).status_code == 304  # fmt: skip
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert len(gzip.compress(script.content, compresslevel=9)) <= 30_000  # the budget
    frame = client.get(f"/v1/widget/frame?key={world.key_a}&view=calendar&color=%23aa3300")
    assert frame.status_code == 200
    assert f'data-miomente-partner="{world.key_a}"' in frame.text
    assert 'data-color="#aa3300"' in frame.text
    assert "frame-ancestors *" in frame.headers["content-security-policy"]
    assert "x-frame-options" not in frame.headers
    hostile = client.get(f"/v1/widget/frame?key={world.key_a}&color=%22%3E%3Cscript%3E")
    assert hostile.status_code == 422
    assert client.get("/v1/widget/frame?key=pk_unknownunknownunknown").status_code == 404
    preflight = client.options(
        f"/v1/widget/{world.key_a}/dates",
        headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
