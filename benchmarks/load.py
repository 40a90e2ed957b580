"""Load benchmark of the web tier against a hello-world Flask app under the same server.

Run from the repository root with PostgreSQL running locally (``make bench-load``):

    .venv/bin/python benchmarks/load.py [--carers 10000] [--duration 10] [--connections 32]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/coopcare_bench]
        [--soak 60] [--catalog-changes]

What it does, in one run:

1. makes sure the scratch database (``BENCH_DATABASE_URL``; its ``public`` schema is
   dropped and re-seeded when it does not hold ``--carers`` demo carers, so never point
   it at real data) is migrated and holds the demo data (``flask seed-demo``);
2. starts the app under gunicorn with production settings (``COOPCARE_PRODUCTION=1``,
   sync workers, ``WEB_CONCURRENCY`` workers, default 4) and rate limits off
   (``RATELIMIT_ENABLED=false``), and ``benchmarks/hello.py`` under the same settings;
3. drives each route with wrk on loopback (bounded duration, ``--connections``),
   alternating hello world and the route, so each ratio is against the hello-world run
   next to it in time (the machine may be busy with other work: the load average is
   printed with every pair); ``GET /search`` runs twice, with the one search repeated
   and with a different search on every request (``VARIED_SEARCH``), since a visitor's
   search page is kept per address: the varied run is what a search costs uncached;
4. prints requests/s, p50, p99, errors (socket errors + non-2xx/3xx answers; every route
   is first checked to answer 200) and the ratio to hello world;
5. prints each worker's memory (RSS, PSS and private/USS from ``/proc/<pid>/smaps_rollup``);
6. with ``--soak N``, drives ``POST /api/v1/match`` for N seconds and prints the
   workers' RSS at the start and end; with ``--catalog-changes``, measures
   ``POST /api/v1/match`` while a catalog change lands every second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/coopcare_bench"
SEARCH_QUERY = "postcode=LS6+1AA&radius_km=10&skill=personal_care&interest=gardening&interest=music"
MATCH_BODY = {
    "postcode": "LS6 1AA",
    "max_distance_km": 10,
    "must_have": ["personal_care"],
    "interests": ["gardening", "music"],
    "limit": 20,
}
# Varied searches (the route "GET /search (varied)"): each request draws its own search
# from about 1.4 million (30 districts the demo data covers x 28 distances x a must-have
# or none x up to two interests), so a page kept for visitors is hardly ever asked for
# again: what a search costs when no kept page helps.
VARIED_SEARCH = """
local postcodes = {"G12", "BS5", "N16", "LS12", "DN4", "NW5", "LS6", "SW9", "BS16", "LS17",
  "BS7", "M14", "CF24", "SW3", "DN5", "CF10", "LS9", "SE5", "DN1", "BS3", "M4", "TS21",
  "SE15", "SS14", "G42", "PL25", "W5", "G20", "PH2", "CT10"}
local skills = {"personal_care", "companionship", "cooking", "dementia_care", "driving",
  "household_tasks", "medication_support", "shopping", "moving_and_handling", "night_care"}
local interests = {"gardening", "music", "football", "reading", "art", "walking", "history",
  "photography", "cooking_baking", "knitting_crafts", "cinema", "puzzles"}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
init = function(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end
request = function()
  local q = "postcode=" .. postcodes[math.random(#postcodes)]
    .. "&radius_km=" .. math.random(3, 30)
  if math.random() < 0.6 then
    q = q .. "&skill=" .. skills[math.random(#skills)]
  end
  for i = 1, math.random(0, 2) do
    q = q .. "&interest=" .. interests[math.random(#interests)]
  end
  return wrk.format("GET", "/search?" .. q)
end
"""
# Varied match bodies (--match-bodies N): options drawn around MATCH_BODY's.
MATCH_DISTANCES_KM = (5, 10, 10, 15, 25)
MATCH_SLOTS = ("mon-am", "tue-pm", "wed-eve", "thu-am", "fri-pm", "sat-am", "sun-pm")
MATCH_PRIORITIES = (None, None, "nearby", "interests", "price")
PROVIDER_EMAIL = "provider@coopcare.example"
DEMO_PASSWORD = "coopcare-demo-1"  # noqa: S105 - the demo data's published password

# wrk's done() prints one JSON line the runner reads (latency in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRKJSON {"requests": %d, "duration_us": %d, "p50": %d, "p99": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    # The workers' CPU time per request served (ms): unlike requests/s, it hardly moves
    # with what else the machine is running.
    cpu_ms: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def database_env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py"}


def carer_count(url: str) -> int | None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM carers"))
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


LISTED_COUNT = """
import sqlalchemy as sa
from wsgi import app
from marketplace.extensions import db
from marketplace.models import Carer
with app.app_context():
    print(db.session.scalar(sa.select(sa.func.count()).select_from(Carer).where(Carer.is_listed)))
"""


def listed_count(url: str) -> int:
    """How many carers the app lists (``Carer.is_listed``, asked of the app itself)."""
    output = subprocess.run(
        [sys.executable, "-c", LISTED_COUNT],
        env=database_env(url),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(output.split()[-1])


def prepare_database(url: str, carers: int) -> None:
    """Migrate and seed ``carers`` demo carers unless the database already holds them,
    most of them listed (an older seed may hold carers that are no longer listed, say
    because listing came to need verified checks: a benchmark of empty answers is a lie).
    """
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.database in {"test", "postgres", None}:
        raise SystemExit(f"Refusing to wipe the {parsed.database!r} database; use a scratch one.")
    env = database_env(url)
    flask = str(BIN / "flask")
    have = carer_count(url)
    if have is not None and have >= carers and have <= carers + 100:
        subprocess.run([flask, "db", "upgrade"], env=env, cwd=ROOT, check=True)
        listed = listed_count(url)
        if listed >= carers // 2:
            print(
                f"Database: {parsed.database} already holds {have:,} carers, {listed:,} "
                "of them listed (migrated)"
            )
            return
        print(f"Database: {parsed.database} lists only {listed:,} of {have:,} carers: re-seeding")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        ):
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    print(f"Database: seeding {carers:,} demo carers into {parsed.database} …", flush=True)
    started = time.perf_counter()
    for command in (
        ["db", "upgrade"],
        ["vocabulary", "sync"],
        ["seed-demo", "--carers", str(carers)],
    ):
        subprocess.run([flask, *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    listed = listed_count(url)
    print(f"  seeded in {time.perf_counter() - started:.0f} s; {listed:,} carers listed")
    if listed < carers // 2:
        raise SystemExit(f"Only {listed:,} of {carers:,} seeded carers are listed")


class Server:
    """A gunicorn process serving ``app`` on a free loopback port."""

    def __init__(self, name: str, app: str, env: dict[str, str], workers: int, extra: list[str]):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            *extra,
            app,
        ]
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            "w+", prefix=f"bench-{name}-", suffix=".log"
        )
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, path: str = "/", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"{self.name} server exited:\n{self.log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise SystemExit(f"{self.name} server did not answer in {timeout} s")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def cpu_seconds(server: Server) -> float:
    """CPU time (user + system) used so far by the server's workers (``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.worker_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss and private (USS) memory of one process, in kB (smaps_rollup)."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[key] = int(parts[0])
    return {
        "rss": fields.get("Rss", 0),
        "pss": fields.get("Pss", 0),
        "uss": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
    }


def print_memory(server: Server, label: str) -> list[dict[str, int]]:
    rows = []
    print(f"\nMemory of {server.name} ({label}), MB:")
    print(f"  {'process':<16}{'RSS':>8}{'PSS':>8}{'USS':>8}")
    for role, pid in [("master", server.process.pid)] + [
        ("worker", p) for p in server.worker_pids()
    ]:
        mem = memory_kb(pid)
        rows.append(mem)
        print(
            f"  {role + ' ' + str(pid):<16}"
            + "".join(f"{mem[key] / 1024:8.1f}" for key in ("rss", "pss", "uss"))
        )
    return rows


class Client:
    """A tiny HTTP client that keeps the session cookie by hand (it is Secure in production)."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(req, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.read().decode()

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def log_in(base: str) -> str:
    """Log the demo provider in and return the Cookie header that carries the session."""
    client = Client(base)
    status, page = client.request("/login")
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or match is None:
        raise SystemExit(f"GET /login answered {status} without a CSRF token")
    form = urllib.parse.urlencode(
        {"csrf_token": match.group(1), "email": PROVIDER_EMAIL, "password": DEMO_PASSWORD}
    ).encode()
    status, _ = client.request(
        "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 302:
        raise SystemExit(f"Logging in as {PROVIDER_EMAIL} answered {status}, not a redirect")
    return client.cookie_header()


def has_answers(path: str, text: str) -> str | None:
    """Why the answer to ``path`` is empty (no carers found), or None when it is not."""
    if path.startswith("/api/v1/match"):
        results = json.loads(text)["results"]
        return None if results else "no carers in results"
    if path.startswith("/search"):
        return None if 'class="result"' in text else "no carers on the search page"
    return None


def check_route(base: str, path: str, body: bytes | None, headers: dict[str, str]) -> str:
    """GET or POST ``path``: it must answer 200 and, for search and match, find carers."""
    req = urllib.request.Request(base + path, data=body, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.status, error.read().decode()
    if status != 200:
        raise SystemExit(f"{path} answered {status}, not 200: {text[:300]}")
    empty = has_answers(path, text)
    if empty:
        raise SystemExit(f"{path} answered 200 but with {empty}: the benchmark would be a lie")
    return text


def match_postcodes(url: str, count: int = 400, districts: int = 60) -> list[str]:
    """Up to ``count`` distinct postcodes where carers live in the ``districts`` postcode
    districts with the most carers (sorted, so every run draws the same ones): places a
    person could search from and find several carers, as at ``MATCH_BODY``'s LS6 1AA."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT DISTINCT postcode FROM carers WHERE active AND postcode IS NOT NULL "
                    "AND district IN (SELECT district FROM carers WHERE active "
                    "GROUP BY district ORDER BY count(*) DESC, district LIMIT :districts) "
                    "ORDER BY postcode"
                ),
                {"districts": districts},
            ).scalars()
            found = list(rows)
    finally:
        engine.dispose()
    step = max(1, len(found) // count)
    return found[::step][:count]


def match_bodies(
    count: int, postcodes: list[str], vocabulary: dict[str, list[str]], seed: int = 14
) -> list[bytes]:
    """``count`` distinct match bodies over ``postcodes`` and the vocabulary's slugs
    (a fixed seed: the same bodies every run), with distances, must-haves, interests,
    languages, times, priorities and limits varied around ``MATCH_BODY``."""
    import random

    rng = random.Random(seed)
    skills, interests, languages = (
        sorted(vocabulary[k]) for k in ("skills", "interests", "languages")
    )
    bodies: dict[bytes, None] = {}
    attempts = 0
    while len(bodies) < count and attempts < count * 20:
        attempts += 1
        body: dict[str, object] = {
            "postcode": rng.choice(postcodes),
            "max_distance_km": rng.choice(MATCH_DISTANCES_KM),
            "must_have": rng.sample(skills, rng.choice((0, 1, 1, 2))),
            "interests": rng.sample(interests, rng.choice((0, 1, 2, 3))),
            "limit": rng.choice((10, 20, 20)),
        }
        if rng.random() < 0.3:
            body["languages"] = rng.sample(languages, 1)
        if rng.random() < 0.3:
            body["availability"] = rng.sample(MATCH_SLOTS, rng.choice((1, 2, 3)))
            body["only_available"] = rng.random() < 0.5
        priority = rng.choice(MATCH_PRIORITIES)
        if priority is not None:
            body["priority"] = priority
        if rng.random() < 0.2:
            body["max_hourly_rate_pence"] = rng.choice((1800, 2200, 2600))
        bodies[json.dumps(body, sort_keys=True).encode()] = None
    return list(bodies)


def match_vocabulary(base: str) -> dict[str, list[str]]:
    """The slugs of each vocabulary, from the app's own ``GET /api/v1/vocabulary``."""
    with urllib.request.urlopen(base + "/api/v1/vocabulary", timeout=30) as response:
        listing = json.loads(response.read())
    return {
        kind: [term["slug"] for term in listing[kind]]
        for kind in ("skills", "interests", "languages")
    }


def wrk_bodies_script(directory: Path, name: str, bodies: list[bytes]) -> Path:
    """A wrk script POSTing ``bodies`` in turn (each thread from its own offset)."""
    listed = ",\n".join(json.dumps(b.decode()) for b in bodies)
    lua = f"""
local bodies = {{
{listed}
}}
local counter = 0
local offset = 0
local threads = 0
setup = function(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
init = function(args)
  counter = offset
end
request = function()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json"}}, body)
end
"""
    path = directory / f"{name}.lua"
    path.write_text(lua + WRK_REPORT)
    return path


def wrk_script(
    directory: Path, name: str, method: str, body: bytes | None, headers: dict[str, str]
) -> Path:
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body.decode())}")
    for key, value in headers.items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n" + WRK_REPORT)
    return path


def run_wrk(
    name: str, url: str, script: Path, duration: float, connections: int, threads: int
) -> Result:
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    return Result(
        name=name,
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50"] / 1000,
        p99_ms=data["p99"] / 1000,
        errors=errors,
        requests=data["requests"],
    )


def app_environment(url: str) -> dict[str, str]:
    return {
        **database_env(url),
        "COOPCARE_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_BASE_URL": "https://127.0.0.1",
        "TRUSTED_HOSTS": "127.0.0.1",
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "memory://",
        "JOBS_REDIS_URL": "",
    }


def first_carer_id(base: str) -> int:
    text = check_route(
        base,
        "/api/v1/match",
        json.dumps(MATCH_BODY).encode(),
        {"Content-Type": "application/json"},
    )
    return json.loads(text)["results"][0]["carer_id"]


def catalog_changer(url: str, stop: threading.Event, every: float = 1.0) -> list[float]:
    """Bump the catalog version every ``every`` seconds (as a carer edit would)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    times: list[float] = []
    while not stop.wait(every):
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE catalog_version SET version = version + 1, updated_at = now() "
                    "WHERE id = 1"
                )
            )
        times.append(time.perf_counter() - started)
    engine.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--carers", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--routes", default="", help="comma-separated route names (default all)")
    parser.add_argument("--soak", type=float, default=0, help="seconds of soak on the match API")
    parser.add_argument(
        "--catalog-changes",
        action="store_true",
        help="also measure the match API while the catalog changes every second",
    )
    parser.add_argument(
        "--match-bodies",
        type=int,
        default=20_000,
        help="distinct bodies the varied match run cycles through (0: no varied run); "
        "more than a run asks for, so a kept answer is (almost) never asked for again",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown too")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    prepare_database(args.database_url, args.carers)
    env = app_environment(args.database_url)
    app = Server("coopcare", "wsgi:app", env, args.workers, [])
    hello = Server("hello", "hello:app", env, args.workers, ["--pythonpath", "benchmarks"])
    results: list[tuple[Result, Result, str]] = []
    try:
        hello.wait_ready()
        app.wait_ready("/api/v1/health")
        cookie = log_in(app.base)
        carer_id = first_carer_id(app.base)
        json_headers = {"Content-Type": "application/json"}
        body = json.dumps(MATCH_BODY).encode()
        routes = [
            ("GET /", "/", "GET", None, {}),
            ("GET /search", "/search?" + SEARCH_QUERY, "GET", None, {}),
            # A different search on every request (VARIED_SEARCH); checked with the one above.
            ("GET /search (varied)", "/search?" + SEARCH_QUERY, "GET", None, {}),
            ("GET /carers/<id>", f"/carers/{carer_id}", "GET", None, {}),
            ("POST /api/v1/match", "/api/v1/match", "POST", body, json_headers),
            # --match-bodies different bodies in turn (match_bodies): a visitor's answer
            # is kept per worker and request, so the one repeated body is what a kept
            # answer costs, this what an answer costs when asked for the first time.
            ("POST /api/v1/match (varied)", "/api/v1/match", "POST", body, json_headers),
            ("GET /provider (logged in)", "/provider", "GET", None, {"Cookie": cookie}),
        ]
        if not args.match_bodies:
            routes = [r for r in routes if r[0] != "POST /api/v1/match (varied)"]
        if args.routes:
            wanted = {name.strip() for name in args.routes.split(",")}
            # "GET /search" brings its varied twin: a kept page must not be all it shows.
            wanted |= {f"{name} (varied)" for name in wanted}
            routes = [r for r in routes if r[0] in wanted or r[1].split("?")[0] in wanted]
        scripts = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
        hello_script = wrk_script(scripts, "hello", "GET", None, {})
        print(
            f"\nLoad benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {args.carers:,} carers, "
            f"gunicorn {args.workers} sync workers (production settings), wrk {args.threads} "
            f"threads x {args.connections} connections x {args.duration:g} s on loopback, "
            "RATELIMIT_ENABLED=false (rate limits off)"
        )
        print(f"CPUs: {os.cpu_count()}; load average before: {load_average()}")
        # Warm up: every worker builds its catalog and compiles its templates.
        for name, path, method, data, headers in routes:
            check_route(app.base, path, data, headers)
            script = wrk_script(scripts, re.sub(r"\W+", "_", name), method, data, headers)
            if name == "POST /api/v1/match (varied)":
                bodies = match_bodies(
                    args.match_bodies,
                    match_postcodes(args.database_url),
                    match_vocabulary(app.base),
                )
                script = wrk_bodies_script(scripts, re.sub(r"\W+", "_", name), bodies)
                print(f"Varied match bodies: {len(bodies)} distinct, in turn")
            elif name.endswith("(varied)"):
                script.write_text(VARIED_SEARCH + WRK_REPORT)
            run_wrk(name, app.base + path, script, 2, args.connections, args.threads)
        run_wrk("hello", hello.base + "/", hello_script, 2, args.connections, args.threads)

        header = (
            f"{'route':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
            f"{'hello req/s':>13}{'ratio':>8}{'CPU ms/req':>12}{'hello':>8}{'CPU ratio':>11}"
            "  load avg"
        )
        print("\n" + header)
        for name, path, _method, data, headers in routes:
            script = scripts / (re.sub(r"\W+", "_", name) + ".lua")
            started = cpu_seconds(hello)
            base = run_wrk(
                "hello world",
                hello.base + "/",
                hello_script,
                args.duration,
                args.connections,
                args.threads,
            )
            base.cpu_ms = (cpu_seconds(hello) - started) * 1000 / max(base.requests, 1)
            started = cpu_seconds(app)
            result = run_wrk(
                name, app.base + path, script, args.duration, args.connections, args.threads
            )
            result.cpu_ms = (cpu_seconds(app) - started) * 1000 / max(result.requests, 1)
            load = load_average()
            results.append((result, base, load))
            print(
                f"{name:<28}{result.rps:9.0f}{result.p50_ms:9.1f}{result.p99_ms:9.1f}"
                f"{result.errors:8d}{base.rps:13.0f}{result.rps / base.rps:8.1%}"
                f"{result.cpu_ms:12.2f}{base.cpu_ms:8.2f}{base.cpu_ms / result.cpu_ms:11.1%}"
                f"  {load}",
                flush=True,
            )
            check_route(app.base, path, data, headers)
        hellos = [base for _, base, _ in results]
        if hellos:
            print(
                f"{'hello world (each run)':<28}"
                + ", ".join(
                    f"{b.rps:.0f} req/s p99 {b.p99_ms:.1f} ms errors {b.errors}" for b in hellos[:2]
                )
                + (" …" if len(hellos) > 2 else "")
            )
        print(f"Load average after: {load_average()}")
        if args.markdown:
            print_markdown(results)
        app_memory = print_memory(app, "after the runs")
        print_memory(hello, "after the runs")
        hello_workers = [m["uss"] for m in memory_kb_list(hello)]
        workers = app_memory[1:]
        if workers:
            print(
                "  coopcare workers: mean private (USS) "
                f"{sum(m['uss'] for m in workers) / len(workers) / 1024:.1f} MB, mean PSS "
                f"{sum(m['pss'] for m in workers) / len(workers) / 1024:.1f} MB (hello-world "
                f"workers: USS {sum(hello_workers) / max(len(hello_workers), 1) / 1024:.1f} MB)"
            )

        match_script = scripts / "POST_api_v1_match.lua"
        if not match_script.exists():
            match_script = wrk_script(scripts, "POST_api_v1_match", "POST", body, json_headers)
        if args.catalog_changes:
            stop = threading.Event()
            changes: list[float] = []
            thread = threading.Thread(
                target=lambda: changes.extend(catalog_changer(args.database_url, stop))
            )
            thread.start()
            try:
                result = run_wrk(
                    "match, catalog changing every 1 s",
                    app.base + "/api/v1/match",
                    match_script,
                    max(args.duration, 20),
                    args.connections,
                    args.threads,
                )
            finally:
                stop.set()
                thread.join()
            check_route(app.base, "/api/v1/match", body, json_headers)
            print(
                f"\nPOST /api/v1/match while the catalog changes every second ({len(changes)} "
                f"changes): {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, errors {result.errors}; load average {load_average()}"
            )
        if args.soak:
            first_memory = [memory_kb(pid) for pid in app.worker_pids()]
            first = [m["rss"] for m in first_memory]
            result = run_wrk(
                "soak",
                app.base + "/api/v1/match",
                match_script,
                args.soak,
                args.connections,
                args.threads,
            )
            last_memory = [memory_kb(pid) for pid in app.worker_pids()]
            last = [m["rss"] for m in last_memory]
            check_route(app.base, "/api/v1/match", body, json_headers)
            print(
                f"\nSoak: POST /api/v1/match for {args.soak:g} s at {args.connections} "
                f"connections: {result.requests:,} requests, {result.rps:.0f} req/s, "
                f"p99 {result.p99_ms:.1f} ms, errors {result.errors}"
            )
            print("  worker RSS first (MB): " + ", ".join(f"{kb / 1024:.1f}" for kb in first))
            print("  worker RSS last  (MB): " + ", ".join(f"{kb / 1024:.1f}" for kb in last))
            for label, rows in (("first", first_memory), ("last ", last_memory)):
                print(
                    f"  worker PSS/USS {label} (MB): "
                    + ", ".join(f"{m['pss'] / 1024:.1f}/{m['uss'] / 1024:.1f}" for m in rows)
                )
    finally:
        app.stop()
        hello.stop()
    return 0


def memory_kb_list(server: Server) -> list[dict[str, int]]:
    return [memory_kb(pid) for pid in server.worker_pids()]


def print_markdown(results: list[tuple[Result, Result, str]]) -> None:
    print(
        "\n| route | req/s | p50 ms | p99 ms | errors "
        "| hello world req/s (adjacent run) | ratio | worker CPU ms/request (hello) "
        "| CPU ratio | load average |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for result, base, load in results:
        print(
            f"| `{result.name}` | {result.rps:.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} | "
            f"{result.errors} | {base.rps:.0f} (p99 {base.p99_ms:.1f} ms) | "
            f"{result.rps / base.rps:.0%} | {result.cpu_ms:.2f} ({base.cpu_ms:.2f}) | "
            f"{base.cpu_ms / result.cpu_ms:.0%} | {load} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
