"""supporter invitations, and a status on consent grants

Revision ID: 0018_supporter_invitations
Revises: 0017_arrangements
Create Date: 2026-12-01 22:49:31

supporter_invitations: a person's e-mailed invitation to a supporter (only the SHA-256 of
the link's secret is stored). consent_grants.status (active | revoked) is moved by the
grant workflow; rows already revoked become "revoked". One grant in force per person and
supporter (a partial unique index): where older rows held two, the older ones are revoked.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_supporter_invitations'
down_revision = '0017_arrangements'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supporter_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('relationship_to_person', sa.String(length=80), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('grant_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_user_id', sa.Integer(), nullable=True),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'cancelled')", name=op.f('ck_supporter_invitations_status')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_supporter_invitations_email_lower_case')),
    sa.ForeignKeyConstraint(['accepted_by_user_id'], ['users.id'], name=op.f('fk_supporter_invitations_accepted_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grant_id'], ['consent_grants.id'], name=op.f('fk_supporter_invitations_grant_id_consent_grants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_user_id'], ['users.id'], name=op.f('fk_supporter_invitations_invited_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_supporter_invitations_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supporter_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_supporter_invitations_token_hash'))
    )
    with op.batch_alter_table('supporter_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_supporter_invitations_person_id_created_at', ['person_id', 'created_at'], unique=False)

    with op.batch_alter_table('consent_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='active', nullable=False))
    op.execute("UPDATE consent_grants SET status = 'revoked' WHERE revoked_at IS NOT NULL")
    op.execute(
        "UPDATE consent_grants SET status = 'revoked', revoked_at = CURRENT_TIMESTAMP "
        "WHERE status = 'active' AND id < (SELECT max(newer.id) FROM consent_grants newer "
        "WHERE newer.status = 'active' AND newer.person_id = consent_grants.person_id "
        "AND newer.supporter_user_id = consent_grants.supporter_user_id)"
    )
    with op.batch_alter_table('consent_grants', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_consent_grants_status'), sa.text("status IN ('active', 'revoked')"))
        batch_op.create_index('uq_consent_grants_active_pair', ['person_id', 'supporter_user_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))


def downgrade():
    with op.batch_alter_table('consent_grants', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_consent_grants_status'), type_='check')
        batch_op.drop_index('uq_consent_grants_active_pair', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_column('status')

    with op.batch_alter_table('supporter_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_supporter_invitations_person_id_created_at')

    op.drop_table('supporter_invitations')
