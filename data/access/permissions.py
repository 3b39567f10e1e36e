"""What a viewer may do, beyond whose data it sees: one rule for team roles and API keys.

A partner's team member (Inhaber, Buchhaltung, Team) and a partner-API key both narrow a
partner viewer to a set of permissions; the data layer checks them with `@requires(...)` on
each public function, so a page that hides a menu item or a route that forgets a check is
never the only protection. A viewer without a set (`permissions=None`: staff, the jobs
sidecar, a partner's owner) has every permission its role allows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from data.access.viewer import ScopeError, Viewer

ORDERS_READ = "orders:read"
ORDERS_WRITE = "orders:write"  # confirm or reject a booking
DATES_READ = "dates:read"
DATES_WRITE = "dates:write"  # dates, series, minimums
REVIEWS_READ = "reviews:read"
REVIEWS_WRITE = "reviews:write"  # answers, review-request settings
WAITLIST_READ = "waitlist:read"  # waitlist entries and date requests
WAITLIST_WRITE = "waitlist:write"
MONEY_READ = "money:read"  # revenue, payouts, credit notes, commission
TEAM_MANAGE = "team:manage"  # invite and remove members, API keys, webhooks
SETTINGS_WRITE = "settings:write"  # the partner's notification, SMS and widget settings

ALL = frozenset(
    {
        ORDERS_READ,
        ORDERS_WRITE,
        DATES_READ,
        DATES_WRITE,
        REVIEWS_READ,
        REVIEWS_WRITE,
        WAITLIST_READ,
        WAITLIST_WRITE,
        MONEY_READ,
        TEAM_MANAGE,
        SETTINGS_WRITE,
    }
)

NO_PERMISSION = "access.no_permission"

P = ParamSpec("P")
R = TypeVar("R")


def check(viewer: Viewer, *needed: str) -> None:
    """Refuse (ScopeError) unless the viewer holds every permission in `needed`."""
    if viewer.permissions is None:
        return
    missing = [name for name in needed if name not in viewer.permissions]
    if missing:
        raise ScopeError(NO_PERMISSION, permission=missing[0])


def requires(
    *needed: str,
) -> Callable[[Callable[Concatenate[Viewer, P], R]], Callable[Concatenate[Viewer, P], R]]:
    """Decorate a public data function (viewer first) so that it refuses a viewer lacking
    any of `needed` before it touches a database."""
    unknown = set(needed) - ALL
    if unknown:
        raise ValueError(f"unknown permissions {sorted(unknown)}")

    def decorate(func: Callable[Concatenate[Viewer, P], R]) -> Callable[Concatenate[Viewer, P], R]:
        @functools.wraps(func)
        def checked(viewer: Viewer, /, *args: P.args, **kwargs: P.kwargs) -> R:
            check(viewer, *needed)
            return func(viewer, *args, **kwargs)

        checked.__permissions__ = frozenset(needed)  # type: ignore[attr-defined]
        return checked

    return decorate


def permissions_of(func: Callable[..., object]) -> frozenset[str]:
    """The permissions a decorated data function needs (empty when it is not decorated)."""
    return frozenset(getattr(func, "__permissions__", frozenset()))


# The roles of a partner's team (miomente_users.member_role). The owner (Inhaber) may do
# everything and invites; Buchhaltung sees money and documents only; Team runs the daily
# business — bookings, dates, waitlist, reviews — but sees no money and manages nobody. The
# partner's settings stay the owner's: they route the payout mails (credit notes with their
# amounts) and hold the widget and SMS settings, so a Team member could otherwise send money
# mail to itself. Staff and the jobs sidecar have no member role (permissions None).
ROLE_OWNER, ROLE_ACCOUNTING, ROLE_TEAM = "owner", "accounting", "team"
MEMBER_ROLES = (ROLE_OWNER, ROLE_ACCOUNTING, ROLE_TEAM)
ROLE_PERMISSIONS: dict[str, frozenset[str] | None] = {
    ROLE_OWNER: None,
    ROLE_ACCOUNTING: frozenset({MONEY_READ}),
    ROLE_TEAM: frozenset(
        {
            ORDERS_READ,
            ORDERS_WRITE,
            DATES_READ,
            DATES_WRITE,
            REVIEWS_READ,
            REVIEWS_WRITE,
            WAITLIST_READ,
            WAITLIST_WRITE,
        }
    ),
}


def role_permissions(member_role: str | None) -> frozenset[str] | None:
    """What a partner user with `member_role` may do (None: everything; a missing role is the
    owner's, as for every partner user from before teams)."""
    if member_role is None:
        return None
    if member_role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown member role {member_role!r}")
    return ROLE_PERMISSIONS[member_role]


def allows(viewer: Viewer, *needed: str) -> bool:
    """Whether `check` would let the viewer through (for menus and page sections)."""
    return viewer.permissions is None or all(name in viewer.permissions for name in needed)
