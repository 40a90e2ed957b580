"""reviews version: one counter bumped whenever published reviews may change, so pages
that keep them know when to read them again

Revision ID: 0023_perfpages_reviews_version
Revises: 0022_membership_prices_budgets
Create Date: 2026-12-02 13:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_perfpages_reviews_version'
down_revision = '0022_membership_prices_budgets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviews_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_reviews_version_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews_version'))
    )


def downgrade():
    op.drop_table('reviews_version')
