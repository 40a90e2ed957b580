"""localstripe (a fake Stripe API server) on a free loopback port for the whole session.

With COOPCARE_REAL_STRIPE=1 and STRIPE_SECRET_KEY=sk_test_... (and STRIPE_API_BASE unset),
the same tests run against Stripe's own test mode instead (see README, Payments)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest
import requests
import stripe
from stripe_helpers import REAL_STRIPE

from payments.gateway import StripeGateway, make_stripe_client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """Start localstripe in its own process; stop it when the session ends."""
    if REAL_STRIPE:
        pytest.skip("needs localstripe (COOPCARE_REAL_STRIPE is set)")
    port = _free_port()
    # A file, not a pipe: a chatty server could fill a pipe nobody reads and hang.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from aiohttp import web; from localstripe.server import app; "
            f"web.run_app(app, host='127.0.0.1', port={port}, print=None)",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"localstripe did not start: {log.read().decode(errors='replace')}")
            try:
                requests.get(base + "/v1/customers", timeout=0.5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("localstripe did not answer within 15 seconds")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def stripe_client(request: pytest.FixtureRequest) -> stripe.StripeClient:
    if REAL_STRIPE:
        key = os.environ.get("STRIPE_SECRET_KEY", "")
        if not key.startswith("sk_test_") or os.environ.get("STRIPE_API_BASE"):
            pytest.fail(
                "Real Stripe tests need STRIPE_SECRET_KEY=sk_test_... and no STRIPE_API_BASE"
            )
        return make_stripe_client(key, timeout_seconds=20)
    base: str = request.getfixturevalue("localstripe_url")
    return make_stripe_client("sk_test_coopcare", base, timeout_seconds=10)


@pytest.fixture
def gateway(stripe_client: stripe.StripeClient) -> StripeGateway:
    return StripeGateway(stripe_client, localstripe=not REAL_STRIPE)


@pytest.fixture(autouse=True)
def payments_logging_enabled() -> None:
    """Migration tests run Alembic's logging.config.fileConfig, which disables every logger
    that already exists; the payments tests read what the handler logs."""
    for name in ("payments", "payments.webhooks"):
        logging.getLogger(name).disabled = False
