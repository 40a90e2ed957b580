"""card payments: the Stripe Checkout session of a card payment made on Stripe's page;
a provider's Stripe Connect account (destination charges)

Revision ID: 0023_cardpay_checkout_sessions
Revises: 0023_perfpages_reviews_version
Create Date: 2026-12-02 13:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_cardpay_checkout_sessions'
down_revision = '0023_perfpages_reviews_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_card_payments_stripe_checkout_session_id'), ['stripe_checkout_session_id'])

    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_account_id', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('stripe_account_id')

    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_card_payments_stripe_checkout_session_id'), type_='unique')
        batch_op.drop_column('stripe_checkout_session_id')
