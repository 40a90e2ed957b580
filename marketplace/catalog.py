"""The matching index, built from the database and shared by every worker process.

Every listed carer (``Carer.is_listed``: active, approved provider, verified checks;
placed on the map) becomes a
``matching.Candidate`` placed at the carer's *public point* (the centroid of their
postcode sector, see ``marketplace.geo.public_point``), never at their home.
Building is one core SELECT of the needed columns (no ORM objects).

Each catalog version is built once, by one process, and written to the catalog store
(``CATALOG_STORE_DIR``, one folder per database and version: ``matching.store`` column
files plus the carers' public cards); every worker memory-maps it read-only, so the
workers share one copy of it through the page cache and loading a new version takes
milliseconds. No request waits for a build and no request reads the version: a
background thread in each worker checks the catalog version every
``CATALOG_REFRESH_SECONDS`` (default 1 s) and, when it changed, has the new version
built (``CATALOG_BUILDER``: ``process``, the default, runs ``python -m
marketplace.catalog publish`` at low priority, so the build's CPU never holds a
worker's interpreter; ``thread`` builds in the refresher thread, as tests do), one
build at a time across workers (a file lock), then swaps the new catalog in while
requests keep using the previous one until then. gunicorn's master publishes and maps
the current version before forking (``warm_catalog``, ``gunicorn.conf.py``); only a
process started without it builds at its first request.
"""

from __future__ import annotations

import fcntl
import functools
import gc
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from flask import Flask, current_app, g

from marketplace.extensions import db
from marketplace.models import Carer, CatalogVersion, Provider, TeamMember
from marketplace.reviews_version import current_reviews_version
from matching import Candidate, CandidateIndex, build_index
from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS
from matching.store import (
    DECODED_CACHE_SIZE,
    STORE_FORMAT,
    PackedStrings,
    load_index,
    pack_strings,
    save_index,
)

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
    carers: Mapping[int, CarerCard] = field(default_factory=dict)
    # Values computed from the database that change only with the catalog (home page
    # counts, featured providers): see catalog_memo.
    memo: dict[str, tuple[float, Any]] = field(default_factory=dict)
    # Public parts of pages kept per key (a carer's id, ...): see catalog_fragment.
    fragments: dict[str, OrderedDict[Hashable, tuple[float, Any]]] = field(default_factory=dict)
    fragments_lock: threading.Lock = field(default_factory=threading.Lock)
    # The store folder it was loaded from (None when built in this process).
    path: Path | None = None

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
        # The reviews version (marketplace.reviews_version) as last read, when
        # (time.monotonic()), and how many review changes this process has committed.
        self.reviews_version: int | None = None
        self.reviews_seen_at = 0.0
        self.reviews_local = 0


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
            _json_text(c.pets_ok),
            _json_text(c.enjoys_support),
            _json_text(c.would_support),
            c.smoking_ok,
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
        + ",".join("[" + ",".join(text or "null" for text in row[12:19]) + "]" for row in rows)
        + "]"
    )
    candidates: list[Candidate] = []
    cards: dict[int, CarerCard] = {}
    for row, listed in zip(rows, lists, strict=True):
        skills, interests, languages, availability, pets, enjoys, would = listed
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
                # Only words of today's vocabularies (a word dropped since is not said).
                pets_ok=None if pets is None else _known(pets, PET_SLUGS),
                smoking_ok=row[19],
                enjoys_support=_known(enjoys, SUPPORT_KIND_SLUGS),
                would_support=_known(would, PERSON_GROUP_SLUGS),
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


def _known(values: list[str] | None, slugs: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v for v in values or () if v in slugs)


def _caching(app: Flask) -> bool:
    return bool(app.config.get("CATALOG_CACHE", not app.testing))


# ---------------------------------------------------------------------------
# The catalog store: one folder per database and catalog version
# ---------------------------------------------------------------------------

CURRENT = "CURRENT"  # names the newest published folder
KEEP_VERSIONS = 4  # older folders are deleted (a process that maps one keeps its pages)


class _StoredCards(Mapping[int, CarerCard]):
    """Carer id -> CarerCard, each decoded from the store's packed cards when read."""

    def __init__(self, index: CandidateIndex, packed: PackedStrings):
        self.index = index
        self.packed = packed
        # Cards are frozen and this version's store never changes: decoded once each,
        # for the most recently shown carers (bounded, see matching.store).
        self._cached = functools.lru_cache(maxsize=DECODED_CACHE_SIZE)(self._decode)

    def _decode(self, position: int) -> CarerCard:
        return CarerCard(*self.packed[position])

    def __getitem__(self, carer_id: int) -> CarerCard:
        position = self.index.position_of.get(carer_id)
        if position is None:
            raise KeyError(carer_id)
        return self._cached(position)

    def __contains__(self, carer_id: object) -> bool:
        return carer_id in self.index.position_of

    def __iter__(self) -> Iterator[int]:
        return (int(candidate_id) for candidate_id in self.index.position_of)

    def __len__(self) -> int:
        return self.index.size


def store_root(app: Flask) -> Path:
    """This database's folder in the catalog store."""
    base = app.config.get("CATALOG_STORE_DIR") or Path(app.instance_path) / "catalog"
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    return Path(base) / hashlib.sha256(url.encode()).hexdigest()[:16]


def _folder_name(key: tuple[int, Any]) -> str:
    # The store format is part of the name: a folder written by an older release is never
    # mapped by a newer one (it lacks the newer columns); the newer one builds its own.
    stamp = hashlib.sha256(f"{key[1]!r}/{STORE_FORMAT}".encode()).hexdigest()[:8]
    return f"v{int(key[0]):012d}-{stamp}"


def save_catalog(catalog: Catalog, directory: Path) -> None:
    """Write ``catalog`` into ``directory`` (new), atomically (complete, or not there)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".writing-", dir=directory.parent))
    try:
        save_index(catalog.index, tmp / "index")
        cards = [catalog.carers[int(c.id)] for c in catalog.index.candidates]
        blob, offsets = pack_strings(
            [
                [c.id, c.ref, c.display_name, c.district, c.provider_id, c.provider_name, c.team_id]
                for c in cards
            ]
        )
        np.save(tmp / "cards_blob.npy", blob, allow_pickle=False)
        np.save(tmp / "cards_offsets.npy", offsets, allow_pickle=False)
        version, changed = catalog.key
        (tmp / "key.json").write_bytes(
            orjson.dumps([version, changed.isoformat() if changed else None])
        )
        try:
            os.rename(tmp, directory)
        except OSError:
            if not (directory / "key.json").is_file():
                raise
            # Another builder published this very version first (one whose parent died
            # while holding the build lock, say): theirs is complete, keep it.
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_catalog(directory: Path) -> Catalog:
    """The catalog saved in ``directory``, memory-mapped read-only."""
    version, changed = orjson.loads((directory / "key.json").read_bytes())
    index = load_index(directory / "index")
    packed = PackedStrings(
        np.asarray(np.load(directory / "cards_blob.npy", mmap_mode="r")),
        np.asarray(np.load(directory / "cards_offsets.npy", mmap_mode="r")),
    )
    key = (int(version), datetime.fromisoformat(changed) if changed else None)
    return Catalog(key=key, index=index, carers=_StoredCards(index, packed), path=directory)


def published(root: Path) -> Path | None:
    """The newest published folder of this store, if any."""
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return root / name if name and (root / name).is_dir() else None


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One build at a time per store, across every process on this machine."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits without holding the interpreter
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish_catalog(app: Flask) -> Path:
    """Build the database's current catalog version into the store, unless it is there
    already, and name it the newest; its folder. Call with the build lock held."""
    root = store_root(app)
    with app.app_context():
        try:
            key = catalog_key()
            directory = root / _folder_name(key)
            if not directory.is_dir():
                save_catalog(build_catalog(key), directory)
        finally:
            db.session.remove()
    # Builds take turns (the lock) and each reads the database's latest version, so
    # the one just made is the newest (even after the database was reset).
    pointer = root / f".{CURRENT}.{os.getpid()}"
    pointer.write_text(directory.name)
    os.replace(pointer, root / CURRENT)
    _prune(root)
    return directory


def _prune(root: Path) -> None:
    folders = sorted((p for p in root.glob("v*-*") if p.is_dir()), key=_modified)
    newest = published(root)
    for old in folders[:-KEEP_VERSIONS]:
        if old != newest:
            shutil.rmtree(old, ignore_errors=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _run_builder(app: Flask) -> None:
    """Publish the current version: in a separate, low-priority process by default."""
    if app.config.get("CATALOG_BUILDER", "thread" if app.testing else "process") == "thread":
        publish_catalog(app)
        return
    env = {
        **os.environ,
        "DATABASE_URL": str(app.config["SQLALCHEMY_DATABASE_URI"]),
        "CATALOG_STORE_ROOT": str(store_root(app)),
        # Lower priority than the workers: requests first, the build with what is left.
        "CATALOG_BUILD_NICE": str(app.config.get("CATALOG_BUILD_NICE", 10)),
    }
    subprocess.run(
        [sys.executable, "-m", "marketplace.catalog", "publish"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=float(app.config.get("CATALOG_BUILD_TIMEOUT", 600)),
    )


def _current_store_catalog(app: Flask, key: tuple[int, Any]) -> Catalog:
    """The store's catalog for ``key`` (or newer), published first when it is missing."""
    root = store_root(app)
    directory = root / _folder_name(key)
    if not directory.is_dir():
        with _build_lock(root):
            if not directory.is_dir():
                _run_builder(app)
                directory = _required(published(root))
    return load_catalog(directory)


def get_catalog() -> Catalog:
    """The current catalog: mapped from the store once per worker, refreshed in the
    background.

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
                    # Built (in this process) only when nothing warmed it at start.
                    with _build_lock(store_root(app)):
                        publish_catalog(app)
                    catalog = load_catalog(_required(published(store_root(app))))
                    cache.catalog = catalog
                    cache.builds += 1
        _ensure_refresher(app, cache)
    g.coopcare_catalog = catalog
    return catalog


def _required(directory: Path | None) -> Path:
    if directory is None:
        raise RuntimeError("the catalog store holds no published catalog")
    return directory


def warm_catalog(app: Flask) -> None:
    """Publish the current catalog and map it now, before any request, without a
    refresher.

    gunicorn's master calls it (``gunicorn.conf.py``) before forking, so every worker
    starts with the catalog mapped (shared with the others); each worker starts its own
    refresher on its first request.
    """
    if not _caching(app):
        return
    cache = _cache(app)
    with cache.lock:
        if cache.catalog is None:
            with _build_lock(store_root(app)):
                publish_catalog(app)
            cache.catalog = load_catalog(_required(published(store_root(app))))
            cache.builds += 1


def refresh_catalog(app: Flask) -> bool:
    """Swap in the newest catalog if the version changed; True when it was swapped.

    Runs in the refresher thread (or a test); the new version is published by one
    process (see ``_run_builder``), then mapped here; requests keep the previous
    catalog until the new one is swapped in, in one assignment.
    """
    cache = _cache(app)
    with app.app_context():
        try:
            key = catalog_key()
            # Read before any build, which may take seconds: see reviews_version().
            _note_reviews_version(cache, current_reviews_version())
        finally:
            db.session.remove()
    current = cache.catalog
    if current is not None and current.key == key:
        return False
    catalog = _current_store_catalog(app, key)
    if current is not None and catalog.key == current.key:
        return False
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


def refresh_delay(every: float, failures: int, longest: float) -> float:
    """Seconds until the next refresh: ``every``, doubled after each failure in a row
    (the database is down, a build fails) up to ``longest``, so a broken database
    does not get a version query and a build process every second from every worker."""
    if failures <= 0:
        return every
    return max(every, min(longest, every * 2.0 ** min(failures, 32)))


def _refresh_loop(app: Flask, cache: _Cache, stop: threading.Event) -> None:
    every = float(app.config.get("CATALOG_REFRESH_SECONDS", 1.0))
    longest = float(app.config.get("CATALOG_REFRESH_MAX_BACKOFF_SECONDS", 60.0))
    failures = 0
    while not stop.wait(refresh_delay(every, failures, longest)):
        try:
            refresh_catalog(app)
        except Exception:  # noqa: BLE001 - keep serving the previous catalog, try again
            failures += 1
            app.logger.exception(
                "catalog refresh failed (%d in a row); serving the previous catalog, "
                "next try in %.1f s",
                failures,
                refresh_delay(every, failures, longest),
            )
        else:
            failures = 0


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


FRAGMENTS_PER_KIND = 2048  # per worker and catalog version, most recently used kept


def catalog_fragment(
    kind: str,
    key: Hashable,
    compute: Callable[[], Any],
    max_age: float = 60.0,
    most: int = FRAGMENTS_PER_KIND,
) -> Any:
    """``compute()`` kept with the current catalog under ``(kind, key)`` (so until the
    catalog changes), for at most ``max_age`` seconds, for the ``FRAGMENTS_PER_KIND``
    most recently asked keys; computed every time when the catalog is not cached. A
    ``None`` result is not kept.

    Only for what is the same for every visitor and changes only with the catalog (a
    carer's public profile): never anything of one visitor, session or account.
    """
    return catalog_fragments(kind, [key], lambda keys: {key: compute()}, max_age, most).get(key)


def catalog_fragments(
    kind: str,
    keys: list[Hashable],
    compute: Callable[[list[Hashable]], Mapping[Hashable, Any]],
    max_age: float = 60.0,
    most: int = FRAGMENTS_PER_KIND,
) -> dict[Hashable, Any]:
    """Like ``catalog_fragment`` for several keys at once: ``compute(missing)`` is asked
    once, for the keys not kept, and answers key -> value (a key it leaves out, or
    maps to None, is not kept). ``most``: how many of ``kind`` are kept (fewer for
    large values, such as whole pages)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _caching(app):
        return {k: v for k, v in compute(list(keys)).items() if v is not None}
    catalog = get_catalog()
    now = time.monotonic()
    found: dict[Hashable, Any] = {}
    missing: list[Hashable] = []
    with catalog.fragments_lock:
        kept = catalog.fragments.setdefault(kind, OrderedDict())
        for key in keys:
            entry = kept.get(key)
            if entry is not None and now - entry[0] <= max_age:
                kept.move_to_end(key)
                found[key] = entry[1]
            else:
                missing.append(key)
    if missing:
        computed = compute(missing)  # outside the lock: it may query the database
        with catalog.fragments_lock:
            for key, value in computed.items():
                if value is None:
                    continue
                found[key] = value
                kept[key] = (now, value)
                kept.move_to_end(key)
            while len(kept) > most:
                kept.popitem(last=False)
    return found


# ---------------------------------------------------------------------------
# Reviews kept with the catalog, until the reviews version moves
# ---------------------------------------------------------------------------

# A worker trusts the reviews version it last read for this long; older (its refresher
# is busy with a long build, or failing), a request reads it again itself.
REVIEWS_VERSION_MAX_AGE = 2.0


def _note_reviews_version(cache: _Cache, version: int) -> None:
    cache.reviews_version = version
    cache.reviews_seen_at = time.monotonic()


def reviews_version() -> tuple[int, int] | None:
    """Which published reviews this process knows of: the reviews version (read by the
    refresher every ``CATALOG_REFRESH_SECONDS``, or by this request when that reading is
    older than ``REVIEWS_VERSION_MAX_AGE``) and how many review changes this process
    committed since (so the process that hid a review never shows it again). None when
    the catalog is not cached (tests): nothing is kept."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _caching(app):
        return None
    cache = _cache(app)
    if (
        cache.reviews_version is None
        or time.monotonic() - cache.reviews_seen_at > REVIEWS_VERSION_MAX_AGE
    ):
        _note_reviews_version(cache, current_reviews_version())
    return (int(cache.reviews_version or 0), cache.reviews_local)


def reviews_changed_here() -> None:
    """This process committed a change to reviews: what it kept is stale at once."""
    from flask import has_app_context

    if has_app_context():
        cache = _cache(current_app._get_current_object())  # type: ignore[attr-defined]
        cache.reviews_local += 1


def reviews_fragment(kind: str, subject_id: int, compute: Callable[[], Any]) -> Any:
    """``compute()`` (the published reviews of one carer, team or provider, as every
    visitor not logged in sees them) kept with the catalog until the reviews version
    moves (see ``reviews_version``); computed every time when nothing is kept."""
    version = reviews_version()
    if version is None:
        return compute()
    return catalog_fragment("reviews", (kind, subject_id, version), compute)


def cache_builds(app: Flask) -> int:
    """How many catalogs this app has taken into use (for tests and monitoring)."""
    return _cache(app).builds


def _publish_main() -> int:
    """``python -m marketplace.catalog publish``: build the current version into the
    store (``CATALOG_STORE_ROOT``, else the app's), at low priority; print its folder."""
    os.nice(int(os.environ.get("CATALOG_BUILD_NICE", "10")))
    from marketplace import create_app

    app = create_app()
    if os.environ.get("CATALOG_STORE_ROOT"):
        root = Path(os.environ["CATALOG_STORE_ROOT"])
        app.config["CATALOG_STORE_DIR"] = str(root.parent)
        if store_root(app) != root:
            raise SystemExit(f"{root} is not the store of {app.config['SQLALCHEMY_DATABASE_URI']}")
    print(publish_catalog(app))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["publish"]:
        raise SystemExit("usage: python -m marketplace.catalog publish")
    raise SystemExit(_publish_main())
