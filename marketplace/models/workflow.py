"""The shared event log of every declared workflow (see marketplace.workflow)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, utcnow


class WorkflowEvent(Base):
    """One move of one record through its workflow: who, from what, to what, why. Only added.

    Quality assurance keeps its own ``qa_events`` table (older than this one); every
    workflow declared since writes here.
    """

    __tablename__ = "workflow_events"
    __table_args__ = (sa.Index("ix_workflow_events_subject", "workflow", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(sa.String(40))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int]
    move: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str] = mapped_column(sa.String(40))
    to_state: Mapped[str] = mapped_column(sa.String(40))
    # None when the system moved it (a scheduled job).
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set when a supporter moved it for a person: "by supporter X for person Y".
    on_behalf_of_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
