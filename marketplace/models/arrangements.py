"""Arrangements between a person and a provider, their agreed outcomes, every version of
their terms, and reviews of them.

An arrangement's terms change only by a version that one side proposes and the other
agrees (``ArrangementVersion``); every version is kept. ``Arrangement`` carries the terms
in effect (copied from the last agreed version, or the first proposal until then) and
``agreed_version``, the number of the version in effect (0: none agreed yet), which is
also the compare-and-set guard when two versions are agreed at the same moment.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.choices import (
    ArrangementSide,
    ArrangementStatus,
    ChangeStatus,
    FundingRoute,
    LifeArea,
    ReviewAspect,
    ReviewStatus,
)
from marketplace.models.base import Base, TimestampMixin, in_list, utcnow
from marketplace.models.people import Person
from marketplace.models.providers import Carer, Provider, Team

ONE_PRICE = (
    "(hourly_rate_pence IS NOT NULL AND hourly_rate_pence > 0 AND membership_plan_id IS NULL)"
    " OR (hourly_rate_pence IS NULL AND membership_plan_id IS NOT NULL)"
)
ENDS_AFTER_START = "ends_on IS NULL OR ends_on >= starts_on"


class Arrangement(TimestampMixin, Base):
    __tablename__ = "arrangements"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", ArrangementStatus.values()), name="status"),
        sa.CheckConstraint(in_list("funding_route", FundingRoute.values()), name="funding_route"),
        sa.CheckConstraint(ONE_PRICE, name="one_price"),
        sa.CheckConstraint(ENDS_AFTER_START, name="ends_after_start"),
        sa.CheckConstraint("agreed_version >= 0", name="agreed_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    # The introduction it grew from (at its meeting stage).
    introduction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("introductions.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=ArrangementStatus.PROPOSED)
    agreed_version: Mapped[int] = mapped_column(default=0)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    funding_route: Mapped[str] = mapped_column(sa.String(32))
    hourly_rate_pence: Mapped[int | None]
    membership_plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("membership_plans.id", ondelete="RESTRICT")
    )

    person: Mapped[Person] = relationship()
    provider: Mapped[Provider] = relationship()
    team: Mapped[Team | None] = relationship()
    versions: Mapped[list[ArrangementVersion]] = relationship(
        back_populates="arrangement",
        order_by="ArrangementVersion.number",
        cascade="all, delete-orphan",
    )

    def version(self, number: int) -> ArrangementVersion | None:
        return next((v for v in self.versions if v.number == number), None)

    @property
    def current(self) -> ArrangementVersion | None:
        """The version in effect: the last agreed, or the first proposal until then."""
        if self.agreed_version:
            return self.version(self.agreed_version)
        return self.versions[0] if self.versions else None

    @property
    def pending(self) -> list[ArrangementVersion]:
        return [v for v in self.versions if v.status == ChangeStatus.PROPOSED]


class ArrangementVersion(Base):
    """One version of the terms: proposed by one side, agreed (or not) by the other."""

    __tablename__ = "arrangement_versions"
    __table_args__ = (
        sa.UniqueConstraint("arrangement_id", "number", name="uq_arrangement_versions_number"),
        sa.CheckConstraint(in_list("status", ChangeStatus.values()), name="status"),
        sa.CheckConstraint(
            in_list("proposed_by_side", ArrangementSide.values()), name="proposed_by_side"
        ),
        sa.CheckConstraint(in_list("funding_route", FundingRoute.values()), name="funding_route"),
        sa.CheckConstraint(ONE_PRICE, name="one_price"),
        sa.CheckConstraint(ENDS_AFTER_START, name="ends_after_start"),
        sa.CheckConstraint("number > 0 AND based_on >= 0 AND based_on < number", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("arrangements.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    # The agreed version this one changes (0: the first terms).
    based_on: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default=ChangeStatus.PROPOSED)
    proposed_by_side: Mapped[str] = mapped_column(sa.String(12))
    proposed_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    on_behalf_of_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    funding_route: Mapped[str] = mapped_column(sa.String(32))
    hourly_rate_pence: Mapped[int | None]
    membership_plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("membership_plans.id", ondelete="RESTRICT")
    )
    decided_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

    arrangement: Mapped[Arrangement] = relationship(back_populates="versions")
    members: Mapped[list[ArrangementMember]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="ArrangementMember.id"
    )
    outcomes: Mapped[list[ArrangementOutcome]] = relationship(
        back_populates="version",
        cascade="all, delete-orphan",
        order_by="ArrangementOutcome.position",
    )


class ArrangementMember(Base):
    """A carer (or team member) in one version of an arrangement."""

    __tablename__ = "arrangement_members"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "carer_id", name="uq_arrangement_members_carer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("arrangement_versions.id", ondelete="CASCADE"), index=True
    )
    carer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("carers.id", ondelete="CASCADE"), index=True
    )
    # True when the person chose this team member themselves ("choose your team").
    chosen_by_person: Mapped[bool] = mapped_column(default=False)

    version: Mapped[ArrangementVersion] = relationship(back_populates="members")
    carer: Mapped[Carer] = relationship()


class ArrangementOutcome(Base):
    """What good looks like, in the person's own words."""

    __tablename__ = "arrangement_outcomes"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "position", name="uq_arrangement_outcomes_position"),
        sa.CheckConstraint(
            "life_area IS NULL OR " + in_list("life_area", LifeArea.values()), name="life_area"
        ),
        sa.CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("arrangement_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.String(300))
    life_area: Mapped[str | None] = mapped_column(sa.String(32))

    version: Mapped[ArrangementVersion] = relationship(back_populates="outcomes")


class Review(TimestampMixin, Base):
    """A person's review of an arrangement (one per arrangement), and the provider's reply."""

    __tablename__ = "reviews"
    __table_args__ = (sa.CheckConstraint(in_list("status", ReviewStatus.values()), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("arrangements.id", ondelete="CASCADE"), unique=True
    )
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    on_behalf_of_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    # What the public sees: a first name and an initial, fixed when the review is written.
    author_name: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default=ReviewStatus.PUBLISHED)
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[datetime | None]
    replied_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    arrangement: Mapped[Arrangement] = relationship()
    provider: Mapped[Provider] = relationship()
    ratings: Mapped[list[ReviewRating]] = relationship(
        cascade="all, delete-orphan", order_by="ReviewRating.aspect"
    )
    reports: Mapped[list[ReviewReport]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewReport.id"
    )

    def stars(self, aspect: str) -> int | None:
        return next((r.stars for r in self.ratings if r.aspect == aspect), None)


class ReviewRating(Base):
    __tablename__ = "review_ratings"
    __table_args__ = (
        sa.CheckConstraint(in_list("aspect", ReviewAspect.values()), name="aspect"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
    )

    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    aspect: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    stars: Mapped[int]


class ReviewReport(Base):
    """Someone thinks a review should not be shown: it goes to the moderators."""

    __tablename__ = "review_reports"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "reported_by_user_id", name="uq_review_reports_reporter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    reported_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    review: Mapped[Review] = relationship(back_populates="reports")
