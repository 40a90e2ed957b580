"""Counting the SQL statements a piece of work sends (tests that pin a page's cost)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from marketplace.extensions import db


@contextmanager
def statements(engine: sa.Engine | None = None) -> Iterator[list[str]]:
    """Every statement sent on ``engine`` (the app's, by default) inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        seen.append(statement)

    engine = db.engine if engine is None else engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
