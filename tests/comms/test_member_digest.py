"""A team member's daily digest: items collected instead of single mails, one digest mail per
member and day listing them all, nothing sent twice, nothing of another partner."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from core import links
from core.db import Databases
from core.settings import Settings
from data.access.permissions import ROLE_ACCOUNTING, ROLE_TEAM
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.bookings import ledger
from data.comms.member_digest import queue_digests
from data.comms.notifications import recipients
from data.portal_schema import member_digest_items, member_prefs, outbox, users
from jobs.registry import TASKS
from jobs.runner import JobContext, RunStatus, run_task
from messaging.render import render
from tests.support.shop import Customer, Item, add_order
from tests.support.worlds import build_world

NOW = datetime(2025, 11, 19, 11, 0)  # 12:00 Berlin, Wednesday
DIGEST_RUN = datetime(2025, 11, 20, 6, 0)  # 07:00 Berlin the next morning
RECENT = NOW - timedelta(minutes=30)
TINA, ANTON, BEA = 40, 41, 50  # A's digest member, A's member without digest, B's digest member


@pytest.fixture
def db(databases: Databases) -> Databases:
    """The two-partner world, ledger synced once (history), three members with their prefs."""
    build_world(databases, sync=False, now=NOW)
    ledger.sync_ledger(SYSTEM, databases, now=NOW)
    with databases.portal.begin() as conn:
        for user_id, partner_id, name, digest in (
            (TINA, 1, "tina", True),
            (ANTON, 1, "anton", False),
            (BEA, 2, "bea", True),
        ):
            conn.execute(
                insert(users).values(
                    user_id=user_id,
                    username=name,
                    display_name=name.title(),
                    email=f"{name}@example.org",
                    password_hash="x",
                    role="partner",
                    partner_id=partner_id,
                    member_role=ROLE_TEAM,
                )
            )
            for event in ("new_booking", "payout"):
                conn.execute(
                    insert(member_prefs).values(
                        user_id=user_id,
                        event=event,
                        email_enabled=True,
                        daily_digest=digest,
                        updated_at=NOW,
                    )
                )
    return databases


def _order(db: Databases, order_id: int, items: list[tuple[int, int, int]]) -> None:
    """A new order with items (item_id, product_id, date_id), one ticket each."""
    with db.magento.begin() as conn:
        add_order(
            conn,
            order_id=order_id,
            items=[
                Item(item_id, product, date_id, 1, "89.00") for item_id, product, date_id in items
            ],
            created_at=RECENT,
            customer=Customer("Nora", "Neu", "nora@example.org"),
        )


def _book(db: Databases) -> None:
    # Order 1006 is shared: A's item 5007 and B's item 5008; 1009 is A's alone.
    _order(db, 1006, [(5007, 101, 13), (5008, 201, 21)])
    _order(db, 1009, [(5011, 102, 12)])
    ledger.sync_ledger(SYSTEM, db, now=NOW)


def _items(db: Databases) -> list[dict]:
    query = select(member_digest_items).order_by(member_digest_items.c.dedupe_key)
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _mails(db: Databases, template: str) -> list[dict]:
    query = select(outbox).where(outbox.c.template == template).order_by(outbox.c.dedupe_key)
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def test_digest_members_get_items_instead_of_mails(db: Databases) -> None:
    found = recipients(SYSTEM.view_as(1), db, event="new_booking", now=NOW)
    assert {r.address: r.digest_user_id for r in found if "example.org" in r.address} == {
        "tina@example.org": TINA,
        "anton@example.org": None,
    }
    _book(db)
    mailed = {m["recipient"] for m in _mails(db, ledger.NOTIFY_TEMPLATE)}
    assert "anton@example.org" in mailed  # no digest: one by one as before
    assert not {"tina@example.org", "bea@example.org"} & mailed
    items = _items(db)
    assert [(i["user_id"], i["partner_id"], i["dedupe_key"]) for i in items] == [
        (TINA, 1, f"new_booking:5007:digest:{TINA}"),
        (BEA, 2, f"new_booking:5008:digest:{BEA}"),
        (TINA, 1, f"new_booking:5011:digest:{TINA}"),
    ]
    assert {i["digested_at"] for i in items} == {None}
    assert items[0]["context"]["url"] == links.order_url(1006)
    # A later sync of the same orders collects nothing twice.
    ledger.sync_ledger(SYSTEM, db, now=NOW, lookback_seconds=3600)
    assert len(_items(db)) == 3


def test_one_mail_per_member_and_day_with_all_items_once(db: Databases) -> None:
    _book(db)
    assert queue_digests(SYSTEM, db, now=DIGEST_RUN) == 2
    mails = {m["recipient"]: m for m in _mails(db, "member_digest")}
    assert set(mails) == {"tina@example.org", "bea@example.org"}
    tina, bea = mails["tina@example.org"], mails["bea@example.org"]
    assert tina["dedupe_key"] == f"member_digest:{TINA}:2025-11-20"
    assert tina["partner_id"] == 1 and bea["partner_id"] == 2
    assert [i["url"] for i in tina["payload"]["items"]] == [
        links.order_url(1006),
        links.order_url(1009),
    ]
    # B's member hears of B's item of the shared order only, A's member nothing of B's.
    assert [i["url"] for i in bea["payload"]["items"]] == [links.order_url(1006)]
    rendered = render(
        "member_digest", locale="de", channel="email", payload=tina["payload"]
    )  # the links the real mail carries are the followed order links
    assert links.order_url(1006) in rendered.text and links.order_url(1009) in rendered.html
    assert all(i["digested_at"] == DIGEST_RUN for i in _items(db))

    # A rerun the same morning sends nothing again.
    assert queue_digests(SYSTEM, db, now=DIGEST_RUN + timedelta(minutes=5)) == 0
    assert len(_mails(db, "member_digest")) == 2


def test_an_item_after_the_days_digest_waits_for_the_next_one(db: Databases) -> None:
    _book(db)
    assert queue_digests(SYSTEM, db, now=DIGEST_RUN) == 2
    later = DIGEST_RUN + timedelta(hours=2)
    with db.portal.begin() as conn:
        conn.execute(
            insert(member_digest_items).values(
                user_id=TINA,
                partner_id=1,
                event="new_booking",
                subject="Pasta",
                context={"url": links.order_url(1010)},
                dedupe_key="late",
                created_at=later,
            )
        )
    # The same day's digest went out already: the item stays pending, nothing is lost.
    assert queue_digests(SYSTEM, db, now=later + timedelta(minutes=1)) == 0
    assert [i["digested_at"] for i in _items(db) if i["dedupe_key"] == "late"] == [None]
    assert queue_digests(SYSTEM, db, now=DIGEST_RUN + timedelta(days=1)) == 1
    (newest,) = [m for m in _mails(db, "member_digest") if m["dedupe_key"].endswith("-21")]
    assert newest["dedupe_key"] == f"member_digest:{TINA}:2025-11-21"
    assert [i["url"] for i in newest["payload"]["items"]] == [links.order_url(1010)]


def test_the_role_at_send_time_applies(db: Databases) -> None:
    _book(db)
    with db.portal.begin() as conn:  # Tina moves to Buchhaltung: no bookings any more
        conn.execute(
            update(users).where(users.c.user_id == TINA).values(member_role=ROLE_ACCOUNTING)
        )
    assert queue_digests(SYSTEM, db, now=DIGEST_RUN) == 1
    assert [m["recipient"] for m in _mails(db, "member_digest")] == ["bea@example.org"]
    assert {i["digested_at"] for i in _items(db)} == {DIGEST_RUN}  # dropped, not kept forever


def test_only_the_sidecar_queues_digests(db: Databases) -> None:
    with pytest.raises(ScopeError):
        queue_digests(Viewer(user_id=10, role="partner", partner_id=1), db, now=DIGEST_RUN)


def test_the_job_is_registered_and_runs_once_a_day(db: Databases, tmp_path: Path) -> None:
    _book(db)
    task = TASKS["member-digest"]
    assert task.summary("de").startswith("Team:")
    ctx = JobContext(
        settings=Settings(
            magento_url=db.magento.url.render_as_string(hide_password=False),
            magento_read_url=None,
            portal_url=db.portal.url.render_as_string(hide_password=False),
            demo_dir=tmp_path,
            cookie_key="k" * 32,
        ),
        db=db,
        now=DIGEST_RUN,
    )
    dry = run_task(task, replace(ctx, dry_run=True))
    assert dry.status is RunStatus.OK and not _mails(db, "member_digest")
    report = run_task(task, ctx)
    assert report.status is RunStatus.OK
    assert report.result is not None and report.result.processed == 2
    again = run_task(task, ctx)
    assert again.result is not None and again.result.processed == 0
