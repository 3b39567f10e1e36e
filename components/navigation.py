"""The menu: which pages exist, for whom, in which section, under which German URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from components.i18n import number, t
from core.settings import PROJECT_ROOT
from data.access.permissions import (
    DATES_READ,
    MONEY_READ,
    ORDERS_READ,
    REVIEWS_READ,
    SETTINGS_WRITE,
    WAITLIST_READ,
)


@dataclass(frozen=True)
class PageSpec:
    key: str  # nav.<key> is the label
    url_path: str  # the German URL, and the file's name: pages/<section>/<url_path>.py
    icon: str
    section: str  # nav.section_<section>, and the folder under pages/
    staff_only: bool = False
    heading_key: str | None = None  # the page's title if not its menu label; may use {name}
    # What a team member's role must allow to see the page (data/access/permissions.py); the
    # data layer refuses the same anyway, the menu only spares the member a refusal.
    needs: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.section}/{self.url_path}.py"

    def title(self, *, name: str) -> str:
        """The page's title, drawn once by the entry point; `name` is the user's."""
        return t(self.heading_key or f"nav.{self.key}", name=name)


# In menu order; a section appears where its first page is.
PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "overview", "uebersicht", ":material/dashboard:", "verkauf", heading_key="overview.greeting"
    ),
    PageSpec("orders", "bestellungen", ":material/receipt_long:", "verkauf", needs=(ORDERS_READ,)),
    PageSpec("dates", "termine", ":material/calendar_month:", "angebot", needs=(DATES_READ,)),
    PageSpec(
        "waitlist", "warteliste", ":material/hourglass_top:", "angebot", needs=(WAITLIST_READ,)
    ),
    PageSpec(
        "date_requests",
        "terminanfragen",
        ":material/event_available:",
        "angebot",
        needs=(WAITLIST_READ,),
    ),
    PageSpec("reviews", "bewertungen", ":material/star:", "angebot", needs=(REVIEWS_READ,)),
    PageSpec("marketing", "marketing", ":material/campaign:", "angebot", needs=(DATES_READ,)),
    PageSpec(
        "accounting",
        "buchhaltung",
        ":material/account_balance:",
        "buchhaltung",
        needs=(MONEY_READ,),
    ),
    PageSpec("payouts", "auszahlungen", ":material/payments:", "buchhaltung", staff_only=True),
    PageSpec(
        "integrations", "integrationen", ":material/widgets:", "konto", needs=(SETTINGS_WRITE,)
    ),
    PageSpec("news", "neuigkeiten", ":material/notifications:", "konto"),
    PageSpec(
        "settings", "einstellungen", ":material/settings:", "konto", heading_key="settings.title"
    ),
    PageSpec("partners", "partner", ":material/storefront:", "verwaltung", staff_only=True),
    PageSpec("moderation", "moderation", ":material/gavel:", "verwaltung", staff_only=True),
    PageSpec("outbox", "postausgang", ":material/outbox:", "verwaltung", staff_only=True),
    PageSpec("jobs", "jobs", ":material/schedule:", "verwaltung", staff_only=True),
)
BY_KEY = {spec.key: spec for spec in PAGES}
DEFAULT = "overview"  # the page at "/"
ROOT_URL_PATH = "start"  # reserved by Streamlit for the page at "/", never shown
_BY_URL = {spec.url_path: spec for spec in PAGES}


def spec_of(page: st.Page) -> PageSpec:
    """The spec of a page `menu` returned (the default page's URL path is empty)."""
    return _BY_URL.get(page.url_path) or BY_KEY[DEFAULT]


def page_path(spec: PageSpec) -> str:
    return str(PROJECT_ROOT / "pages" / spec.file)


def label(spec: PageSpec, count: int | None = None) -> str:
    """The menu label, with a count of what waits there when there is any: "Warteliste (12)"."""
    name = t(f"nav.{spec.key}")
    return f"{name} ({number(count)})" if count else name


def _page(spec: PageSpec, *, hidden: bool = False, count: int | None = None) -> st.Page:
    return st.Page(
        page_path(spec),
        title=label(spec, count),
        icon=spec.icon,
        url_path=spec.url_path,
        visibility="hidden" if hidden else "visible",
    )


def _root() -> st.Page:
    """The page at "/": the Übersicht, hidden, under a URL of its own. Streamlit serves the
    default page at "/" but reserves its URL too and answers it (a bookmarked /uebersicht)
    with an English "Page not found"; so the listed Übersicht is an ordinary page."""
    spec = BY_KEY[DEFAULT]
    return st.Page(
        page_path(spec),
        title=t(f"nav.{spec.key}"),
        icon=spec.icon,
        url_path=ROOT_URL_PATH,
        default=True,
        visibility="hidden",
    )


def visible(spec: PageSpec, *, is_staff: bool, permissions: frozenset[str] | None) -> bool:
    """Whether the page is in the menu of a viewer with this role and these permissions."""
    if spec.staff_only and not is_staff:
        return False
    return permissions is None or all(name in permissions for name in spec.needs)


def menu(
    *,
    is_staff: bool,
    counts: Mapping[str, int] | None = None,
    permissions: frozenset[str] | None = None,
) -> st.Page:
    """The role's menu in the sidebar; returns the page to run. `counts` (page key -> number,
    components/menu_counts.py) go into the labels; `permissions` (a team member's role) hide
    the pages it does not allow."""
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if not visible(spec, is_staff=is_staff, permissions=permissions):
            continue
        page = _page(spec, count=(counts or {}).get(spec.key))
        sections.setdefault(t(f"nav.section_{spec.section}"), []).append(page)
    sections[t(f"nav.section_{BY_KEY[DEFAULT].section}")].append(_root())
    return st.navigation(sections, position="sidebar", expanded=True)


def hidden_menu() -> st.Page:
    """Before login, and at the very start of every run (before the databases open, which on a
    demo's first start takes a while): every page is known, so a deep link or reload keeps its
    URL, but none is listed. Until a script calls st.navigation, Streamlit would list the
    pages/ folder's own files in the sidebar, staff pages included.
    """
    pages = [_page(spec, hidden=True) for spec in PAGES]
    return st.navigation([*pages, _root()], position="hidden")
