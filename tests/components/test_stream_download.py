"""Streamed downloads (`GET /_portal/download/<ticket>`): only the session the link was offered
to gets the file, while it is live; the bytes are the data layer's export, from the first row on.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import BinaryIO

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from components import stream_download
from core.db import Databases
from data.access.sessions import end_session, resume_session, start_session
from data.bookings import listing as bk
from data.bookings.listing import BookingFilter
from tests.support.orders import ALPHA, BETA

HOST = "http://portal.test"
COOKIE = "miomente_portal_session"
IDLE = timedelta(hours=8)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("MIOMENTE_MAGENTO_URL", "sqlite://")
    monkeypatch.setenv("MIOMENTE_PORTAL_URL", "sqlite://")
    monkeypatch.setenv("MIOMENTE_COOKIE_KEY", "k" * 40)
    with TestClient(Starlette(routes=stream_download.routes()), base_url=HOST) as client:
        yield client


def _session(db: Databases, user_id: int) -> str:
    return start_session(db, user_id=user_id, lifetime=timedelta(days=7))


def _offer(
    db: Databases, token: str, *, user_id: int = 10, filters: BookingFilter | None = None, **kw
) -> str:
    def write(out: BinaryIO) -> object:
        return bk.export_csv(ALPHA, db, out=out, filters=filters or BookingFilter())

    ticket = stream_download.offer(
        session_token=token,
        user_id=user_id,
        file_name="bestellungen.csv",
        mime="text/csv; charset=utf-8",
        write=write,
        is_live=lambda t: resume_session(db, token=t, idle=IDLE),
        **kw,
    )
    return stream_download.url(ticket)


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


def _export(viewer, db: Databases) -> bytes:
    out = io.BytesIO()
    bk.export_csv(viewer, db, out=out)
    return out.getvalue()


def test_the_owner_of_the_session_gets_the_partners_csv(shop: Databases, client: TestClient):
    token = _session(shop, 10)
    response = client.get(_offer(shop, token), headers=_cookie(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="bestellungen.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.content == _export(ALPHA, shop)
    assert "Bestellnummer" in response.content.decode("utf-8-sig").splitlines()[0]
    # Order 1003 holds an item of each partner: none of B's lines reaches A's file.
    theirs = set(_export(BETA, shop).decode("utf-8-sig").splitlines()[1:])
    assert theirs and not theirs & set(response.content.decode("utf-8-sig").splitlines()[1:])


def test_another_login_an_ended_session_or_no_cookie_get_nothing(
    shop: Databases, client: TestClient
) -> None:
    token = _session(shop, 10)
    link = _offer(shop, token)
    other = _session(shop, 20)  # partner B, logged in and live
    for headers in (_cookie(other), {}, _cookie("x" * 43)):
        refused = client.get(link, headers=headers)
        assert refused.status_code == 403
        assert "Download-Link gilt nicht" in refused.text
        assert "Bestellnummer" not in refused.text
    end_session(shop, token=token)  # logout
    assert client.get(link, headers=_cookie(token)).status_code == 403
    assert client.get("/_portal/download/unknown", headers=_cookie(other)).status_code == 403


def test_a_ticket_expires(shop: Databases, client: TestClient) -> None:
    token = _session(shop, 10)
    link = _offer(shop, token, clock=lambda: -stream_download.TICKET_SECONDS - 1)
    assert client.get(link, headers=_cookie(token)).status_code == 403


def test_a_ticket_of_another_user_with_the_same_cookie_is_refused(
    shop: Databases, client: TestClient
) -> None:
    # A session that now belongs to someone else than the ticket's user (never the case in
    # the portal) opens nothing either: the route compares the live session's user.
    token = _session(shop, 20)
    assert client.get(_offer(shop, token, user_id=10), headers=_cookie(token)).status_code == 403


def test_a_refused_selection_says_why_in_german_and_sends_no_file(
    shop: Databases, client: TestClient
) -> None:
    token = _session(shop, 10)
    link = _offer(shop, token, filters=BookingFilter(text="x" * 500))
    response = client.get(link, headers=_cookie(token))
    assert response.status_code == 400
    assert "content-disposition" not in response.headers
    assert "Suche" in response.text or "Zeichen" in response.text


def test_the_first_bytes_leave_before_the_file_is_complete(
    shop: Databases, client: TestClient
) -> None:
    token = _session(shop, 10)
    header_sent, may_finish = threading.Event(), threading.Event()

    def slow(out: BinaryIO) -> object:
        out.write(b"Kopf\n")
        header_sent.set()
        assert may_finish.wait(timeout=60), "the client never read the first bytes"
        out.write(b"Zeile\n" * 50_000)
        return None

    ticket = stream_download.offer(
        session_token=token, user_id=10, file_name="gross.csv", mime="text/csv", write=slow,
        is_live=lambda t: resume_session(shop, token=t, idle=IDLE),
    )  # fmt: skip
    with client.stream("GET", stream_download.url(ticket), headers=_cookie(token)) as response:
        assert response.status_code == 200
        chunks = response.iter_bytes()
        assert next(chunks).startswith(b"Kopf\n")  # while the writer still waits
        may_finish.set()
        rest = b"".join(chunks)
    assert rest.endswith(b"Zeile\n") and rest.count(b"Zeile\n") == 50_000
