"""The menu: which pages exist, for whom, in which section, under which German URL."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components.i18n import t
from core.settings import PROJECT_ROOT


@dataclass(frozen=True)
class PageSpec:
    key: str  # nav.<key> is the label
    file: str  # under pages/
    url_path: str
    icon: str
    section: str  # nav.section_<section>
    staff_only: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "overview.py", "uebersicht", ":material/dashboard:", "business"),
    PageSpec("orders", "orders.py", "bestellungen", ":material/receipt_long:", "business"),
    PageSpec(
        "accounting", "accounting.py", "buchhaltung", ":material/account_balance:", "business"
    ),
    PageSpec("dates", "dates.py", "termine", ":material/calendar_month:", "business"),
    PageSpec("waitlist", "waitlist.py", "warteliste", ":material/hourglass_top:", "business"),
    PageSpec("reviews", "reviews.py", "bewertungen", ":material/star:", "business"),
    PageSpec("marketing", "marketing.py", "marketing", ":material/campaign:", "business"),
    PageSpec("integrations", "integrations.py", "integrationen", ":material/widgets:", "account"),
    PageSpec("news", "news.py", "neuigkeiten", ":material/notifications:", "account"),
    PageSpec("settings", "settings.py", "einstellungen", ":material/settings:", "account"),
    PageSpec("partners", "partners.py", "partner", ":material/storefront:", "staff", True),
    PageSpec("payouts", "payouts.py", "auszahlungen", ":material/payments:", "staff", True),
    PageSpec("moderation", "moderation.py", "moderation", ":material/gavel:", "staff", True),
    PageSpec("outbox", "outbox.py", "postausgang", ":material/outbox:", "staff", True),
    PageSpec("jobs", "jobs.py", "jobs", ":material/schedule:", "staff", True),
)


def page_path(spec: PageSpec) -> str:
    return str(PROJECT_ROOT / "pages" / spec.file)


def _page(spec: PageSpec, *, hidden: bool = False) -> st.Page:
    return st.Page(
        page_path(spec),
        title=t(f"nav.{spec.key}"),
        icon=spec.icon,
        url_path=spec.url_path,
        default=spec.key == "overview",
        visibility="hidden" if hidden else "visible",
    )


def menu(*, is_staff: bool) -> st.Page:
    """The role's menu in the sidebar; returns the page to run."""
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if spec.staff_only and not is_staff:
            continue
        sections.setdefault(t(f"nav.section_{spec.section}"), []).append(_page(spec))
    return st.navigation(sections, position="sidebar", expanded=True)


def hidden_menu() -> st.Page:
    """Before login: every page is known (so a deep link or reload keeps its URL) but hidden."""
    return st.navigation([_page(spec, hidden=True) for spec in PAGES], position="hidden")
