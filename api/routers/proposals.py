"""The customer's proposal link: `/v1/terminvorschlag/{token}`.

A partner who cannot hold a requested day proposes another date
(`data.demand.date_requests.propose_date`); the customer's mail links here. `GET` shows the
course and the proposed date with one button; the button's `POST` takes the proposal through
`accept_proposal` (single use: the token is the credential, no login). A link that is unknown,
used, or whose date is gone gets a polite page with a 4xx status, never an error trace.

Everything shown is escaped (the course name is the shop's text); the page loads nothing and
may only post its form to this service (the Content-Security-Policy in api/middleware.py).
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from api.deps import Db
from api.errors import request_locale
from core import i18n, links
from core.validation import InvalidInput
from data.demand.date_requests import Proposal, accept_proposal, proposal_of

router = APIRouter(tags=["proposals"])
PREFIX = "demand.proposal."
# Unknown or used link: not found; the proposed date is gone: gone.
_STATUS = {"date_requests.proposal_gone": 410}
Token = Annotated[
    str,
    # No length limits here: an over-long key gets the same polite page as an unknown one.
    Path(
        description="Der Schlüssel aus der E-Mail / the key from the email",
    ),
]
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:24px 16px;background:#f6f4f1;"
    "color:#222}main{max-width:520px;margin:0 auto;background:#fff;border-radius:12px;"
    "padding:24px;box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:1.4rem;margin:0 0 12px}"
    "p{line-height:1.5}.when{font-size:1.15rem;font-weight:600}"
    "button,a.button{display:inline-block;width:100%;box-sizing:border-box;padding:14px;"
    "border:0;border-radius:8px;background:#b5472f;color:#fff;font-size:1rem;"
    "text-align:center;text-decoration:none;cursor:pointer}"
)


def _t(key: str, locale: str, **params: object) -> str:
    return html.escape(i18n.translate(PREFIX + key, locale, **params))


def _page(locale: str, title: str, body: str, *, status: int = 200) -> HTMLResponse:
    text = (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    )
    headers = {"Cache-Control": "no-store", "Content-Language": locale}
    return HTMLResponse(text, status_code=status, headers=headers)


def _when(proposal: Proposal, locale: str) -> str:
    start = proposal.starts_at
    return html.escape(
        f"{i18n.weekday_name(i18n.to_berlin(start).weekday(), locale)}, "
        f"{i18n.day(start, locale)}, {i18n.time_of_day(start, locale)}"
    )


def _locale(request: Request, proposal: Proposal | None) -> str:
    """A `lang` parameter wins; else the language the customer asked in; else the browser's."""
    if request.query_params.get("lang") in i18n.LOCALES or proposal is None:
        return request_locale(request)
    return proposal.locale


def _refused(request: Request, exc: InvalidInput) -> HTMLResponse:
    locale = _locale(request, None)
    body = (
        f"<p>{html.escape(i18n.translate(exc.key, locale))}</p>"
        f"<p>{_t('refused_help', locale)}</p>"
        f'<p><a href="{html.escape(links.SHOP_URL)}">{_t("to_shop", locale)}</a></p>'
    )
    return _page(locale, _t("refused_title", locale), body, status=_STATUS.get(exc.key, 404))


@router.get(
    "/terminvorschlag/{token}",
    summary="Terminvorschlag ansehen / view a proposed date",
    description="Die Seite hinter dem Link der E-Mail: Kurs und vorgeschlagener Termin mit "
    "einem Knopf zum Annehmen. / The page behind the email's link: the course and the "
    "proposed date with a button to take it.",
    response_class=HTMLResponse,
)
def show(request: Request, db: Db, token: Token) -> HTMLResponse:
    try:
        proposal = proposal_of(db, token=token, now=request.app.state.clock())
    except InvalidInput as exc:
        return _refused(request, exc)
    locale = _locale(request, proposal)
    lang = request.query_params.get("lang")
    action = request.url.path + (f"?lang={lang}" if lang in i18n.LOCALES else "")
    body = (
        f"<p>{_t('intro', locale, course=proposal.course)}</p>"
        f'<p class="when">{_when(proposal, locale)}</p>'
        f'<form method="post" action="{html.escape(action)}">'
        f'<button type="submit">{_t("accept", locale)}</button></form>'
        f"<p>{_t('decline_help', locale)}</p>"
    )
    return _page(locale, _t("title", locale), body)


@router.post(
    "/terminvorschlag/{token}",
    summary="Terminvorschlag annehmen / take a proposed date",
    description="Nimmt den Vorschlag an (nur einmal); der Anbieter sieht die Anfrage danach "
    "als angenommen. / Takes the proposal (once); the partner then sees the request as "
    "accepted.",
    response_class=HTMLResponse,
)
def take(request: Request, db: Db, token: Token) -> HTMLResponse:
    now = request.app.state.clock()
    try:
        proposal = proposal_of(db, token=token, now=now)
        taken = accept_proposal(db, token=token, now=now)
    except InvalidInput as exc:
        return _refused(request, exc)
    locale = _locale(request, proposal)
    booking = links.shop_date_url(proposal.product_id, int(taken.date_id or 0))
    body = (
        f"<p>{_t('taken', locale, course=proposal.course)}</p>"
        f'<p class="when">{_when(proposal, locale)}</p>'
        f'<p><a class="button" href="{html.escape(booking)}">{_t("book", locale)}</a></p>'
    )
    return _page(locale, _t("taken_title", locale), body)
