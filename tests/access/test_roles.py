"""Team roles at the data layer: every public data function serves an area and refuses a
member whose role does not allow it (data/access/permissions.py).

The functions are discovered as in tests/access/test_scope.py (a new one is covered without
editing this file) and called, with the same sample arguments, for partner A's owner, its
Buchhaltung and its Team member. A function whose permissions the role lacks must refuse with
`access.no_permission`; one it holds must never refuse for that reason. A public data
function without a permission must be listed in NO_AREA with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.db import Databases
from core.validation import InvalidInput
from data.access.permissions import (
    DATES_READ,
    MONEY_READ,
    NO_PERMISSION,
    ORDERS_READ,
    REVIEWS_WRITE,
    ROLE_ACCOUNTING,
    ROLE_OWNER,
    ROLE_PERMISSIONS,
    ROLE_TEAM,
    TEAM_MANAGE,
    WAITLIST_READ,
    permissions_of,
    role_permissions,
)
from data.access.viewer import ScopeError, Viewer
from tests.access.test_scope import SAMPLE_KWARGS, _viewer_functions
from tests.conftest import fresh_databases
from tests.support.demand import add_date_requests
from tests.support.minimums import add_minimums
from tests.support.worlds import build_world

# Public viewer functions that serve no area of a partner's business, with the reason.
NO_AREA = {
    "data.comms.member_digest.queue_digests": "the digest job's work over every member (system)",
    "data.access.partners.search_partners": "partner names: staff's picker, a partner's own",
    "data.access.partners.search_choosable": "partner names: staff's picker, a partner's own",
    "data.access.partners.choosable_names": "partner names: staff's picker, a partner's own",
    "data.access.totp.status": "the member's own account",
    "data.access.totp.start_enrollment": "the member's own account",
    "data.access.totp.confirm_enrollment": "the member's own account",
    "data.access.totp.disable": "the member's own account",
    "data.access.totp.accounts_with_2fa": "staff only (require_staff)",
    "data.access.totp.reset": "staff only (require_staff)",
    "data.integrations.webhooks.claim_deliveries": "the delivery job's work (require_system)",
    "data.integrations.webhooks.record_attempts": "the delivery job's work (require_system)",
    "data.integrations.webhooks.purge_log": "the delivery job's work (require_system)",
    "data.reviews.requests.queue_due_requests": "the request job's work over every partner",
    "data.access.permissions.check": "the rule itself",
    "data.access.permissions.allows": "the rule itself, for menus",
    "data.access.partners.choosable_partners": "staff only (require_staff)",
    "data.access.partners.list_partners": "staff only (require_staff)",
    "data.access.resets.send_reset_link": "staff only (require_staff)",
    "data.access.users.account_list": "staff only (require_staff)",
    "data.access.scope.product_ids": "the scope helper every area's query is built on",
    "data.access.scope.product_partner_map": "the scope helper every area's query is built on",
    "data.access.sessions.count_sessions": "the member's own account",
    "data.access.sessions.end_all_sessions": "the member's own account",
    "data.access.users.change_password": "the member's own account",
    "data.access.users.set_locale": "the member's own account",
    "data.access.team.my_prefs": "the member's own notification choices",
    "data.access.team.save_my_prefs": "the member's own notification choices",
    "data.bookings.ledger.ensure_fresh": "copies the shop's new orders for whichever page reads "
    "the ledger next (Bestellungen or Buchhaltung); returns nothing",
    "data.shop.catalog.list_courses": "the partner's course names, public in the shop; every "
    "area's filters list them",
    "data.news.announcements.feed": "Neuigkeiten reach every member",
    "data.news.announcements.unread_count": "Neuigkeiten reach every member",
    "data.news.announcements.mark_read": "Neuigkeiten reach every member",
    "data.news.announcements.digest_choice": "the member's own digest choice",
    "data.news.announcements.save_digest_choice": "the member's own digest choice",
    "data.news.announcements.save_announcement": "staff only (require_staff)",
    "data.news.announcements.withdraw_announcement": "staff only (require_staff)",
    "data.news.announcements.staff_list": "staff only (require_staff)",
    "data.news.announcements.queue_digests": "the jobs sidecar (require_system)",
}
NO_AREA |= {
    f"data.comms.outbox.{name}": "staff and the jobs sidecar only"
    for name in (
        "claim_due",
        "count_due",
        "due_messages",
        "get_message",
        "list_messages",
        "mark_failed",
        "mark_sent",
        "release",
        "resend",
        "status_counts",
    )
}
NO_AREA |= {
    f"data.ops.job_runs.{name}": "the jobs sidecar and staff only"
    for name in (
        "close_interrupted",
        "finish_run",
        "last_runs",
        "list_runs",
        "schedule_marks",
        "start_run",
    )
}


def _member(role: str) -> Viewer:
    return Viewer(user_id=10, role="partner", partner_id=1, permissions=role_permissions(role))


def test_roles_map_to_the_agreed_permissions() -> None:
    assert role_permissions(ROLE_OWNER) is None  # everything, invites too
    assert role_permissions(None) is None  # partner users from before teams are owners
    assert ROLE_PERMISSIONS[ROLE_ACCOUNTING] == {MONEY_READ}
    team = ROLE_PERMISSIONS[ROLE_TEAM]
    assert team is not None
    assert {ORDERS_READ, DATES_READ, WAITLIST_READ, REVIEWS_WRITE} <= team
    assert MONEY_READ not in team and TEAM_MANAGE not in team
    with pytest.raises(ValueError):
        role_permissions("boss")


def test_every_public_data_function_names_its_permissions() -> None:
    missing = [
        qualname
        for qualname, fn in _viewer_functions()
        if not permissions_of(fn) and qualname not in NO_AREA
    ]
    assert missing == [], f"data functions without @requires(...): {missing}"
    stale = set(NO_AREA) - {qualname for qualname, _ in _viewer_functions()}
    assert stale == set(), f"NO_AREA lists functions that no longer exist: {stale}"


def _outcome(fn: Callable, qualname: str, viewer: Viewer, db: Databases) -> str:
    try:
        fn(viewer, db, **SAMPLE_KWARGS.get(qualname, {}))
    except ScopeError as exc:
        return "no permission" if exc.key == NO_PERMISSION else f"refused: {exc.key}"
    except InvalidInput as exc:
        return f"invalid: {exc.key}"
    return "ok"


@pytest.mark.parametrize("backend", ["sqlite", "server"])
def test_each_role_is_refused_exactly_what_it_lacks(backend: str, tmp_path: Path) -> None:
    with fresh_databases(backend, tmp_path) as db:
        build_world(db)
        add_date_requests(db)
        add_minimums(db)
        for role in (ROLE_ACCOUNTING, ROLE_TEAM):
            held = ROLE_PERMISSIONS[role]
            assert held is not None
            viewer = _member(role)
            for qualname, fn in _viewer_functions():
                needed = permissions_of(fn)
                if not needed:
                    continue
                outcome = _outcome(fn, qualname, viewer, db)
                if needed <= held:
                    assert outcome != "no permission", f"{role} refused {qualname}"
                else:
                    assert outcome == "no permission", f"{role} got {qualname}: {outcome}"


def test_the_roles_split_the_areas_as_the_issue_says() -> None:
    by_name = dict(_viewer_functions())
    money = ("data.money.payouts.list_payouts", "data.money.revenue.summary")
    business = (
        "data.bookings.listing.list_bookings",
        "data.bookings.decisions.decide",
        "data.dates.course_dates.list_dates",
        "data.demand.waitlist.list_entries",
        "data.overview.average_rating",
    )
    team, accounting = ROLE_PERMISSIONS[ROLE_TEAM], ROLE_PERMISSIONS[ROLE_ACCOUNTING]
    assert team is not None and accounting is not None
    for name in money:
        assert not permissions_of(by_name[name]) <= team
        assert permissions_of(by_name[name]) <= accounting
    for name in business:
        assert permissions_of(by_name[name]) <= team
        assert not permissions_of(by_name[name]) <= accounting


def test_a_team_member_calling_a_payout_function_is_refused() -> None:
    from data.money.payouts import list_payouts

    with pytest.raises(ScopeError) as refusal:
        list_payouts(_member(ROLE_TEAM), Databases.__new__(Databases))  # no database touched
    assert refusal.value.key == NO_PERMISSION
