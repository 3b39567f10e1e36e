"""Deterministic German demo data for the shop (Magento) and the portal database.

`generate()` fills empty schemas: partners with users and courses (portal), products with EAV
values, course dates, orders with items, payments, addresses, status history and reviews
(shop). The same seed, `today` and order count give the same rows on every backend: all
randomness comes from one `random.Random(seed)`, all times are derived from `today`.

`ensure_demo()` is demo mode's start-up: it builds two SQLite files once (under a file lock,
into temp files that are renamed into place) and reopens them afterwards.

    python -m data.demo [--magento-url URL --portal-url URL] [--orders N] [--seed N]
                        [--today YYYY-MM-DD] [--create-schema] [--ensure]

Without URLs the command rebuilds the demo SQLite files; with URLs it fills those databases
(creating the schemas first with --create-schema). Big runs stream: orders are made and loaded
in chunks, so memory stays bounded at a million orders.

Personal data is fictitious and harmless by construction: e-mail domains are the reserved
`example.*` ones and phone numbers come from the Bundesnetzagentur's drama-number ranges, so a
demo database wired to a real mail or SMS provider reaches nobody.

The package, in the order the data flows:

    content.py   the German vocabulary: course kinds with their courses, the named demo
                 partners and logins, cities, streets, names, payment methods, reasons,
                 review texts
    clock.py     time: Berlin calendar days <-> naive UTC epoch seconds
    plan.py      the world: partners, courses and their dates, and their portal and catalog
                 rows
    orders.py    the order maker: states, items, payments, addresses, history, reviews
    load.py      table layouts, TSV formatting and the loaders (portable Core loader; the
                 dialect-specific bulk part for MariaDB/PostgreSQL is marked as such)
    build.py     generate(), and demo mode: ensure_demo() / rebuild_demo()
    __main__.py  the command line
"""

from __future__ import annotations

from core.periods import berlin_today
from data.demo.build import (
    DEFAULT_ORDERS,
    DEFAULT_SEED,
    MARKER_NAME,
    DemoSummary,
    NotEmptyError,
    ensure_demo,
    generate,
    rebuild_demo,
)
from data.demo.content import DEMO_LOGINS, DEMO_PASSWORD

__all__ = [
    "DEFAULT_ORDERS",
    "DEFAULT_SEED",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "MARKER_NAME",
    "DemoSummary",
    "NotEmptyError",
    "berlin_today",
    "ensure_demo",
    "generate",
    "rebuild_demo",
]
