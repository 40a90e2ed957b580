"""memberships: plan revisions on Stripe, whose membership it is, agreed outcomes, demo rows;
membership start requests, monthly outcome reviews and guarantee refunds

Revision ID: 0016_membership_reviews
Revises: 0015_introductions
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_membership_reviews'
down_revision = '0015_introductions'
branch_labels = None
depends_on = None

RATINGS = "('met', 'partly_met', 'not_met')"


def upgrade():
    with op.batch_alter_table('membership_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('stripe_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stripe_price_pence', sa.Integer(), nullable=True))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcomes', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('demo', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_memberships_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_memberships_person_id_people'), 'people', ['person_id'], ['id'], ondelete='SET NULL')

    op.create_table('membership_starts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_membership_starts_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['membership_plans.id'], name=op.f('fk_membership_starts_plan_id_membership_plans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_membership_starts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_starts')),
    sa.UniqueConstraint('token', name=op.f('uq_membership_starts_token'))
    )
    with op.batch_alter_table('membership_starts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_starts_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_starts_plan_id'), ['plan_id'], unique=False)

    op.create_table('outcome_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('membership_invoice_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('period_start', sa.BigInteger(), nullable=True),
    sa.Column('period_end', sa.BigInteger(), nullable=True),
    sa.Column('person_rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('person_rated_by_user_id', sa.Integer(), nullable=True),
    sa.Column('team_rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('team_rated_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'person_rated', 'team_rated', 'complete')", name=op.f('ck_outcome_reviews_status')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_outcome_reviews_membership_id_memberships'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['membership_invoice_id'], ['membership_invoices.id'], name=op.f('fk_outcome_reviews_membership_invoice_id_membership_invoices'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_reviews')),
    sa.UniqueConstraint('membership_invoice_id', name=op.f('uq_outcome_reviews_membership_invoice_id'))
    )
    with op.batch_alter_table('outcome_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_reviews_membership_id'), ['membership_id'], unique=False)

    op.create_table('outcome_review_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('person_rating', sa.String(length=12), nullable=True),
    sa.Column('person_comment', sa.Text(), nullable=False),
    sa.Column('team_rating', sa.String(length=12), nullable=True),
    sa.Column('team_comment', sa.Text(), nullable=False),
    sa.CheckConstraint(f"person_rating IS NULL OR person_rating IN {RATINGS}", name=op.f('ck_outcome_review_lines_person_rating')),
    sa.CheckConstraint(f"team_rating IS NULL OR team_rating IN {RATINGS}", name=op.f('ck_outcome_review_lines_team_rating')),
    sa.ForeignKeyConstraint(['review_id'], ['outcome_reviews.id'], name=op.f('fk_outcome_review_lines_review_id_outcome_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_review_lines')),
    sa.UniqueConstraint('review_id', 'position', name='uq_outcome_review_lines_position')
    )
    with op.batch_alter_table('outcome_review_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_review_lines_review_id'), ['review_id'], unique=False)

    op.create_table('guarantee_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('membership_invoice_id', sa.Integer(), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_status', sa.String(length=40), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_guarantee_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['membership_invoice_id'], ['membership_invoices.id'], name=op.f('fk_guarantee_refunds_membership_invoice_id_membership_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['review_id'], ['outcome_reviews.id'], name=op.f('fk_guarantee_refunds_review_id_outcome_reviews'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantee_refunds')),
    sa.UniqueConstraint('review_id', name=op.f('uq_guarantee_refunds_review_id')),
    sa.UniqueConstraint('stripe_refund_id', name=op.f('uq_guarantee_refunds_stripe_refund_id'))
    )
    with op.batch_alter_table('guarantee_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guarantee_refunds_membership_invoice_id'), ['membership_invoice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('guarantee_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guarantee_refunds_membership_invoice_id'))
    op.drop_table('guarantee_refunds')
    with op.batch_alter_table('outcome_review_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_review_lines_review_id'))
    op.drop_table('outcome_review_lines')
    with op.batch_alter_table('outcome_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_reviews_membership_id'))
    op.drop_table('outcome_reviews')
    with op.batch_alter_table('membership_starts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_starts_plan_id'))
        batch_op.drop_index(batch_op.f('ix_membership_starts_person_id'))
    op.drop_table('membership_starts')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_memberships_person_id_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_memberships_person_id'))
        batch_op.drop_column('demo')
        batch_op.drop_column('outcomes')
        batch_op.drop_column('person_id')
    with op.batch_alter_table('membership_plans', schema=None) as batch_op:
        batch_op.drop_column('stripe_price_pence')
        batch_op.drop_column('stripe_revision')
        batch_op.drop_column('revision')
