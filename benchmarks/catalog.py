"""Benchmark the catalog on PostgreSQL: matching index build and catalog import.

Run from the repository root (PostgreSQL running locally):

    .venv/bin/python benchmarks/catalog.py [--carers 100000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/coopcare_bench]

Uses two scratch databases, ``<name>`` and ``<name>_import`` (created if missing; their
``public`` schema is dropped and recreated on every run, so never point this at real
data or at the test suite's ``test`` database):

1. seeds ``--carers`` demo carers into the first (``marketplace.demo.seed_demo``),
2. times ``marketplace.catalog.build_catalog()`` (one SELECT + ``matching.build_index``),
   target <= 3 s for 100k carers,
3. exports the catalog to JSON, imports it into the empty second database (target
   <= 2 min for 100k carers), imports it again (nothing changes), and times a search.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.config import Config  # noqa: E402
from marketplace.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/coopcare_bench"


def fresh_database(url: str) -> None:
    """Create the database if needed and empty its public schema."""
    parsed = make_url(url)
    if parsed.database in {"test", "postgres", None}:
        raise SystemExit(f"Refusing to wipe the {parsed.database!r} database; use a scratch one.")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        CATALOG_CACHE = True

    app = create_app(BenchConfig)
    with app.app_context():
        upgrade()
        from marketplace.vocabulary import sync_vocabulary

        sync_vocabulary()
        db.session.commit()
    return app


def timed(label: str, func, *args, **kwargs):
    """Run func and print wall time and this process's CPU time.

    The CPU time is the steadier figure on a busy machine (the wall time also counts
    waiting for PostgreSQL and for other processes).
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(f"{label:<48} {seconds:8.2f} s wall {cpu:8.2f} s CPU")
    return result, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--carers", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    source_url = args.database_url
    target_url = str(make_url(source_url).set(database=make_url(source_url).database + "_import"))
    for url in (source_url, target_url):
        fresh_database(url)

    from marketplace.catalog import build_catalog
    from marketplace.catalog_io import export_catalog, import_catalog
    from marketplace.demo import seed_demo
    from marketplace.geo import default_geocoder, lookup
    from marketplace.search.services import SearchFilters, search_carers

    default_geocoder().load()
    print(f"Catalog benchmark: {args.carers:,} carers on {make_url(source_url).render_as_string()}")

    source = make_app(source_url)
    with source.app_context():
        timed(
            f"seed {args.carers:,} demo carers",
            lambda: (seed_demo(carers=args.carers), db.session.commit()),
        )
        catalog, first = timed("build index from PostgreSQL (cold)", build_catalog)
        times = [timed("build index from PostgreSQL (again)", build_catalog)[1] for _ in range(2)]
        print(
            f"  -> {catalog.size:,} listed carers in the index; "
            f"best build {min([first, *times]):.2f} s (target <= 3 s)"
        )
        data, _ = timed("export catalog to JSON", export_catalog)
        db.session.remove()

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(data, handle)
        path = handle.name
    size_mb = Path(path).stat().st_size / 1e6
    print(
        f"  -> {len(data['providers'])} providers, {len(data['carers']):,} carers, "
        f"{size_mb:.1f} MB JSON at {path}"
    )

    target = make_app(target_url)
    with target.app_context():
        from marketplace.auth.services import create_user

        # --approve names the administrator who vouches for the file.
        admin = create_user(
            "bench-admin@coopcare.example", "bench-password-1234", "Bench", ["admin"]
        )
        db.session.commit()

        def run_import():
            loaded = json.loads(Path(path).read_text())
            report = import_catalog(
                loaded, approve=True, admin=admin, source="catalog import of the benchmark"
            )
            db.session.commit()
            return report

        report, seconds = timed(
            f"import {len(data['carers']):,} carers (empty database)", run_import
        )
        print(f"  -> {report.summary()} (target <= 120 s)")
        report, _ = timed("import the same file again (no changes)", run_import)
        print(f"  -> changed anything: {report.changed}")
        catalog, _ = timed("build index from the imported database", build_catalog)
        print(f"  -> {catalog.size:,} listed carers")
    place = lookup("LS6 1AA")
    filters = SearchFilters(radius_km=10, must_have=frozenset({"personal_care"}))
    for label in ("search near LS6 1AA (first: builds the cache)", "search near LS6 1AA (cached)"):
        with target.test_request_context("/"):
            found, _ = timed(label, search_carers, place, filters)
            db.session.remove()
    print(f"  -> {len(found.results)} results")
    Path(path).unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
