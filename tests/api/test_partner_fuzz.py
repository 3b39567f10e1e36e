"""Schemathesis against the partner API with a valid key holding every scope: no generated
request gets a 500, and every error is RFC 9457 problem+json."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from api.errors import is_partner_api
from api.settings import ApiSettings
from core.settings import load_settings
from data.integrations.api_keys import KEY_SCOPES, create_key
from tests.support.widget import NOW, PARTNER_A, WidgetWorld

EXAMPLES = 30


def test_no_generated_partner_request_gets_a_server_error(world: WidgetWorld) -> None:
    secret = create_key(PARTNER_A, world.db, name="Fuzz", scopes=list(KEY_SCOPES), now=NOW).secret
    app = create_app(
        db=world.db,
        settings=ApiSettings(core=load_settings(env={}), version_ttl=0, api_per_minute=10**6),
        clock=lambda: NOW,
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not is_partner_api(operation.path):
            continue
        tested.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
            response = case.call()
            assert response.status_code < 500, (case.path, response.text)
            if response.status_code >= 400:
                assert "application/problem+json" in str(response.headers["content-type"])
                assert {"type", "title", "status", "detail", "instance"} <= set(response.json())
            assert secret not in response.text

        run()
    assert {"GET /v1/orders", "POST /v1/dates", "PATCH /v1/dates/{date_id}"} <= set(tested)
    assert {"POST /v1/date-requests/answer", "GET /v1/reviews"} <= set(tested)
    assert "GET /v1/reviews/{review_id}/answer" not in tested  # public: test_schema_fuzz.py
