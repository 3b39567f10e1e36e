"""What routes receive: the databases, and the viewer derived from the request.

The app keeps one `Databases` in `app.state.db` (opened by the factory). The widget's viewer
comes from the public partner key in the path: an enabled key of an active partner gives
`Viewer.widget(partner_id)`, read-only and scoped to that partner exactly like the partner's
own login; anything else is a 404, the same for a malformed, unknown or disabled key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, request_locale
from api.flight import Flights
from core.db import Databases
from data.access.viewer import Viewer
from data.integrations.widget_keys import widget_partner

UNKNOWN_KEY = "widget.unknown_key"


async def databases(request: Request) -> Databases:  # async: no thread hop
    return request.app.state.db


async def locale(request: Request) -> str:  # async: no thread hop for a header
    return request_locale(request)


@dataclass(frozen=True)
class WidgetContext:
    viewer: Viewer
    key: str
    key_version: str  # changes when the key is switched off and on again
    partner_name: str = ""  # shown in the widget's answer


KeyPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Öffentlicher Partnerschlüssel aus dem Einbettungscode / "
        "the partner's public key from the embed code",
    ),
]
KEY_SLOTS = 10_000


def _lookup(db: Databases, key: str) -> WidgetContext:
    found = widget_partner(db, key=key)
    if found is None:
        raise ApiError(404, UNKNOWN_KEY)
    return WidgetContext(
        viewer=Viewer.widget(found.partner_id),
        key=key,
        key_version=str(found.updated_at),
        partner_name=found.partner_name,
    )


def widget_context(
    request: Request,
    key: KeyPath,
    db: Annotated[Databases, Depends(databases)],
) -> WidgetContext:
    context = _lookup(db, key)
    request.state.partner_id = context.viewer.partner_id
    return context


async def remembered_widget(request: Request, key: KeyPath) -> WidgetContext:
    """`widget_context`, remembered per key for `version_ttl` seconds (like the data
    fingerprint): a burst of page views asks the portal DB once, and a key switched off
    stops answering at most that much later. A refused key is not remembered. Concurrent
    lookups of one key share one query (api/flight.py), also with `version_ttl` 0."""
    ttl = request.app.state.settings.version_ttl
    memo: dict[str, tuple[float, WidgetContext]] = request.app.state.keys
    found = memo.get(key)
    if ttl > 0 and found is not None and found[0] > time.monotonic():
        request.state.partner_id = found[1].viewer.partner_id
        return found[1]
    db: Databases = request.app.state.db
    flights: Flights = request.app.state.flights
    context = await flights.run(("key", key), partial(run_in_threadpool, _lookup, db, key))
    request.state.partner_id = context.viewer.partner_id
    if ttl > 0:
        if len(memo) > KEY_SLOTS:
            memo.clear()
        memo[key] = (time.monotonic() + ttl, context)
    return context


Db = Annotated[Databases, Depends(databases)]
Locale = Annotated[str, Depends(locale)]
Widget = Annotated[WidgetContext, Depends(widget_context)]
RememberedWidget = Annotated[WidgetContext, Depends(remembered_widget)]
