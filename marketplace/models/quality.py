"""Quality assurance: evidence documents, QA decisions, onboarding progress, notifications."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, in_list, utcnow
from marketplace.models.providers import QA_STATUSES, Provider
from marketplace.models.users import User

EVIDENCE_KINDS = {
    "insurance": "Insurance (employer's and public liability)",
    "safeguarding_policy": "Safeguarding policy",
    "dbs_policy": "DBS checks policy",
    # The slug is from when CQC was the only regulator; any of the four's certificate.
    "cqc_registration": "Care regulator registration certificate (CQC, Care Inspectorate, "
    "CIW or RQIA)",
}
# Short names for sentences: "Insurance expired on 3 March 2026".
EVIDENCE_SHORT_NAMES = {
    "insurance": "Insurance",
    "safeguarding_policy": "Safeguarding policy",
    "dbs_policy": "DBS policy",
    "cqc_registration": "Care regulator registration",
}
# Detected content type -> file extension. Checked from the file's bytes, never its name.
EVIDENCE_CONTENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class Evidence(Base):
    """A document a provider sends as proof (insurance, policies, CQC registration).

    The file lives outside the web root under a random name (``stored_name``); the
    name the user gave it is kept only for display. Uploading a new document of the
    same kind archives the old one, so history is kept.
    """

    __tablename__ = "evidence"
    __table_args__ = (
        sa.CheckConstraint(in_list("kind", list(EVIDENCE_KINDS)), name="kind"),
        sa.CheckConstraint(
            in_list("content_type", list(EVIDENCE_CONTENT_TYPES)), name="content_type"
        ),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_length"),
        # At most one current document of each kind per provider.
        sa.Index(
            "uq_evidence_current_kind",
            "provider_id",
            "kind",
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32))
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    expires_on: Mapped[date]
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a newer document of the same kind replaced this one.
    archived_at: Mapped[datetime | None]
    # Set when the provider was told this document expires soon (once per document).
    expiry_warned_at: Mapped[datetime | None]

    provider: Mapped[Provider] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_current(self) -> bool:
        return self.archived_at is None

    @property
    def kind_label(self) -> str:
        return EVIDENCE_KINDS.get(self.kind, self.kind)

    @property
    def short_name(self) -> str:
        return EVIDENCE_SHORT_NAMES.get(self.kind, self.kind)

    def is_expired(self, today: date) -> bool:
        """A document is good up to and including its expiry date."""
        return self.expires_on < today


class QAEvent(Base):
    """One quality-assurance status change: who, from what, to what, why. Only added."""

    __tablename__ = "qa_events"
    __table_args__ = (
        sa.CheckConstraint(in_list("from_status", QA_STATUSES), name="from_status"),
        sa.CheckConstraint(in_list("to_status", QA_STATUSES), name="to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    # None when the system acted (the daily expiry job).
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    provider: Mapped[Provider] = relationship()
    actor: Mapped[User | None] = relationship()


class OnboardingProgress(Base):
    """Which onboarding questions a provider admin has not answered yet.

    Only providers that started in the onboarding flow have a row; providers created
    any other way (imports, demo data) count every question as answered.
    """

    __tablename__ = "provider_onboarding"

    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True
    )
    unanswered: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    started_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)

    provider: Mapped[Provider] = relationship()


class Notification(Base):
    """A message for one user, shown in the service (and usually emailed too)."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxEmail(Base):
    """An e-mail waiting to be delivered, written in the same transaction as its cause.

    A worker claims it (pending -> sending), sends it, and marks it sent; a failure puts
    it back to pending with a later ``next_attempt_at``, until it has failed too often.
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", OUTBOX_STATUSES), name="status"),
        sa.Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
