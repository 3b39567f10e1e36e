"""`GET /v1/reviews/{review_id}/answer` over real HTTP (TestClient): only an approved answer,
404 in German or English otherwise, the last approved text while a revision is pending."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from core.db import Databases
from core.settings import load_settings
from data.access.viewer import Viewer
from data.reviews import responses

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")


@pytest.fixture
def client(shop: Databases) -> Iterator[TestClient]:
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0)
    with TestClient(create_app(db=shop, settings=settings), raise_server_exceptions=False) as c:
        yield c


def test_only_an_approved_answer_is_served(shop: Databases, client: TestClient) -> None:
    missing = client.get("/v1/reviews/1/answer")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "reviews.answer_not_found"
    assert "freigegebene Antwort" in missing.json()["error"]["message"]
    english = client.get("/v1/reviews/1/answer", headers={"Accept-Language": "en"})
    assert "approved answer" in english.json()["error"]["message"]

    answer = responses.save_answer(ALPHA, shop, review_id=1, body="Danke <b>sehr</b>!")
    assert client.get("/v1/reviews/1/answer").status_code == 404  # pending
    responses.approve_answer(STAFF, shop, response_id=answer.response_id)
    served = client.get("/v1/reviews/1/answer")
    assert served.status_code == 200
    assert served.json() == {"review_id": 1, "answer": "Danke <b>sehr</b>!"}  # plain text

    responses.save_answer(ALPHA, shop, review_id=1, body="Neu formuliert")
    assert client.get("/v1/reviews/1/answer").json()["answer"] == "Danke <b>sehr</b>!"


def test_a_rejected_answer_is_not_served(shop: Databases, client: TestClient) -> None:
    answer = responses.save_answer(ALPHA, shop, review_id=2, body="Danke, Gast 2")
    responses.reject_answer(STAFF, shop, response_id=answer.response_id, reason="other")
    assert client.get("/v1/reviews/2/answer").status_code == 404


def test_bad_ids_and_the_openapi_description(client: TestClient) -> None:
    assert client.get("/v1/reviews/0/answer").status_code == 422
    assert client.get("/v1/reviews/abc/answer").status_code == 422
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/v1/reviews/{review_id}/answer"]["get"]
    assert "approved" in operation["description"] and "404" in operation["responses"]
