"""The one clock: now (UTC, for storing) and today (the date in Europe/London, for people).

Times are stored in UTC and shown in UK time, so "today" is always the London date:
at 00:30 BST on 1 July it is already 1 July here, though still 30 June in UTC.
Tests move the clock with ``frozen(...)`` instead of patching call sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_frozen_at: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(UTC)


def london_now() -> datetime:
    """The current moment in UK time (GMT or BST)."""
    return now().astimezone(LONDON)


def today() -> date:
    """Today's date in the UK."""
    return london_now().date()


def london_date(unix_seconds: int) -> date:
    """The UK date of a Unix time (Stripe's times)."""
    return datetime.fromtimestamp(unix_seconds, UTC).astimezone(LONDON).date()


def long_date(value: date | None) -> str:
    """A date as people read it: date(2026, 3, 3) -> "3 March 2026" ("" for None)."""
    return f"{value.day} {value:%B %Y}" if value else ""


@contextmanager
def frozen(at: datetime | date) -> Iterator[datetime]:
    """Stop the clock at ``at`` (a naive datetime is UTC; a date is noon in London)."""
    global _frozen_at
    if not isinstance(at, datetime):
        at = datetime(at.year, at.month, at.day, 12, tzinfo=LONDON)
    elif at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    previous, _frozen_at = _frozen_at, at.astimezone(UTC)
    try:
        yield _frozen_at
    finally:
        _frozen_at = previous
