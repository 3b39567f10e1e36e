"""Form submissions: the idempotency token of each form that created something.

`miomente_submissions` holds one row per created series or date (data/dates/_submissions.py);
its primary key is the rendered form's token, so a double click or two racing reruns of the
same form create one record, and the second is refused.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_submissions",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_miomente_submissions_created", "miomente_submissions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_miomente_submissions_created", "miomente_submissions")
    op.drop_table("miomente_submissions")
