"""Stripe-shaped test data shared by the payments tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import stripe
from parallel import listening_socket

REAL_STRIPE = os.environ.get("COOPCARE_REAL_STRIPE") == "1"
WEBHOOK_SECRET = "whsec_test_secret"
TEST_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # attaches, then declines when charged


def unique_id() -> int:
    """Record ids unique across the session: localstripe keeps its state between tests."""
    return uuid.uuid4().int % 10**9


def add_card(client: stripe.StripeClient, number: str = TEST_CARD) -> str:
    """A card payment method (not yet attached to anyone)."""
    if REAL_STRIPE:
        # Stripe's test mode takes test tokens, not raw card numbers, from a server.
        token = {TEST_CARD: "tok_visa", DECLINED_CARD: "tok_chargeCustomerFail"}[number]
        method = client.v1.payment_methods.create(params={"type": "card", "card": {"token": token}})
        return method.id
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return method.id


def signed(
    event: dict[str, Any], secret: str = WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, str]:
    """An event body and its `Stripe-Signature` header, as Stripe would send them."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(time.time()) if at is None else at
    )
    return payload.encode(), header


def post_webhook(client: Any, event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> Any:
    """POST `event` to the app's Stripe webhook, signed as Stripe would sign it."""
    body, header = signed(event, secret)
    return client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


@contextmanager
def running_localstripe() -> Iterator[str]:
    """localstripe in its own process on a free loopback port; its base URL."""
    # The socket is bound here and handed over, so no other xdist worker can take the port.
    listener = listening_socket()
    port = listener.getsockname()[1]
    # A file, not a pipe: a chatty server could fill a pipe nobody reads and hang.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket; from aiohttp import web; from localstripe.server import app; "
            f"web.run_app(app, sock=socket.socket(fileno={listener.fileno()}), print=None)",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        pass_fds=(listener.fileno(),),
    )
    listener.close()  # the server has its own copy
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
