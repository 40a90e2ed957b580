"""Browser tests: the real app served on a loopback port, driven by Debian's Chromium.

One server (gunicorn, the production Config, CSRF and rate limits on) and one browser
per session. Each test gets fresh browser contexts; logged-in contexts reuse a cookie
jar made once per role by logging in through the real login form.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from e2e.browser_helpers import CHROMIUM_ARGS, CHROMIUM_PATH, LiveServer, login
from parallel import listening_socket
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from stripe_helpers import WEBHOOK_SECRET, running_localstripe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


MISSING_BROWSER = f"browser tests need Chromium at {CHROMIUM_PATH} (apt-get install chromium)"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """No browser: skip (reported as one line, from here), or fail when CI=true."""
    if not Path(CHROMIUM_PATH).exists():
        if _in_ci():
            pytest.fail(MISSING_BROWSER, pytrace=False)
        pytest.skip(MISSING_BROWSER)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in tests/e2e is an e2e test, even if its file forgets the marker."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            # One xdist worker runs every browser test, in the order of a serial run
            # (`make test` runs with --dist loadgroup): journeys carry on from what an
            # earlier test did on the shared demo server (the team rates the month the
            # family reviewed), and only one worker seeds and starts the servers. The
            # other workers run the rest of the suite meanwhile.
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The browser, or one clear skip (a failure in CI, where it must be installed)."""
    if not Path(CHROMIUM_PATH).exists():
        if _in_ci():
            pytest.fail(MISSING_BROWSER, pytrace=False)
        pytest.skip(MISSING_BROWSER)
    return CHROMIUM_PATH


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    pytest.fail(f"the test server did not start:\n{tail}", pytrace=False)


@contextmanager
def _serve(
    work: Path, extra_env: dict[str, str] | None = None, seed: tuple[str, ...] = ()
) -> Iterator[LiveServer]:
    """The app with demo data (`flask seed-demo` with `seed` options), served by gunicorn
    on 127.0.0.1 with the real Config."""
    mail_dir = work / "mail"
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": f"sqlite:///{work / 'coopcare.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32),
        "RATELIMIT_ENABLED": "true",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "API_RATE_LIMIT": "1000 per minute",
        "SUPPORTER_INVITE_RATE_LIMIT": "1000 per minute",
        # The journeys ask for introductions and write messages as the same demo people,
        # faster than anyone would: the limits themselves are tested in tests/marketplace.
        "INTRODUCTION_RATE_LIMIT": "1000 per minute",
        "MESSAGE_RATE_LIMIT": "1000 per minute",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(mail_dir),
        "UPLOAD_FOLDER": str(work / "uploads"),
        "COOPCARE_PRODUCTION": "0",
        # The map runs for real, but its "tiles" come from this server, never the internet.
        "MAP_TILES_URL": "/static/vendor/leaflet/images/layers.png",
        # Tests may move the served app's clock (LiveServer.move_clock, e2e_wsgi.py).
        "E2E_CLOCK_FILE": str(work / "clock-offset-days"),
        **(extra_env or {}),
    }
    env.pop("FLASK_ENV", None)
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["seed-demo", *seed]):
        done = subprocess.run(flask + command, cwd=ROOT, env=env, capture_output=True, check=False)
        if done.returncode:
            pytest.fail(
                f"flask {' '.join(command)} failed:\n{done.stderr.decode()[-3000:]}", pytrace=False
            )
    # The listening socket is made here and handed to gunicorn (fd://), so the port is
    # held from the moment it is chosen: another xdist worker's server cannot take it.
    listener = listening_socket()
    port = listener.getsockname()[1]
    # Links in emails are built from the public address, never from the request.
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    log = work / "server.log"
    with listener, log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"fd://{listener.fileno()}",
                "--workers",
                "1",
                "--threads",
                "8",
                "--graceful-timeout",
                "2",
                "--chdir",
                str(ROOT),
                "--pythonpath",
                str(HERE),
                "e2e_wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
        )
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        mail_dir=mail_dir,
        log=log,
        database=work / "coopcare.sqlite3",
        clock_file=work / "clock-offset-days",
        env=env,
    )
    try:
        _wait_until_up(server.url + "/api/v1/health", process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, chromium_executable: str
) -> Iterator[LiveServer]:
    """The app with demo data and no payment service (there is no network)."""
    with _serve(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture(scope="session")
def localstripe_url(chromium_executable: str) -> Iterator[str]:
    """localstripe (a fake Stripe API) on a free loopback port, for the whole session."""
    with running_localstripe() as base:
        yield base


@pytest.fixture(scope="session")
def stripe_server(
    tmp_path_factory: pytest.TempPathFactory, localstripe_url: str
) -> Iterator[LiveServer]:
    """A second server, with demo data, that pays through localstripe (memberships start
    with Stripe's test card). Only the tests that need Stripe start it (and localstripe),
    so the others stay as they were.

    localstripe's own webhooks are not sent here: on SQLite, a webhook's transaction racing
    a request's ends in "database is locked" (WAL refuses to upgrade a reader that saw an
    older snapshot, whatever the busy timeout), which PostgreSQL does not do. The webhook
    handling has its own tests with signed payloads (tests/payments, tests/marketplace)."""
    env = {
        "STRIPE_SECRET_KEY": "sk_test_coopcare_e2e",
        "STRIPE_API_BASE": localstripe_url,
        "STRIPE_LOCALSTRIPE": "1",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    # The small demo (30 carers) has every demo row these journeys use, and seeds faster.
    with _serve(tmp_path_factory.mktemp("e2e-stripe"), env, seed=("--carers", "30")) as server:
        yield server


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def role_states(
    browser: Browser, live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """role -> a saved cookie jar of that demo user, logged in once through the form."""
    folder = tmp_path_factory.mktemp("states")
    made: dict[str, str] = {}

    def state_for(role: str) -> str:
        if role not in made:
            context = browser.new_context(base_url=live_server.url)
            page = context.new_page()
            login(page, role)
            path = str(folder / f"{role}.json")
            context.storage_state(path=path)
            context.close()
            made[role] = path
        return made[role]

    return state_for


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(
    browser: Browser, live_server: LiveServer, role_states: Callable[[str], str]
) -> Iterator[OpenPage]:
    """open_page(role="anonymous", js=True, width=1280, height=900) -> a new Page.

    A role other than "anonymous" starts logged in as that role's demo user.
    """
    contexts: list[BrowserContext] = []

    def _open(
        role: str = "anonymous", *, js: bool = True, width: int = 1280, height: int = 900
    ) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=js,
            viewport={"width": width, "height": height},
            storage_state=None if role == "anonymous" else role_states(role),
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def demo_ids(live_server: LiveServer) -> dict[str, object]:
    """Ids of demo rows that page paths refer to as {name}: "/providers/{headingley}"."""
    q = live_server.scalar
    headingley = q("SELECT id FROM providers WHERE name = 'Headingley Care Co-op'")
    return {
        "headingley": headingley,
        "headingley_team": q("SELECT min(id) FROM teams WHERE provider_id = ?", headingley),
        "ana": q(
            "SELECT carers.id FROM carers JOIN users ON users.id = carers.user_id "
            "WHERE users.email = 'carer@coopcare.example'"
        ),
        "leeds": q("SELECT care_council_code FROM providers WHERE id = ?", headingley),
        # "item=carer-12&item=carer-40&item=team-3": the first three on Amira's shortlist.
        "amira_compare": q(
            "SELECT group_concat(item, '&') FROM (SELECT 'item=' || CASE WHEN carer_id IS "
            "NOT NULL THEN 'carer-' || carer_id ELSE 'team-' || team_id END AS item "
            "FROM shortlist_entries ORDER BY id LIMIT 3)"
        ),
        "demo_plan": q("SELECT min(id) FROM membership_plans WHERE provider_id = ?", headingley),
        "amira_membership": q(
            "SELECT id FROM memberships WHERE stripe_subscription_id = ?", "sub_demo_amira"
        ),
        "amira_review": q(
            "SELECT min(outcome_reviews.id) FROM outcome_reviews JOIN memberships"
            " ON memberships.id = outcome_reviews.membership_id"
            " WHERE memberships.stripe_subscription_id = ?",
            "sub_demo_amira",
        ),
        # The demo introductions: Amira's open request to Ana, and her team meeting.
        "open_introduction": q("SELECT min(id) FROM introductions WHERE status = 'requested'"),
        "meeting_introduction": q("SELECT min(id) FROM introductions WHERE status = 'meeting'"),
        "amira_arrangement": q(
            "SELECT min(arrangements.id) FROM arrangements JOIN people ON "
            "people.id = arrangements.person_id JOIN users ON users.id = people.user_id "
            "WHERE users.email = 'person@coopcare.example'"
        ),
        "amira_public_review": q("SELECT min(id) FROM reviews"),
        # Amira's direct payment, and Derek's individual service fund (held by Headingley).
        "amira_budget": q(
            "SELECT min(budgets.id) FROM budgets JOIN people ON people.id = budgets.person_id"
            " JOIN users ON users.id = people.user_id WHERE users.email = ?",
            "person@coopcare.example",
        ),
        "derek_fund": q(
            "SELECT min(id) FROM budgets WHERE funding_route = 'individual_service_fund'"
        ),
        **{
            status: q("SELECT min(id) FROM providers WHERE qa_status = ?", status)
            for status in ("submitted", "changes_requested", "suspended", "draft")
        },
    }
