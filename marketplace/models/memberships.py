"""Starting a membership, and the monthly outcome review with its guarantee refund.

(Plans, memberships and their Stripe invoices are in marketplace/models/payments.py.)
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.choices import OutcomeRating, OutcomeReviewStatus
from marketplace.models.base import Base, in_list, utcnow

OUTCOME_REVIEW_STATUSES = OutcomeReviewStatus.values()
OUTCOME_RATINGS = OutcomeRating.values()


class MembershipStart(Base):
    """One request to start a membership (one submitted start form). Its id names the
    Stripe writes (idempotency keys), and its token, unique, makes a second submit of the
    same form the same request. It is not a membership: only Stripe's answer makes one."""

    __tablename__ = "membership_starts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership_plans.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_subscription_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutcomeReview(Base):
    """A month's review of a membership: one per paid monthly invoice."""

    __tablename__ = "outcome_reviews"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", list(OUTCOME_REVIEW_STATUSES)), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="RESTRICT"), index=True
    )
    membership_invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership_invoices.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    period_start: Mapped[int | None] = mapped_column(sa.BigInteger)
    period_end: Mapped[int | None] = mapped_column(sa.BigInteger)
    person_rated_at: Mapped[datetime | None]
    person_rated_by_user_id: Mapped[int | None]
    team_rated_at: Mapped[datetime | None]
    team_rated_by_user_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OutcomeReviewLine]] = relationship(
        order_by="OutcomeReviewLine.position", cascade="all, delete-orphan"
    )
    refund: Mapped[GuaranteeRefund | None] = relationship(uselist=False, viewonly=True)


class OutcomeReviewLine(Base):
    """One agreed outcome in a review, rated by each side with a comment."""

    __tablename__ = "outcome_review_lines"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "position", name="uq_outcome_review_lines_position"),
        sa.CheckConstraint(
            "person_rating IS NULL OR " + in_list("person_rating", list(OUTCOME_RATINGS)),
            name="person_rating",
        ),
        sa.CheckConstraint(
            "team_rating IS NULL OR " + in_list("team_rating", list(OUTCOME_RATINGS)),
            name="team_rating",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_reviews.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    outcome: Mapped[str] = mapped_column(sa.Text)
    person_rating: Mapped[str | None] = mapped_column(sa.String(12))
    person_comment: Mapped[str] = mapped_column(sa.Text, default="")
    team_rating: Mapped[str | None] = mapped_column(sa.String(12))
    team_comment: Mapped[str] = mapped_column(sa.Text, default="")


class GuaranteeRefund(Base):
    """The outcome guarantee's refund for one review (at most one: the review id is
    unique here, and names the Stripe refund's idempotency key). `stripe_refund_id` is
    empty until Stripe has answered; the status is Stripe's."""

    __tablename__ = "guarantee_refunds"
    __table_args__ = (sa.CheckConstraint("amount_pence > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_reviews.id", ondelete="RESTRICT"), unique=True
    )
    membership_invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership_invoices.id", ondelete="RESTRICT"), index=True
    )
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255))
    amount_pence: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_status: Mapped[str | None] = mapped_column(sa.String(40))
    failure_message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set (compare-and-set) by whoever asks Stripe, so two requests never both ask.
    requested_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
