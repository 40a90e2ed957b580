"""Benchmark matching.rank() against a naive per-candidate loop.

Run from the repository root:  .venv/bin/python benchmarks/matching.py [--quick]

Builds synthetic UK-wide candidates around real postcode-district centroids
(weighted by how many postcodes each district has), then prints index build
time and memory, rank() median and p95 over varied seekers, and a naive
baseline (geopy geodesic + plain set logic, timed on a sample and scaled).
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
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


def make_candidates(n: int, districts: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int):
    """``n`` synthetic carers jittered around district centroids."""
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
            )
        )
    return out


def make_seekers(count: int, districts: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int):
    """Varied people: different places, distances, needs, interests and preferences."""
    rng = np.random.default_rng(seed)
    rand = random.Random(seed)
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
            )
        )
    return seekers


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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def bench(n: int, seekers: list[Seeker], districts, naive_sample: int) -> dict[str, float]:
    candidates = make_candidates(n, districts, seed=n)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    index = build_index(candidates)
    build_s = time.perf_counter() - started
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rank(seekers[0], index)  # warm caches (vocabulary normalisation of seeker terms)
    times, returned = [], []
    for seeker in seekers:
        started = time.perf_counter()
        result = rank(seeker, index, limit=20)
        times.append((time.perf_counter() - started) * 1000)
        returned.append(len(result.matches))

    sample = random.Random(1).sample(candidates, min(naive_sample, n))
    naive_seekers = seekers[:5]
    started = time.perf_counter()
    for seeker in naive_seekers:
        naive_rank(seeker, sample)
    per_query_sample = (time.perf_counter() - started) / len(naive_seekers)
    naive_ms = per_query_sample * (n / len(sample)) * 1000
    median = statistics.median(times)
    return {
        "n": n,
        "build_s": build_s,
        "index_mb": (after - before) / 1e6,
        "peak_mb": (peak - before) / 1e6,
        "median_ms": median,
        "p95_ms": percentile(times, 0.95),
        "mean_matches": statistics.mean(returned),
        "naive_ms": naive_ms,
        "speedup": naive_ms / median,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k candidates, 20 seekers")
    parser.add_argument("--seekers", type=int, default=None, help="seekers per size (>= 50)")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    count = args.seekers or (20 if args.quick else 100)
    districts = load_districts()
    seekers = make_seekers(count, districts, seed=42)
    rows = [bench(n, seekers, districts, naive_sample=1000 if args.quick else 2000) for n in sizes]

    print(f"matching benchmark: {count} seekers per size, top 20 with explanations")
    header = (
        f"{'candidates':>10} {'build s':>8} {'index MB':>9} {'build peak MB':>13} "
        f"{'median ms':>10} {'p95 ms':>8} {'matches':>8} {'naive ms':>10} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>10,} {r['build_s']:>8.2f} {r['index_mb']:>9.1f} {r['peak_mb']:>13.1f} "
            f"{r['median_ms']:>10.2f} {r['p95_ms']:>8.2f} {r['mean_matches']:>8.1f} "
            f"{r['naive_ms']:>10.0f} {r['speedup']:>8.0f}x"
        )
    print(
        "naive = Python loop with geopy geodesic + set logic, timed on a sample of candidates "
        "and scaled linearly"
    )


if __name__ == "__main__":
    main()
