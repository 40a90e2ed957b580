"""provider invoices: withdrawn status, who raised it, when its status changed and when paid

Revision ID: 0021_provider_invoices
Revises: 0020_carer_preferences
Create Date: 2026-12-02 07:30:00

provider_invoices gains the "withdrawn" status (the invoice workflow), raised_by_user_id,
updated_at (the last status change, from which the billing run counts reminder days) and
paid_at, and a check that an invoice is paid exactly when it records how. No invoice was
raised through the app before this revision, so existing rows (none expected) take their
raised_at as updated_at.
"""

from alembic import op
import sqlalchemy as sa


revision = "0021_provider_invoices"
down_revision = "0020_carer_preferences"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('raised', 'queried', 'approved', 'paid')"
NEW_STATUSES = "status IN ('raised', 'queried', 'approved', 'paid', 'withdrawn')"


def upgrade():
    with op.batch_alter_table("provider_invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raised_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_provider_invoices_raised_by_user_id_users"),
            "users",
            ["raised_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE provider_invoices SET updated_at = raised_at WHERE updated_at IS NULL")
    with op.batch_alter_table("provider_invoices", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_constraint(op.f("ck_provider_invoices_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_provider_invoices_status"), NEW_STATUSES)
        batch_op.create_check_constraint(
            op.f("ck_provider_invoices_paid_has_method"),
            "(status = 'paid') = (paid_by IS NOT NULL)",
        )


def downgrade():
    op.execute("UPDATE provider_invoices SET status = 'queried' WHERE status = 'withdrawn'")
    with op.batch_alter_table("provider_invoices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_provider_invoices_paid_has_method"), type_="check")
        batch_op.drop_constraint(op.f("ck_provider_invoices_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_provider_invoices_status"), OLD_STATUSES)
        batch_op.drop_constraint(
            batch_op.f("fk_provider_invoices_raised_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("paid_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("raised_by_user_id")
