"""Stripe-shaped test data shared by the payments tests."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import stripe

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
