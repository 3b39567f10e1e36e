"""The cookie routes on their own: one-time handoff codes, same-origin only, the cookie's flags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from components import session_cookie
from components.session_cookie import LOGOUT_PATH, OPEN_PATH, offer, redeem

TOKEN = "t" * 43
HOST = "http://portal.test"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("MIOMENTE_MAGENTO_URL", "sqlite://")
    monkeypatch.setenv("MIOMENTE_PORTAL_URL", "sqlite://")
    monkeypatch.setenv("MIOMENTE_COOKIE_KEY", "k" * 40)
    with TestClient(Starlette(routes=session_cookie.routes()), base_url=HOST) as client:
        yield client


def test_a_code_is_good_once() -> None:
    code = offer(TOKEN)
    assert redeem(code) == TOKEN
    assert redeem(code) is None
    assert redeem("x" * 43) is None


def test_a_code_expires() -> None:
    code = offer(TOKEN, clock=lambda: 0.0)
    assert redeem(code, clock=lambda: session_cookie.HANDOFF_SECONDS + 1) is None


def test_the_server_sets_an_httponly_lax_secure_cookie(client: TestClient) -> None:
    response = client.post(OPEN_PATH, content=offer(TOKEN), headers={"Origin": HOST})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"miomente_portal_session={TOKEN};")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://portal.test.evil"])
def test_other_sites_can_neither_plant_nor_delete_a_login(
    client: TestClient, origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    code = offer(TOKEN)
    assert client.post(OPEN_PATH, content=code, headers=headers).status_code == 403
    assert client.post(LOGOUT_PATH, headers=headers).status_code == 403
    assert redeem(code) == TOKEN  # a refused request does not use up the code


def test_logout_deletes_the_cookie(client: TestClient) -> None:
    response = client.post(LOGOUT_PATH, headers={"Origin": HOST})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith('miomente_portal_session="";') and "max-age=0" in cookie
    assert "httponly" in cookie
