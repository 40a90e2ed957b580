"""The catalog version: one number that changes whenever matching data changes.

Nobody bumps it by hand. Two session listeners do it in the same transaction as the
change: ``before_flush`` for ORM objects (a carer edited, a check verified, a team
member added) and ``do_orm_execute`` for bulk statements run through the session
(the QA compare-and-set update, the catalog import's chunked inserts). So every
worker's cached matching index is rebuilt after any change that affects listing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, UOWTransaction

from marketplace import version_counter
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import CatalogVersion, Provider

# Tables whose rows decide who is listed and what matching sees.
LISTING_TABLES = frozenset({"carers", "carer_checks", "providers", "teams", "team_members"})


def current_catalog_version() -> int:
    return db.session.scalar(sa.select(CatalogVersion.version).where(CatalogVersion.id == 1)) or 0


def bump_catalog_version(session: Session | None = None) -> None:
    """Mark the catalog changed, so every worker rebuilds its matching index.

    Runs on the session's connection (no ORM events, no autoflush), in the same
    transaction as the change: both commit, or neither does.
    """
    version_counter.bump(session if session is not None else db.session(), CatalogVersion)


def _affects_listing(obj: Any, deleted: bool = False) -> bool:
    table = getattr(type(obj), "__tablename__", None)
    if table not in LISTING_TABLES:
        return False
    if isinstance(obj, Provider) and not deleted:
        # Drafts change often during onboarding and are never listed: only a change of
        # status, or any change to a listed provider, matters.
        state = sa.inspect(obj)
        history = state.attrs.qa_status.history
        return state.pending or bool(history.deleted) or obj.qa_status == QAStatus.APPROVED
    return True


@sa.event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    if version_counter.flush_changes(session, _affects_listing):
        bump_catalog_version(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_write(state: sa.orm.ORMExecuteState) -> None:
    name = version_counter.written_table(state)
    if name not in LISTING_TABLES:
        return
    if name == "providers" and state.is_update and not _touches_approved(state.statement):
        return
    bump_catalog_version(state.session)


def _touches_approved(statement: Any) -> bool:
    """A QA status move (the compare-and-set in qa.transition) changes listing only when
    it moves to or from "approved"; any other bulk update of providers may change what
    a listed provider shows."""
    params = statement.compile().params
    statuses = {value for key, value in params.items() if key.startswith("qa_status")}
    return "qa_status" not in params or QAStatus.APPROVED in statuses
