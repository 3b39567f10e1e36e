"""`GET /v1/reviews` of the partner API over real HTTP (TestClient) on the real databases: the
key's partner's reviews with their answers' moderation state, the portal's filters, keyset
slices that walk the portal's list, tenant safety, the scope, problem+json in German and
English, and the shop's public answer route beside it unchanged."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api.errors import is_partner_api
from core.validation import InvalidInput
from data.access.permissions import ORDERS_READ, REVIEWS_READ
from data.access.viewer import Viewer
from data.reviews import responses
from data.reviews.dashboard import list_reviews, reviews_after
from data.shop.schema import REVIEW_PENDING
from tests.api.test_partner_api import PROBLEM, _auth, _client, _is_problem
from tests.support.reviews import add_review
from tests.support.widget import PARTNER_A, PARTNER_B, WidgetWorld

STAFF = Viewer(user_id=30, role="staff")
ITEM_KEYS = {
    "review_id", "created_at", "product_id", "course", "status", "stars", "title", "detail",
    "nickname", "answered", "answer",
}  # fmt: skip


@pytest.fixture
def api(world: WidgetWorld) -> Iterator[TestClient]:
    # The world: A's reviews 1 (course 101, 5 stars) and 2 (102, 4 stars), B's 3 and 4. Here
    # also A's 5 (101, waiting for the shop's approval) and 6 (102, no votes, written in the
    # same second as 1, so the cursor's tie-break on the id is walked).
    add_review(world.db, 5, 101, 3, created_at=datetime(2026, 11, 20, 9, 0), status=REVIEW_PENDING)
    add_review(world.db, 6, 102, [], created_at=_created(world, 1), nickname="Gast 6")
    with _client(world) as client:
        yield client


def _created(world: WidgetWorld, review_id: int) -> datetime:
    found = list_reviews(PARTNER_A, world.db, page_size=100).rows
    return found.loc[found["review_id"] == review_id, "created_at"].iloc[0].to_pydatetime()


def _ids(api: TestClient, headers: dict[str, str], **params: object) -> list[int]:
    answer = api.get("/v1/reviews", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return [item["review_id"] for item in answer.json()["items"]]


def _approved(world: WidgetWorld, viewer: Viewer, review_id: int, text: str) -> None:
    answer = responses.save_answer(viewer, world.db, review_id=review_id, body=text)
    responses.approve_answer(STAFF, world.db, response_id=answer.response_id)


def test_the_partners_reviews_with_their_answers(world: WidgetWorld, api: TestClient) -> None:
    _approved(world, PARTNER_A, 1, "Danke, Gast 1!")
    responses.save_answer(PARTNER_A, world.db, review_id=1, body="Danke sehr, Gast 1!")  # revision
    responses.save_answer(PARTNER_A, world.db, review_id=2, body="Entwurf", submit=False)
    headers = _auth(world, scopes=[REVIEWS_READ])
    answer = api.get("/v1/reviews", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-ratelimit-limit"] == "120"
    body = answer.json()
    assert body["next_cursor"] is None
    items = {item["review_id"]: item for item in body["items"]}
    assert [item["review_id"] for item in body["items"]] == [5, 2, 6, 1]  # newest first
    assert all(set(item) == ITEM_KEYS for item in body["items"])
    first = items[1]
    assert (first["product_id"], first["stars"]) == (101, 5)
    assert first["course"] == "Alpha Pasta-Werkstatt"
    assert (first["status"], first["nickname"], first["answered"]) == ("approved", "Gast 1", True)
    assert first["created_at"].endswith("Z")
    # A revision under moderation: its state, and the approved text the shop still shows.
    assert first["answer"]["status"] == "pending"
    assert first["answer"]["text"] == "Danke, Gast 1!"
    # A draft: its state only, never its words; no answer at all: null.
    assert items[2]["answer"] == {
        "status": "draft", "text": None, "reject_reason": None,
        "updated_at": items[2]["answer"]["updated_at"],
    }  # fmt: skip
    assert items[2]["answered"] is False and items[5]["answer"] is None
    assert (items[5]["status"], items[6]["stars"]) == ("pending", None)


def test_the_filters_are_the_portals(world: WidgetWorld, api: TestClient) -> None:
    _approved(world, PARTNER_A, 2, "Danke!")
    headers = _auth(world, scopes=[REVIEWS_READ])
    assert _ids(api, headers, course=101) == [5, 1]
    assert _ids(api, headers, course=[101, 102]) == [5, 2, 6, 1]
    assert _ids(api, headers, stars=[5, 3]) == [5, 1]
    assert _ids(api, headers, answered="true") == [2]
    assert _ids(api, headers, answered="false") == [5, 6, 1]
    assert _ids(api, headers, **{"from": "2026-11-01"}) == [5]
    assert _ids(api, headers, **{"from": "2026-10-01", "to": "2026-10-31"}) == [2, 6, 1]
    assert _ids(api, headers, course=101, stars=5, answered="false") == [1]


def test_cursor_slices_walk_the_portal_list_without_gaps(
    world: WidgetWorld, api: TestClient
) -> None:
    headers = _auth(world, scopes=[REVIEWS_READ])
    seen, cursor, slices = [], None, 0
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = api.get("/v1/reviews", headers=headers, params=params).json()
        seen += [item["review_id"] for item in answer["items"]]
        cursor, slices = answer["next_cursor"], slices + 1
        if cursor is None:
            break
    portal = list_reviews(PARTNER_A, world.db, page_size=100).rows
    assert seen == list(portal["review_id"]) == [5, 2, 6, 1]
    assert slices == 4
    # A slice of the filtered list continues the filtered list.
    two = api.get("/v1/reviews", headers=headers, params={"course": 102, "limit": 1}).json()
    rest = api.get("/v1/reviews", headers=headers,
                   params={"course": 102, "cursor": two["next_cursor"]}).json()  # fmt: skip
    assert [i["review_id"] for i in two["items"] + rest["items"]] == [2, 6]


def test_a_key_of_a_never_sees_the_reviews_of_b(world: WidgetWorld, api: TestClient) -> None:
    _approved(world, PARTNER_B, 3, "Antwort von Beta")
    headers = _auth(world, scopes=[REVIEWS_READ])
    items = api.get("/v1/reviews", headers=headers, params={"limit": 100}).json()["items"]
    assert {item["review_id"] for item in items} == {1, 2, 5, 6}
    assert "Antwort von Beta" not in str(items)
    # B's courses as a filter: nothing, not B's rows and not a hint that they exist.
    assert _ids(api, headers, course=[201, 202]) == []
    assert _ids(api, headers, course=201, answered="true") == []
    b_items = api.get("/v1/reviews", headers=_auth(world, PARTNER_B)).json()["items"]
    assert [item["review_id"] for item in b_items] == [4, 3]
    assert b_items[1]["answer"]["text"] == "Antwort von Beta"
    # A cursor is no key to another partner's list: it only says where A's list goes on.
    first = api.get("/v1/reviews", headers=headers, params={"limit": 1}).json()
    after = _ids(api, _auth(world, PARTNER_B), cursor=first["next_cursor"])
    assert set(after) <= {3, 4}


def test_without_the_scope_the_data_layer_refuses(world: WidgetWorld, api: TestClient) -> None:
    headers = _auth(world, scopes=[ORDERS_READ])
    body = _is_problem(api.get("/v1/reviews", headers=headers), 403, "access.no_permission")
    assert "reviews:read" in body["detail"] and body["title"] == "Keine Berechtigung"
    english = api.get("/v1/reviews", headers={**headers, "Accept-Language": "en"})
    assert _is_problem(english, 403)["title"] == "Forbidden"
    _is_problem(api.get("/v1/reviews"), 401, "api_key.missing")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"stars": 6}, "api_error.invalid_request"),
        ({"stars": "viele"}, "api_error.invalid_request"),
        ({"course": 0}, "api_error.invalid_request"),
        ({"course": "abc"}, "api_error.invalid_request"),
        ({"from": "2026-13-01"}, "api_error.invalid_request"),
        ({"from": "1999-12-31"}, "api_error.invalid_request"),
        ({"to": "9999-12-31"}, "api_error.invalid_request"),
        ({"answered": "vielleicht"}, "api_error.invalid_request"),
        ({"limit": 0}, "api_error.invalid_request"),
        ({"limit": 101}, "api_error.invalid_request"),
        ({"cursor": "bm9uc2Vuc2U"}, "partner_api.cursor_invalid"),
        ({"cursor": "x" * 201}, "api_error.invalid_request"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "partner_api.period_invalid"),
    ],
)
def test_bad_parameters_are_a_problem_in_german_and_english(
    world: WidgetWorld, api: TestClient, params: dict[str, object], code: str
) -> None:
    headers = _auth(world, scopes=[REVIEWS_READ])
    german = _is_problem(api.get("/v1/reviews", headers=headers, params=params), 422, code)
    english = _is_problem(
        api.get("/v1/reviews", headers={**headers, "Accept-Language": "en"}, params=params),
        422,
        code,
    )
    assert german["title"] == "Ungültige Eingabe" and english["title"] == "Invalid input"
    assert german["detail"] != english["detail"] and "{" not in german["detail"] + english["detail"]


def test_a_cursor_made_elsewhere_is_refused() -> None:
    def encoded(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    for raw in (
        "booked_desc|0|2026-11-01T10:00:00|5",  # the orders' cursor
        "reviews|2026-11-01T10:00:00+01:00|5",  # not naive UTC
        "reviews|0001-01-01T00:00:00|5",
        "reviews|2026-11-01T10:00:00|0",
        "reviews|x|1",
    ):
        with pytest.raises(InvalidInput):
            reviews_after(PARTNER_A, None, cursor=encoded(raw))  # type: ignore[arg-type]


def test_the_shops_answer_route_keeps_its_own_shape(world: WidgetWorld, api: TestClient) -> None:
    assert is_partner_api("/v1/reviews") and not is_partner_api("/v1/reviews/1/answer")
    missing = api.get("/v1/reviews/1/answer")
    assert missing.status_code == 404 and not missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["error"]["code"] == "reviews.answer_not_found"
    _approved(world, PARTNER_A, 1, "Danke!")
    served = api.get("/v1/reviews/1/answer")  # public: no key
    assert served.status_code == 200 and served.json() == {"review_id": 1, "answer": "Danke!"}
    assert api.get("/v1/reviews/0/answer").json()["error"]["code"] == "api_error.invalid_request"
