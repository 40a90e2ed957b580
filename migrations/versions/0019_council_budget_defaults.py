"""council budget defaults: spending categories and surplus limit

Revision ID: 0019_council_budget_defaults
Revises: 0018_supporter_invitations
Create Date: 2026-12-02 07:30:00

council_links.spending_categories: the spending categories a platform admin set as the
council's defaults for new budgets (NULL: every category). council_links.surplus_limit_weeks:
the balance, in weeks of budget, above which the council sees a surplus (NULL: 8 weeks).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_council_budget_defaults'
down_revision = '0018_supporter_invitations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('council_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spending_categories', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('surplus_limit_weeks', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_council_links_surplus_limit_weeks'),
            'surplus_limit_weeks IS NULL OR (surplus_limit_weeks BETWEEN 1 AND 52)',
        )


def downgrade():
    with op.batch_alter_table('council_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_council_links_surplus_limit_weeks'), type_='check')
        batch_op.drop_column('surplus_limit_weeks')
        batch_op.drop_column('spending_categories')
