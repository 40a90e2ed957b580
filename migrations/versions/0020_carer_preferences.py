"""carers say what they are happy with and who they like to support

Revision ID: 0020_carer_preferences
Revises: 0019_council_budget_defaults
Create Date: 2026-12-02 07:30:00

carers.pets_ok (JSON list, NULL: not said), carers.smoking_ok (NULL: not said),
carers.enjoys_support and carers.would_support (JSON lists, [] : not said). Every
existing carer has said nothing yet, so nobody is left out of a search by the new
preference filters until they answer.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_carer_preferences'
down_revision = '0019_council_budget_defaults'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pets_ok', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('smoking_ok', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('enjoys_support', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('would_support', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('carers', schema=None) as batch_op:
        batch_op.drop_column('would_support')
        batch_op.drop_column('enjoys_support')
        batch_op.drop_column('smoking_ok')
        batch_op.drop_column('pets_ok')
