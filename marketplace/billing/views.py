"""POST /payments/stripe/webhook: verify, store the event id, hand it to payments."""

from __future__ import annotations

import logging

from flask import current_app, request

from marketplace.billing import bp, services
from marketplace.extensions import csrf, limiter
from marketplace.web import json_error
from payments.gateway import BillingUnavailable
from payments.webhooks import InvalidWebhook, verify_stripe_event

log = logging.getLogger(__name__)


@bp.post("/stripe/webhook")
@csrf.exempt  # Stripe signs the body instead; there is no session or form
@limiter.limit("600 per minute")  # far above Stripe's rate; Stripe retries a 429 later
def stripe_webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        log.error("A Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
        return json_error(503, "not_configured", "Stripe webhooks are not set up here.")
    try:
        event = verify_stripe_event(
            request.get_data(cache=False), request.headers.get("Stripe-Signature"), secret
        )
    except InvalidWebhook as error:
        return json_error(400, "invalid_webhook", str(error))
    try:
        received = services.receive_event(event, services.configured_gateway())
    except BillingUnavailable as error:
        log.warning("Stripe event %s not applied, Stripe will retry: %s", event["id"], error.detail)
        return json_error(503, "stripe_unavailable", str(error))
    return {"received": True, "duplicate": received.duplicate}, 200
