"""Benchmark: the `member-digest` job's run (one mail per digest member and day).

Usage (from the project root):

    .venv/bin/python -m bench.bench_member_digest [--partners 500] [--members 3] [--items 10]

Builds a portal database (SQLite in a temporary directory) with N partners, each with M Team
members who chose the daily digest, each member holding K collected items (new bookings).
Times `member_digest.queue_digests` once over all of them (the 07:00 run), then the rerun
that finds nothing new, and prints the seconds and mails per second.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

from sqlalchemy import insert

from bench.rows import partner_rows
from core import links
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.permissions import ROLE_TEAM
from data.access.viewer import SYSTEM
from data.comms.member_digest import queue_digests

NOW = datetime(2026, 12, 7, 6, 0)  # 07:00 Berlin


def _fill(db: Databases, partners: int, members: int, items: int) -> None:
    users, rows = [], []
    user_id = 0
    for partner in range(1, partners + 1):
        for _ in range(members):
            user_id += 1
            users.append(
                {"user_id": user_id, "username": f"u{user_id}", "display_name": f"U {user_id}",
                 "email": f"u{user_id}@example.org", "password_hash": "x", "role": "partner",
                 "partner_id": partner, "member_role": ROLE_TEAM}
            )  # fmt: skip
            for k in range(items):
                rows.append(
                    {"user_id": user_id, "partner_id": partner, "event": "new_booking",
                     "subject": f"Kurs {k}", "context": {"url": links.order_url(k + 1)},
                     "dedupe_key": f"b:{user_id}:{k}", "created_at": NOW - timedelta(hours=k)}
                )  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(partners))
        conn.execute(insert(p.users), users)
        conn.execute(insert(p.member_digest_items), rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--items", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'portal.sqlite'}")
        db = Databases(magento=engine, magento_read=engine, portal=engine)
        upgrade_portal(db.portal)
        _fill(db, args.partners, args.members, args.items)
        members = args.partners * args.members
        print(f"{members} digest members, {args.items} items each")
        started = perf_counter()
        queued = queue_digests(SYSTEM, db, now=NOW)
        seconds = perf_counter() - started
        print(f"07:00 run: {queued} mails in {seconds:.2f} s ({queued / seconds:.0f} mails/s)")
        started = perf_counter()
        again = queue_digests(SYSTEM, db, now=NOW + timedelta(minutes=5))
        print(f"rerun: {again} mails in {(perf_counter() - started) * 1000:.1f} ms")
        db.dispose()


if __name__ == "__main__":
    main()
