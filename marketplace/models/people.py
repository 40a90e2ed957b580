"""People with a personal budget, and the consent they give supporters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.choices import ConsentScope, FundingRoute, GrantStatus, InvitationStatus
from marketplace.models.base import Base, TimestampMixin, in_list, utcnow
from marketplace.models.users import User

if TYPE_CHECKING:
    from marketplace.models.budgets import Budget

FUNDING_ROUTES = FundingRoute.labels()
CONSENT_SCOPES = ConsentScope.labels()
GRANT_STATUSES = GrantStatus.values()
INVITATION_STATUSES = InvitationStatus.values()


class Person(TimestampMixin, Base):
    __tablename__ = "people"
    __table_args__ = (
        sa.CheckConstraint(in_list("funding_route", list(FUNDING_ROUTES)), name="funding_route"),
        sa.CheckConstraint("max_distance_km > 0 AND max_distance_km <= 200", name="max_distance"),
        sa.CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        sa.CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    # The full postcode is private: only the person, their supporters and staff see it.
    postcode: Mapped[str | None] = mapped_column(sa.String(8))
    district: Mapped[str | None] = mapped_column(sa.String(4))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    care_council_code: Mapped[str | None] = mapped_column(sa.String(9))
    max_distance_km: Mapped[float] = mapped_column(default=10.0)
    must_have: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    nice_to_have: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    preferences: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # None until the person chooses: a funding route is never assumed for them.
    funding_route: Mapped[str | None] = mapped_column(sa.String(32))
    share_profile_with_providers: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="person")
    consent_grants: Mapped[list[ConsentGrant]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    # No delete cascade: deleting the person leaves their budgets (and ledgers) anonymised.
    budgets: Mapped[list[Budget]] = relationship(
        back_populates="person", cascade="save-update, merge", order_by="Budget.starts_on"
    )


class ConsentGrant(Base):
    """A person lets a supporter act for them, within scopes, for a time."""

    __tablename__ = "consent_grants"
    __table_args__ = (
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(in_list("status", list(GRANT_STATUSES)), name="status"),
        # One grant in force per supporter and person: a second invitation changes it.
        sa.Index(
            "uq_consent_grants_active_pair",
            "person_id",
            "supporter_user_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    supporter_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    granted_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    relationship_to_person: Mapped[str] = mapped_column(sa.String(80), default="")
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Changed only by GRANT_WORKFLOW (marketplace.supporters.services): active -> revoked.
    status: Mapped[str] = mapped_column(
        sa.String(10), default=GrantStatus.ACTIVE, server_default=GrantStatus.ACTIVE.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="consent_grants")
    supporter: Mapped[User] = relationship(foreign_keys=[supporter_user_id])

    def allows(self, scope: str, at: datetime | None = None) -> bool:
        """True when this grant covers the scope at the given moment."""
        at = at or utcnow()
        starts = _aware(self.starts_at)
        if self.revoked_at is not None or self.status == GrantStatus.REVOKED or at < starts:
            return False
        if self.ends_at is not None and at >= _aware(self.ends_at):
            return False
        return scope in (self.scopes or [])


class SupporterInvitation(TimestampMixin, Base):
    """A person's invitation to someone to support them, sent by e-mail as a link.

    The link carries a random secret; only its SHA-256 is stored, so a copy of the table
    cannot be turned into working links. The link works once (pending -> accepted, a
    compare-and-set move of INVITATION_WORKFLOW), until ``expires_at``, and not after the
    person withdraws it. Accepting it creates (or changes) the ConsentGrant.
    """

    __tablename__ = "supporter_invitations"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", list(INVITATION_STATUSES)), name="status"),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.Index("ix_supporter_invitations_person_id_created_at", "person_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    invited_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    # What the person calls them ("Joe"), shown to the person only.
    display_name: Mapped[str] = mapped_column(sa.String(120))
    relationship_to_person: Mapped[str] = mapped_column(sa.String(80))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    grant_ends_at: Mapped[datetime | None]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=InvitationStatus.PENDING)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    grant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consent_grants.id", ondelete="SET NULL")
    )

    person: Mapped[Person] = relationship()

    def usable(self, at: datetime | None = None) -> bool:
        """True while the link can still be accepted."""
        at = at or utcnow()
        return self.status == InvitationStatus.PENDING and at < _aware(self.expires_at)


def _aware(value: datetime) -> datetime:
    # SQLite drops tzinfo; everything we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
