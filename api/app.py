"""The public service: `uvicorn api.app:app`.

`create_app(db=…, settings=…)` builds it (tests pass their databases); the module-level `app`
opens the configured databases on start (demo mode: the demo SQLite files, built if missing).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from api import errors, middleware
from api.flight import Flights
from api.routers import (
    health,
    ical,
    partner_dates,
    partner_demand,
    partner_orders,
    partner_reviews,
    proposals,
    reviews,
    reviews_form,
    signup,
    widget,
)
from api.settings import PREFIX, ApiSettings, api_settings
from core.clock import now_utc
from core.db import Databases, open_databases

DESCRIPTION = """
**Deutsch:** Der öffentliche Dienst des Miomente Partner-Portals: das Buchungs-Widget für
die Websites der Partner (Skript, iframe-Seite, Termine als JSON). Fehler kommen als JSON
in der Sprache des `Accept-Language`-Headers (Deutsch oder Englisch), mit `X-Request-ID`.

**English:** The public service of the Miomente partner portal: the booking widget for
partners' websites (script, iframe page, dates as JSON). Errors are JSON in the language of
the `Accept-Language` header (German or English), with an `X-Request-ID`. The partner API
under `/v1/orders`, `/v1/dates`, `/v1/waitlist`, `/v1/date-requests` and `/v1/reviews` needs
an API key (`Authorization: Bearer …`, Konto → Integrationen) and answers errors as RFC 9457
`application/problem+json`; at most 120 requests per minute and key.
"""

TAGS = [
    {"name": "health", "description": "Zustand / health"},
    {"name": "widget", "description": "Buchungs-Widget / booking widget"},
    {"name": "ical", "description": "Kalender-Abo der Termine / dates as a calendar feed"},
    {
        "name": "proposals",
        "description": "Terminvorschläge an Kunden / dates proposed to customers",
    },
    {"name": "orders", "description": "Partner-API: Bestellungen / orders (orders:read)"},
    {"name": "dates", "description": "Partner-API: Termine / dates (dates:read, dates:write)"},
    {
        "name": "demand",
        "description": "Partner-API: Warteliste und Terminanfragen / waitlist and date "
        "requests (waitlist:read, waitlist:write)",
    },
    {
        "name": "reviews",
        "description": "Bewertungen: das Formular nach dem Kurs, die freigegebenen Antworten "
        "und für die Partner-API die Liste (reviews:read) / reviews: the form after the course, "
        "the approved answers and, for the partner API, the list (reviews:read)",
    },
]


def _open(settings: ApiSettings) -> Databases:
    core = settings.core
    if core.demo_mode:
        from data.demo import ensure_demo  # demo-only code stays out of production imports

        return ensure_demo(core)
    return open_databases(
        magento_url=core.magento_url or "",
        portal_url=core.portal_url or "",
        magento_read_url=core.magento_read_url,
    )


def create_app(
    *,
    db: Databases | None = None,
    settings: ApiSettings | None = None,
    clock: Callable[[], datetime] = now_utc,
) -> FastAPI:
    """The app; without `db` it opens the configured databases when it starts. `clock`
    (naive UTC) is the real time except in tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = db is None
        if owned:
            _log_to_stderr()
            app.state.settings = app.state.settings or api_settings()
            app.state.rendered = widget.RenderedCache(app.state.settings.cache_entries)
            app.state.db = _open(app.state.settings)
        yield
        if owned:
            app.state.db.dispose()

    app = FastAPI(
        title="Miomente Partner-Portal API",
        version="1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    if db is not None:
        app.state.settings = settings or api_settings()
        app.state.db = db
    app.state.rendered = widget.RenderedCache(
        app.state.settings.cache_entries if app.state.settings else ApiSettings.cache_entries
    )
    app.state.versions = {}
    app.state.flights = Flights()
    app.state.keys = {}
    errors.install(app)
    middleware.install(app)
    app.include_router(health.router, prefix=PREFIX)
    app.include_router(widget.router, prefix=PREFIX)
    app.include_router(proposals.router, prefix=PREFIX)
    app.include_router(signup.router, prefix=PREFIX)
    app.include_router(partner_orders.router, prefix=PREFIX)
    app.include_router(partner_dates.router, prefix=PREFIX)
    app.include_router(partner_demand.router, prefix=PREFIX)
    app.include_router(partner_reviews.router, prefix=PREFIX)
    app.include_router(reviews_form.router, prefix=PREFIX)
    app.include_router(ical.router, prefix=PREFIX)
    app.include_router(reviews.router, prefix=PREFIX)
    logging.getLogger("api").setLevel(logging.INFO)
    return app


def _log_to_stderr() -> None:
    """One JSON line per request on stderr when serving (uvicorn configures only its own
    loggers), unless a logging configuration has set up the root logger itself."""
    service = logging.getLogger("api")
    service.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not service.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        service.addHandler(handler)


app = create_app()
