"""The one builder of deep links: every URL the portal sends or prints is made here.

A portal link is the public base URL (`MIOMENTE_PUBLIC_URL`, http://localhost:8501 in demo
mode) plus the target page's German URL path and the query parameter that page reads. The
paths are constants here because core/ must not import components/: tests/core/test_links.py
holds them equal to `components.navigation.PAGES`, and tests/pages/test_links_followed.py
renders every template and follows each link through the app to the record it names.

Links into the shop (a course, a date to book) are built here too, so a change of the shop's
URL scheme is one edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from core.settings import load_api_url, load_public_url

# Pages that links open, and the query parameter each reads (pages/<section>/<path>.py).
ORDERS_PAGE = "bestellungen"
ORDER_PARAM = "bestellung"  # the shop's order id (sales_order.entity_id)
ACCOUNTING_PAGE = "buchhaltung"
CREDIT_NOTE_PARAM = "gutschrift"  # the credit note's number, e.g. GS-2026-00042
MARKETING_PAGE = "marketing"
GUIDE_PARAM = "ratgeber"  # a best-practice page's slug (marketing/guides.py GUIDES)
REVIEWS_PAGE = "bewertungen"
REVIEW_PARAM = "bewertung"  # the shop's review id (review.review_id)

# The password-reset link opens the entry page, which shows the form instead of the login.
RESET_PARAM = "passwort"
# Leaving the waitlist opens the entry page too, without a login: the signed token is the key.
WAITLIST_UNSUBSCRIBE_PARAM = "warteliste_abmelden"

SHOP_URL = "https://www.miomente.de"
SHOP_DATE_PARAM = "termin"


def public_url() -> str:
    """The configured base of portal links, without a trailing slash."""
    return load_public_url()


def _portal(page: str, params: Mapping[str, str | int], base: str | None) -> str:
    root = (public_url() if base is None else base).rstrip("/")
    return f"{root}/{quote(page)}?{urlencode(params)}"


def order_url(order_id: int, *, base: str | None = None) -> str:
    """Bestellungen with the order opened."""
    return _portal(ORDERS_PAGE, {ORDER_PARAM: int(order_id)}, base)


def credit_note_url(number: str, *, base: str | None = None) -> str:
    """Buchhaltung with the credit note and its payout opened."""
    return _portal(ACCOUNTING_PAGE, {CREDIT_NOTE_PARAM: number}, base)


def reviews_url(review_id: int, *, base: str | None = None) -> str:
    """Bewertungen with the review and its answer opened."""
    return _portal(REVIEWS_PAGE, {REVIEW_PARAM: int(review_id)}, base)


def guide_url(slug: str, *, base: str | None = None) -> str:
    """Marketing with a Ratgeber page opened (the quality checklist's items link here)."""
    return _portal(MARKETING_PAGE, {GUIDE_PARAM: slug}, base)


def password_reset_url(token: str, *, base: str | None = None) -> str:
    """The single-use link of a password reset (data/access/resets.py)."""
    root = (public_url() if base is None else base).rstrip("/")
    return f"{root}/?{urlencode({RESET_PARAM: token})}"


NEWS_PAGE = "neuigkeiten"


def news_url(*, base: str | None = None) -> str:
    """The partner's Neuigkeiten page (the weekly digest links there)."""
    return f"{(public_url() if base is None else base).rstrip('/')}/{NEWS_PAGE}"


def waitlist_unsubscribe_url(token: str, *, base: str | None = None) -> str:
    """A waiting customer's link off the waitlist (data/demand/waitlist.py), no login needed."""
    root = (public_url() if base is None else base).rstrip("/")
    return f"{root}/?{urlencode({WAITLIST_UNSUBSCRIBE_PARAM: token})}"


def shop_course_url(product_id: int) -> str:
    """The course's page in the shop, with all its dates."""
    return f"{SHOP_URL}/kurs/{int(product_id)}"


def shop_date_url(product_id: int, date_id: int) -> str:
    """The course's page in the shop with one date chosen for booking."""
    # An int needs no quoting: the widget builds hundreds of these per answer.
    return f"{SHOP_URL}/kurs/{int(product_id)}?{SHOP_DATE_PARAM}={int(date_id)}"


REVIEW_FORM_PATH = "/v1/bewertung"


def review_url(token: str, *, base: str | None = None) -> str:
    """The review form of one participant's review request: the public service's page
    (api/routers/reviews_form.py), which writes the review into the shop as pending."""
    root = (api_url() if base is None else base).rstrip("/")
    return f"{root}{REVIEW_FORM_PATH}/{quote(token, safe='')}"


def review_unsubscribe_url(token: str, *, base: str | None = None) -> str:
    """Where the participant objects to further review mails (same service)."""
    return f"{review_url(token, base=base)}/abmelden"


# --- the public service (api/): the booking widget ----------------------------------------------

WIDGET_SCRIPT_PATH = "/v1/widget.js"
WIDGET_FRAME_PATH = "/v1/widget/frame"


def api_url() -> str:
    """The configured base of the public service, without a trailing slash."""
    return load_api_url()


def widget_script_url(*, base: str | None = None) -> str:
    """The widget's script, for the embed code."""
    return f"{(api_url() if base is None else base).rstrip('/')}{WIDGET_SCRIPT_PATH}"


def widget_frame_url(key: str, params: Mapping[str, str | int], *, base: str | None = None) -> str:
    """The widget's iframe page for a partner's public key and its display choices."""
    root = (api_url() if base is None else base).rstrip("/")
    return f"{root}{WIDGET_FRAME_PATH}?{urlencode({'key': key, **params})}"


DATE_PROPOSAL_PATH = "/v1/terminvorschlag"


def date_proposal_url(token: str, *, base: str | None = None) -> str:
    """Where a customer takes the date a partner proposed for their date request: the public
    service's page (api/routers/proposals.py), which calls
    data.demand.date_requests.accept_proposal with the token."""
    root = (api_url() if base is None else base).rstrip("/")
    return f"{root}{DATE_PROPOSAL_PATH}/{quote(token, safe='')}"


INTEGRATIONS_PAGE = "integrationen"


def integrations_url(*, base: str | None = None) -> str:
    """Konto → Integrationen (API keys, widget, webhooks): the webhook mails link here."""
    return f"{(public_url() if base is None else base).rstrip('/')}/{INTEGRATIONS_PAGE}"


ICAL_FEED_PATH = "/v1/ical"


def ical_feed_url(token: str, *, base: str | None = None) -> str:
    """A partner's calendar subscription (api/routers/ical.py): the address calendars poll."""
    root = (api_url() if base is None else base).rstrip("/")
    return f"{root}{ICAL_FEED_PATH}/{quote(token, safe='')}.ics"


# A team invitation opens the entry page, which shows the "join the team" form instead of
# the login (components/team_view.py).
INVITATION_PARAM = "einladung"


def invitation_url(token: str, *, base: str | None = None) -> str:
    """The single-use link of a team invitation (data/access/team.py)."""
    root = (public_url() if base is None else base).rstrip("/")
    return f"{root}/?{urlencode({INVITATION_PARAM: token})}"


DOWNLOAD_PATH = "/_portal/download"  # a route of the portal's own server (portal.py)


def download_url(ticket: str) -> str:
    """A streamed download of this portal (components/stream_download.py): relative, so it
    goes to the very server (and process) that offered the ticket."""
    return f"{DOWNLOAD_PATH}/{quote(ticket, safe='')}"
