"""localstripe (a fake Stripe API server) on a free loopback port for the whole session.

With COOPCARE_REAL_STRIPE=1 and STRIPE_SECRET_KEY=sk_test_... (and STRIPE_API_BASE unset),
the same tests run against Stripe's own test mode instead (see README, Payments)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
import stripe
from stripe_helpers import REAL_STRIPE, running_localstripe

from payments.gateway import StripeGateway, make_stripe_client


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """Start localstripe in its own process; stop it when the session ends."""
    if REAL_STRIPE:
        pytest.skip("needs localstripe (COOPCARE_REAL_STRIPE is set)")
    with running_localstripe() as base:
        yield base


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
