"""Partner-API keys: made once, stored as a hash, scoped, revoked and expired."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import Databases
from core.validation import InvalidInput
from data.access.permissions import (
    DATES_READ,
    DATES_WRITE,
    NO_PERMISSION,
    ORDERS_READ,
    TEAM_MANAGE,
)
from data.access.viewer import ScopeError, Viewer
from data.integrations.api_keys import KEY_PATTERN, create_key, key_viewer, list_keys, revoke_key
from data.portal_schema import api_keys
from tests.support.widget import NOW, PARTNER_A, PARTNER_B, WidgetWorld, rebuild

STAFF = Viewer(user_id=99, role="staff")


@pytest.fixture
def world(module_databases: Databases) -> WidgetWorld:
    return rebuild(module_databases)


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(world: WidgetWorld) -> None:
    made = create_key(PARTNER_A, world.db, name="  Warenwirtschaft ", scopes=[ORDERS_READ], now=NOW)
    assert KEY_PATTERN.fullmatch(made.secret)
    assert made.secret.startswith(made.prefix + "_")
    assert made.expires_at == NOW + timedelta(days=365)
    with world.db.portal.connect() as conn:
        row = conn.execute(select(api_keys)).mappings().one()
    assert row["secret_hash"] == hashlib.sha256(made.secret.encode()).hexdigest()
    assert made.secret not in {str(v) for v in row.values()}
    assert row["name"] == "Warenwirtschaft"
    listed = list_keys(PARTNER_A, world.db)
    assert "secret_hash" not in listed.columns
    assert listed.iloc[0]["prefix"] == made.prefix


def test_a_key_reads_as_its_partner_narrowed_to_its_scopes(world: WidgetWorld) -> None:
    made = create_key(PARTNER_A, world.db, name="Sync", scopes=[DATES_WRITE], now=NOW)
    assert made.scopes == (DATES_READ, DATES_WRITE)  # writing a date reads it first
    use = key_viewer(world.db, secret=made.secret, now=NOW)
    assert use is not None
    assert use.viewer.partner_id == 1 and use.viewer.role == "partner"
    assert use.viewer.permissions == {DATES_READ, DATES_WRITE}
    with world.db.portal.connect() as conn:
        assert conn.execute(select(api_keys.c.last_used_at)).scalar_one() == NOW


def test_a_wrong_revoked_or_expired_key_is_unknown(world: WidgetWorld) -> None:
    made = create_key(PARTNER_A, world.db, name="Kurz", scopes=[ORDERS_READ], expiry="30d", now=NOW)
    tampered = made.secret[:-1] + ("A" if made.secret[-1] != "A" else "B")
    assert key_viewer(world.db, secret=tampered, now=NOW) is None
    assert key_viewer(world.db, secret="mio_live_nonsense", now=NOW) is None
    assert key_viewer(world.db, secret=made.secret, now=NOW + timedelta(days=31)) is None
    assert key_viewer(world.db, secret=made.secret, now=NOW + timedelta(days=29)) is not None
    assert revoke_key(PARTNER_A, world.db, prefix=made.prefix, now=NOW)
    assert not revoke_key(PARTNER_A, world.db, prefix=made.prefix, now=NOW)  # once
    assert key_viewer(world.db, secret=made.secret, now=NOW) is None
    assert list_keys(PARTNER_A, world.db).empty
    assert len(list_keys(PARTNER_A, world.db, include_revoked=True)) == 1


def test_a_never_expiring_key_stays_valid(world: WidgetWorld) -> None:
    made = create_key(
        PARTNER_A, world.db, name="Dauer", scopes=[ORDERS_READ], expiry="never", now=NOW
    )
    assert made.expires_at is None
    assert key_viewer(world.db, secret=made.secret, now=NOW + timedelta(days=3650)) is not None


def test_partners_see_and_revoke_only_their_own_keys_staff_all(world: WidgetWorld) -> None:
    mine = create_key(PARTNER_A, world.db, name="A", scopes=[ORDERS_READ], now=NOW)
    theirs = create_key(PARTNER_B, world.db, name="B", scopes=[ORDERS_READ], now=NOW)
    assert list(list_keys(PARTNER_A, world.db)["prefix"]) == [mine.prefix]
    with pytest.raises(ScopeError):
        revoke_key(PARTNER_A, world.db, prefix=theirs.prefix, now=NOW)
    assert key_viewer(world.db, secret=theirs.secret, now=NOW) is not None
    assert set(list_keys(STAFF, world.db)["prefix"]) == {mine.prefix, theirs.prefix}
    assert revoke_key(STAFF, world.db, prefix=theirs.prefix, now=NOW)
    with pytest.raises(ScopeError):  # staff make keys only viewing as a partner
        create_key(STAFF, world.db, name="X", scopes=[ORDERS_READ], now=NOW)
    assert create_key(STAFF.view_as(2), world.db, name="X", scopes=[ORDERS_READ], now=NOW)


def test_bad_input_and_missing_permission_are_refused(world: WidgetWorld) -> None:
    for kwargs in (
        {"name": "", "scopes": [ORDERS_READ]},
        {"name": "x" * 81, "scopes": [ORDERS_READ]},
        {"name": "ok", "scopes": []},
        {"name": "ok", "scopes": [TEAM_MANAGE]},  # a key never manages keys
        {"name": "ok", "scopes": [ORDERS_READ], "expiry": "5y"},
    ):
        with pytest.raises(InvalidInput):
            create_key(PARTNER_A, world.db, now=NOW, **kwargs)  # type: ignore[arg-type]
    member = Viewer(user_id=11, role="partner", partner_id=1, permissions=frozenset({ORDERS_READ}))
    with pytest.raises(ScopeError) as refusal:
        create_key(member, world.db, name="ok", scopes=[ORDERS_READ], now=NOW)
    assert refusal.value.key == NO_PERMISSION
    with world.db.portal.connect() as conn:
        assert conn.execute(select(api_keys)).first() is None
