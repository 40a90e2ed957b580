"""introductions: requests to meet a carer, team or provider, their message threads and blocks

Revision ID: 0015_introductions
Revises: 0014_shortlists
Create Date: 2026-12-01 22:38:59

introductions.status moves only through marketplace.introductions.workflow; remind_on and
expires_on are working days in the person's nation, fixed when the request is made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_introductions'
down_revision = '0014_shortlists'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('introductions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('supporter_user_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('carer_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('preferred_times', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_user_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.String(length=32), nullable=True),
    sa.Column('decline_text', sa.Text(), nullable=False),
    sa.Column('meeting_options', sa.JSON(), nullable=False),
    sa.Column('meeting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('meeting_place', sa.String(length=200), nullable=False),
    sa.Column('person_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_shared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remind_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decline_reason IS NULL OR decline_reason IN ('no_capacity', 'outside_area', 'times_not_available', 'needs_not_met', 'not_a_good_match', 'other')", name=op.f('ck_introductions_decline_reason')),
    sa.CheckConstraint("status IN ('requested', 'accepted', 'declined', 'expired', 'withdrawn', 'meeting', 'agreed', 'not_going_ahead')", name=op.f('ck_introductions_status')),
    sa.CheckConstraint('carer_id IS NULL OR team_id IS NULL', name=op.f('ck_introductions_one_target')),
    sa.CheckConstraint('expires_on >= remind_on', name=op.f('ck_introductions_expires_after_reminder')),
    sa.ForeignKeyConstraint(['answered_by_user_id'], ['users.id'], name=op.f('fk_introductions_answered_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['carer_id'], ['carers.id'], name=op.f('fk_introductions_carer_id_carers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_introductions_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_introductions_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supporter_user_id'], ['users.id'], name=op.f('fk_introductions_supporter_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_introductions_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introductions'))
    )
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_introductions_carer_id'), ['carer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_introductions_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_introductions_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_introductions_status_expires', ['status', 'expires_on'], unique=False)

    op.create_table('introduction_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('introduction_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('blocked_by_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('person', 'provider')", name=op.f('ck_introduction_blocks_side')),
    sa.ForeignKeyConstraint(['blocked_by_user_id'], ['users.id'], name=op.f('fk_introduction_blocks_blocked_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['introduction_id'], ['introductions.id'], name=op.f('fk_introduction_blocks_introduction_id_introductions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introduction_blocks')),
    sa.UniqueConstraint('introduction_id', 'side', name='uq_introduction_blocks_side')
    )
    op.create_table('introduction_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('introduction_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('on_behalf_of_person_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by_user_id', sa.Integer(), nullable=True),
    sa.Column('report_reason', sa.Text(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_user_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("side IN ('person', 'provider')", name=op.f('ck_introduction_messages_side')),
    sa.CheckConstraint('length(body) > 0', name=op.f('ck_introduction_messages_body_not_empty')),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_introduction_messages_author_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by_user_id'], ['users.id'], name=op.f('fk_introduction_messages_hidden_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['introduction_id'], ['introductions.id'], name=op.f('fk_introduction_messages_introduction_id_introductions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['on_behalf_of_person_id'], ['people.id'], name=op.f('fk_introduction_messages_on_behalf_of_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reported_by_user_id'], ['users.id'], name=op.f('fk_introduction_messages_reported_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introduction_messages'))
    )
    with op.batch_alter_table('introduction_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_introduction_messages_introduction_id'), ['introduction_id'], unique=False)



def downgrade():
    with op.batch_alter_table('introduction_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_introduction_messages_introduction_id'))

    op.drop_table('introduction_messages')
    op.drop_table('introduction_blocks')
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_index('ix_introductions_status_expires')
        batch_op.drop_index(batch_op.f('ix_introductions_provider_id'))
        batch_op.drop_index(batch_op.f('ix_introductions_person_id'))
        batch_op.drop_index(batch_op.f('ix_introductions_carer_id'))

    op.drop_table('introductions')
