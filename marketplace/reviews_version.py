"""The reviews version: one number that changes whenever published reviews may change.

Pages keep the reviews they show (``marketplace.catalog.reviews_fragment``) until this
number moves, so it must move with every change, in the same transaction. Nobody bumps
it by hand: like the catalog version, two session listeners do, ``before_flush`` for ORM
objects and ``do_orm_execute`` for bulk statements, whenever a write touches

- ``reviews``: written, answered, hidden or shown again (``REVIEW_WORKFLOW``), deleted;
- ``review_ratings`` and ``review_reports`` (a report changes nothing the public sees,
  but costs one counter update and keeps the rule simple);
- ``arrangement_members``, and ``arrangements`` when a version is agreed
  (``agreed_version``: which carers a review is about) or an arrangement is deleted.

A write outside the app's session (a bare connection, psql) is not seen: it waits for
the next catalog change or the fragment's ``max_age``, like the catalog itself.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, UOWTransaction

from marketplace import version_counter
from marketplace.extensions import db
from marketplace.models import Arrangement, ReviewsVersion

# Tables whose rows decide which reviews are shown, and how.
REVIEW_TABLES = frozenset({"reviews", "review_ratings", "review_reports", "arrangement_members"})
# Set on a session whose transaction bumped the version; read after it commits.
BUMPED = "coopcare_reviews_bumped"


def current_reviews_version(session: Session | None = None) -> int:
    session = session if session is not None else db.session()
    return int(session.scalar(sa.select(ReviewsVersion.version).where(ReviewsVersion.id == 1)) or 0)


def bump_reviews_version(session: Session | None = None) -> None:
    """Mark published reviews changed, in the same transaction as the change."""
    session = session if session is not None else db.session()
    version_counter.bump(session, ReviewsVersion)
    session.info[BUMPED] = True


def _affects_reviews(obj: Any, deleted: bool = False) -> bool:
    if isinstance(obj, Arrangement):
        if deleted:
            return True
        state = sa.inspect(obj)
        return not state.pending and bool(state.attrs.agreed_version.history.deleted)
    return getattr(type(obj), "__tablename__", None) in REVIEW_TABLES


@sa.event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    # A new arrangement is pending, so _affects_reviews says no: it has no reviews yet.
    if version_counter.flush_changes(session, _affects_reviews):
        bump_reviews_version(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_write(state: sa.orm.ORMExecuteState) -> None:
    name = version_counter.written_table(state)
    if name is None:
        return
    if name == "arrangements":
        params = cast(sa.ClauseElement, state.statement).compile().params
        if state.is_update and "agreed_version" not in params:
            return
    elif name not in REVIEW_TABLES:
        return
    bump_reviews_version(state.session)


@sa.event.listens_for(Session, "after_commit")
def _forget_kept_reviews(session: Session) -> None:
    """The process that made the change sees it at once (others within seconds, see
    ``marketplace.catalog.reviews_version``)."""
    if session.info.pop(BUMPED, False):
        from marketplace.catalog import reviews_changed_here

        reviews_changed_here()


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(BUMPED, None)
