"""The customer's review form: `/v1/bewertung/{token}` and its objection link `…/abmelden`.

The review request's mail (data/reviews/requests.py) links here. `GET` shows a small form —
stars per rating of the shop, title, text, nickname — in German or English; its `POST` writes
the review into the shop's tables as *pending* (the shop's moderation applies) through
`submit_review`, which also uses the link up (single use: the token is the credential, no
login). Bad input shows the form again with a German (or English) hint and keeps what was
typed; a forged, unknown, used or expired link gets a polite page with a 4xx status.

`…/abmelden`: `GET` asks for a confirmation (a link scanner's GET changes nothing), `POST`
records the objection: no review mail goes to the address again.

Everything shown is escaped (the course name is the shop's text, the fields the customer's);
the page loads nothing and may only post its form to this service (api/middleware.py).
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
from data.reviews.requests import (
    MAX_NICKNAME,
    MAX_TEXT,
    MAX_TITLE,
    ReviewForm,
    object_to_requests,
    review_form,
    submit_review,
)

router = APIRouter(tags=["reviews"])
PREFIX = "reviews.form."
# Forged or unknown link: not found; used: conflict; expired: gone; bad input: 422.
_STATUS = {"reviews.form.used": 409, "reviews.form.expired": 410}
_INPUT_KEYS = {
    "reviews.form.stars_missing",
    "reviews.form.title_missing",
    "reviews.form.text_missing",
    "reviews.form.nickname_missing",
}
Token = Annotated[str, Path(description="Der Schlüssel aus der E-Mail / the key from the email")]
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:24px 12px;background:#f6f4f1;"
    "color:#222}main{max-width:560px;margin:0 auto;background:#fff;border-radius:12px;"
    "padding:20px;box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:1.35rem;margin:0 0 12px}"
    "p{line-height:1.5}label.field{display:block;font-weight:600;margin:16px 0 6px}"
    "input[type=text],textarea{width:100%;box-sizing:border-box;padding:10px;font:inherit;"
    "border:1px solid #888;border-radius:8px}textarea{min-height:140px}"
    "fieldset{border:0;margin:16px 0 0;padding:0}legend{font-weight:600;padding:0}"
    ".stars{display:inline-flex;flex-direction:row-reverse;gap:2px}"
    ".stars input{position:absolute;opacity:0;width:1px;height:1px}"
    ".stars label{font-size:2.2rem;line-height:1;color:#bbb;cursor:pointer;padding:2px}"
    ".stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#d98c00}"
    ".stars input:focus-visible+label{outline:3px solid #1a5fb4;border-radius:4px}"
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
    ".error{background:#fdecea;border-left:4px solid #b3261e;padding:10px 12px;"
    "border-radius:4px}.hint{color:#555;font-size:.9rem}"
    "button{display:block;width:100%;margin-top:20px;padding:14px;border:0;border-radius:8px;"
    "background:#b5472f;color:#fff;font-size:1rem;cursor:pointer}"
    "button:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}"
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


def _locale(request: Request, form: ReviewForm | None) -> str:
    """A `lang` parameter wins; else the language of the customer's order; else the browser's."""
    if request.query_params.get("lang") in i18n.LOCALES or form is None:
        return request_locale(request)
    return form.locale


def _action(request: Request) -> str:
    lang = request.query_params.get("lang")
    return request.url.path + (f"?lang={lang}" if lang in i18n.LOCALES else "")


def _refused(request: Request, exc: InvalidInput) -> HTMLResponse:
    locale = _locale(request, None)
    body = (
        f"<p>{html.escape(i18n.translate(exc.key, locale))}</p>"
        f'<p><a href="{html.escape(links.SHOP_URL)}">{_t("to_shop", locale)}</a></p>'
    )
    return _page(locale, _t("refused_title", locale), body, status=_STATUS.get(exc.key, 404))


def _stars(rating_id: int, code: str, locale: str, chosen: str) -> str:
    """One rating's five stars: radio buttons (keyboard and screen reader) drawn as stars."""
    name = f"rating_{rating_id}"
    options = []
    for value in range(5, 0, -1):  # reversed: the CSS fills the stars left of the chosen one
        ident = f"{name}_{value}"
        checked = " checked" if chosen == str(value) else ""
        options.append(
            f'<input type="radio" id="{ident}" name="{name}" value="{value}" required{checked}>'
            f'<label for="{ident}"><span aria-hidden="true">★</span>'
            f'<span class="sr">{_t("star_n", locale, n=value)}</span></label>'
        )
    legend = html.escape(code) if code != "Bewertung" else _t("stars", locale)
    return (
        f'<fieldset><legend>{legend}</legend><div class="stars">{"".join(options)}</div></fieldset>'
    )


def _form_page(
    request: Request,
    form: ReviewForm,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    locale = _locale(request, form)
    given = values or {}

    def value(name: str) -> str:
        return html.escape(given.get(name, ""), quote=True)

    problem = ""
    if error:
        problem = f'<p class="error" role="alert">{html.escape(i18n.translate(error, locale))}</p>'
    stars = "".join(
        _stars(rating_id, code, locale, given.get(f"rating_{rating_id}", ""))
        for rating_id, code in form.ratings
    )
    body = (
        f"<p>{_t('intro', locale, course=form.course)}</p>{problem}"
        f'<form method="post" action="{html.escape(_action(request))}">{stars}'
        f'<label class="field" for="title">{_t("title_label", locale)}</label>'
        f'<input type="text" id="title" name="title" maxlength="{MAX_TITLE}" required '
        f'value="{value("title")}">'
        f'<label class="field" for="text">{_t("text_label", locale)}</label>'
        f'<textarea id="text" name="text" maxlength="{MAX_TEXT}" required>'
        f"{value('text')}</textarea>"
        f'<label class="field" for="nickname">{_t("nickname_label", locale)}</label>'
        f'<input type="text" id="nickname" name="nickname" maxlength="{MAX_NICKNAME}" required '
        f'autocomplete="nickname" value="{value("nickname")}">'
        f'<p class="hint">{_t("nickname_hint", locale)}</p>'
        f'<button type="submit">{_t("submit", locale)}</button></form>'
        f'<p class="hint">{_t("moderation_hint", locale)}</p>'
    )
    return _page(locale, _t("title", locale), body, status=422 if error else 200)


@router.get(
    "/bewertung/{token}",
    summary="Bewertungsformular / review form",
    description="Die Seite hinter dem Link der Bewertungsanfrage: Sterne, Titel, Text, Name. "
    "/ The page behind the review request's link: stars, title, text, nickname.",
    response_class=HTMLResponse,
)
def show(request: Request, db: Db, token: Token) -> HTMLResponse:
    try:
        form = review_form(db, token=token, now=request.app.state.clock())
    except InvalidInput as exc:
        return _refused(request, exc)
    return _form_page(request, form)


@router.post(
    "/bewertung/{token}",
    summary="Bewertung abschicken / send the review",
    description="Schreibt die Bewertung in den Shop (wartet dort auf die Freigabe); der Link "
    "gilt nur einmal. / Writes the review into the shop (pending its moderation); the link "
    "works once.",
    response_class=HTMLResponse,
)
async def send(request: Request, db: Db, token: Token) -> HTMLResponse:
    now = request.app.state.clock()
    try:
        form = review_form(db, token=token, now=now)
    except InvalidInput as exc:
        return _refused(request, exc)
    posted = await request.form()
    values = {k: v for k, v in posted.items() if isinstance(v, str)}
    votes: dict[int, int] = {}
    for rating_id, _code in form.ratings:
        raw = values.get(f"rating_{rating_id}", "")
        if raw.isdigit() and len(raw) == 1:
            votes[rating_id] = int(raw)
    try:
        submit_review(
            db, token=token, votes=votes, title=values.get("title", ""),
            text=values.get("text", ""), nickname=values.get("nickname", ""), now=now,
        )  # fmt: skip
    except InvalidInput as exc:
        if exc.key in _INPUT_KEYS:
            return _form_page(request, form, values=values, error=exc.key)
        return _refused(request, exc)
    locale = _locale(request, form)
    body = f"<p>{_t('thanks', locale, course=form.course)}</p>"
    return _page(locale, _t("thanks_title", locale), body)


@router.get(
    "/bewertung/{token}/abmelden",
    summary="Bewertungs-E-Mails abbestellen / stop review mails",
    description="Fragt nach, ob keine Bitten um Bewertungen mehr kommen sollen. / Asks to "
    "confirm that no more review requests should come.",
    response_class=HTMLResponse,
)
def ask_objection(request: Request, db: Db, token: Token) -> HTMLResponse:
    locale = request_locale(request)
    try:
        review_form(db, token=token, now=request.app.state.clock())
    except InvalidInput as exc:
        if exc.key not in _STATUS:  # a used or expired link may still object
            return _refused(request, exc)
    body = (
        f"<p>{_t('unsubscribe_intro', locale)}</p>"
        f'<form method="post" action="{html.escape(_action(request))}">'
        f'<button type="submit">{_t("unsubscribe_button", locale)}</button></form>'
    )
    return _page(locale, _t("unsubscribe_title", locale), body)


@router.post(
    "/bewertung/{token}/abmelden",
    summary="Widerspruch eintragen / record the objection",
    description="Keine Bitten um Bewertungen mehr an diese Adresse. / No more review requests "
    "to this address.",
    response_class=HTMLResponse,
)
def record_objection(request: Request, db: Db, token: Token) -> HTMLResponse:
    locale = request_locale(request)
    try:
        object_to_requests(db, token=token, now=request.app.state.clock())
    except InvalidInput as exc:
        return _refused(request, exc)
    body = f"<p>{_t('unsubscribed', locale)}</p>"
    return _page(locale, _t("unsubscribed_title", locale), body)
