"""Buchhaltung: commission rates, payouts and lines, credit-note documents (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
