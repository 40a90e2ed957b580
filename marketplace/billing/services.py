"""Receiving a Stripe event: store its id once, apply it, all in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.models import WebhookEvent
from payments.gateway import BillingGateway, StripeGateway, make_stripe_client
from payments.webhooks import handle_stripe_event

log = logging.getLogger(__name__)


def configured_gateway() -> BillingGateway | None:
    """The Stripe gateway from config, or None when no secret key is set (then webhooks
    are applied from their payloads, compared by time)."""
    key = current_app.config.get("STRIPE_SECRET_KEY", "")
    if not key:
        return None
    client = make_stripe_client(key, current_app.config.get("STRIPE_API_BASE", ""))
    return StripeGateway(client, localstripe=bool(current_app.config.get("STRIPE_LOCALSTRIPE")))


@dataclass(frozen=True)
class Received:
    duplicate: bool
    outcome: str


def receive_event(event: dict[str, Any], gateway: BillingGateway | None) -> Received:
    """Record the event id and apply the event; a repeat is skipped. If applying fails
    (Stripe unreachable while re-fetching, say) nothing is kept, so Stripe's retry starts
    clean."""
    event_id = event["id"]
    if db.session.scalar(
        sa.select(WebhookEvent.id).where(WebhookEvent.stripe_event_id == event_id)
    ):
        return Received(True, "already received")
    record = WebhookEvent(stripe_event_id=event_id, event_type=str(event["type"])[:80])
    # One savepoint for the event id and everything the event changes: all kept, or none.
    savepoint = db.session.begin_nested()
    try:
        db.session.add(record)
        db.session.flush()
    except sa.exc.IntegrityError:
        # The same event delivered twice at once: the other delivery has it.
        savepoint.rollback()
        return Received(True, "already received")
    try:
        outcome = handle_stripe_event(event, SqlBillingRepository(db.session), gateway)
        record.outcome = outcome.action
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        raise
    db.session.commit()
    return Received(False, outcome.action)
