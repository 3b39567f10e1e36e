"""The permission rule that team roles and API keys share (data/access/permissions.py)."""

from __future__ import annotations

import pytest

from data.access.permissions import (
    DATES_READ,
    MONEY_READ,
    NO_PERMISSION,
    check,
    permissions_of,
    requires,
)
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import ROLE_PARTNER


@requires(MONEY_READ)
def _revenue(viewer: Viewer, *, month: int) -> str:
    return f"revenue {month} for {viewer.partner_id}"


def test_a_viewer_without_a_set_may_do_what_its_role_allows() -> None:
    owner = Viewer(user_id=1, role=ROLE_PARTNER, partner_id=7)
    assert _revenue(owner, month=3) == "revenue 3 for 7"


def test_a_member_without_the_permission_is_refused_before_the_function_runs() -> None:
    team = Viewer(user_id=2, role=ROLE_PARTNER, partner_id=7, permissions=frozenset({DATES_READ}))
    with pytest.raises(ScopeError) as refusal:
        _revenue(team, month=3)
    assert refusal.value.key == NO_PERMISSION
    check(team, DATES_READ)  # held: no refusal


def test_the_decorated_function_names_what_it_needs() -> None:
    assert permissions_of(_revenue) == {MONEY_READ}
    with pytest.raises(ValueError, match="unknown permissions"):
        requires("money:steal")
