"""Neuigkeiten on SQLite, MariaDB + PostgreSQL: who sees which announcement and when, reads and
the badge, staff-only writing with German refusals, read shares, and the weekly digest."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from core.db import Databases
from core.validation import InvalidInput
from data import portal_schema as p
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.news import announcements as news
from jobs.registry import TASKS

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime(2026, 12, 7, 9, 0)  # a Monday morning (UTC)


@pytest.fixture
def shop(shop: Databases) -> Databases:
    """The two-partner world without its announcements: each test writes its own."""
    _no_news(shop)
    return shop


def _no_news(db: Databases) -> None:
    with db.portal.begin() as conn:
        for table in (p.announcement_reads, p.announcement_partners, p.announcements):
            conn.execute(delete(table))


def _draft(title: str = "Wartung am Dienstag", **changes: object) -> news.Draft:
    fields: dict[str, object] = {
        "title": title,
        "body": "Das Portal ist **kurz** nicht erreichbar.",
        "category": "maintenance",
        "publish_at": NOW - timedelta(hours=1),
    }
    return news.Draft(**{**fields, **changes})  # type: ignore[arg-type]


def _count(db: Databases) -> int:
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(p.announcements)).scalar())


def _titles(viewer: Viewer, db: Databases, now: datetime = NOW) -> list[str]:
    return news.feed(viewer, db, now=now)["title"].tolist()


def test_each_partner_sees_what_is_for_all_or_for_it_pinned_first(shop: Databases) -> None:
    news.save_announcement(STAFF, shop, draft=_draft("Für alle"), now=NOW)
    news.save_announcement(STAFF, shop, draft=_draft("Nur Alpha", partner_ids=(1,)), now=NOW)
    news.save_announcement(STAFF, shop, draft=_draft("Nur Beta", partner_ids=(2,)), now=NOW)
    pinned = _draft("Angeheftet", pinned=True, publish_at=NOW - timedelta(days=3))
    news.save_announcement(STAFF, shop, draft=pinned, now=NOW)
    assert _titles(ALPHA, shop) == ["Angeheftet", "Nur Alpha", "Für alle"]
    assert _titles(BETA, shop) == ["Angeheftet", "Nur Beta", "Für alle"]
    assert sorted(_titles(STAFF, shop)) == ["Angeheftet", "Für alle", "Nur Alpha", "Nur Beta"]


def test_a_scheduled_one_appears_at_its_moment_and_a_withdrawn_one_goes(shop: Databases) -> None:
    later = news.save_announcement(
        STAFF, shop, draft=_draft("Nächste Woche", publish_at=NOW + timedelta(days=7)), now=NOW
    )
    assert _titles(ALPHA, shop) == []
    assert news.unread_count(ALPHA, shop, now=NOW) == 0
    assert _titles(ALPHA, shop, NOW + timedelta(days=7)) == ["Nächste Woche"]
    assert news.withdraw_announcement(STAFF, shop, announcement_id=later, now=NOW) is True
    assert news.withdraw_announcement(STAFF, shop, announcement_id=later, now=NOW) is False
    assert _titles(ALPHA, shop, NOW + timedelta(days=8)) == []


def test_reading_lowers_the_badge_once_and_only_for_that_user(shop: Databases) -> None:
    first = news.save_announcement(STAFF, shop, draft=_draft("Eins"), now=NOW)
    news.save_announcement(STAFF, shop, draft=_draft("Zwei"), now=NOW)
    beta_only = news.save_announcement(STAFF, shop, draft=_draft("B", partner_ids=(2,)), now=NOW)
    assert news.unread_count(ALPHA, shop, now=NOW) == 2
    assert news.mark_read(ALPHA, shop, announcement_ids=[first, first], now=NOW) == 1
    assert news.mark_read(ALPHA, shop, announcement_ids=[first], now=NOW) == 0  # once
    assert news.mark_read(ALPHA, shop, announcement_ids=[beta_only], now=NOW) == 0  # not A's
    assert news.unread_count(ALPHA, shop, now=NOW) == 1
    assert news.unread_count(BETA, shop, now=NOW) == 3
    feed = news.feed(ALPHA, shop, now=NOW)
    assert dict(zip(feed["title"], feed["read"], strict=True)) == {"Eins": True, "Zwei": False}


def test_staff_see_how_many_of_the_partners_read_each(shop: Databases) -> None:
    for_all = news.save_announcement(STAFF, shop, draft=_draft("Für alle"), now=NOW)
    news.save_announcement(STAFF, shop, draft=_draft("Nur Alpha", partner_ids=(1,)), now=NOW)
    news.mark_read(ALPHA, shop, announcement_ids=[for_all], now=NOW)
    news.mark_read(STAFF, shop, announcement_ids=[for_all], now=NOW)  # staff count for no one
    listed = news.staff_list(STAFF, shop).set_index("title")
    assert listed.loc["Für alle", "partners_read"] == 1
    assert listed.loc["Für alle", "audience"] == 2
    assert listed.loc["Nur Alpha", "partners_read"] == 0
    assert listed.loc["Nur Alpha", "audience"] == 1


def test_only_staff_write_withdraw_or_list(shop: Databases) -> None:
    with pytest.raises(ScopeError):
        news.save_announcement(ALPHA, shop, draft=_draft(), now=NOW)
    with pytest.raises(ScopeError):
        news.staff_list(ALPHA, shop)
    made = news.save_announcement(STAFF, shop, draft=_draft(), now=NOW)
    with pytest.raises(ScopeError):
        news.withdraw_announcement(BETA, shop, announcement_id=made, now=NOW)
    assert _count(shop) == 1


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"title": "   "}, "news.title_missing"),
        ({"title": "x" * 201}, "news.title_too_long"),
        ({"body": ""}, "news.body_missing"),
        ({"body": "x" * 20_001}, "news.body_too_long"),
        ({"category": "<script>"}, "news.category_unknown"),
        ({"publish_at": datetime(9999, 12, 31)}, "news.publish_out_of_range"),
        ({"partner_ids": (1, 999_999_999)}, "news.partner_unknown"),
    ],
)
def test_bad_input_is_refused_in_german_and_nothing_is_stored(
    shop: Databases, changes: dict[str, object], key: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        news.save_announcement(STAFF, shop, draft=_draft(**changes), now=NOW)
    assert refused.value.key == key
    assert _count(shop) == 0


def test_the_same_form_sent_twice_publishes_once(shop: Databases) -> None:
    token = secrets.token_urlsafe(24)
    news.save_announcement(STAFF, shop, draft=_draft(), token=token, now=NOW)
    with pytest.raises(InvalidInput):
        news.save_announcement(STAFF, shop, draft=_draft(), token=token, now=NOW)
    assert _count(shop) == 1


def _digests(db: Databases) -> list[dict]:
    query = select(p.outbox).where(p.outbox.c.template == "news_digest")
    with db.portal.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def test_the_weekly_digest_goes_once_a_week_to_who_chose_it(shop: Databases) -> None:
    news.save_announcement(STAFF, shop, draft=_draft("Neue Funktion"), now=NOW)
    news.save_announcement(STAFF, shop, draft=_draft("Alt", publish_at=NOW - timedelta(days=9)))
    news.save_digest_choice(ALPHA, shop, weekly=True, now=NOW)
    assert news.digest_choice(ALPHA, shop) and not news.digest_choice(BETA, shop)
    with pytest.raises(ScopeError):
        news.queue_digests(ALPHA, shop, now=NOW)
    assert news.queue_digests(SYSTEM, shop, now=NOW) == 1
    assert news.queue_digests(SYSTEM, shop, now=NOW + timedelta(days=3)) == 0  # same week
    (mail,) = _digests(shop)
    assert mail["recipient"] == "team@alpha.example" and mail["partner_id"] == 1
    assert [i["title"] for i in mail["payload"]["items"]] == ["Neue Funktion"]  # last 7 days
    # Next week: the item is read, so there is nothing to tell.
    news.mark_read(ALPHA, shop, announcement_ids=news.feed(ALPHA, shop)["announcement_id"])
    assert news.queue_digests(SYSTEM, shop, now=NOW + timedelta(days=7)) == 0


def test_the_digest_task_is_registered() -> None:
    assert TASKS["news-digest"].summary("de").startswith("Neuigkeiten")
