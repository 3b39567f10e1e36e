"""Qualitäts-Score: the current score per course with its checklist, and one score per day.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_course_scores",
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("keyword", sa.String(255)),
        sa.Column("computed_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("score between 0 and 100", name="ck_miomente_course_scores_score"),
    )
    op.create_index(
        "ix_miomente_course_scores_partner", "miomente_course_scores", ["partner_id", "score"]
    )
    op.create_index("ix_miomente_course_scores_score", "miomente_course_scores", ["score"])
    op.create_table(
        "miomente_course_score_history",
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("score", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("miomente_course_score_history")
    op.drop_index("ix_miomente_course_scores_score", "miomente_course_scores")
    op.drop_index("ix_miomente_course_scores_partner", "miomente_course_scores")
    op.drop_table("miomente_course_scores")
