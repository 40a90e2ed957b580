"""memberships: the Stripe price each is charged at, paid from a budget; when a month's
outcome review was said to be due

Revision ID: 0022_membership_prices_budgets
Revises: 0021_provider_invoices
Create Date: 2026-12-02 07:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_membership_prices_budgets'
down_revision = '0021_provider_invoices'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_price_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('monthly_price_pence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('budget_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_memberships_budget_id'), ['budget_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_memberships_budget_id_budgets'), 'budgets', ['budget_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('membership_invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('membership_invoices', schema=None) as batch_op:
        batch_op.drop_column('review_reminded_at')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_memberships_budget_id_budgets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_memberships_budget_id'))
        batch_op.drop_column('budget_id')
        batch_op.drop_column('monthly_price_pence')
        batch_op.drop_column('stripe_price_id')
