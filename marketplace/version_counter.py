"""One-row version counters (the catalog version, the reviews version): the shared
mechanism. A counter moves in the same transaction as the change it marks, on the
session's connection (no ORM events, no autoflush): both commit, or neither does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session


def bump(session: Session, model: type[Any]) -> None:
    """Add one to `model`'s single row (id 1), creating it at 1 the first time."""
    table = cast(sa.Table, model.__table__)
    connection = session.connection()
    updated = connection.execute(
        sa.update(table).where(table.c.id == 1).values(version=table.c.version + 1)
    )
    if updated.rowcount == 0:
        connection.execute(sa.insert(table).values(id=1, version=1))


def flush_changes(session: Session, affects: Callable[..., bool]) -> bool:
    """Whether the flush about to run writes anything `affects(obj, deleted=…)` says
    matters: a new or deleted object, or a changed one (collections aside)."""
    return (
        any(affects(obj) for obj in session.new)
        or any(affects(obj, deleted=True) for obj in session.deleted)
        or any(
            session.is_modified(obj, include_collections=False) and affects(obj)
            for obj in session.dirty
        )
    )


def written_table(state: sa.orm.ORMExecuteState) -> str | None:
    """The table a bulk INSERT, UPDATE or DELETE run through the session writes."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    return getattr(getattr(state.statement, "table", None), "name", None)
