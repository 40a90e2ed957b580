"""Benchmark the offline postcode geocoder against a naive dict baseline.

Run from the repo root:  .venv/bin/python benchmarks/geo.py [--samples 10000]

Every measurement runs in a fresh child process so memory figures are clean:

1. build: the .npy cache into a new temporary directory (deleted afterwards);
2. load + lookups in worker A (a fresh process), then in worker B while A is still
   running, to show that the memory-mapped pages are shared between workers;
3. the naive baseline: a dict {postcode: (lat, lon, care_la_code, live)} read from the CSV.

Memory comes from /proc/self/smaps_rollup: Rss, Pss, Private_* (pages only this process
maps) and Anonymous (heap: never shared, the real per-worker cost). File-backed mmap
pages are page cache, shared by every process that maps the same file.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from marketplace import geo  # noqa: E402

FIELDS = (
    "Rss",
    "Pss",
    "Private_Clean",
    "Private_Dirty",
    "Shared_Clean",
    "Shared_Dirty",
    "Anonymous",
)


def smaps() -> dict[str, float]:
    """MB figures from /proc/self/smaps_rollup."""
    out: dict[str, float] = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in FIELDS:
                out[key] = int(rest.split()[0]) / 1024
    out["Private"] = out["Private_Clean"] + out["Private_Dirty"]
    out["Shared"] = out["Shared_Clean"] + out["Shared_Dirty"]
    return out


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round(after[k] - before[k], 1) for k in after}


def timings_us(fn, queries: list[str]) -> dict[str, float]:
    fn(queries[0])  # warm
    ns = []
    clock = time.perf_counter_ns
    for q in queries:
        t0 = clock()
        fn(q)
        ns.append(clock() - t0)
    ns.sort()
    return {
        "median_us": round(statistics.median(ns) / 1000, 2),
        "p99_us": round(ns[int(len(ns) * 0.99)] / 1000, 2),
        "n": len(ns),
    }


# --------------------------------------------------------------------------- children


def child_build(cache_dir: str) -> dict:
    t0 = time.perf_counter()
    g = geo.OfflineGeocoder(cache_dir=cache_dir).load()
    return {
        "build_s": round(g.build_seconds, 2),
        "total_s": round(time.perf_counter() - t0, 2),
        "rows": g.rows,
        "cache_mb": round(sum(p.stat().st_size for p in g.build_dir.iterdir()) / 2**20, 1),
    }


def child_geo(cache_dir: str, samples: str, wait: bool) -> dict:
    q = json.loads(Path(samples).read_text())
    m0 = smaps()
    t0 = time.perf_counter()
    g = geo.OfflineGeocoder(cache_dir=cache_dir).load()
    load_s = time.perf_counter() - t0
    m1 = smaps()
    full = timings_us(g.lookup, q["postcodes"])
    outc = timings_us(g.lookup, q["outcodes"])
    normalise = timings_us(geo.normalise_postcode, q["postcodes"])
    m2 = smaps()
    # Touch every page of every array (worst case: a worker that has seen everything).
    checksum = sum(int(a.sum()) for a in (g._keys, g._lat, g._lon, g._care, g._lad, g._flags))
    m3 = smaps()
    result = {
        "load_ms": round(load_s * 1000, 1),
        "build_s_in_this_process": g.build_seconds,
        "lookup_postcode": full,
        "lookup_outcode": outc,
        "normalise_only": normalise,
        "mem_after_load": delta(m0, m1),
        "mem_after_lookups": delta(m0, m2),
        "mem_after_touching_all": delta(m0, m3),
        "checksum": checksum % 997,
    }
    if wait:  # stay alive (pages mapped) until the parent says so
        print(json.dumps(result), flush=True)
        sys.stdin.readline()
        return {}
    return result


def child_naive(samples: str) -> dict:
    q = json.loads(Path(samples).read_text())
    m0 = smaps()
    t0 = time.perf_counter()
    table: dict[str, tuple[float, float, str, str]] = {}
    with gzip.open(geo.DATA_DIR / geo.POSTCODES_FILE, "rt", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for pc, lat, lon, _country, _lad, care, live in rows:
            table[pc] = (float(lat) if lat else 0.0, float(lon) if lon else 0.0, care, live)
    build_s = time.perf_counter() - t0
    m1 = smaps()

    def naive_lookup(text: str) -> tuple[float, float, str, str]:
        return table[geo.normalise_postcode(text)]

    return {
        "rows": len(table),
        "build_s": round(build_s, 2),
        "lookup_postcode": timings_us(naive_lookup, q["postcodes"]),
        "dict_get_only": timings_us(table.__getitem__, q["postcodes_normalised"]),
        "mem_after_load": delta(m0, m1),
    }


# --------------------------------------------------------------------------- parent


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_samples(n: int, n_out: int, path: Path, cache_dir: str) -> None:
    g = geo.OfflineGeocoder(cache_dir=cache_dir).load()
    rng = random.Random(42)
    # Real postcodes that resolve (have coordinates), typed the way people type them.
    pcs: list[str] = []
    with gzip.open(geo.DATA_DIR / geo.POSTCODES_FILE, "rt") as f:
        next(f)
        with_xy = [line.split(",", 1)[0] for line in f if ",," not in line[:12]]
    for pc in rng.sample(with_xy, n):
        pcs.append(rng.choice([pc, pc.lower(), pc.replace(" ", ""), f" {pc.lower()} "]))
    outcodes = [o for o in g._districts]
    path.write_text(
        json.dumps(
            {
                "postcodes": pcs,
                "postcodes_normalised": [geo.normalise_postcode(p) for p in pcs],
                "outcodes": [rng.choice(outcodes).lower() for _ in range(n_out)],
            }
        )
    )


def fmt_mem(d: dict[str, float]) -> str:
    return (
        f"RSS +{d['Rss']:.1f} MB, PSS +{d['Pss']:.1f}, Private +{d['Private']:.1f} "
        f"(dirty +{d['Private_Dirty']:.1f}), Shared +{d['Shared']:.1f}, "
        f"Anonymous +{d['Anonymous']:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--outcodes", type=int, default=1_000)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            res = child_build(*rest)
        elif kind == "geo":
            res = child_geo(rest[0], rest[1], wait=rest[2] == "wait")
        else:
            res = child_naive(*rest)
        if res:
            print(json.dumps(res))
        return

    tmp = Path(tempfile.mkdtemp(prefix="coopcare-geo-bench-"))
    try:
        cache = str(tmp / "cache")
        samples = tmp / "samples.json"
        print(f"python {sys.version.split()[0]}, data {geo.DATA_DIR / geo.POSTCODES_FILE}")
        b = run_child("build", cache)
        print("\n== offline geocoder (numpy + mmap) ==")
        print(
            f"cache build (fresh process, cold): {b['build_s']:.2f} s for {b['rows']:,} rows; "
            f"cache on disk {b['cache_mb']} MB"
        )
        make_samples(args.samples, args.outcodes, samples, cache)

        # Worker A stays alive while worker B measures: B's pages are then shared.
        a_proc = subprocess.Popen(
            [sys.executable, __file__, "--child", "geo", cache, str(samples), "wait"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        a = json.loads(a_proc.stdout.readline())
        bw = run_child("geo", cache, str(samples), "nowait")
        a_proc.stdin.write("\n")
        a_proc.stdin.close()
        a_proc.wait()

        print(f"load (open meta + mmap .npy + small CSVs): {a['load_ms']} ms")
        for label, r in (("worker A (alone)", a), ("worker B (A running)", bw)):
            print(f"{label}:")
            print(f"  after load:            {fmt_mem(r['mem_after_load'])}")
            print(f"  after lookups:         {fmt_mem(r['mem_after_lookups'])}")
            print(f"  after touching all:    {fmt_mem(r['mem_after_touching_all'])}")
        for key, label in (
            ("lookup_postcode", f"lookup() {args.samples:,} random postcodes"),
            ("lookup_outcode", f"lookup() {args.outcodes:,} random outcodes"),
            ("normalise_only", "normalise_postcode() alone"),
        ):
            r = a[key]
            print(f"{label:42s} median {r['median_us']:6.2f} µs   p99 {r['p99_us']:6.2f} µs")

        n = run_child("naive", str(samples))
        print("\n== naive baseline: dict {postcode: (lat, lon, care, live)} from the CSV ==")
        print(f"build (csv.reader over the .gz): {n['build_s']:.2f} s for {n['rows']:,} rows")
        print(f"memory after load:       {fmt_mem(n['mem_after_load'])}")
        for key, label in (
            ("lookup_postcode", "normalise + dict lookup"),
            ("dict_get_only", "dict lookup only (pre-normalised)"),
        ):
            r = n[key]
            print(f"{label:42s} median {r['median_us']:6.2f} µs   p99 {r['p99_us']:6.2f} µs")
        print(
            "\nNote: 'Private' counts file-backed pages mapped by this process only; with "
            "several workers they become Shared. 'Anonymous' is heap: never shared."
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
