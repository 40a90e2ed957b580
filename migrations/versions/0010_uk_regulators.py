"""UK-wide care regulators: CQC, Care Inspectorate, CIW or RQIA by the nation of the service

Revision ID: 0010_uk_regulators
Revises: 0009_payments_ledger
Create Date: 2026-12-01 20:10:00

The CQC-only columns become the registration with "the regulator": cqc_regulated ->
regulated, cqc_location_id -> regulator_number, cqc_rating -> regulator_rating, and a new
regulator column says which one. Every provider registered so far was registered with
CQC, so those rows get regulator = 'cqc'. The CQC-only checks are replaced by checks that
read the rating and the number in the regulator's own vocabulary and shape; CQC's
ratings gain "not yet rated".
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_uk_regulators'
down_revision = '0009_payments_ledger'
branch_labels = None
depends_on = None

RATING_CHECK = (
    "regulator_rating IS NULL OR "
    "(regulator = 'cqc' AND regulator_rating IN ('outstanding', 'good', 'requires_improvement', 'inadequate', 'not_yet_rated')) OR "
    "(regulator = 'care_inspectorate' AND regulator_rating IN ('excellent', 'very_good', 'good', 'adequate', 'weak', 'unsatisfactory', 'not_yet_graded')) OR "
    "(regulator = 'ciw' AND regulator_rating IN ('excellent', 'good', 'requires_improvement', 'requires_significant_improvement', 'not_yet_rated')) OR "
    "(regulator = 'rqia' AND regulator_rating IN ('inspected', 'not_inspected'))"
)
NUMBER_CHECK = (
    "regulator_number IS NULL OR "
    "(regulator = 'cqc' AND regulator_number LIKE '1-%' AND length(regulator_number) BETWEEN 11 AND 13) OR "
    "(regulator = 'care_inspectorate' AND regulator_number LIKE 'CS%' AND length(regulator_number) = 12) OR "
    "(regulator = 'ciw' AND regulator_number LIKE 'SIN-%' AND length(regulator_number) = 17) OR "
    "(regulator = 'rqia' AND length(regulator_number) BETWEEN 4 AND 6)"
)


def upgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_providers_cqc_rating'), type_='check')
        batch_op.drop_constraint(op.f('ck_providers_cqc_location_id_format'), type_='check')
        batch_op.alter_column('cqc_regulated', new_column_name='regulated',
                              existing_type=sa.Boolean(), existing_nullable=False)
        batch_op.alter_column('cqc_location_id', new_column_name='regulator_number',
                              existing_type=sa.String(length=13), type_=sa.String(length=20),
                              existing_nullable=True)
        batch_op.alter_column('cqc_rating', new_column_name='regulator_rating',
                              existing_type=sa.String(length=24), type_=sa.String(length=40),
                              existing_nullable=True)
        batch_op.add_column(sa.Column('regulator', sa.String(length=24), nullable=True))

    op.execute(
        "UPDATE providers SET regulator = 'cqc' WHERE regulated "
        "OR regulator_number IS NOT NULL OR regulator_rating IS NOT NULL"
    )
    _rename_step('cqc', 'regulator')

    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_providers_regulator'),
            "regulator IS NULL OR regulator IN ('cqc', 'care_inspectorate', 'ciw', 'rqia')",
        )
        batch_op.create_check_constraint(
            op.f('ck_providers_regulated_by_whom'), "NOT regulated OR regulator IS NOT NULL"
        )
        batch_op.create_check_constraint(op.f('ck_providers_regulator_rating'), RATING_CHECK)
        batch_op.create_check_constraint(
            op.f('ck_providers_regulator_number_format'), NUMBER_CHECK
        )


def _rename_step(old, new):
    """The onboarding question "cqc" is now "regulator" in the lists of unanswered ones."""
    progress = sa.table('provider_onboarding', sa.column('provider_id', sa.Integer),
                        sa.column('unanswered', sa.JSON))
    connection = op.get_bind()
    for provider_id, unanswered in connection.execute(
        sa.select(progress.c.provider_id, progress.c.unanswered)
    ).all():
        if unanswered and old in unanswered:
            connection.execute(
                progress.update()
                .where(progress.c.provider_id == provider_id)
                .values(unanswered=[new if step == old else step for step in unanswered])
            )


def downgrade():
    _rename_step('regulator', 'cqc')
    # Only CQC registrations fit the old columns; the others are dropped.
    op.execute(
        "UPDATE providers SET regulated = false, regulator_number = NULL, "
        "regulator_rating = NULL WHERE regulator IS NOT NULL AND regulator <> 'cqc'"
    )
    op.execute("UPDATE providers SET regulator_rating = NULL WHERE regulator_rating = 'not_yet_rated'")
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_providers_regulator_number_format'), type_='check')
        batch_op.drop_constraint(op.f('ck_providers_regulator_rating'), type_='check')
        batch_op.drop_constraint(op.f('ck_providers_regulated_by_whom'), type_='check')
        batch_op.drop_constraint(op.f('ck_providers_regulator'), type_='check')
        batch_op.drop_column('regulator')
        batch_op.alter_column('regulator_rating', new_column_name='cqc_rating',
                              existing_type=sa.String(length=40), type_=sa.String(length=24),
                              existing_nullable=True)
        batch_op.alter_column('regulator_number', new_column_name='cqc_location_id',
                              existing_type=sa.String(length=20), type_=sa.String(length=13),
                              existing_nullable=True)
        batch_op.alter_column('regulated', new_column_name='cqc_regulated',
                              existing_type=sa.Boolean(), existing_nullable=False)
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_providers_cqc_rating'),
            "cqc_rating IS NULL OR cqc_rating IN ('outstanding', 'good', 'requires_improvement', 'inadequate')",
        )
        batch_op.create_check_constraint(
            op.f('ck_providers_cqc_location_id_format'),
            "cqc_location_id IS NULL OR (cqc_location_id LIKE '1-%' AND length(cqc_location_id) BETWEEN 11 AND 13)",
        )
