"""Schemathesis against the service's own OpenAPI schema: no generated request gets a 500.

Requests are generated from the schema (valid and invalid values of every parameter); half
of them carry partner A's real widget key, so the dates and events code runs, not only the
404 for an unknown key. Every answer must be below 500 and, when an error, our JSON shape.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.errors import is_partner_api
from api.settings import ApiSettings
from core.settings import load_settings
from tests.support.widget import NOW, WidgetWorld

EXAMPLES = 40
PAGES = ("/v1/terminvorschlag/", "/v1/bewertung/")  # HTML for people, not JSON for programs


def test_no_generated_request_gets_a_server_error(world: WidgetWorld) -> None:
    app = create_app(
        db=world.db,
        # Limits out of the way, so generated sign-ups reach the data functions.
        settings=ApiSettings(
            core=load_settings(env={}),
            version_ttl=0,
            signup_per_ip=10**6,
            signup_per_email=10**6,
            events_per_ip=10**6,
        ),
        clock=lambda: NOW,
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if is_partner_api(operation.path):
            continue  # the partner API (problem+json, a bearer key): tests/api/test_partner_fuzz.py
        tested.append(operation.label)

        @given(case=operation.as_strategy(), real_key=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case, real_key: bool) -> None:
            if real_key and case.path_parameters and "key" in case.path_parameters:
                case.path_parameters["key"] = world.key_a
            if real_key and case.query and "key" in case.query:
                case.query["key"] = world.key_a
            response = case.call()
            assert response.status_code < 500, (case.path, response.text)
            if response.status_code >= 400 and case.path.startswith(PAGES):
                # The customer's pages answer a bad link with a polite page, not JSON.
                assert "text/html" in str(response.headers["content-type"])
                assert "Traceback" not in response.text
            elif response.status_code >= 400 and case.path != "/v1/widget.js":
                assert set(response.json()["error"]) == {"code", "message", "request_id"}

        run()
    assert "GET /v1/widget/{key}/dates" in tested
    assert "POST /v1/terminvorschlag/{token}" in tested
    assert {"POST /v1/widget/{key}/waitlist", "POST /v1/widget/{key}/date-request"} <= set(tested)
    assert "GET /v1/reviews/{review_id}/answer" in tested and "GET /v1/reviews" not in tested
