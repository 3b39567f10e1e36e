"""Buchhaltung: commission rates, payouts and lines, credit-note documents (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Issued documents are immutable: the database itself refuses an UPDATE (dialect-specific
# trigger SQL, the one marked place of this migration). DELETE stays possible for the
# retention period's end and for test fixtures.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION miomente_documents_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'miomente_documents: issued documents are immutable';
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER miomente_documents_no_update BEFORE UPDATE ON miomente_documents
FOR EACH ROW EXECUTE FUNCTION miomente_documents_immutable()
"""
_SQLITE_TRIGGER = """
CREATE TRIGGER miomente_documents_no_update BEFORE UPDATE ON miomente_documents
BEGIN
    SELECT RAISE(ABORT, 'miomente_documents: issued documents are immutable');
END
"""


def _now() -> sa.sql.elements.ColumnElement:
    return sa.func.current_timestamp()


def upgrade() -> None:
    with op.batch_alter_table("miomente_partners") as batch:
        batch.add_column(sa.Column("iban", sa.String(34)))
        batch.add_column(sa.Column("bic", sa.String(11)))
        batch.add_column(sa.Column("account_holder", sa.String(200)))
    op.create_table(
        "miomente_commission_rates",
        sa.Column("rate_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.UniqueConstraint("product_id", "valid_from", name="uq_miomente_commission_rates_from"),
    )
    op.create_index(
        "ix_miomente_commission_rates_partner", "miomente_commission_rates", ["partner_id"]
    )
    op.create_table(
        "miomente_payouts",
        sa.Column("payout_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("vat_case", sa.String(16), nullable=False),
        sa.Column("lines", sa.Integer, nullable=False, server_default="0"),
        sa.Column("gross", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("commission_net", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("commission_vat_rate", sa.Numeric(5, 2), nullable=False, server_default="0"),
        sa.Column("commission_vat", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("commission_gross", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("expected_date", sa.Date, nullable=False),
        sa.Column("computed_at", sa.DateTime, nullable=False),
        sa.Column("approved_by", sa.Integer),
        sa.Column("approved_at", sa.DateTime),
        sa.Column("paid_on", sa.Date),
        sa.Column("paid_by", sa.Integer),
        sa.Column("paid_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.CheckConstraint(
            "status in ('draft', 'approved', 'paid')", name="ck_miomente_payouts_status"
        ),
        sa.UniqueConstraint("partner_id", "period", name="uq_miomente_payouts_partner_period"),
    )
    op.create_index("ix_miomente_payouts_period_status", "miomente_payouts", ["period", "status"])
    op.create_table(
        "miomente_payout_lines",
        sa.Column("line_id", sa.Integer, primary_key=True),
        sa.Column(
            "payout_id", sa.Integer, sa.ForeignKey("miomente_payouts.payout_id"), nullable=False
        ),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Integer, nullable=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("increment_id", sa.String(50), nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("course", sa.String(255)),
        sa.Column("event_at", sa.DateTime),
        sa.Column("tickets", sa.Integer, nullable=False, server_default="0"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("gross", sa.Numeric(14, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("commission_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("commission_net", sa.Numeric(14, 2), nullable=False),
        sa.CheckConstraint("kind in ('sale', 'correction')", name="ck_miomente_payout_lines_kind"),
        sa.UniqueConstraint("payout_id", "item_id", name="uq_miomente_payout_lines_item"),
    )
    op.create_index("ix_miomente_payout_lines_item", "miomente_payout_lines", ["item_id"])
    op.create_table(
        "miomente_documents",
        sa.Column("document_id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column(
            "payout_id", sa.Integer, sa.ForeignKey("miomente_payouts.payout_id"), nullable=False
        ),
        sa.Column(
            "cancels_document_id", sa.Integer, sa.ForeignKey("miomente_documents.document_id")
        ),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("issued_by", sa.Integer),
        sa.Column("gross", sa.Numeric(14, 2), nullable=False),
        sa.Column("commission_gross", sa.Numeric(14, 2), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "kind in ('credit_note', 'cancellation')", name="ck_miomente_documents_kind"
        ),
        sa.UniqueConstraint("year", "sequence", name="uq_miomente_documents_year_sequence"),
    )
    op.create_index(
        "ix_miomente_documents_partner_issued", "miomente_documents", ["partner_id", "issue_date"]
    )
    op.create_index("ix_miomente_documents_payout", "miomente_documents", ["payout_id"])
    op.create_table(
        "miomente_document_sequences",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_number", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=_now()),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    elif dialect == "sqlite":
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        op.execute(
            "DROP TRIGGER IF EXISTS miomente_documents_no_update ON miomente_documents"
            if dialect == "postgresql"
            else "DROP TRIGGER IF EXISTS miomente_documents_no_update"
        )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS miomente_documents_immutable()")
    op.drop_table("miomente_document_sequences")
    op.drop_index("ix_miomente_documents_payout", "miomente_documents")
    op.drop_index("ix_miomente_documents_partner_issued", "miomente_documents")
    op.drop_table("miomente_documents")
    op.drop_index("ix_miomente_payout_lines_item", "miomente_payout_lines")
    op.drop_table("miomente_payout_lines")
    op.drop_index("ix_miomente_payouts_period_status", "miomente_payouts")
    op.drop_table("miomente_payouts")
    op.drop_index("ix_miomente_commission_rates_partner", "miomente_commission_rates")
    op.drop_table("miomente_commission_rates")
    with op.batch_alter_table("miomente_partners") as batch:
        batch.drop_column("account_holder")
        batch.drop_column("bic")
        batch.drop_column("iban")
