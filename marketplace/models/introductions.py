"""Introductions: a person (or a supporter for them) asks to meet a carer, a team or a
provider; the message thread on each introduction; blocks between its two sides.

The status column moves only through ``marketplace.introductions.INTRODUCTION_WORKFLOW``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.choices import DeclineReason, IntroductionSide, IntroductionStatus
from marketplace.models.base import Base, TimestampMixin, in_list, utcnow

if TYPE_CHECKING:
    from marketplace.models.people import Person
    from marketplace.models.providers import Carer, Provider, Team
    from marketplace.models.users import User


class Introduction(TimestampMixin, Base):
    """A request to be introduced: to a carer or a team of a provider, or to the provider.

    ``provider_id`` is always set (a carer's or team's provider; a self-employed PA is
    their own provider), so the provider's admins always see the request.
    """

    __tablename__ = "introductions"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", IntroductionStatus.values()), name="status"),
        sa.CheckConstraint(
            "decline_reason IS NULL OR " + in_list("decline_reason", DeclineReason.values()),
            name="decline_reason",
        ),
        sa.CheckConstraint("carer_id IS NULL OR team_id IS NULL", name="one_target"),
        sa.CheckConstraint("expires_on >= remind_on", name="expires_after_reminder"),
        sa.Index("ix_introductions_status_expires", "status", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    # Set when a supporter asked for the person ("by X for Y"); None when they asked.
    supporter_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    carer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("carers.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text)
    # Availability slots ("mon-am", see choices.SLOTS) the person would like.
    preferred_times: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(20), default=IntroductionStatus.REQUESTED)

    # The answer.
    answered_at: Mapped[datetime | None]
    answered_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.String(32))
    decline_text: Mapped[str] = mapped_column(sa.Text, default="")
    # Accepting offers meeting times (ISO datetimes in UK time, as "2026-12-03T10:00");
    # the person picks one, and the introduction is at the meeting stage.
    meeting_options: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    meeting_at: Mapped[datetime | None]
    meeting_place: Mapped[str] = mapped_column(sa.String(200), default="")

    # After the meeting each side says yes; when both have, the status is agreed.
    person_agreed_at: Mapped[datetime | None]
    provider_agreed_at: Mapped[datetime | None]
    contact_shared_at: Mapped[datetime | None]
    closed_reason: Mapped[str] = mapped_column(sa.Text, default="")

    # Every request ends in an answer: working days from the person's nation's calendar.
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_on: Mapped[date]
    expires_on: Mapped[date]
    reminder_sent_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    supporter: Mapped[User | None] = relationship(foreign_keys=[supporter_user_id])
    provider: Mapped[Provider] = relationship()
    carer: Mapped[Carer | None] = relationship()
    team: Mapped[Team | None] = relationship()
    messages: Mapped[list[IntroductionMessage]] = relationship(
        back_populates="introduction",
        cascade="all, delete-orphan",
        order_by="IntroductionMessage.created_at, IntroductionMessage.id",
    )
    blocks: Mapped[list[IntroductionBlock]] = relationship(
        back_populates="introduction", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return IntroductionStatus.label_for(self.status) or self.status

    @property
    def decline_reason_label(self) -> str | None:
        return DeclineReason.label_for(self.decline_reason)

    @property
    def target_name(self) -> str:
        """Who the introduction is to, as a person reads it."""
        if self.carer is not None:
            return self.carer.display_name
        if self.team is not None:
            return f"{self.team.name} ({self.provider.name})"
        return self.provider.name

    @property
    def contact_shared(self) -> bool:
        """Contact details (and the person's postcode) show only once both sides agreed."""
        return self.status == IntroductionStatus.AGREED and self.contact_shared_at is not None

    def block_by(self, side: str) -> IntroductionBlock | None:
        return next((block for block in self.blocks if block.side == side), None)


class IntroductionMessage(Base):
    """One message on an introduction's thread: plain text, shown escaped."""

    __tablename__ = "introduction_messages"
    __table_args__ = (
        sa.CheckConstraint(in_list("side", IntroductionSide.values()), name="side"),
        sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("introductions.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The side the author wrote for; a supporter writes on the person's side "for" them.
    side: Mapped[str] = mapped_column(sa.String(10))
    on_behalf_of_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Reported messages go to the reviewers' moderation list; a reviewer may hide one.
    reported_at: Mapped[datetime | None]
    reported_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    report_reason: Mapped[str] = mapped_column(sa.Text, default="")
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_at: Mapped[datetime | None]
    hidden_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    moderated_at: Mapped[datetime | None]

    introduction: Mapped[Introduction] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(foreign_keys=[author_user_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_user_id])


class IntroductionBlock(Base):
    """One side of a thread stops the other side posting (lifted by deleting the row)."""

    __tablename__ = "introduction_blocks"
    __table_args__ = (
        sa.CheckConstraint(in_list("side", IntroductionSide.values()), name="side"),
        sa.UniqueConstraint("introduction_id", "side", name="uq_introduction_blocks_side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("introductions.id", ondelete="CASCADE")
    )
    # The side that blocked the other one.
    side: Mapped[str] = mapped_column(sa.String(10))
    blocked_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    introduction: Mapped[Introduction] = relationship(back_populates="blocks")
