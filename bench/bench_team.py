"""Benchmark: what the team costs on the hot paths.

Usage (from the project root):

    .venv/bin/python -m bench.bench_team [--partners 500] [--members 5]

Builds a portal database (SQLite in a temporary directory) with N partners, each with an
owner and M members who chose events by email and SMS (some with quiet hours or the daily
digest). Then times `notifications.recipients` for a new booking (the booking ledger asks it
once per partner per sync run) and the data layer's refusal of a Team member calling a payout
function (`@requires`, before any query), and prints p50/p95.
"""

from __future__ import annotations

import argparse
import tempfile
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from statistics import quantiles
from time import perf_counter

from sqlalchemy import insert

from bench.rows import partner_rows
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.permissions import ROLE_ACCOUNTING, ROLE_TEAM, role_permissions
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.comms.notifications import recipients
from data.money.payouts import list_payouts

NOW = datetime(2026, 12, 7, 20, 30)  # 21:30 Berlin: inside the members' quiet hours


def _fill(db: Databases, partners: int, members: int) -> None:
    users, prefs = [], []
    user_id = 0
    for partner in range(1, partners + 1):
        for m in range(members + 1):
            user_id += 1
            role = "owner" if m == 0 else (ROLE_TEAM if m % 2 else ROLE_ACCOUNTING)
            users.append(
                {"user_id": user_id, "username": f"u{user_id}", "display_name": f"U {user_id}",
                 "email": f"u{user_id}@example.org", "password_hash": "x", "role": "partner",
                 "partner_id": partner, "member_role": role}
            )  # fmt: skip
            for event in ("new_booking", "payout", "waitlist"):
                prefs.append(
                    {"user_id": user_id, "event": event, "email_enabled": True,
                     "sms_enabled": m % 3 == 0, "phone": "+4915123456789",
                     "quiet_from": "21:00" if m % 2 else None,
                     "quiet_until": "07:00" if m % 2 else None,
                     "daily_digest": m == 4, "updated_at": NOW}
                )  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(partners))
        conn.execute(insert(p.users), users)
        conn.execute(insert(p.member_prefs), prefs)


def _figures(name: str, samples: list[float], unit: str = "ms") -> None:
    cuts = quantiles(samples, n=20)
    print(f"{name}: p50 {cuts[9]:.3f} {unit}, p95 {cuts[18]:.3f} {unit} ({len(samples)} calls)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--members", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'portal.sqlite'}")
        db = Databases(magento=engine, magento_read=engine, portal=engine)
        upgrade_portal(db.portal)
        _fill(db, args.partners, args.members)
        print(f"{args.partners} partners, {args.members} members each")
        times = []
        for i in range(300):
            viewer = SYSTEM.view_as(1 + i % args.partners)
            started = perf_counter()
            found = recipients(viewer, db, event="new_booking", now=NOW)
            times.append((perf_counter() - started) * 1000)
        _figures(f"recipients(new_booking) -> {len(found)} recipients", times)
        team = Viewer(1, "partner", partner_id=1, permissions=role_permissions(ROLE_TEAM))
        times = []
        for _ in range(10_000):
            started = perf_counter()
            with suppress(ScopeError):
                list_payouts(team, db)
            times.append((perf_counter() - started) * 1_000_000)
        _figures("Team calling list_payouts (refused)", times, unit="µs")
        db.dispose()


if __name__ == "__main__":
    main()
