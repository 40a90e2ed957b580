"""person profile: the funding route is the person's own choice, never a default

Revision ID: 0013_person_profile
Revises: 0012_budget_details
Create Date: 2026-12-01 21:00:00

people.funding_route becomes nullable: None means "not chosen yet". Rows that already
hold a route keep it (the demo's Amira chose hers).
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_person_profile'
down_revision = '0012_budget_details'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.alter_column('funding_route', existing_type=sa.String(length=32), nullable=True)


def downgrade():
    op.execute("UPDATE people SET funding_route = 'direct_payment' WHERE funding_route IS NULL")
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.alter_column('funding_route', existing_type=sa.String(length=32), nullable=False)
