"""Concurrent widget requests for the same answer share one computation (api/flight.py),
also with both caches off; errors reach every waiter as JSON, and nothing stays behind.

The data functions are held at a gate (a threading.Event) until every request has joined the
computation in flight, so the requests really overlap; no timing is asserted.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import widget as widget_router
from api.settings import ApiSettings
from core.settings import load_settings
from data.dates.course_dates import create_date
from tests.support.calls import Calls
from tests.support.widget import NOW, PARTNER_A, WidgetWorld

N = 6
GATE_SECONDS = 30  # only a guard against a hanging test


def _cold_app(world: WidgetWorld) -> FastAPI:
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0, cache_entries=0)
    return create_app(db=world.db, settings=settings, clock=lambda: NOW)


def _gated(mp: pytest.MonkeyPatch, name: str, gate: threading.Event, fail: bool = False) -> None:
    """`api.routers.widget.<name>` waits for `gate` before it runs (or fails)."""
    real: Callable[..., Any] = getattr(widget_router, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(GATE_SECONDS)
        if fail:
            raise RuntimeError("the shop database went away")
        return real(*args, **kwargs)

    mp.setattr(widget_router, name, held)


async def _open_gate_when(app: FastAPI, kind: str, joined: int, gate: threading.Event) -> None:
    flights = app.state.flights
    for _ in range(GATE_SECONDS * 100):
        if flights.joined[kind] >= joined:
            break
        await asyncio.sleep(0.01)
    gate.set()


async def _together(
    app: FastAPI, paths: list[str], gates: dict[str, threading.Event], cancel_first: bool = False
) -> list[httpx.Response | BaseException]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://widget.test") as client:
        requests = [asyncio.create_task(client.get(path)) for path in paths]
        for kind, gate in gates.items():
            await _open_gate_when(app, kind, len(paths) - 1, gate)
            if cancel_first and kind == "render":
                requests[0].cancel()  # the first visitor leaves before its answer is ready
        return await asyncio.gather(*requests, return_exceptions=True)


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> dict[str, threading.Event]:
    gates = {"version": threading.Event(), "render": threading.Event()}
    _gated(monkeypatch, "widget_version", gates["version"])
    return gates


def test_identical_requests_share_one_fingerprint_and_one_rendering(
    world: WidgetWorld, gates: dict[str, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    _gated(monkeypatch, "widget_answer", gates["render"])
    calls = Calls().wrap(monkeypatch, widget_router, "widget_version", "widget_answer")
    app = _cold_app(world)
    answers = asyncio.run(_together(app, [f"/v1/widget/{world.key_a}/dates"] * N, gates))

    assert [a.status_code for a in answers if isinstance(a, httpx.Response)] == [200] * N
    responses = [a for a in answers if isinstance(a, httpx.Response)]
    assert len({r.content for r in responses}) == 1
    assert len({r.headers["etag"] for r in responses}) == 1
    assert [d["date_id"] for d in responses[0].json()["dates"]] == [11, 12, 13]
    assert calls == {"widget.widget_version": 1, "widget.widget_answer": 1}
    assert app.state.flights.running == {}


def test_different_answers_are_rendered_each(
    world: WidgetWorld, gates: dict[str, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls().wrap(monkeypatch, widget_router, "widget_answer")
    app = _cold_app(world)
    paths = [f"/v1/widget/{world.key_a}/dates?limit={n}" for n in (1, 2, 3)]
    answers = asyncio.run(_together(app, paths, {"version": gates["version"]}))

    by_limit = [[d["date_id"] for d in a.json()["dates"]] for a in answers]  # type: ignore[union-attr]
    assert by_limit == [[11], [11, 12], [11, 12, 13]]
    assert calls["widget.widget_answer"] == 3


def test_a_failed_rendering_is_every_waiters_json_error_and_not_kept(
    world: WidgetWorld, gates: dict[str, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    _gated(monkeypatch, "widget_answer", gates["render"], fail=True)
    calls = Calls().wrap(monkeypatch, widget_router, "widget_answer")
    app = _cold_app(world)
    answers = asyncio.run(_together(app, [f"/v1/widget/{world.key_a}/dates"] * N, gates))

    responses = [a for a in answers if isinstance(a, httpx.Response)]
    assert [r.status_code for r in responses] == [500] * N
    assert {r.json()["error"]["code"] for r in responses} == {"api_error.internal"}
    assert all("Traceback" not in r.text and "went away" not in r.text for r in responses)
    assert all(r.json()["error"]["message"] for r in responses)
    assert calls["widget.widget_answer"] == 1
    # The failure is not remembered: the next visitor gets the dates.
    monkeypatch.undo()
    with TestClient(app) as client:
        again = client.get(f"/v1/widget/{world.key_a}/dates")
    assert again.status_code == 200
    assert [d["date_id"] for d in again.json()["dates"]] == [11, 12, 13]


def test_a_visitor_who_leaves_does_not_stop_the_others(
    world: WidgetWorld, gates: dict[str, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    _gated(monkeypatch, "widget_answer", gates["render"])
    app = _cold_app(world)
    answers = asyncio.run(
        _together(app, [f"/v1/widget/{world.key_a}/dates"] * N, gates, cancel_first=True)
    )

    assert isinstance(answers[0], asyncio.CancelledError)
    assert [a.status_code for a in answers[1:]] == [200] * (N - 1)  # type: ignore[union-attr]
    assert app.state.flights.running == {}  # nothing left in flight


def test_with_caches_off_a_new_date_shows_on_the_next_request(world: WidgetWorld) -> None:
    with TestClient(_cold_app(world)) as client:
        first = client.get(f"/v1/widget/{world.key_a}/dates")
        create_date(PARTNER_A, world.db, product_id=102, starts_at=datetime(2026, 12, 3, 18),
                    ends_at=datetime(2026, 12, 3, 21), seats=6, price="120", now=NOW)  # fmt: skip
        second = client.get(f"/v1/widget/{world.key_a}/dates")
    assert second.headers["etag"] != first.headers["etag"]
    new = [d for d in second.json()["dates"] if d["day"] == "2026-12-03"]
    assert [(d["course_id"], d["price"], d["seats_free"]) for d in new] == [(102, "120.00", 6)]
