"""The service around the routes: health, request ids, headers, errors, docs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from tests.support.widget import WidgetWorld


def test_health_reaches_both_databases(client: TestClient) -> None:
    answer = client.get("/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "databases": {"shop": True, "portal": True}}


def test_every_answer_carries_a_request_id_and_security_headers(client: TestClient) -> None:
    answer = client.get("/v1/health")
    assert len(answer.headers["x-request-id"]) == 32
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    # CORS only where the widget needs it.
    assert "access-control-allow-origin" not in answer.headers
    given = client.get("/v1/health", headers={"X-Request-ID": "proxy-id-12345"})
    assert given.headers["x-request-id"] == "proxy-id-12345"
    bad = client.get("/v1/health", headers={"X-Request-ID": "<script>\n"})
    assert bad.headers["x-request-id"] != "<script>\n"


def test_a_request_writes_one_structured_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="api.access"):
        answer = client.get("/v1/health?secret=1", headers={"X-Request-ID": "trace-abcdef01"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "api.access"]
    assert lines[-1]["request_id"] == "trace-abcdef01"
    assert lines[-1] | {"ms": 0} == {
        "request_id": "trace-abcdef01",
        "method": "GET",
        "path": "/v1/health",
        "status": 200,
        "ms": 0,
    }
    assert answer.status_code == 200


def test_unknown_routes_answer_json_in_german_or_english(client: TestClient) -> None:
    german = client.get("/v1/nichts")
    assert german.status_code == 404
    assert german.json()["error"]["message"] == "Diese Adresse gibt es nicht."
    assert german.json()["error"]["request_id"] == german.headers["x-request-id"]
    english = client.get("/v1/nichts", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    assert english.json()["error"]["message"] == "This address does not exist."
    assert english.headers["content-language"] == "en"
    wrong = client.delete("/v1/health")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "api_error.method_not_allowed"


def test_docs_describe_the_service_in_german_and_english(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "**Deutsch:**" in schema["info"]["description"]
    assert "**English:**" in schema["info"]["description"]
    paths = set(schema["paths"])
    assert {"/v1/health", "/v1/widget/{key}/dates", "/v1/widget.js", "/v1/widget/frame"} <= paths
    dates = schema["paths"]["/v1/widget/{key}/dates"]["get"]
    assert "Termine" in dates["description"] and "dates" in dates["description"]


def test_an_unexpected_error_is_json_without_a_traceback(
    world: WidgetWorld, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    world.db.portal.dispose()
    client.app.state.db = type(world.db)(  # type: ignore[attr-defined]
        magento=world.db.magento, magento_read=world.db.magento_read, portal=_broken()
    )
    with caplog.at_level(logging.ERROR, logger="api"):
        answer = client.get(f"/v1/widget/{world.key_a}/dates")
    assert answer.status_code == 500
    body = answer.json()
    assert body["error"]["code"] == "api_error.internal"
    assert "Traceback" not in answer.text and "sqlite" not in answer.text.lower()
    assert any(r.name == "api" for r in caplog.records)


def _broken():
    from sqlalchemy import create_engine

    return create_engine("sqlite:////nonexistent/dir/portal.sqlite")
