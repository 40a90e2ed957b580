"""quality assurance: evidence, QA events, onboarding progress, notifications

Read by a human: four new tables, nothing else changes. The partial unique index keeps
at most one current (not archived) document of each kind per provider.

Revision ID: 0002_quality_assurance
Revises: 0001_foundation
Create Date: 2026-11-23 18:57:59.663937

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_quality_assurance'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expiry_warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name=op.f('ck_evidence_content_type')),
    sa.CheckConstraint("kind IN ('insurance', 'safeguarding_policy', 'dbs_policy', 'cqc_registration')", name=op.f('ck_evidence_kind')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_evidence_sha256_length')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_evidence_size_positive')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_evidence_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['users.id'], name=op.f('fk_evidence_uploaded_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_evidence_stored_name'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('uq_evidence_current_kind', ['provider_id', 'kind'], unique=True, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('provider_onboarding',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('unanswered', sa.JSON(), nullable=False),
    sa.Column('started_by_user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_onboarding_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_user_id'], ['users.id'], name=op.f('fk_provider_onboarding_started_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_provider_onboarding'))
    )
    op.create_table('qa_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("from_status IN ('draft', 'submitted', 'changes_requested', 'approved', 'suspended')", name=op.f('ck_qa_events_from_status')),
    sa.CheckConstraint("to_status IN ('draft', 'submitted', 'changes_requested', 'approved', 'suspended')", name=op.f('ck_qa_events_to_status')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_qa_events_actor_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_qa_events_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_events'))
    )
    with op.batch_alter_table('qa_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_qa_events_provider_id'), ['provider_id'], unique=False)



def downgrade():
    with op.batch_alter_table('qa_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_events_provider_id'))
        batch_op.drop_index(batch_op.f('ix_qa_events_at'))

    op.drop_table('qa_events')
    op.drop_table('provider_onboarding')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id_created_at')

    op.drop_table('notifications')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('uq_evidence_current_kind', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_evidence_provider_id'))

    op.drop_table('evidence')
