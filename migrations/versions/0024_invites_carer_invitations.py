"""carer invitations: a provider's e-mailed invitation to a carer, stored so the link
carries only a random secret (its SHA-256 is stored), not the invited address

Revision ID: 0024_invites_carer_invitations
Revises: 0023_cardpay_checkout_sessions
Create Date: 2026-12-02 17:30:00

Links sent before this revision were signed tokens holding the address; they no longer
work (the page asks the carer to get a new invitation).
"""
from alembic import op
import sqlalchemy as sa


revision = '0024_invites_carer_invitations'
down_revision = '0023_cardpay_checkout_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('carer_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('carer_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_carer_invitations_email_lower_case')),
    sa.ForeignKeyConstraint(['carer_id'], ['carers.id'], name=op.f('fk_carer_invitations_carer_id_carers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_carer_invitations_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carer_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_carer_invitations_token_hash'))
    )
    with op.batch_alter_table('carer_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_carer_invitations_carer_id_created_at', ['carer_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('carer_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_carer_invitations_carer_id_created_at')

    op.drop_table('carer_invitations')
