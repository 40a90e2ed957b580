"""A person's shortlist of carers and teams, and the searches they asked to hear about."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from marketplace.models.people import Person
    from marketplace.models.providers import Carer, Team

SHORTLIST_MAX = 20  # one screen to compare from; the same cap for visitors and accounts
NOTE_MAX = 2000
SAVED_SEARCHES_MAX = 10


class ShortlistEntry(TimestampMixin, Base):
    """One carer or one team on a person's shortlist, with the person's private note."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (
        sa.CheckConstraint("(carer_id IS NULL) <> (team_id IS NULL)", name="carer_or_team"),
        sa.UniqueConstraint("person_id", "carer_id", name="uq_shortlist_entries_person_carer"),
        sa.UniqueConstraint("person_id", "team_id", name="uq_shortlist_entries_person_team"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    carer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("carers.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    # Private: only the person, and supporters they let see their profile, read it.
    note: Mapped[str] = mapped_column(sa.Text, default="")

    person: Mapped[Person] = relationship()
    carer: Mapped[Carer | None] = relationship()
    team: Mapped[Team | None] = relationship()

    @property
    def kind(self) -> str:
        return "carer" if self.carer_id is not None else "team"

    @property
    def target_id(self) -> int:
        return self.carer_id if self.carer_id is not None else self.team_id  # type: ignore[return-value]


class SavedSearch(Base):
    """A search a person asked to be told about when a new listed carer matches it.

    The place is kept as a postcode district only (``outcode``), never a full postcode:
    the search runs from the district's centre, and links and e-mails name no more.
    ``criteria`` holds the other search choices as the search form's own fields.
    """

    __tablename__ = "saved_searches"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "key", name="uq_saved_searches_person_key"),
        sa.CheckConstraint("radius_km BETWEEN 1 AND 200", name="radius"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    outcode: Mapped[str] = mapped_column(sa.String(4))
    radius_km: Mapped[int]
    criteria: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The same search twice is one saved search: a canonical text of place and criteria.
    key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    seen: Mapped[list[SavedSearchCarer]] = relationship(
        back_populates="saved_search", cascade="all, delete-orphan"
    )


class SavedSearchCarer(Base):
    """A carer a saved search has already matched: the person hears about each one once.

    Carers who matched when the search was saved are recorded with no ``notified_at``
    (the person saw them on the results page); later ones when the person was told.
    """

    __tablename__ = "saved_search_carers"

    saved_search_id: Mapped[int] = mapped_column(
        sa.ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True
    )
    carer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("carers.id", ondelete="CASCADE"), primary_key=True
    )
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]

    saved_search: Mapped[SavedSearch] = relationship(back_populates="seen")
