"""What routes receive: the databases, and the viewer derived from the request.

The app keeps one `Databases` in `app.state.db` (opened by the factory). The widget's viewer
comes from the public partner key in the path: an enabled key of an active partner gives
`Viewer.widget(partner_id)`, read-only and scoped to that partner exactly like the partner's
own login; anything else is a 404, the same for a malformed, unknown or disabled key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from api.errors import ApiError, request_locale
from core.db import Databases
from data.access.viewer import Viewer
from data.integrations.widget_keys import widget_partner

UNKNOWN_KEY = "widget.unknown_key"


def databases(request: Request) -> Databases:
    return request.app.state.db


def locale(request: Request) -> str:
    return request_locale(request)


@dataclass(frozen=True)
class WidgetContext:
    viewer: Viewer
    key: str
    key_version: str  # changes when the key is switched off and on again


def widget_context(
    request: Request,
    key: Annotated[
        str,
        Path(
            min_length=1,
            max_length=64,
            description="Öffentlicher Partnerschlüssel aus dem Einbettungscode / "
            "the partner's public key from the embed code",
        ),
    ],
    db: Annotated[Databases, Depends(databases)],
) -> WidgetContext:
    found = widget_partner(db, key=key)
    if found is None:
        raise ApiError(404, UNKNOWN_KEY)
    request.state.partner_id = found.partner_id
    return WidgetContext(
        viewer=Viewer.widget(found.partner_id), key=key, key_version=str(found.updated_at)
    )


Db = Annotated[Databases, Depends(databases)]
Locale = Annotated[str, Depends(locale)]
Widget = Annotated[WidgetContext, Depends(widget_context)]
