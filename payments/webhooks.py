"""Handling Stripe's webhook events: a plain function over a small repository protocol.

The marketplace's webhook view verifies the signature, stores the event id (so a repeat is
skipped before it gets here) and calls `handle_stripe_event(event, repo, gateway)`. The
handler is idempotent and order-independent on its own as well: events arrive twice and out
of order, so

- with a gateway, the object is re-fetched from Stripe and Stripe's current answer is
  applied, not the payload's (which may be stale);
- without one, the payload is applied only when it is newer than what we know
  (`memberships.apply_snapshot`), paid beats failed, a succeeded payment stays succeeded,
  and ledger entries are keyed by their Stripe object id so none is written twice.

Unknown event types and events about objects we do not know are logged and acknowledged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import stripe

from payments.gateway import (
    BillingGateway,
    CheckoutSessionSnapshot,
    PaymentIntentSnapshot,
    RefundResult,
)
from payments.ledger import EntryKind, EntrySource, Ledger, LedgerEntry
from payments.memberships import (
    MEMBERSHIP_SPENDING_CATEGORY,
    InvoiceStatus,
    Membership,
    MembershipInvoice,
    MembershipStatus,
    SubscriptionSnapshot,
    apply_snapshot,
    snapshot_from_stripe,
)

__all__ = [
    "HANDLED_EVENT_TYPES",
    "SIGNATURE_TOLERANCE_SECONDS",
    "InvalidWebhook",
    "BillingRepository",
    "CardPayment",
    "CardPaymentStatus",
    "EventOutcome",
    "InMemoryBillingRepository",
    "MembershipDraft",
    "apply_checkout_session",
    "apply_payment_intent",
    "check_card_payment",
    "handle_stripe_event",
    "record_invoice",
    "record_membership_refunds",
    "record_refunds",
    "sync_invoices",
    "verify_stripe_event",
]

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")

HANDLED_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.expired",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.refunded",
    }
)


# Stripe's own default: a signed event older than five minutes is refused (replay attacks).
SIGNATURE_TOLERANCE_SECONDS = 300


class InvalidWebhook(ValueError):
    """A request that is not a genuine, readable Stripe event (answer 400)."""


def verify_stripe_event(
    payload: bytes,
    signature_header: str | None,
    secret: str,
    *,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """Check the `Stripe-Signature` header against the raw body, then parse the event.

    Raises `InvalidWebhook` for a missing, wrong or stale signature or a body that is not a
    Stripe event, and ValueError when no webhook secret is configured."""
    if not secret:
        raise ValueError("STRIPE_WEBHOOK_SECRET is not set, so no webhook can be trusted")
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise InvalidWebhook("The Stripe signature is missing or does not match") from error
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise InvalidWebhook("The body is not JSON") from error
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not event["id"]
        or not isinstance(event.get("type"), str)
    ):
        raise InvalidWebhook("The body is not a Stripe event")
    return event


class CardPaymentStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    FAILED = "failed"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True, slots=True)
class CardPayment:
    """Our record of one attempt to pay a provider invoice from a budget by card. The
    ledger entry is written when Stripe says the payment succeeded, and only then."""

    id: int
    budget_id: int
    amount_pence: int
    requested_at: datetime  # UTC; the entry is dated on its London day
    description: str
    status: CardPaymentStatus = CardPaymentStatus.PENDING
    stripe_payment_intent_id: str | None = None
    invoice_id: int | None = None
    invoice_reference: str | None = None
    category: str | None = None
    recorded_by_user_id: int | None = None
    supporter_user_id: int | None = None
    failure_message: str | None = None
    stripe_checkout_session_id: str | None = None

    @property
    def unsettled(self) -> bool:
        """Still waiting for Stripe, so its money is held back from other payments."""
        return self.status in (CardPaymentStatus.PENDING, CardPaymentStatus.REQUIRES_ACTION)


# Why a card payment was let go without Stripe taking the money (shown to the payer).
CHECKOUT_EXPIRED = "The card payment page expired before the payment was made."
ABANDONED = "Stripe did not confirm the payment in time, so it was cancelled."


@dataclass(frozen=True, slots=True)
class MembershipDraft:
    """A membership about to be recorded for a subscription Stripe told us about."""

    plan_id: int
    arrangement_id: int | None
    started_by_user_id: int | None
    stripe_subscription_id: str
    stripe_customer_id: str | None
    person_id: int | None = None
    budget_id: int | None = None  # paid from this budget (the repository checks it is theirs)


class BillingRepository(Protocol):
    """Our records the handler reads and writes (the marketplace implements it over its
    models, inside one database transaction per event)."""

    def membership_for_subscription(self, subscription_id: str) -> Membership | None: ...

    def membership(self, membership_id: int) -> Membership | None: ...

    def plan_name(self, plan_id: int) -> str | None:
        """The membership plan's name, for the ledger's description of a paid month."""
        ...

    def add_membership(self, draft: MembershipDraft) -> Membership:
        """Record a new membership (status incomplete, not yet observed) and return it."""
        ...

    def save_membership(self, membership: Membership) -> None: ...

    def membership_invoice(self, stripe_invoice_id: str) -> MembershipInvoice | None: ...

    def membership_invoice_for_payment_intent(
        self, payment_intent_id: str
    ) -> MembershipInvoice | None: ...

    def save_membership_invoice(self, invoice: MembershipInvoice) -> None: ...

    def refunded_total(self, payment_intent_id: str) -> int:
        """The most Stripe has said was refunded on this payment intent (0 if nothing)."""
        ...

    def note_refunded_total(self, payment_intent_id: str, amount_pence: int) -> None:
        """Remember a refunded total, keeping the largest seen."""
        ...

    def card_payment(self, payment_id: int) -> CardPayment | None: ...

    def card_payment_for_intent(self, payment_intent_id: str) -> CardPayment | None: ...

    def card_payment_for_checkout_session(self, session_id: str) -> CardPayment | None: ...

    def save_card_payment(self, payment: CardPayment) -> None: ...

    def ledger(self, budget_id: int) -> Ledger: ...

    def append_ledger_entry(self, entry: LedgerEntry) -> None: ...


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What the handler did with an event, for the log and the tests."""

    event_type: str
    handled: bool
    action: str


def _utc_now() -> datetime:
    return datetime.now(UTC)


def handle_stripe_event(
    event: Mapping[str, Any],
    repo: BillingRepository,
    gateway: BillingGateway | None = None,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> EventOutcome:
    """Apply one Stripe event (a parsed, signature-checked event dict) to our records."""
    event_type = str(event.get("type", ""))
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        return _ignored(event_type, "the event has no object")
    created = int(event.get("created") or 0)
    handler = _Handler(repo, gateway, now)
    match event_type:
        case "checkout.session.completed":
            action = handler.checkout_completed(obj, created)
        case "checkout.session.expired":
            action = handler.checkout_expired(obj, created)
        case (
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
        ):
            action = handler.subscription_changed(obj, created)
        case "invoice.paid":
            action = handler.invoice(obj, created, InvoiceStatus.PAID)
        case "invoice.payment_failed":
            action = handler.invoice(obj, created, InvoiceStatus.PAYMENT_FAILED)
        case "payment_intent.succeeded" | "payment_intent.payment_failed":
            action = handler.payment_intent(obj, created)
        case "charge.refunded":
            action = handler.charge_refunded(obj)
        case _:
            return _ignored(event_type, "not an event type we handle")
    if action.startswith("ignored"):
        return _ignored(event_type, action.removeprefix("ignored: "))
    log.info("Stripe event %s %s: %s", event.get("id"), event_type, action)
    return EventOutcome(event_type, True, action)


def _ignored(event_type: str, why: str) -> EventOutcome:
    log.info("Stripe event %s ignored: %s", event_type or "(no type)", why)
    return EventOutcome(event_type, False, f"ignored: {why}")


def _int_or_none(value: object) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _id_of(value: object) -> str | None:
    """An id from a field that holds either the id or the expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


class _Handler:
    def __init__(
        self, repo: BillingRepository, gateway: BillingGateway | None, now: Callable[[], datetime]
    ) -> None:
        self.repo = repo
        self.gateway = gateway
        self.now = now

    # --- memberships -----------------------------------------------------------------

    def _subscription(
        self, subscription_id: str, payload: Mapping[str, Any] | None, created: int
    ) -> SubscriptionSnapshot | None:
        """Stripe's current answer when we can ask, else the payload's (dated by the event)."""
        if self.gateway is not None:
            return self.gateway.fetch_subscription(subscription_id)
        if payload is None:
            return None
        return snapshot_from_stripe(payload, created)

    def _membership(
        self, subscription_id: str, metadata: Mapping[str, Any], customer_id: str | None
    ) -> Membership | None:
        """Our membership for the subscription: found, or recorded from the metadata we
        tagged it with. Details another event left out are filled in (never overwritten),
        so whichever event arrives first, the membership ends up the same."""
        arrangement_id = _int_or_none(metadata.get("coopcare_arrangement_id"))
        started_by_user_id = _int_or_none(metadata.get("coopcare_started_by_user_id"))
        person_id = _int_or_none(metadata.get("coopcare_person_id"))
        budget_id = _int_or_none(metadata.get("coopcare_budget_id"))
        membership = self.repo.membership_for_subscription(subscription_id)
        if membership is None:
            plan_id = _int_or_none(metadata.get("coopcare_plan_id"))
            if plan_id is None:
                return None
            return self.repo.add_membership(
                MembershipDraft(
                    plan_id=plan_id,
                    arrangement_id=arrangement_id,
                    started_by_user_id=started_by_user_id,
                    stripe_subscription_id=subscription_id,
                    stripe_customer_id=customer_id,
                    person_id=person_id,
                    budget_id=budget_id,
                )
            )
        filled = replace(
            membership,
            arrangement_id=membership.arrangement_id
            if membership.arrangement_id is not None
            else arrangement_id,
            started_by_user_id=membership.started_by_user_id
            if membership.started_by_user_id is not None
            else started_by_user_id,
            stripe_customer_id=membership.stripe_customer_id or customer_id,
            person_id=membership.person_id if membership.person_id is not None else person_id,
            budget_id=membership.budget_id if membership.budget_id is not None else budget_id,
        )
        if filled != membership:
            self.repo.save_membership(filled)
            # As stored: the repository keeps only a budget that is the person's own.
            filled = self.repo.membership(filled.id) or filled
        return filled

    def _apply(self, membership: Membership, snapshot: SubscriptionSnapshot) -> str:
        change = apply_snapshot(membership, snapshot)
        if change.changed:
            self.repo.save_membership(change.membership)
        if not change.expected:
            log.warning(
                "Membership %s moved %s, which Stripe does not usually do",
                membership.id,
                change.reason,
            )
        return f"membership {membership.id}: {change.reason}"

    def checkout_completed(self, session: Mapping[str, Any], created: int) -> str:
        if session.get("object") != "checkout.session":
            return "ignored: not a checkout session"
        if session.get("mode") == "payment":
            return self.card_checkout(session, created)
        subscription_id = _id_of(session.get("subscription"))
        if session.get("mode") != "subscription" or subscription_id is None:
            return "ignored: not a subscription checkout"
        metadata = session.get("metadata") or {}
        existed = self.repo.membership_for_subscription(subscription_id) is not None
        snapshot = self._subscription(subscription_id, None, created)
        if snapshot is None:
            # No gateway: record the membership now; its status follows from the
            # subscription's own events.
            membership = self._membership(
                subscription_id, metadata, _id_of(session.get("customer"))
            )
            if membership is None:
                return "ignored: the session names no plan of ours"
            if existed:
                return f"membership {membership.id} already recorded"
            return f"membership {membership.id} recorded from checkout"
        found = self._membership(
            subscription_id, {**snapshot.metadata, **metadata}, snapshot.customer_id
        )
        if found is None:
            return "ignored: the subscription names no plan of ours"
        return self._apply(found, snapshot)

    def checkout_expired(self, session: Mapping[str, Any], created: int) -> str:
        if session.get("object") != "checkout.session":
            return "ignored: not a checkout session"
        if session.get("mode") == "payment":
            return self.card_checkout(session, created)
        # Nothing was recorded when a membership's session was created: nothing is left.
        return "checkout expired: no membership was started"

    def card_checkout(self, payload: Mapping[str, Any], created: int) -> str:
        """A card payment's Checkout session completed or expired: Stripe's current answer
        about the session (and its payment intent) decides, not the event's type."""
        if not payload.get("id"):
            return "ignored: a checkout session without an id"
        session_id = str(payload["id"])
        payment = self.repo.card_payment_for_checkout_session(session_id)
        if payment is None:
            payment_id = _int_or_none(
                (payload.get("metadata") or {}).get("coopcare_card_payment_id")
            )
            payment = self.repo.card_payment(payment_id) if payment_id is not None else None
        if payment is None:
            return "ignored: not a budget payment of ours"
        if self.gateway is not None:
            snapshot = self.gateway.fetch_checkout_session(session_id)
        else:
            snapshot = CheckoutSessionSnapshot.from_stripe(payload, created)
        return apply_checkout_session(payment, snapshot, self.repo, self.gateway, now=self.now)

    def subscription_changed(self, payload: Mapping[str, Any], created: int) -> str:
        if payload.get("object") != "subscription" or not payload.get("id"):
            return "ignored: not a subscription"
        try:
            snapshot = self._subscription(str(payload["id"]), payload, created)
        except ValueError as error:
            return f"ignored: {error}"
        assert snapshot is not None  # there is a payload
        membership = self._membership(
            snapshot.subscription_id, snapshot.metadata, snapshot.customer_id
        )
        if membership is None:
            return "ignored: a subscription that is not one of our memberships"
        return self._apply(membership, snapshot)

    def invoice(self, payload: Mapping[str, Any], created: int, status: InvoiceStatus) -> str:
        if payload.get("object") != "invoice" or not payload.get("id"):
            return "ignored: not an invoice"
        invoice: Mapping[str, Any] = payload
        if self.gateway is not None:
            # Stripe's copy decides, not the payload (a replayed or stale event).
            invoice = self.gateway.fetch_invoice(str(payload["id"]))
            found = _invoice_status(invoice, status)
            if found is None:
                return f"ignored: Stripe says invoice {payload['id']} is {invoice.get('status')}"
            status = found
        subscription_id = _invoice_subscription(invoice)
        if subscription_id is None:
            return "ignored: not a subscription invoice"
        # Paying or failing an invoice moves the subscription: ask Stripe where it is. Its
        # metadata also finds (or records) the membership when the invoice arrives first.
        snapshot = (
            self.gateway.fetch_subscription(subscription_id) if self.gateway is not None else None
        )
        if snapshot is not None:
            metadata, customer = snapshot.metadata, snapshot.customer_id
        else:
            metadata, customer = _invoice_metadata(invoice), _id_of(invoice.get("customer"))
        membership = self._membership(subscription_id, metadata, customer)
        if membership is None:
            return "ignored: an invoice for a subscription that is not ours"
        merged = record_invoice(membership, invoice, created, status, self.repo, now=self.now)
        action = f"invoice {merged.stripe_invoice_id} {merged.status.value}"
        if (
            self.gateway is not None
            and membership.budget_id is not None
            and merged.payment_intent_id is not None
            and merged.amount_refunded_pence > 0
        ):
            # A refund Stripe told us about before this invoice: now it can be traced.
            refunds = self.gateway.list_refunds(merged.payment_intent_id)
            record_membership_refunds(membership, merged, refunds, self.repo, now=self.now)
        if snapshot is not None:
            action += "; " + self._apply(membership, snapshot)
        return action

    # --- card payments from budgets --------------------------------------------------

    def _card_payment(
        self,
        intent: Mapping[str, Any] | PaymentIntentSnapshot,
    ) -> CardPayment | None:
        if isinstance(intent, PaymentIntentSnapshot):
            intent_id, metadata = intent.intent_id, intent.metadata
        else:
            intent_id, metadata = str(intent.get("id")), intent.get("metadata") or {}
        payment = self.repo.card_payment_for_intent(intent_id)
        if payment is None:
            payment_id = _int_or_none(metadata.get("coopcare_card_payment_id"))
            payment = self.repo.card_payment(payment_id) if payment_id is not None else None
        return payment

    def payment_intent(self, payload: Mapping[str, Any], created: int) -> str:
        if payload.get("object") != "payment_intent" or not payload.get("id"):
            return "ignored: not a payment intent"
        payment = self._card_payment(payload)
        if payment is None:
            return "ignored: not a budget payment of ours"
        if self.gateway is not None:
            snapshot = self.gateway.fetch_payment_intent(str(payload["id"]))
        else:
            snapshot = PaymentIntentSnapshot.from_stripe(payload, created)
        return apply_payment_intent(payment, snapshot, self.repo, now=self.now)

    def charge_refunded(self, charge: Mapping[str, Any]) -> str:
        if charge.get("object") != "charge" or not charge.get("id"):
            return "ignored: not a charge"
        intent_id = _id_of(charge.get("payment_intent"))
        if intent_id is None:
            return "ignored: a charge without a payment intent"
        refunded = int(charge.get("amount_refunded") or 0)
        invoice = self.repo.membership_invoice_for_payment_intent(intent_id)
        if invoice is not None:
            self.repo.note_refunded_total(intent_id, refunded)
            if refunded > invoice.amount_refunded_pence:
                self.repo.save_membership_invoice(replace(invoice, amount_refunded_pence=refunded))
            action = f"invoice {invoice.stripe_invoice_id} refunded {refunded}p in all"
            membership = self.repo.membership(invoice.membership_id)
            if membership is None or membership.budget_id is None:
                return action
            refunds = _refunds_in(charge)
            if refunds is None:
                if self.gateway is None:
                    return action + "; the refunds are not listed and Stripe cannot be asked"
                refunds = self.gateway.list_refunds(intent_id)
            written = record_membership_refunds(
                membership, invoice, refunds, self.repo, now=self.now
            )
            return action + f"; {written} refund entries written"
        payment = self._card_payment({"id": intent_id, "metadata": charge.get("metadata") or {}})
        if payment is None and self.gateway is not None:
            # The charge does not carry our metadata; its payment intent does.
            payment = self._card_payment(self.gateway.fetch_payment_intent(intent_id))
        if payment is None:
            # Perhaps a membership invoice whose own event has not arrived yet: keep the
            # total, which the invoice picks up when it is recorded.
            self.repo.note_refunded_total(intent_id, refunded)
            log.warning("Refund of payment intent %s, which we cannot trace yet", intent_id)
            return f"refund of an unknown payment {intent_id} noted ({refunded}p in all)"
        if payment.status is not CardPaymentStatus.SUCCEEDED:
            # A refunded charge was paid: record the payment first, so that the ledger
            # reads payment-then-refund whichever event arrived first.
            paid = PaymentIntentSnapshot(
                intent_id=intent_id,
                status="succeeded",
                amount_pence=int(charge.get("amount") or payment.amount_pence),
                observed_at=int(charge.get("created") or 0),
                charge_id=str(charge["id"]),
            )
            apply_payment_intent(payment, paid, self.repo, now=self.now)
            payment = self.repo.card_payment(payment.id) or payment
        refunds = _refunds_in(charge)
        if refunds is None:
            if self.gateway is None:
                return "ignored: the event does not list the refunds and Stripe cannot be asked"
            refunds = self.gateway.list_refunds(intent_id)
        written = record_refunds(payment, refunds, self.repo, now=self.now)
        return f"card payment {payment.id}: {written} refund entries written"


def record_invoice(
    membership: Membership,
    invoice: Mapping[str, Any],
    observed_at: int,
    status: InvoiceStatus,
    repo: BillingRepository,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> MembershipInvoice:
    """Record what Stripe said about one of the membership's invoices (from an event, or
    from listing the subscription's invoices), merged with what we knew: paid beats
    failed and amounts only grow, so the order of the observations does not matter.

    A paid month of a membership paid from a budget is a ledger payment on that budget,
    written once (it is keyed by the Stripe invoice id)."""
    lines = (invoice.get("lines") or {}).get("data") or []
    period = (lines[0].get("period") or {}) if lines else {}
    observed = MembershipInvoice(
        stripe_invoice_id=str(invoice["id"]),
        membership_id=membership.id,
        status=status,
        amount_due_pence=int(invoice.get("amount_due") or 0),
        amount_paid_pence=int(invoice.get("amount_paid") or 0),
        amount_refunded_pence=0,
        payment_intent_id=_invoice_payment_intent(invoice),
        period_start=_int_or_none(period.get("start")),
        period_end=_int_or_none(period.get("end")),
        observed_at=observed_at,
    )
    if observed.payment_intent_id is not None:
        noted = repo.refunded_total(observed.payment_intent_id)
        observed = replace(observed, amount_refunded_pence=noted)
    known = repo.membership_invoice(observed.stripe_invoice_id)
    merged = known.merged(observed) if known else observed
    if merged != known:
        repo.save_membership_invoice(merged)
    if (
        membership.budget_id is not None
        and merged.status is InvoiceStatus.PAID
        and merged.amount_paid_pence > 0
    ):
        _record_membership_month(membership, membership.budget_id, merged, invoice, repo, now)
    return merged


def _record_membership_month(
    membership: Membership,
    budget_id: int,
    paid: MembershipInvoice,
    invoice: Mapping[str, Any],
    repo: BillingRepository,
    now: Callable[[], datetime],
) -> None:
    ledger = repo.ledger(budget_id)
    if ledger.entry_for_stripe_object(paid.stripe_invoice_id) is not None:
        return
    # Dated from the invoice itself (when Stripe took the money), not from when we heard.
    paid_at = _int_or_none((invoice.get("status_transitions") or {}).get("paid_at"))
    moment = paid_at or paid.period_start or _int_or_none(invoice.get("created"))
    paid_on = _london_day(datetime.fromtimestamp(moment, UTC)) if moment else _london_day(now())
    month = _london_day(datetime.fromtimestamp(paid.period_start or moment or 0, UTC))
    entry = ledger.post(
        EntryKind.PAYMENT,
        -paid.amount_paid_pence,
        paid_on,
        f"{_membership_name(membership, repo)}, {month:%B %Y}",
        category=MEMBERSHIP_SPENDING_CATEGORY,
        source=EntrySource(
            invoice_reference=paid.stripe_invoice_id,
            stripe_object_id=paid.stripe_invoice_id,
            recorded_by_user_id=membership.started_by_user_id,
        ),
        recorded_at=now(),
    )
    repo.append_ledger_entry(entry)


def _membership_name(membership: Membership, repo: BillingRepository) -> str:
    return f"Membership: {repo.plan_name(membership.plan_id) or f'plan {membership.plan_id}'}"


def record_membership_refunds(
    membership: Membership,
    invoice: MembershipInvoice,
    refunds: Iterable[RefundResult],
    repo: BillingRepository,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> int:
    """Write a ledger refund entry on the membership's budget for each succeeded refund of
    this invoice's payment not yet in the ledger (keyed by the Stripe refund id, so Stripe's
    answer and the `charge.refunded` event, in either order and however often, write it
    once); return how many were written. Nothing for a membership paid by the family."""
    if membership.budget_id is None:
        return 0
    ledger = repo.ledger(membership.budget_id)
    if ledger.entry_for_stripe_object(invoice.stripe_invoice_id) is None:
        return 0  # no paid month on this budget to refund (paid before it was the budget's)
    written = 0
    for refund in sorted(refunds, key=lambda r: (r.created, r.refund_id)):
        if refund.status != "succeeded" or refund.amount_pence <= 0:
            continue
        if refund.payment_intent_id not in (None, invoice.payment_intent_id):
            continue
        if ledger.entry_for_stripe_object(refund.refund_id) is not None:
            continue
        entry = ledger.post(
            EntryKind.REFUND,
            refund.amount_pence,
            _london_day(datetime.fromtimestamp(refund.created, UTC)),
            f"Refund: {_membership_name(membership, repo)} (outcome guarantee)",
            category=MEMBERSHIP_SPENDING_CATEGORY,
            source=EntrySource(
                invoice_reference=invoice.stripe_invoice_id,
                stripe_object_id=refund.refund_id,
            ),
            recorded_at=now(),
        )
        repo.append_ledger_entry(entry)
        written += 1
    return written


def sync_invoices(
    membership: Membership,
    invoices: Iterable[Mapping[str, Any]],
    observed_at: int,
    repo: BillingRepository,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> list[MembershipInvoice]:
    """Record the paid invoices in Stripe's answer to "list this subscription's
    invoices" (drafts, open and void invoices are not payments, so they are skipped)."""
    return [
        record_invoice(membership, invoice, observed_at, InvoiceStatus.PAID, repo, now=now)
        for invoice in invoices
        if invoice.get("object") == "invoice"
        and invoice.get("id")
        and invoice.get("status") == "paid"
    ]


def _invoice_subscription(invoice: Mapping[str, Any]) -> str | None:
    found = _id_of(invoice.get("subscription"))
    if found is None:
        # API versions from 2025-03-31 moved it under `parent`.
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        found = _id_of(details.get("subscription"))
    return found


def _invoice_metadata(invoice: Mapping[str, Any]) -> Mapping[str, Any]:
    """The subscription's metadata as the invoice copies it (when Stripe cannot be asked)."""
    details = invoice.get("subscription_details") or (invoice.get("parent") or {}).get(
        "subscription_details"
    )
    return (details or {}).get("metadata") or {}


def _invoice_status(invoice: Mapping[str, Any], said: InvoiceStatus) -> InvoiceStatus | None:
    """What Stripe's copy of the invoice says: paid, a failed payment (still open), or
    None when it is neither (a draft, or voided since)."""
    match invoice.get("status"):
        case "paid":
            return InvoiceStatus.PAID
        case "open" | "uncollectible" if said is InvoiceStatus.PAYMENT_FAILED:
            return InvoiceStatus.PAYMENT_FAILED
        case _:
            return None


def _invoice_payment_intent(invoice: Mapping[str, Any]) -> str | None:
    found = _id_of(invoice.get("payment_intent"))
    if found is None:
        # API versions from 2025-03-31 list payments instead.
        for item in (invoice.get("payments") or {}).get("data") or []:
            found = _id_of((item.get("payment") or {}).get("payment_intent"))
            if found:
                break
    return found


def _refunds_in(charge: Mapping[str, Any]) -> list[RefundResult] | None:
    listing = charge.get("refunds")
    if not isinstance(listing, Mapping) or listing.get("has_more"):
        return None
    return [RefundResult.from_stripe(r) for r in listing.get("data") or []]


def apply_payment_intent(
    payment: CardPayment,
    snapshot: PaymentIntentSnapshot,
    repo: BillingRepository,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> str:
    """Bring a card payment in line with what Stripe said about its intent; on success,
    write its ledger entry (once). Used for Stripe's answer and for webhooks alike."""
    if payment.status is CardPaymentStatus.SUCCEEDED:
        return f"card payment {payment.id} already succeeded"
    match snapshot.status:
        case "succeeded":
            ledger = repo.ledger(payment.budget_id)
            if ledger.entry_for_stripe_object(snapshot.intent_id) is None:
                entry = ledger.post(
                    EntryKind.PAYMENT,
                    -payment.amount_pence,
                    _london_day(payment.requested_at),
                    payment.description,
                    category=payment.category,
                    source=EntrySource(
                        invoice_id=payment.invoice_id,
                        invoice_reference=payment.invoice_reference,
                        stripe_object_id=snapshot.intent_id,
                        recorded_by_user_id=payment.recorded_by_user_id,
                        supporter_user_id=payment.supporter_user_id,
                    ),
                    recorded_at=now(),
                )
                repo.append_ledger_entry(entry)
            new_status = CardPaymentStatus.SUCCEEDED
        case "requires_action":
            new_status = CardPaymentStatus.REQUIRES_ACTION
        case "requires_payment_method" | "canceled":
            new_status = CardPaymentStatus.FAILED
        case _:
            return f"card payment {payment.id} still {snapshot.status}"
    updated = replace(
        payment,
        status=new_status,
        stripe_payment_intent_id=snapshot.intent_id,
        failure_message=snapshot.failure_message
        if new_status is CardPaymentStatus.FAILED
        else None,
    )
    if updated != payment:
        repo.save_card_payment(updated)
    return f"card payment {payment.id} {new_status.value}"


def apply_checkout_session(
    payment: CardPayment,
    session: CheckoutSessionSnapshot,
    repo: BillingRepository,
    gateway: BillingGateway | None = None,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> str:
    """Bring a card payment in line with what Stripe said about its Checkout session: paid
    → its payment intent decides (asked of Stripe when we can), writing the ledger entry
    once; expired → the reservation is released and the invoice stays payable; open →
    still waiting."""
    if session.metadata.get("coopcare_card_payment_id", str(payment.id)) != str(payment.id):
        return f"ignored: session {session.session_id} is not card payment {payment.id}'s"
    if payment.stripe_checkout_session_id != session.session_id:
        payment = replace(payment, stripe_checkout_session_id=session.session_id)
        repo.save_card_payment(payment)
    if session.payment_status == "paid" and session.payment_intent_id:
        if gateway is not None:
            intent = gateway.fetch_payment_intent(session.payment_intent_id)
        else:
            intent = PaymentIntentSnapshot(
                intent_id=session.payment_intent_id,
                status="succeeded",
                amount_pence=session.amount_total_pence,
                observed_at=session.observed_at,
            )
        if intent.amount_pence != payment.amount_pence:
            log.error(
                "Card payment %s is for %sp but Stripe took %sp: not settled",
                payment.id, payment.amount_pence, intent.amount_pence,
            )  # fmt: skip
            return f"ignored: card payment {payment.id} amount differs from Stripe's"
        return apply_payment_intent(payment, intent, repo, now=now)
    if session.status == "expired":
        if not payment.unsettled:
            return f"card payment {payment.id} already {payment.status.value}"
        repo.save_card_payment(
            replace(payment, status=CardPaymentStatus.FAILED, failure_message=CHECKOUT_EXPIRED)
        )
        return f"card payment {payment.id} released: the checkout session expired"
    return f"card payment {payment.id} still waiting (checkout {session.status})"


def check_card_payment(
    payment: CardPayment,
    repo: BillingRepository,
    gateway: BillingGateway,
    *,
    expired: bool,
    now: Callable[[], datetime] = _utc_now,
) -> str:
    """Ask Stripe about a card payment still waiting, and settle or release it. When it has
    waited too long (`expired`), first stop Stripe taking the money (expire the Checkout
    session, or cancel the payment intent), then apply Stripe's answer: a payment that
    succeeded meanwhile is still recorded as paid. Raises the gateway's `BillingError`s
    (nothing is saved then; trying again is safe)."""
    if not payment.unsettled:
        return f"card payment {payment.id} already {payment.status.value}"
    if payment.stripe_checkout_session_id:
        session = gateway.fetch_checkout_session(payment.stripe_checkout_session_id)
        if expired and session.status == "open":
            session = gateway.expire_checkout_session(session.session_id, payment_id=payment.id)
        return apply_checkout_session(payment, session, repo, gateway, now=now)
    if payment.stripe_payment_intent_id:
        intent = gateway.fetch_payment_intent(payment.stripe_payment_intent_id)
        if expired and intent.status not in ("succeeded", "canceled", "requires_payment_method"):
            intent = gateway.cancel_payment_intent(intent.intent_id, payment_id=payment.id)
        action = apply_payment_intent(payment, intent, repo, now=now)
        if intent.status == "canceled":
            saved = repo.card_payment(payment.id) or payment
            repo.save_card_payment(replace(saved, failure_message=ABANDONED))
        return action
    if not expired:
        return f"card payment {payment.id} still waiting (Stripe has not answered yet)"
    # Stripe never answered the request (unreachable then, and nobody retried): nothing
    # of Stripe's to stop. Should it have taken the money after all, its webhook (which
    # names our id in the metadata) still records the payment.
    repo.save_card_payment(
        replace(payment, status=CardPaymentStatus.FAILED, failure_message=ABANDONED)
    )
    return f"card payment {payment.id} released: Stripe never answered"


def record_refunds(
    payment: CardPayment,
    refunds: Iterable[RefundResult],
    repo: BillingRepository,
    *,
    now: Callable[[], datetime] = _utc_now,
) -> int:
    """Write a ledger refund entry for each succeeded refund not yet in the ledger;
    return how many were written."""
    ledger = repo.ledger(payment.budget_id)
    written = 0
    for refund in sorted(refunds, key=lambda r: (r.created, r.refund_id)):
        if refund.status != "succeeded" or refund.amount_pence <= 0:
            continue
        if ledger.entry_for_stripe_object(refund.refund_id) is not None:
            continue
        entry = ledger.post(
            EntryKind.REFUND,
            refund.amount_pence,
            _london_day(datetime.fromtimestamp(refund.created, UTC)),
            f"Refund: {payment.description}",
            category=payment.category,
            source=EntrySource(
                invoice_id=payment.invoice_id,
                invoice_reference=payment.invoice_reference,
                stripe_object_id=refund.refund_id,
            ),
            recorded_at=now(),
        )
        repo.append_ledger_entry(entry)
        written += 1
    return written


class InMemoryBillingRepository:
    """`BillingRepository` in dicts, for tests."""

    def __init__(self, card_payments: Sequence[CardPayment] = ()) -> None:
        self.memberships: dict[int, Membership] = {}
        self.invoices: dict[str, MembershipInvoice] = {}
        self.card_payments: dict[int, CardPayment] = {p.id: p for p in card_payments}
        self.entries: dict[int, list[LedgerEntry]] = {}
        self.refunded_totals: dict[str, int] = {}
        self.plan_names: dict[int, str] = {}

    def membership(self, membership_id: int) -> Membership | None:
        return self.memberships.get(membership_id)

    def plan_name(self, plan_id: int) -> str | None:
        return self.plan_names.get(plan_id)

    def membership_for_subscription(self, subscription_id: str) -> Membership | None:
        return next(
            (m for m in self.memberships.values() if m.stripe_subscription_id == subscription_id),
            None,
        )

    def add_membership(self, draft: MembershipDraft) -> Membership:
        membership = Membership(
            id=len(self.memberships) + 1,
            plan_id=draft.plan_id,
            arrangement_id=draft.arrangement_id,
            started_by_user_id=draft.started_by_user_id,
            stripe_subscription_id=draft.stripe_subscription_id,
            stripe_customer_id=draft.stripe_customer_id,
            status=MembershipStatus.INCOMPLETE,
            status_observed_at=None,
            person_id=draft.person_id,
            budget_id=draft.budget_id,
        )
        self.memberships[membership.id] = membership
        return membership

    def save_membership(self, membership: Membership) -> None:
        if membership.id not in self.memberships:
            raise KeyError(f"No membership {membership.id}")
        self.memberships[membership.id] = membership

    def membership_invoice(self, stripe_invoice_id: str) -> MembershipInvoice | None:
        return self.invoices.get(stripe_invoice_id)

    def membership_invoice_for_payment_intent(
        self, payment_intent_id: str
    ) -> MembershipInvoice | None:
        return next(
            (i for i in self.invoices.values() if i.payment_intent_id == payment_intent_id),
            None,
        )

    def save_membership_invoice(self, invoice: MembershipInvoice) -> None:
        self.invoices[invoice.stripe_invoice_id] = invoice

    def refunded_total(self, payment_intent_id: str) -> int:
        return self.refunded_totals.get(payment_intent_id, 0)

    def note_refunded_total(self, payment_intent_id: str, amount_pence: int) -> None:
        if amount_pence > self.refunded_totals.get(payment_intent_id, 0):
            self.refunded_totals[payment_intent_id] = amount_pence

    def card_payment(self, payment_id: int) -> CardPayment | None:
        return self.card_payments.get(payment_id)

    def card_payment_for_intent(self, payment_intent_id: str) -> CardPayment | None:
        return next(
            (
                p
                for p in self.card_payments.values()
                if p.stripe_payment_intent_id == payment_intent_id
            ),
            None,
        )

    def card_payment_for_checkout_session(self, session_id: str) -> CardPayment | None:
        return next(
            (p for p in self.card_payments.values() if p.stripe_checkout_session_id == session_id),
            None,
        )

    def save_card_payment(self, payment: CardPayment) -> None:
        self.card_payments[payment.id] = payment

    def ledger(self, budget_id: int) -> Ledger:
        return Ledger(budget_id, self.entries.get(budget_id, ()))

    def append_ledger_entry(self, entry: LedgerEntry) -> None:
        stored = self.entries.setdefault(entry.budget_id, [])
        if entry.sequence != len(stored) + 1:
            raise ValueError(f"Entry {entry.sequence} of budget {entry.budget_id} is taken")
        stored.append(entry)

    def state(self) -> tuple[object, ...]:
        """Everything, in a comparable form (for replay tests). Memberships are named by
        their subscription, since the ids we hand out follow the order events arrived."""
        subscription_of = {m.id: m.stripe_subscription_id for m in self.memberships.values()}
        return (
            sorted((m.stripe_subscription_id, replace(m, id=0)) for m in self.memberships.values()),
            sorted(
                (k, subscription_of[i.membership_id], replace(i, membership_id=0))
                for k, i in self.invoices.items()
            ),
            sorted(self.card_payments.items()),
            sorted((k, tuple(v)) for k, v in self.entries.items()),
            sorted(self.refunded_totals.items()),
        )
