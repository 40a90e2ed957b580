"""The matching index, built from the database and cached per worker process.

Every listed carer (``Carer.is_listed``: active, approved provider, verified checks;
placed on the map) becomes a
``matching.Candidate`` placed at the carer's *public point* (the centroid of their
postcode sector, see ``marketplace.geo.public_point``), never at their home.
Building is one core SELECT of the needed columns (no ORM objects), so 100k carers
build in a couple of seconds. The built catalog is cached per application (that is,
per worker process). No request waits for a rebuild and no request reads the version:
a background thread in each worker checks the catalog version every
``CATALOG_REFRESH_SECONDS`` (default 1 s) and, when it changed, builds the new catalog
while requests keep using the previous one, then swaps it in. So every worker serves
the new catalog within a couple of seconds of a change (plus the build time). Only the
very first request of a process builds (``warm_catalog`` does it at start instead).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask, current_app, g

from marketplace.extensions import db
from marketplace.models import Carer, CatalogVersion, Provider, TeamMember
from matching import Candidate, CandidateIndex, build_index

_EXTENSION = "coopcare_catalog"
_create_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class CarerCard:
    """What the directory shows about a listed carer (never a full postcode)."""

    id: int
    ref: str | None
    display_name: str
    district: str | None
    provider_id: int
    provider_name: str
    team_id: int | None


@dataclass
class Catalog:
    """The matching index plus the public facts needed to show each match."""

    key: tuple[int, Any]
    index: CandidateIndex
    carers: dict[int, CarerCard] = field(default_factory=dict)
    # Values computed from the database that change only with the catalog (home page
    # counts, featured providers): see catalog_memo.
    memo: dict[str, tuple[float, Any]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.index.size


class _Cache:
    """One per app (one app per worker process); guarded by a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.catalog: Catalog | None = None
        self.builds = 0
        self.refresher: threading.Thread | None = None
        self.refresher_pid: int | None = None
        self.stop = threading.Event()


def _cache(app: Flask) -> _Cache:
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        with _create_lock:
            cache = app.extensions.setdefault(_EXTENSION, _Cache())
    return cache


def catalog_key() -> tuple[int, datetime | None]:
    """The catalog version and when it changed: one single-row SELECT."""
    row = db.session.execute(
        sa.select(CatalogVersion.version, CatalogVersion.updated_at).where(CatalogVersion.id == 1)
    ).first()
    if row is None:
        return (0, None)
    return (int(row.version), row.updated_at)


def _first_team() -> sa.Subquery:
    return (
        sa.select(TeamMember.carer_id, sa.func.min(TeamMember.team_id).label("team_id"))
        .group_by(TeamMember.carer_id)
        .subquery("first_team")
    )


def _json_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.cast(column, sa.Text)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building.

    Building makes a few million small objects and no cycles; without the pause the
    collector's repeated full passes make a 100k build several times slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_catalog(key: tuple[int, Any] | None = None) -> Catalog:
    """Build the catalog (see _build_catalog) with the garbage collector paused."""
    with _gc_paused():
        return _build_catalog(key)


def _build_catalog(key: tuple[int, Any] | None = None) -> Catalog:
    """Read every listed carer in one SELECT and build the matching index.

    The JSON list columns are fetched as text and decoded with one ``orjson.loads`` of
    the whole result, which is several times faster than decoding row by row.
    """
    key = catalog_key() if key is None else key
    team = _first_team()
    c = Carer.__table__.c
    statement = (
        sa.select(
            c.id,
            c.ref,
            c.display_name,
            c.district,
            # The public point, never the home: every hard filter, score and distance
            # the index gives is then about the postcode sector, not the address.
            c.public_lat,
            c.public_lon,
            c.travel_radius_km,
            c.gender,
            c.hourly_rate_pence,
            c.provider_id,
            Provider.name.label("provider_name"),
            team.c.team_id,
            _json_text(c.skills),
            _json_text(c.interests),
            _json_text(c.languages),
            _json_text(c.availability),
        )
        .join(Provider, Provider.id == c.provider_id)
        .outerjoin(team, team.c.carer_id == c.id)
        .where(
            Carer.is_listed,
            c.lat.is_not(None),
            c.lon.is_not(None),
        )
        .order_by(c.id)
    )
    # Core rows straight from the connection: no ORM result processing.
    rows = db.session.connection().execute(statement).all()
    lists = orjson.loads(
        "["
        + ",".join(
            f"[{row[12] or 'null'},{row[13] or 'null'},{row[14] or 'null'},{row[15] or 'null'}]"
            for row in rows
        )
        + "]"
    )
    candidates: list[Candidate] = []
    cards: dict[int, CarerCard] = {}
    for row, (skills, interests, languages, availability) in zip(rows, lists, strict=True):
        (
            carer_id,
            ref,
            name,
            district,
            lat,
            lon,
            radius,
            gender,
            rate,
            provider_id,
            provider_name,
            team_id,
        ) = row[:12]
        candidates.append(
            Candidate(
                id=carer_id,
                lat=lat,
                lon=lon,
                travel_radius_km=radius,
                skills=frozenset(skills or ()),
                interests=tuple(interests or ()),
                languages=frozenset(languages or ()),
                gender=gender,
                hourly_rate_pence=rate,
                availability=None if availability is None else frozenset(availability),
                provider_id=provider_id,
                team_id=team_id,
                name=name,
            )
        )
        cards[carer_id] = CarerCard(
            id=carer_id,
            ref=ref,
            display_name=name,
            district=district,
            provider_id=provider_id,
            provider_name=provider_name,
            team_id=team_id,
        )
    return Catalog(key=key, index=build_index(candidates), carers=cards)


def _caching(app: Flask) -> bool:
    return bool(app.config.get("CATALOG_CACHE", not app.testing))


def get_catalog() -> Catalog:
    """The current catalog: cached per worker and refreshed in the background.

    With ``CATALOG_CACHE`` off (the default when testing, where each test's data is
    rolled back), it is built once per request instead.
    """
    if "coopcare_catalog" in g:
        return g.coopcare_catalog
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _caching(app):
        catalog = build_catalog(catalog_key())
    else:
        cache = _cache(app)
        catalog = cache.catalog
        if catalog is None:
            with cache.lock:
                catalog = cache.catalog
                if catalog is None:
                    catalog = build_catalog()
                    cache.catalog = catalog
                    cache.builds += 1
        _ensure_refresher(app, cache)
    g.coopcare_catalog = catalog
    return catalog


def warm_catalog(app: Flask) -> None:
    """Build the cached catalog now, before any request and without a refresher.

    gunicorn's master calls it (``gunicorn.conf.py``) before forking, so every worker
    starts with the catalog in memory it shares with the others; each worker starts its
    own refresher on its first request.
    """
    if not _caching(app):
        return
    cache = _cache(app)
    with app.app_context():
        try:
            with cache.lock:
                if cache.catalog is None:
                    cache.catalog = build_catalog()
                    cache.builds += 1
        finally:
            db.session.remove()


def refresh_catalog(app: Flask) -> bool:
    """Rebuild the cached catalog if the version changed; True when it was rebuilt.

    Runs in the refresher thread (or a test); requests keep the previous catalog until
    the new one is swapped in, in one assignment.
    """
    cache = _cache(app)
    with app.app_context():
        try:
            key = catalog_key()
            current = cache.catalog
            if current is not None and current.key == key:
                return False
            catalog = build_catalog(key)
        finally:
            db.session.remove()
    with cache.lock:
        cache.catalog = catalog
        cache.builds += 1
    return True


def _ensure_refresher(app: Flask, cache: _Cache) -> None:
    """One refresher thread per process (threads do not survive a fork)."""
    pid = os.getpid()
    if cache.refresher_pid == pid and cache.refresher is not None:
        return
    with cache.lock:
        if cache.refresher_pid == pid and cache.refresher is not None:
            return
        cache.stop = threading.Event()
        cache.refresher = threading.Thread(
            target=_refresh_loop, args=(app, cache, cache.stop), name="catalog-refresh", daemon=True
        )
        cache.refresher_pid = pid
        cache.refresher.start()


def _refresh_loop(app: Flask, cache: _Cache, stop: threading.Event) -> None:
    every = float(app.config.get("CATALOG_REFRESH_SECONDS", 1.0))
    while not stop.wait(every):
        try:
            refresh_catalog(app)
        except Exception:  # noqa: BLE001 - keep serving the previous catalog, try again
            app.logger.exception("catalog refresh failed; serving the previous catalog")


def stop_refresher(app: Flask) -> None:
    """Stop this process's refresher thread (tests, and before a process exits)."""
    cache = _cache(app)
    thread = cache.refresher
    cache.stop.set()
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        thread.join(timeout=30)
    cache.refresher = None
    cache.refresher_pid = None


def catalog_memo(name: str, compute: Callable[[], Any], max_age: float = 60.0) -> Any:
    """``compute()`` cached with the current catalog (so until the catalog changes),
    for at most ``max_age`` seconds; computed every time when the catalog is not cached.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _caching(app):
        return compute()
    catalog = get_catalog()
    now = time.monotonic()
    entry = catalog.memo.get(name)
    if entry is None or now - entry[0] > max_age:
        entry = (now, compute())
        catalog.memo[name] = entry
    return entry[1]


def cache_builds(app: Flask) -> int:
    """How many times this app built its cached catalog (for tests and monitoring)."""
    return _cache(app).builds
