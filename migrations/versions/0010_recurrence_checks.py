"""Series: CHECK constraints on the rule's fields, so a bad row cannot be stored at all.

The rule is validated before a save (core/recurrence.py) and again when it is expanded; these
constraints keep a row written around both (a script, a hand edit) out of the table: a kind
the expansion knows, an interval and a duration of at least 1, a count of at least 1, an end
day not before the start, and not both an end day and a count.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "miomente_recurring_patterns"
# name -> condition; the same as data/portal_schema.py's recurring_patterns. "interval" and
# "count" are quoted: words of SQL.
CHECKS = {
    "ck_miomente_series_kind": (
        "kind in ('daily', 'weekly', 'monthly_day', 'monthly_position', 'rrule')"
    ),
    "ck_miomente_series_interval": '"interval" >= 1',
    "ck_miomente_series_duration": "duration_minutes between 1 and 1440",
    "ck_miomente_series_count": '"count" is null or "count" >= 1',
    "ck_miomente_series_ends": "ends_on is null or ends_on >= starts_on",
    "ck_miomente_series_one_end": '"count" is null or ends_on is null',
}


def upgrade() -> None:
    # Batch mode: SQLite cannot add a constraint to a table, the batch copies it.
    with op.batch_alter_table(TABLE) as batch:
        for name, condition in CHECKS.items():
            batch.create_check_constraint(name, condition)


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        for name in CHECKS:
            batch.drop_constraint(name, type_="check")
