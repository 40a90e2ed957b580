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
PG_QUERY = f"""
WITH near AS (
  SELECT id, travel_radius_km, skills, interests, languages,
         earth_distance(ll_to_earth(%(lat)s, %(lon)s), ll_to_earth(lat, lon)) / 1000.0 AS km
  FROM {PG_TABLE}
  WHERE earth_box(ll_to_earth(%(lat)s, %(lon)s), %(max_m)s) @> ll_to_earth(lat, lon)
    AND active AND quality_assured
    AND skills @> %(must)s::text[]
    AND (%(gender)s::text IS NULL OR gender = %(gender)s::text)
    AND (%(rate)s::int IS NULL OR hourly_rate_pence IS NULL OR hourly_rate_pence <= %(rate)s::int)
)
SELECT id, km,
  (power(2, -km / 5.0)
   + %(w_nice)s * cardinality(ARRAY(SELECT unnest(skills)
       INTERSECT SELECT unnest(%(nice)s::text[])))
       / greatest(cardinality(%(nice)s::text[]), 1)
   + %(w_int)s * cardinality(ARRAY(SELECT lower(i) FROM unnest(interests) i
       INTERSECT SELECT unnest(%(interests)s::text[])))
       / greatest(cardinality(%(interests)s::text[]), 1)
   + %(w_lang)s * cardinality(ARRAY(SELECT unnest(languages)
       INTERSECT SELECT unnest(%(langs)s::text[])))
       / greatest(cardinality(%(langs)s::text[]), 1)
  ) / (1 + %(w_nice)s + %(w_int)s + %(w_lang)s) AS score
FROM near
WHERE km <= %(max_km)s AND km <= travel_radius_km
ORDER BY score DESC, km, id
LIMIT 20
"""


def pg_load(url: str, candidates: list[Candidate]) -> None:
    """The same carers in one table, with the indexes the query needs."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS cube")
        conn.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
        conn.execute(f"DROP TABLE IF EXISTS {PG_TABLE}")
        conn.execute(
            f"CREATE TABLE {PG_TABLE} (id int PRIMARY KEY, lat float8, lon float8, "
            "travel_radius_km float8, skills text[], interests text[], languages text[], "
            "gender text, hourly_rate_pence int, active bool, quality_assured bool)"
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
                    )
                )
        conn.execute(f"CREATE INDEX ON {PG_TABLE} USING gist (ll_to_earth(lat, lon))")
        conn.execute(f"CREATE INDEX ON {PG_TABLE} USING gin (skills)")
        conn.execute(f"ANALYZE {PG_TABLE}")


def pg_times(url: str, seekers: list[Seeker]) -> list[float]:
    import psycopg

    times = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for n, seeker in enumerate([seekers[0], *seekers]):
            params = {
                "lat": seeker.lat,
                "lon": seeker.lon,
                "max_km": seeker.max_distance_km,
                "max_m": seeker.max_distance_km * 1000.0,
                "must": sorted(seeker.must_have),
                "gender": seeker.carer_gender,
                "rate": seeker.max_hourly_rate_pence,
                "nice": sorted(seeker.nice_to_have),
                "w_nice": 1.0 if seeker.nice_to_have else 0.0,
                "interests": [t.lower() for t in seeker.interests],
                "w_int": 1.0 if seeker.interests else 0.0,
                "langs": sorted(seeker.languages),
                "w_lang": 1.0 if seeker.languages else 0.0,
            }
            started = time.perf_counter()
            conn.execute(PG_QUERY, params).fetchall()
            if n:  # the first is a warm-up (plan cache, pages)
                times.append((time.perf_counter() - started) * 1000)
    return times


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
) -> dict[str, float]:
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

    rank(seekers[0], index)  # warm caches (vocabulary normalisation of seeker terms)
    times, returned = [], []
    for seeker in seekers:
        started = time.perf_counter()
        result = rank(seeker, index, limit=20)
        times.append((time.perf_counter() - started) * 1000)
        returned.append(len(result.matches))
    scan_times = []
    for seeker in seekers:
        started = time.perf_counter()
        numpy_scan(seeker, index)
        scan_times.append((time.perf_counter() - started) * 1000)

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

    pg = []
    if database_url:
        pg_load(database_url, candidates)
        pg = pg_times(database_url, seekers)
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
        bench(n, seekers, districts, naive_seekers, args.database_url, preferences) for n in sizes
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
    print("\nside by side, median / p95 ms over the same seekers (ratio: peer median / rank)")
    for r in rows:
        print(f"{r['n']:,} candidates:")
        lines = [
            (f"rank() over all {count} seekers", (r["median_ms"], r["p95_ms"]), r["median_ms"]),
            (f"numpy full scan, same {count}", r["scan"], r["median_ms"]),
        ]
        if r["pg"]:
            lines.append((f"PostgreSQL query, same {count}", r["pg"], r["median_ms"]))
        lines += [
            (f"rank() over the first {r['checked']}", r["few_rank"], r["few_rank"][0]),
            (
                f"naive loop, same {r['checked']}"
                + (f" (on {NAIVE_POOL:,}, scaled)" if r["n"] > NAIVE_POOL else ""),
                r["naive"],
                r["few_rank"][0],
            ),
        ]
        for label, (median, p95), base in lines:
            print(f"  {label:<44}{median:>10.2f}{p95:>10.2f}{median / base:>9.1f}x")
        print(
            f"  eligibility, naive vs rank() on {r['checked']} seekers"
            + (f" ({NAIVE_POOL:,} of the candidates)" if r["n"] > NAIVE_POOL else "")
            + f": {r['eligible']:,} "
            f"eligible, {r['differ']} on one side only ({r['unexplained']} not at a "
            "distance limit)"
        )


if __name__ == "__main__":
    main()
