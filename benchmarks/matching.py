"""Benchmark matching.rank() against a naive loop, a bare numpy scan and PostgreSQL.

Run from the repository root:  .venv/bin/python benchmarks/matching.py [--quick]
    [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_matching]

Builds synthetic UK-wide candidates around real postcode-district centroids
(weighted by how many postcodes each district has), then prints, per size:

- index build time (timed with nothing else running; memory measured by a second
  build under tracemalloc);
- rank() median and p95 over the varied seekers;
- the *same* statistic over the *same* seekers for each peer, side by side:
  the naive per-candidate loop (geopy geodesic + plain sets, over every candidate),
  a bare numpy full scan (haversine over every candidate, the hard filters as
  vectorised masks, top 20 by distance: the least any full scan costs), and, with a
  database, the query a typical team would write instead: one PostgreSQL statement
  (earthdistance ``earth_box`` on a GiST index for the radius, GIN array containment
  for must-haves, a score expression, ``ORDER BY ... LIMIT 20``) on the same carers;
- a check that the naive loop and rank() agree on who is eligible (differences are
  allowed only within 0.6 % of a distance limit, where the sphere and the WGS84
  ellipsoid disagree).
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from geopy.distance import geodesic  # noqa: E402

from matching import DEFAULT_VOCABULARY, Candidate, Seeker, build_index, rank  # noqa: E402
from matching.index import split_words, term_bits  # noqa: E402
from matching.preferences import (  # noqa: E402
    PERSON_GROUP_SLUGS,
    PET_SLUGS,
    SUPPORT_KIND_SLUGS,
)

DISTRICT_FILES = (
    ROOT / "marketplace" / "data" / "uk_postcode_districts.csv",
    Path("/work/shared/data/uk_postcode_districts.csv"),
)
SKILLS = sorted(DEFAULT_VOCABULARY.skills)
INTEREST_TEXTS = [
    "Gardening",
    "garden",
    "allotment",
    "gardenning",
    "football",
    "Football",
    "fishing",
    "angling",
    "baking",
    "music",
    "choir",
    "reading",
    "books",
    "walking",
    "knitting",
    "art",
    "films",
    "local history",
    "church",
    "dogs",
    "cricket",
    "rugby",
    "bingo",
    "dancing",
    "computers",
    "crosswords",
    "wildlife",
    "theatre",
    "photography",
    "sewing",
    "birdwatching",
    "vintage motorbikes",
    "steam trains",
]
LANGUAGES = [
    "cy",
    "gd",
    "ur",
    "pa",
    "pl",
    "bn",
    "gu",
    "ar",
    "so",
    "ro",
    "pt",
    "es",
    "fr",
    "zh",
    "bfi",
]
SLOTS = [
    f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for p in ("am", "pm")
]


def load_districts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude and weight of every postcode district with a centroid."""
    path = next(p for p in DISTRICT_FILES if p.exists())
    lats, lons, weights = [], [], []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["lat"] or not row["lon"]:
                continue
            lats.append(float(row["lat"]))
            lons.append(float(row["lon"]))
            weights.append(max(1.0, float(row.get("postcodes") or 1)))
    w = np.asarray(weights)
    return np.asarray(lats), np.asarray(lons), w / w.sum()


def _sample(rand: random.Random, values: tuple[str, ...], low: int, high: int) -> frozenset[str]:
    return frozenset(rand.sample(values, rand.randint(low, high)))


def carer_preferences(rand: random.Random) -> dict[str, object]:
    """What a synthetic carer says of homes and the people they like to help: some have
    not said (None or empty), as real profiles."""
    return {
        "pets_ok": None if rand.random() < 0.3 else _sample(rand, PET_SLUGS, 0, 3),
        "smoking_ok": rand.choice([None, True, True, False, False, False]),
        "enjoys_support": (
            frozenset() if rand.random() < 0.3 else _sample(rand, SUPPORT_KIND_SLUGS, 2, 4)
        ),
        "would_support": (
            frozenset() if rand.random() < 0.4 else _sample(rand, PERSON_GROUP_SLUGS, 1, 3)
        ),
    }


def seeker_preferences(rand: random.Random) -> dict[str, object]:
    """A synthetic person's home and wishes: a third have a pet, a few a smoker at home."""
    return {
        "pets": _sample(rand, PET_SLUGS, 1, 2) if rand.random() < 0.35 else frozenset(),
        "smoking_home": rand.random() < 0.15,
        "support_wanted": (
            _sample(rand, SUPPORT_KIND_SLUGS, 1, 2) if rand.random() < 0.5 else frozenset()
        ),
        "groups": _sample(rand, PERSON_GROUP_SLUGS, 1, 1) if rand.random() < 0.3 else frozenset(),
    }


def make_candidates(
    n: int,
    districts: tuple[np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    preferences: bool = True,
):
    """``n`` synthetic carers jittered around district centroids (with ``preferences``,
    each says what they are happy with, from a separate random stream, so everything
    else is the same either way)."""
    rng = np.random.default_rng(seed)
    lats, lons, weights = districts
    picks = rng.choice(len(lats), size=n, p=weights)
    lat = lats[picks] + rng.normal(0, 0.02, n)
    lon = lons[picks] + rng.normal(0, 0.03, n)
    rand = random.Random(seed)
    # Real profiles repeat; sharing the set objects keeps 1M candidates in memory.
    skill_pool = [frozenset(rand.sample(SKILLS, rand.randint(2, 8))) for _ in range(3000)]
    interest_pool = [tuple(rand.sample(INTEREST_TEXTS, rand.randint(0, 4))) for _ in range(3000)]
    language_pool = [frozenset({"en"})] * 6 + [
        frozenset({"en", rand.choice(LANGUAGES)}) for _ in range(300)
    ]
    slot_pool: list[frozenset[str] | None] = [None] + [
        frozenset(rand.sample(SLOTS, rand.randint(2, 10))) for _ in range(500)
    ]
    radii = [5.0, 8.0, 10.0, 15.0, 20.0, 30.0]
    genders = ["female", "female", "male", None]
    providers = max(1, n // 25)
    said = random.Random(seed + 1)
    pref_pool = [carer_preferences(said) for _ in range(500)] if preferences else [{}]
    out = []
    for i in range(n):
        team = rand.randrange(providers * 2) if rand.random() < 0.5 else None
        out.append(
            Candidate(
                id=i,
                lat=float(lat[i]),
                lon=float(lon[i]),
                travel_radius_km=rand.choice(radii),
                skills=rand.choice(skill_pool),
                interests=rand.choice(interest_pool),
                languages=rand.choice(language_pool),
                gender=rand.choice(genders),
                hourly_rate_pence=rand.randrange(1500, 3200, 10),
                availability=rand.choice(slot_pool),
                provider_id=rand.randrange(providers),
                team_id=team,
                quality_assured=rand.random() < 0.95,
                active=rand.random() < 0.95,
                **said.choice(pref_pool),  # type: ignore[arg-type]
            )
        )
    return out


def make_seekers(
    count: int,
    districts: tuple[np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    preferences: bool = True,
):
    """Varied people: different places, distances, needs, interests and preferences
    (with ``preferences``, their homes and wishes too, from a separate random stream)."""
    rng = np.random.default_rng(seed)
    rand = random.Random(seed)
    said = random.Random(seed + 1)
    lats, lons, weights = districts
    picks = rng.choice(len(lats), size=count, p=weights)
    seekers = []
    for i, d in enumerate(picks.tolist()):
        seekers.append(
            Seeker(
                lat=float(lats[d]),
                lon=float(lons[d]),
                max_distance_km=rand.choice([5.0, 10.0, 15.0, 25.0, 40.0]),
                must_have=frozenset(rand.sample(SKILLS, rand.randint(0, 2))),
                nice_to_have=frozenset(rand.sample(SKILLS, rand.randint(0, 4))),
                interests=tuple(rand.sample(INTEREST_TEXTS, rand.randint(0, 4))),
                languages=frozenset(rand.sample(["en", *LANGUAGES], rand.randint(0, 2))),
                carer_gender=rand.choice([None, None, "female", "male"]),
                max_hourly_rate_pence=rand.choice([None, 2200, 2600, 3000]),
                availability=rand.choice([None, frozenset(rand.sample(SLOTS, 3))]),
                known_candidate_ids=frozenset({i * 7}) if i % 5 == 0 else frozenset(),
                **(seeker_preferences(said) if preferences else {}),  # type: ignore[arg-type]
            )
        )
    return seekers


def clashes(seeker: Seeker, c: Candidate) -> bool:
    """The preference filters, the plain way (a carer who has not said never clashes)."""
    if seeker.pets and c.pets_ok is not None and not seeker.pets <= c.pets_ok:
        return True
    if seeker.smoking_home and c.smoking_ok is False:
        return True
    if seeker.support_wanted and c.enjoys_support and not seeker.support_wanted & c.enjoys_support:
        return True
    return bool(seeker.groups and c.would_support and not seeker.groups & c.would_support)


def naive_rank(seeker: Seeker, candidates: list[Candidate], limit: int = 20) -> list[int]:
    """The obvious implementation: a Python loop, geopy geodesic and plain sets."""
    scored = []
    here = (seeker.lat, seeker.lon)
    wanted_interests = {t.lower() for t in seeker.interests}
    for c in candidates:
        if not (c.active and c.quality_assured):
            continue
        d = geodesic(here, (c.lat, c.lon)).km
        if d > seeker.max_distance_km or d > c.travel_radius_km:
            continue
        if not seeker.must_have <= c.skills:
            continue
        if seeker.carer_gender is not None and c.gender != seeker.carer_gender:
            continue
        rate = c.hourly_rate_pence
        limit_pence = seeker.max_hourly_rate_pence
        if limit_pence is not None and rate is not None and rate > limit_pence:
            continue
        if clashes(seeker, c):
            continue
        parts = [2 ** (-d / 5.0)]
        if seeker.nice_to_have:
            parts.append(len(seeker.nice_to_have & c.skills) / len(seeker.nice_to_have))
        if wanted_interests:
            shared = wanted_interests & {t.lower() for t in c.interests}
            parts.append(len(shared) / len(wanted_interests))
        if seeker.languages:
            parts.append(len(seeker.languages & c.languages) / len(seeker.languages))
        if seeker.availability:
            free = seeker.availability & (c.availability or frozenset())
            parts.append(len(free) / len(seeker.availability))
        scored.append((-sum(parts) / len(parts), d, c.id))
    scored.sort()
    return [cid for _, _, cid in scored[:limit]]


def naive_eligible(seeker: Seeker, candidates: list[Candidate]) -> dict[int, float]:
    """Who passes every hard filter in the naive loop, with their geodesic distance."""
    out = {}
    here = (seeker.lat, seeker.lon)
    for c in candidates:
        if not (c.active and c.quality_assured):
            continue
        d = geodesic(here, (c.lat, c.lon)).km
        if d > seeker.max_distance_km or d > c.travel_radius_km:
            continue
        if not seeker.must_have <= c.skills:
            continue
        if seeker.carer_gender is not None and c.gender != seeker.carer_gender:
            continue
        rate, limit = c.hourly_rate_pence, seeker.max_hourly_rate_pence
        if limit is not None and rate is not None and rate > limit:
            continue
        if clashes(seeker, c):
            continue
        out[int(c.id)] = d
    return out


def agreement(seeker: Seeker, index, candidates: list[Candidate]) -> tuple[int, int, int]:
    """(eligible by the naive loop, ids on one side only, of which not at a boundary)."""
    naive = naive_eligible(seeker, candidates)
    result = rank(seeker, index, limit=max(1, index.size), explain=slice(0, 0))
    ranked = {int(m.candidate_id) for m in result.matches}
    differ = ranked ^ set(naive)
    by_id = {int(c.id): c for c in candidates}
    unexplained = 0
    for cid in differ:
        c = by_id[cid]
        d = geodesic((seeker.lat, seeker.lon), (c.lat, c.lon)).km
        near_edge = min(abs(d - seeker.max_distance_km), abs(d - c.travel_radius_km))
        if near_edge > 0.006 * max(seeker.max_distance_km, c.travel_radius_km):
            unexplained += 1
    return len(naive), len(differ), unexplained


def numpy_scan(seeker: Seeker, index, limit: int = 20) -> np.ndarray:
    """A bare full scan: haversine to every candidate, the hard filters as masks, the
    nearest ``limit`` of those who pass (no scores beyond distance, no explanations)."""
    lat0, lon0 = math.radians(seeker.lat), math.radians(seeker.lon)
    h = (
        np.sin((index.lat_rad - lat0) * 0.5) ** 2
        + math.cos(lat0) * index.cos_lat * np.sin((index.lon_rad - lon0) * 0.5) ** 2
    )
    d = 2.0 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    ok = index.active & index.quality_assured & (d <= seeker.max_distance_km)
    ok &= d <= index.travel_radius_km
    keys = [index.key_for(s, "skills") for s in seeker.must_have]
    mask = index.skill_space.mask(keys)
    for column, word in zip(index.skills, split_words(mask, len(index.skills)), strict=True):
        if word:
            ok &= (column & word) == word
    if seeker.carer_gender is not None:
        ok &= index.gender == index.gender_code(seeker.carer_gender)
    if seeker.max_hourly_rate_pence is not None:
        ok &= index.hourly_rate_pence <= seeker.max_hourly_rate_pence
    if seeker.pets:
        pets = term_bits(seeker.pets, PET_SLUGS)
        ok &= ~index.pets_known | ((index.pets_ok & pets) == pets)
    if seeker.smoking_home:
        ok &= index.smoking_ok != 0
    if seeker.support_wanted:
        kinds = term_bits(seeker.support_wanted, SUPPORT_KIND_SLUGS)
        ok &= (index.enjoys_support == 0) | ((index.enjoys_support & kinds) != 0)
    if seeker.groups:
        groups = term_bits(seeker.groups, PERSON_GROUP_SLUGS)
        ok &= (index.would_support == 0) | ((index.would_support & groups) != 0)
    passing = np.flatnonzero(ok)
    if len(passing) > limit:
        passing = passing[np.argpartition(d[passing], limit - 1)[:limit]]
    return passing[np.argsort(d[passing], kind="stable")]


NAIVE_POOL = 10_000
PG_TABLE = "matching_bench_carers"
# Earth radius earthdistance works with (``earth()``), for the boundary tolerance.
PG_EARTH_KM = 6378.168


def pg_query(seeker: Seeker, limit: int | None = 20) -> tuple[str, dict[str, object]]:
    """The statement a team would write for ``seeker``, as an ORM would build it: only
    the filters and score terms the person asked for (no ``%s IS NULL OR`` clauses,
    which keep a generic plan from using an index). The same hard filters as rank():
    radius by earthdistance ``earth_box`` (GiST) then ``earth_distance``, the carer's
    own travel radius, must-haves by GIN ``@>``, gender, rate, and the four preference
    filters (a carer who has not said passes); a score from distance, nice-to-have
    skills, interests, languages and availability; ``ORDER BY score`` with ``LIMIT``.
    With ``limit`` None: every eligible carer and their distance (the agreement check)."""
    where = [
        "earth_box(ll_to_earth(%(lat)s, %(lon)s), %(max_m)s) @> ll_to_earth(lat, lon)",
        "active",
        "quality_assured",
    ]
    params: dict[str, object] = {
        "lat": seeker.lat,
        "lon": seeker.lon,
        "max_km": seeker.max_distance_km,
        "max_m": seeker.max_distance_km * 1000.0,
    }
    if seeker.must_have:
        where.append("skills @> %(must)s::text[]")
        params["must"] = sorted(seeker.must_have)
    if seeker.carer_gender is not None:
        where.append("gender = %(gender)s")
        params["gender"] = seeker.carer_gender
    if seeker.max_hourly_rate_pence is not None:
        where.append("(hourly_rate_pence IS NULL OR hourly_rate_pence <= %(rate)s)")
        params["rate"] = seeker.max_hourly_rate_pence
    if seeker.pets:
        where.append("(pets_ok IS NULL OR pets_ok @> %(pets)s::text[])")
        params["pets"] = sorted(seeker.pets)
    if seeker.smoking_home:
        where.append("smoking_ok IS DISTINCT FROM false")
    if seeker.support_wanted:
        where.append("(enjoys_support = '{}' OR enjoys_support && %(support)s::text[])")
        params["support"] = sorted(seeker.support_wanted)
    if seeker.groups:
        where.append("(would_support = '{}' OR would_support && %(groups)s::text[])")
        params["groups"] = sorted(seeker.groups)
    near = (
        "SELECT id, travel_radius_km, skills, interests, languages, availability,\n"
        "       earth_distance(ll_to_earth(%(lat)s, %(lon)s), ll_to_earth(lat, lon))"
        " / 1000.0 AS km\n"
        f"  FROM {PG_TABLE}\n WHERE " + "\n   AND ".join(where)
    )
    keep = "km <= %(max_km)s AND km <= travel_radius_km"
    if limit is None:
        return f"WITH near AS ({near})\nSELECT id, km FROM near WHERE {keep}", params

    def share(elements: str, name: str, values: list[str]) -> str:
        params[name] = values
        return (
            f"cardinality(ARRAY(SELECT {elements} INTERSECT "
            f"SELECT unnest(%({name})s::text[])))::float8 / {len(values)}"
        )

    terms = ["power(2, -km / 5.0)"]
    if seeker.nice_to_have:
        terms.append(share("unnest(skills)", "nice", sorted(seeker.nice_to_have)))
    wanted = sorted({t.lower() for t in seeker.interests})
    if wanted:
        terms.append(share("lower(unnest(interests))", "interests", wanted))
    if seeker.languages:
        terms.append(share("unnest(languages)", "langs", sorted(seeker.languages)))
    if seeker.availability:
        terms.append(share("unnest(availability)", "slots", sorted(seeker.availability)))
    score = "(" + "\n   + ".join(terms) + f") / {len(terms)}"
    sql = (
        f"WITH near AS ({near})\nSELECT id, km,\n  {score} AS score\nFROM near\n"
        f"WHERE {keep}\nORDER BY score DESC, km, id\nLIMIT {int(limit)}"
    )
    return sql, params


def _pg_connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def pg_load(url: str, candidates: list[Candidate]) -> None:
    """The same carers in one table, with the indexes the query needs."""
    with _pg_connect(url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS cube")
        conn.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
        conn.execute(f"DROP TABLE IF EXISTS {PG_TABLE}")
        conn.execute(
            f"CREATE TABLE {PG_TABLE} (id int PRIMARY KEY, lat float8, lon float8, "
            "travel_radius_km float8, skills text[], interests text[], languages text[], "
            "gender text, hourly_rate_pence int, active bool, quality_assured bool, "
            "availability text[] NOT NULL, pets_ok text[], smoking_ok bool, "
            "enjoys_support text[] NOT NULL, would_support text[] NOT NULL)"
        )
        with conn.cursor().copy(f"COPY {PG_TABLE} FROM STDIN") as copy:
            for c in candidates:
                copy.write_row(
                    (
                        c.id,
                        c.lat,
                        c.lon,
                        c.travel_radius_km,
                        sorted(c.skills),
                        list(c.interests),
                        sorted(c.languages),
                        c.gender,
                        c.hourly_rate_pence,
                        c.active,
                        c.quality_assured,
                        sorted(c.availability or ()),
                        None if c.pets_ok is None else sorted(c.pets_ok),
                        c.smoking_ok,
                        sorted(c.enjoys_support),
                        sorted(c.would_support),
                    )
                )
        conn.execute(f"CREATE INDEX ON {PG_TABLE} USING gist (ll_to_earth(lat, lon))")
        conn.execute(f"CREATE INDEX ON {PG_TABLE} USING gin (skills)")
        # Vacuumed and analysed, as a live table would be: visibility map, hint bits, stats.
        conn.execute(f"VACUUM ANALYZE {PG_TABLE}")


def pg_explain(url: str, seekers: list[Seeker]) -> list[str]:
    """EXPLAIN ANALYZE of the peer for a few seekers: which indexes the planner used."""
    out = []
    with _pg_connect(url) as conn:
        for seeker in seekers:
            sql, params = pg_query(seeker)
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
            out.append("\n".join(row[0] for row in plan))
    return out


def pg_eligible(conn, seeker: Seeker) -> dict[int, float]:
    sql, params = pg_query(seeker, limit=None)
    return {int(i): float(km) for i, km in conn.execute(sql, params).fetchall()}


def pg_agreement(url: str, seekers: list[Seeker], index, candidates) -> tuple[int, int, int]:
    """(eligible by the SQL peer, ids on one side only, of which not at a distance limit)
    against rank() on the same, full set of carers: the two apply the same hard filters,
    so they may differ only where the sphere and rank()'s distance disagree."""
    by_id = {int(c.id): c for c in candidates}
    eligible = differ = unexplained = 0
    with _pg_connect(url) as conn:
        for seeker in seekers:
            sql_side = pg_eligible(conn, seeker)
            result = rank(seeker, index, limit=max(1, index.size), explain=slice(0, 0))
            ranked = {int(m.candidate_id) for m in result.matches}
            eligible += len(sql_side)
            for cid in ranked ^ set(sql_side):
                differ += 1
                c = by_id[cid]
                d = geodesic((seeker.lat, seeker.lon), (c.lat, c.lon)).km
                edge = min(abs(d - seeker.max_distance_km), abs(d - c.travel_radius_km))
                if edge > 0.006 * max(seeker.max_distance_km, c.travel_radius_km):
                    unexplained += 1
    return eligible, differ, unexplained


def stats(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), percentile(times, 0.95)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def bench(
    n: int,
    seekers: list[Seeker],
    districts,
    naive_seekers: int,
    database_url: str | None,
    preferences: bool = True,
    explain: int = 0,
) -> dict[str, object]:
    candidates = make_candidates(n, districts, seed=n, preferences=preferences)
    gc.collect()
    started = time.perf_counter()
    index = build_index(candidates)
    build_s = time.perf_counter() - started
    # Memory from a second build under tracemalloc (which slows building down).
    del index
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = build_index(candidates)
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # rank(), the numpy scan and the SQL peer take turns on each seeker, so the
    # shared machine's load falls on all three alike. Each is warmed on the first
    # seeker (vocabulary normalisation; the SQL peer's plan cache and pages).
    conn = None
    if database_url:
        pg_load(database_url, candidates)
        conn = _pg_connect(database_url)
    rank(seekers[0], index)
    numpy_scan(seekers[0], index)
    if conn is not None:
        conn.execute(*pg_query(seekers[0])).fetchall()
    times, returned, scan_times, pg = [], [], [], []
    for seeker in seekers:
        started = time.perf_counter()
        result = rank(seeker, index, limit=20)
        times.append((time.perf_counter() - started) * 1000)
        returned.append(len(result.matches))
        started = time.perf_counter()
        numpy_scan(seeker, index)
        scan_times.append((time.perf_counter() - started) * 1000)
        if conn is not None:
            # What the app would pay: build the statement, send it, read the 20 rows.
            started = time.perf_counter()
            conn.execute(*pg_query(seeker)).fetchall()
            pg.append((time.perf_counter() - started) * 1000)
    if conn is not None:
        conn.close()

    # The naive loop is slow: it runs on the first seekers only, and rank() is reported
    # over those same seekers next to it. Above NAIVE_POOL candidates it loops over a
    # random NAIVE_POOL of them and its time is scaled up linearly (said in the output),
    # and the eligibility check compares it with rank() on an index of that pool.
    few = seekers[:naive_seekers]
    pool, pool_index = candidates, index
    if n > NAIVE_POOL:
        pool = random.Random(1).sample(candidates, NAIVE_POOL)
        pool_index = build_index(pool)
    naive_times = []
    for seeker in few:
        started = time.perf_counter()
        naive_rank(seeker, pool)
        naive_times.append((time.perf_counter() - started) * 1000 * n / len(pool))
    checked = [agreement(seeker, pool_index, pool) for seeker in few]
    pg_checked = pg_agreement(database_url, seekers, index, candidates) if database_url else None
    plans = pg_explain(database_url, seekers[:explain]) if database_url and explain else []
    row = {
        "n": n,
        "build_s": build_s,
        "index_mb": (after - before) / 1e6,
        "peak_mb": (peak - before) / 1e6,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "mean_matches": statistics.mean(returned),
        "scan": stats(scan_times),
        "few_rank": stats(times[: len(few)]),
        "naive": stats(naive_times),
        "pg": stats(pg) if pg else None,
        "eligible": sum(c[0] for c in checked),
        "differ": sum(c[1] for c in checked),
        "unexplained": sum(c[2] for c in checked),
        "checked": len(checked),
        "pg_checked": pg_checked,
        "plans": plans,
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k candidates, 20 seekers")
    parser.add_argument("--seekers", type=int, default=None, help="seekers per size")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes")
    parser.add_argument("--naive-seekers", type=int, default=None)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a scratch PostgreSQL database for the SQL peer (its table "
        f"{PG_TABLE} is replaced); none: no SQL peer",
    )
    parser.add_argument(
        "--no-preferences",
        action="store_true",
        help="carers and seekers without pets, smoking, kinds of support or groups "
        "(the workload before both sides' preferences)",
    )
    parser.add_argument(
        "--explain",
        type=int,
        default=3,
        help="print EXPLAIN (ANALYZE, BUFFERS) of the SQL peer for this many seekers",
    )
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    count = args.seekers or (20 if args.quick else 100)
    naive_seekers = args.naive_seekers or (5 if args.quick else 10)
    districts = load_districts()
    preferences = not args.no_preferences
    seekers = make_seekers(count, districts, seed=42, preferences=preferences)
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    rows = [
        bench(n, seekers, districts, naive_seekers, args.database_url, preferences, args.explain)
        for n in sizes
    ]

    print(
        f"\nmatching benchmark: {count} seekers per size, top 20 with explanations, "
        + ("with" if preferences else "without")
        + " both sides' preferences"
    )
    header = (
        f"{'candidates':>10} {'build s':>8} {'index MB':>9} {'build peak MB':>13} "
        f"{'median ms':>10} {'p95 ms':>8} {'matches':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>10,} {r['build_s']:>8.2f} {r['index_mb']:>9.1f} {r['peak_mb']:>13.1f} "
            f"{r['median_ms']:>10.2f} {r['p95_ms']:>8.2f} {r['mean_matches']:>8.1f}"
        )
    print(
        "\nside by side, median / p95 ms over the same seekers"
        " (ratios: the peer's median / rank()'s median, the peer's p95 / rank()'s p95)"
    )
    for r in rows:
        print(f"{r['n']:,} candidates:")
        everyone = (r["median_ms"], r["p95_ms"])
        lines = [
            (f"rank() over all {count} seekers", (r["median_ms"], r["p95_ms"]), everyone),
            (f"numpy full scan, same {count}", r["scan"], everyone),
        ]
        if r["pg"]:
            lines.append((f"PostgreSQL query, same {count}", r["pg"], everyone))
        lines += [
            (f"rank() over the first {r['checked']}", r["few_rank"], r["few_rank"]),
            (
                f"naive loop, same {r['checked']}"
                + (f" (on {NAIVE_POOL:,}, scaled)" if r["n"] > NAIVE_POOL else ""),
                r["naive"],
                r["few_rank"],
            ),
        ]
        print(f"  {'':<44}{'median':>10}{'p95':>10}{'x median':>10}{'x p95':>8}")
        for label, (median, p95), (base_median, base_p95) in lines:
            print(
                f"  {label:<44}{median:>10.2f}{p95:>10.2f}"
                f"{median / base_median:>9.1f}x{p95 / base_p95:>7.1f}x"
            )
        print(
            f"  eligibility, naive vs rank() on {r['checked']} seekers"
            + (f" ({NAIVE_POOL:,} of the candidates)" if r["n"] > NAIVE_POOL else "")
            + f": {r['eligible']:,} "
            f"eligible, {r['differ']} on one side only ({r['unexplained']} not at a "
            "distance limit)"
        )
        if r["pg_checked"]:
            eligible, differ, unexplained = r["pg_checked"]
            print(
                f"  eligibility, SQL peer vs rank() on all {count} seekers and all "
                f"{r['n']:,} candidates: {eligible:,} eligible, {differ} on one side only "
                f"({unexplained} not at a distance limit)"
            )
        for seeker_no, plan in enumerate(r["plans"]):
            used = sorted(set(re.findall(r"Index Scan on (\S+)", plan)))
            names = ", ".join(used) or "none"
            print(f"  SQL peer plan, seeker {seeker_no} (indexes used: {names}):")
            print("    " + plan.replace("\n", "\n    "))
    disagree = sum(r["unexplained"] + (r["pg_checked"] or (0, 0, 0))[2] for r in rows)
    if disagree:
        sys.exit(f"eligibility disagrees beyond the distance limits for {disagree} carers")


if __name__ == "__main__":
    main()
