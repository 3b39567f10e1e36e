"""Search-as-you-type over partners (data/access/partners.py): scoped, capped, escaped."""

from __future__ import annotations

import pytest

from core.db import Databases
from data.access import partners
from data.access.viewer import Viewer

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")


def _names(frame) -> list[str]:
    return list(frame["name"])


def test_staff_find_partners_by_name_or_city(world: Databases) -> None:
    assert _names(partners.search_partners(STAFF, world)) == ["Kochschule Alpha", "Weinschule Beta"]
    assert _names(partners.search_partners(STAFF, world, text="  wein ")) == ["Weinschule Beta"]
    assert _names(partners.search_partners(STAFF, world, text="HAMBURG")) == ["Kochschule Alpha"]
    assert partners.search_partners(STAFF, world, text="%").empty  # LIKE wildcards are text
    assert partners.search_partners(STAFF, world, text="_").empty
    assert len(partners.search_partners(STAFF, world, limit=1)) == 1


def test_a_partner_finds_only_itself(world: Databases) -> None:
    assert _names(partners.search_partners(ALPHA, world)) == ["Kochschule Alpha"]
    assert partners.search_partners(ALPHA, world, text="Beta").empty
    assert partners.search_choosable(ALPHA, world, text="Beta").empty
    assert partners.choosable_names(ALPHA, world, partner_ids=[1, 2]) == {1: "Kochschule Alpha"}


@pytest.mark.parametrize("viewing_as", [None, 1])
def test_staff_choose_among_every_partner_whoever_they_view_as(
    world: Databases, viewing_as: int | None
) -> None:
    staff = STAFF.view_as(viewing_as)
    assert _names(partners.search_choosable(staff, world, text="beta")) == ["Weinschule Beta"]
    assert partners.choosable_names(staff, world, partner_ids=[2]) == {2: "Weinschule Beta"}
