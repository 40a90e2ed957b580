"""email confirmation: an account logs in only once its owner opened the emailed link

Revision ID: 0006_email_confirmation
Revises: 0005_council_links
Create Date: 2026-12-01 20:00:00

Accounts that exist already were made before registration needed a confirmed address;
they keep working: their confirmation time is set to when they were created.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_email_confirmation'
down_revision = '0005_council_links'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at WHERE email_confirmed_at IS NULL")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
