"""Receiving a Stripe event: store its id once, apply it, all in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.models import WebhookEvent
from payments.gateway import BillingGateway, ConnectSettings, StripeGateway, make_stripe_client
from payments.ledger import EntryKind, EntrySource, LedgerEntry
from payments.webhooks import handle_stripe_event

log = logging.getLogger(__name__)


def configured_gateway() -> BillingGateway | None:
    """The Stripe gateway from config, or None when no secret key is set (then webhooks
    are applied from their payloads, compared by time)."""
    key = current_app.config.get("STRIPE_SECRET_KEY", "")
    if not key:
        return None
    client = make_stripe_client(key, current_app.config.get("STRIPE_API_BASE", ""))
    fee = current_app.config.get("STRIPE_CONNECT_FEE_BASIS_POINTS")
    return StripeGateway(
        client,
        localstripe=bool(current_app.config.get("STRIPE_LOCALSTRIPE")),
        connect=ConnectSettings(fee) if fee is not None else None,
    )


@dataclass(frozen=True)
class Received:
    duplicate: bool
    outcome: str


def already_received(event_id: str) -> bool:
    return (
        db.session.scalar(
            sa.select(WebhookEvent.id).where(WebhookEvent.stripe_event_id == event_id)
        )
        is not None
    )


def receive_event(event: dict[str, Any], gateway: BillingGateway | None) -> Received:
    """Record the event id and apply the event; a repeat is skipped. If applying fails
    (Stripe unreachable while re-fetching, say) nothing is kept, so Stripe's retry starts
    clean."""
    event_id = event["id"]
    if already_received(event_id):
        return Received(True, "already received")
    # One savepoint for everything the event changes and its id: all kept, or none. The
    # id is written last, so that the handler's questions to Stripe come before most of
    # the writes (a write transaction held across a Stripe call makes others wait).
    savepoint = db.session.begin_nested()
    try:
        # A failure here (Stripe unreachable, a racing writer) keeps nothing and answers
        # non-2xx, so Stripe delivers the event again.
        outcome = handle_stripe_event(event, SqlBillingRepository(db.session), gateway)
    except Exception:
        savepoint.rollback()
        raise
    try:
        db.session.add(
            WebhookEvent(
                stripe_event_id=event_id,
                event_type=str(event["type"])[:80],
                outcome=outcome.action,
            )
        )
        db.session.flush()
    except sa.exc.IntegrityError:
        # The same event delivered twice at once: the other delivery has applied it.
        savepoint.rollback()
        db.session.rollback()
        return Received(True, "already received")
    savepoint.commit()
    db.session.commit()
    return Received(False, outcome.action)


def record_budget_payment(
    session: Session,
    budget_id: int,
    amount_pence: int,
    on: date,
    description: str,
    *,
    kind: EntryKind = EntryKind.PAYMENT,
    category: str | None = None,
    source: EntrySource | None = None,
) -> LedgerEntry:
    """Pay `amount_pence` out of a budget (a bank transfer, or an ISF provider drawing on
    the fund), refusing with `WouldOverdraw` when the budget cannot cover it. The budget row
    stays locked until the caller commits, so two payments racing on one budget are decided
    one after the other and cannot both pass."""
    repo = SqlBillingRepository(session)
    ledger = repo.ledger(budget_id)  # locks the budget row (PostgreSQL)
    ledger.ensure_affordable(amount_pence, on)
    entry = ledger.post(kind, -amount_pence, on, description, category=category, source=source)
    repo.append(entry)
    return entry
