"""The two schemas: migrations match the portal's table definitions; the shop's index file
matches the contract; both build on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect

from core.db import Databases
from core.settings import PROJECT_ROOT
from data import portal_schema
from data.shop import schema as magento_schema


def test_migrations_create_exactly_the_portal_tables(databases: Databases) -> None:
    with databases.portal.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), portal_schema.metadata)
    assert diff == []


def test_shop_schema_has_the_contract_and_the_extra_indexes(databases: Databases) -> None:
    shop = inspect(databases.magento)
    assert set(magento_schema.metadata.tables) <= set(shop.get_table_names())
    assert "miomente_date_id" in {c["name"] for c in shop.get_columns("sales_order_item")}
    for extra in magento_schema.EXTRA_INDEXES:
        assert extra.name in {ix["name"] for ix in shop.get_indexes(extra.table.name)}


def test_custom_statuses_are_registered_with_labels(databases: Databases) -> None:
    with databases.magento.connect() as conn:
        rows = dict(conn.execute(magento_schema.sales_order_status.select()).all())
        states = dict(
            conn.execute(
                magento_schema.sales_order_status_state.select().with_only_columns(
                    magento_schema.sales_order_status_state.c.status,
                    magento_schema.sales_order_status_state.c.state,
                )
            ).all()
        )
    assert rows["miomente_pending_partner"] == "Wartet auf Partnerbestätigung"
    assert states["miomente_confirmed"] == "processing"
    assert states["miomente_rejected"] == "canceled"


def test_reviewed_index_file_is_in_step_with_the_contract() -> None:
    shipped = (PROJECT_ROOT / "sql" / "magento_extra_indexes.sql").read_text(encoding="utf-8")
    assert shipped == magento_schema.extra_indexes_sql("mysql"), (
        'regenerate: python -c "from data.shop.schema import extra_indexes_sql; '
        "print(extra_indexes_sql(), end='')\" > sql/magento_extra_indexes.sql"
    )


def test_migrations_create_the_check_constraints_of_the_portal_tables(
    databases: Databases,
) -> None:
    """compare_metadata leaves CHECK constraints out: their names are compared here."""
    found = inspect(databases.portal)
    for table in portal_schema.metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        declared.discard(None)
        migrated = {c["name"] for c in found.get_check_constraints(table.name)}
        assert declared <= migrated, (table.name, declared - migrated)
