"""Partner API: the key's partner's orders (`orders:read`).

`GET /v1/orders` lists booked items like the portal's Bestellungen (the same filters through
`parse_params`, the same ledger), in keyset slices: `next_cursor` fetches the next slice.
`GET /v1/orders/{order_id}` is one order with the partner's own items only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.deps import Db, Locale
from api.errors import ApiError
from api.partner import PROBLEMS, Key, example, to_json
from data.bookings.listing import (
    MAX_SLICE,
    P_BOOKED_FROM,
    P_BOOKED_TO,
    P_COURSE,
    P_EVENT_FROM,
    P_EVENT_TO,
    P_SORT,
    P_STATUS,
    P_TEXT,
    SORTS,
    bookings_after,
    parse_params,
)
from data.bookings.orders import MAX_ORDER_ID, get_order
from data.portal_schema import BOOKING_STATUSES

router = APIRouter(tags=["orders"])

Day = Annotated[
    str | None, Query(description="JJJJ-MM-TT (Berliner Tag) / YYYY-MM-DD (Berlin day)")
]

_ORDER_ROW = {
    "item_id": 5001,
    "order_id": 1003,
    "increment_id": "000001003",
    "booked_at": "2026-11-20T09:15:00Z",
    "customer_name": "Anna Schmidt",
    "customer_email": "anna@example.de",
    "course": "Pasta-Kochkurs",
    "product_id": 101,
    "event_at": "2026-12-12T17:00:00Z",
    "tickets": 2,
    "gross": "178.00",
    "refunded": "0.00",
    "status": "confirmed",
    "partner_id": 1,
}


@router.get(
    "/orders",
    summary="Bestellungen / orders",
    description="Gebuchte Positionen des Partners, neueste zuerst; mit `cursor` die nächste "
    "Seite. / The partner's booked items, newest first; `cursor` fetches the next slice.",
    responses={
        **example({"items": [_ORDER_ROW], "next_cursor": "Ym9va2VkX2Rlc2N8MHwy"}),
        **PROBLEMS,
    },
)
def list_orders(
    key: Key,
    db: Db,
    booked_from: Day = None,
    booked_to: Day = None,
    event_from: Day = None,
    event_to: Day = None,
    course: Annotated[
        list[str] | None, Query(description="Kurs (Produkt-ID, wiederholbar) / course id")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(description="Status (wiederholbar): " + ", ".join(BOOKING_STATUSES)),
    ] = None,
    q: Annotated[str | None, Query(max_length=100, description="Suche / search text")] = None,
    sort: Annotated[Literal[SORTS], Query(description="Sortierung / order")] = "booked_desc",  # type: ignore[valid-type]
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` der vorigen Antwort")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SLICE)] = 50,
) -> JSONResponse:
    params: dict[str, str | list[str]] = {P_SORT: sort}
    for name, value in (
        (P_BOOKED_FROM, booked_from),
        (P_BOOKED_TO, booked_to),
        (P_EVENT_FROM, event_from),
        (P_EVENT_TO, event_to),
        (P_TEXT, q),
    ):
        if value:
            params[name] = value
    if course:
        params[P_COURSE] = course
    if status:
        params[P_STATUS] = status
    parsed = parse_params(params)
    if parsed.errors:
        raise parsed.errors[0]
    found = bookings_after(
        key.viewer, db, filters=parsed.filters, sort=parsed.sort, cursor=cursor, limit=limit
    )
    return JSONResponse({"items": to_json(found.rows), "next_cursor": found.next_cursor})


@router.get(
    "/orders/{order_id}",
    summary="Eine Bestellung / one order",
    description="Die Bestellung mit den eigenen Positionen, Kunde, Zahlung und Verlauf. / "
    "The order with the partner's own items, customer, payment and timeline.",
    responses={
        **example(
            {
                "order_id": 1003,
                "increment_id": "000001003",
                "created_at": "2026-11-20T09:15:00Z",
                "status": "processing",
                "items": [{"item_id": 5001, "course": "Pasta-Kochkurs", "tickets": 2}],
                "total_for_viewer": "178.00",
            }
        ),
        **PROBLEMS,
    },
)
def order_detail(
    key: Key,
    db: Db,
    locale: Locale,
    order_id: Annotated[int, Path(ge=1, le=MAX_ORDER_ID)],
) -> JSONResponse:
    found = get_order(key.viewer, db, order_id=order_id, locale=locale)
    if found is None:
        raise ApiError(404, "partner_api.order_not_found")
    return JSONResponse(to_json(found))
