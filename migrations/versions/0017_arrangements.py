"""arrangements: agreed terms, every version of them, carers, outcomes, and reviews

Revision ID: 0017_arrangements
Revises: 0016_membership_reviews
Create Date: 2026-12-01 22:45:03

Tables arrangements, arrangement_versions (every proposed version is kept; the one in
effect is arrangements.agreed_version), arrangement_members, arrangement_outcomes,
reviews, review_ratings and review_reports. memberships.arrangement_id and
provider_invoices.arrangement_id become foreign keys to arrangements (SET NULL); no
arrangement existed before this revision, so any number already there pointed at
nothing and is cleared first.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_arrangements"
down_revision = "0016_membership_reviews"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "arrangements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("introduction_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agreed_version", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("funding_route", sa.String(length=32), nullable=False),
        sa.Column("hourly_rate_pence", sa.Integer(), nullable=True),
        sa.Column("membership_plan_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "funding_route IN ('direct_payment', 'managed_personal_budget', 'individual_service_fund', 'phb_notional', 'phb_third_party', 'phb_direct_payment', 'self_funded')",
            name=op.f("ck_arrangements_funding_route"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'active', 'paused', 'ended', 'not_agreed')",
            name=op.f("ck_arrangements_status"),
        ),
        sa.CheckConstraint(
            "(hourly_rate_pence IS NOT NULL AND hourly_rate_pence > 0 AND membership_plan_id IS NULL) OR (hourly_rate_pence IS NULL AND membership_plan_id IS NOT NULL)",
            name=op.f("ck_arrangements_one_price"),
        ),
        sa.CheckConstraint("agreed_version >= 0", name=op.f("ck_arrangements_agreed_version")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_arrangements_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["membership_plan_id"],
            ["membership_plans.id"],
            name=op.f("fk_arrangements_membership_plan_id_membership_plans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_arrangements_introduction_id_introductions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_arrangements_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_arrangements_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_arrangements_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangements")),
    )
    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangements_introduction_id"), ["introduction_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_arrangements_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_arrangements_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "arrangement_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_side", sa.String(length=12), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of_person_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("funding_route", sa.String(length=32), nullable=False),
        sa.Column("hourly_rate_pence", sa.Integer(), nullable=True),
        sa.Column("membership_plan_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "funding_route IN ('direct_payment', 'managed_personal_budget', 'individual_service_fund', 'phb_notional', 'phb_third_party', 'phb_direct_payment', 'self_funded')",
            name=op.f("ck_arrangement_versions_funding_route"),
        ),
        sa.CheckConstraint(
            "proposed_by_side IN ('person', 'provider')",
            name=op.f("ck_arrangement_versions_proposed_by_side"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'rejected', 'withdrawn', 'superseded')",
            name=op.f("ck_arrangement_versions_status"),
        ),
        sa.CheckConstraint(
            "(hourly_rate_pence IS NOT NULL AND hourly_rate_pence > 0 AND membership_plan_id IS NULL) OR (hourly_rate_pence IS NULL AND membership_plan_id IS NOT NULL)",
            name=op.f("ck_arrangement_versions_one_price"),
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_arrangement_versions_ends_after_start"),
        ),
        sa.CheckConstraint(
            "number > 0 AND based_on >= 0 AND based_on < number",
            name=op.f("ck_arrangement_versions_number"),
        ),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangements.id"],
            name=op.f("fk_arrangement_versions_arrangement_id_arrangements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_arrangement_versions_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["membership_plan_id"],
            ["membership_plans.id"],
            name=op.f("fk_arrangement_versions_membership_plan_id_membership_plans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_person_id"],
            ["people.id"],
            name=op.f("fk_arrangement_versions_on_behalf_of_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["users.id"],
            name=op.f("fk_arrangement_versions_proposed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangement_versions")),
        sa.UniqueConstraint("arrangement_id", "number", name="uq_arrangement_versions_number"),
    )
    with op.batch_alter_table("arrangement_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangement_versions_arrangement_id"), ["arrangement_id"], unique=False
        )

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of_person_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('published', 'hidden')", name=op.f("ck_reviews_status")),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangements.id"],
            name=op.f("fk_reviews_arrangement_id_arrangements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_reviews_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_person_id"],
            ["people.id"],
            name=op.f("fk_reviews_on_behalf_of_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_reviews_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replied_by_user_id"],
            ["users.id"],
            name=op.f("fk_reviews_replied_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_reviews_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("arrangement_id", name=op.f("uq_reviews_arrangement_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_team_id"), ["team_id"], unique=False)

    op.create_table(
        "arrangement_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=False),
        sa.Column("chosen_by_person", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["carer_id"],
            ["carers.id"],
            name=op.f("fk_arrangement_members_carer_id_carers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["arrangement_versions.id"],
            name=op.f("fk_arrangement_members_version_id_arrangement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangement_members")),
        sa.UniqueConstraint("version_id", "carer_id", name="uq_arrangement_members_carer"),
    )
    with op.batch_alter_table("arrangement_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangement_members_carer_id"), ["carer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_arrangement_members_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "arrangement_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("life_area", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "life_area IS NULL OR life_area IN ('daily_life', 'out_and_about', 'food_and_drink', 'feeling_safe', 'keeping_in_touch', 'personal_care', 'home', 'health', 'work_and_learning')",
            name=op.f("ck_arrangement_outcomes_life_area"),
        ),
        sa.CheckConstraint(
            "length(trim(text)) > 0", name=op.f("ck_arrangement_outcomes_text_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["arrangement_versions.id"],
            name=op.f("fk_arrangement_outcomes_version_id_arrangement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangement_outcomes")),
        sa.UniqueConstraint("version_id", "position", name="uq_arrangement_outcomes_position"),
    )
    with op.batch_alter_table("arrangement_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangement_outcomes_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "review_ratings",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("aspect", sa.String(length=20), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "aspect IN ('respect', 'reliability', 'listening', 'outcomes')",
            name=op.f("ck_review_ratings_aspect"),
        ),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_review_ratings_stars")),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_ratings_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "aspect", name=op.f("pk_review_ratings")),
    )
    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reported_by_user_id"],
            ["users.id"],
            name=op.f("fk_review_reports_reported_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_user_id"],
            ["users.id"],
            name=op.f("fk_review_reports_resolved_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_reports_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reports")),
        sa.UniqueConstraint("review_id", "reported_by_user_id", name="uq_review_reports_reporter"),
    )
    with op.batch_alter_table("review_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_reports_review_id"), ["review_id"], unique=False
        )

    # Before this revision no arrangement existed: any id held here pointed at nothing.
    op.execute("UPDATE memberships SET arrangement_id = NULL WHERE arrangement_id IS NOT NULL")
    op.execute(
        "UPDATE provider_invoices SET arrangement_id = NULL WHERE arrangement_id IS NOT NULL"
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memberships_arrangement_id"), ["arrangement_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_memberships_arrangement_id_arrangements"),
            "arrangements",
            ["arrangement_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("provider_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_invoices_arrangement_id"), ["arrangement_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_provider_invoices_arrangement_id_arrangements"),
            "arrangements",
            ["arrangement_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("provider_invoices", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_provider_invoices_arrangement_id_arrangements"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_provider_invoices_arrangement_id"))

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_memberships_arrangement_id_arrangements"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_memberships_arrangement_id"))

    with op.batch_alter_table("review_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reports_review_id"))

    op.drop_table("review_reports")
    op.drop_table("review_ratings")
    with op.batch_alter_table("arrangement_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangement_outcomes_version_id"))

    op.drop_table("arrangement_outcomes")
    with op.batch_alter_table("arrangement_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangement_members_version_id"))
        batch_op.drop_index(batch_op.f("ix_arrangement_members_carer_id"))

    op.drop_table("arrangement_members")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_team_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_provider_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("arrangement_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangement_versions_arrangement_id"))

    op.drop_table("arrangement_versions")
    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangements_provider_id"))
        batch_op.drop_index(batch_op.f("ix_arrangements_person_id"))
        batch_op.drop_index(batch_op.f("ix_arrangements_introduction_id"))

    op.drop_table("arrangements")
