"""handle_stripe_event: every handled type, idempotent, order-independent; signatures."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests
import stripe
from stripe_helpers import REAL_STRIPE, WEBHOOK_SECRET, add_card, signed, unique_id

from payments.gateway import CardPaymentRequest, MembershipStart, PlanTerms, StripeGateway
from payments.ledger import BudgetPeriod, BudgetTerms, EntryKind, statement
from payments.memberships import InvoiceStatus, MembershipStatus
from payments.webhooks import (
    HANDLED_EVENT_TYPES,
    CardPayment,
    CardPaymentStatus,
    InMemoryBillingRepository,
    InvalidWebhook,
    apply_payment_intent,
    handle_stripe_event,
    sync_invoices,
    verify_stripe_event,
)

FIXED_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = 1_772_000_000  # 2026-02-25, in Unix seconds


def now() -> datetime:
    return FIXED_NOW


def event(
    kind: str, obj: dict[str, Any], created: int, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{kind}_{created}_{obj.get('status', '')}",
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": obj},
    }


def subscription(status: str, **kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "sub_1",
        "object": "subscription",
        "status": status,
        "customer": "cus_1",
        "current_period_end": T0 + 30 * 86400,
        "cancel_at_period_end": False,
        "metadata": {
            "coopcare_plan_id": "5",
            "coopcare_arrangement_id": "11",
            "coopcare_started_by_user_id": "4",
        },
    }
    obj.update(kw)
    return obj


def invoice(**kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "in_1",
        "object": "invoice",
        "subscription": "sub_1",
        "amount_due": 4500,
        "amount_paid": 4500,
        "payment_intent": "pi_membership",
        "lines": {"data": [{"period": {"start": T0, "end": T0 + 30 * 86400}}]},
    }
    obj.update(kw)
    return obj


def card_payment(**kw: Any) -> CardPayment:
    values: dict[str, Any] = {
        "id": 21,
        "budget_id": 3,
        "amount_pence": 12_000,
        "requested_at": datetime(2026, 2, 26, 23, 30, tzinfo=UTC),  # 26 Feb in London too
        "description": "Invoice INV-44 from Leeds Care Co-op",
        "stripe_payment_intent_id": "pi_budget",
        "invoice_id": 44,
        "invoice_reference": "INV-44",
        "category": "agency_care",
        "recorded_by_user_id": 8,
        "supporter_user_id": 9,
    }
    values.update(kw)
    return CardPayment(**values)


def intent(status: str, **kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "pi_budget",
        "object": "payment_intent",
        "status": status,
        "amount": 12_000,
        "latest_charge": "ch_budget",
        "metadata": {"coopcare_card_payment_id": "21", "coopcare_budget_id": "3"},
    }
    if status == "requires_payment_method":
        obj["last_payment_error"] = {"message": "Your card was declined."}
    obj.update(kw)
    return obj


def charge(refunds: list[dict[str, Any]] | None, **kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "ch_budget",
        "object": "charge",
        "payment_intent": "pi_budget",
        "amount": 12_000,
        "amount_refunded": sum(r["amount"] for r in refunds or []),
        "created": T0 + 100,
        "metadata": {},
    }
    if refunds is not None:
        obj["refunds"] = {"object": "list", "data": refunds, "has_more": False}
    obj.update(kw)
    return obj


def refund(refund_id: str, amount: int, created: int, status: str = "succeeded") -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "status": status,
        "payment_intent": "pi_budget",
        "created": created,
    }


def handle(repo: InMemoryBillingRepository, evt: dict[str, Any], gateway: Any = None) -> Any:
    return handle_stripe_event(evt, repo, gateway, now=now)


# --- memberships ---------------------------------------------------------------------


def test_a_subscription_lifecycle_from_its_events() -> None:
    repo = InMemoryBillingRepository()
    outcome = handle(repo, event("customer.subscription.created", subscription("incomplete"), T0))
    assert outcome.handled
    (membership,) = repo.memberships.values()
    assert (membership.plan_id, membership.arrangement_id, membership.started_by_user_id) == (
        5,
        11,
        4,
    )
    assert membership.status is MembershipStatus.INCOMPLETE
    assert membership.status_observed_at == T0
    for step, status in enumerate(["active", "past_due", "active"], 1):
        handle(repo, event("customer.subscription.updated", subscription(status), T0 + step))
        assert repo.memberships[1].status.value == status
    handle(
        repo,
        event(
            "customer.subscription.updated",
            subscription("active", cancel_at_period_end=True),
            T0 + 4,
        ),
    )
    assert repo.memberships[1].cancel_at_period_end
    handle(repo, event("customer.subscription.deleted", subscription("canceled"), T0 + 5))
    assert repo.memberships[1].status is MembershipStatus.CANCELED
    # Canceled is terminal, even for news that looks newer.
    late = handle(repo, event("customer.subscription.updated", subscription("active"), T0 + 9))
    assert late.action == "membership 1: already canceled"
    assert repo.memberships[1].status is MembershipStatus.CANCELED
    assert len(repo.memberships) == 1


def test_subscriptions_that_are_not_ours_are_logged_and_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo = InMemoryBillingRepository()
    caplog.set_level("INFO", logger="payments.webhooks")
    outcome = handle(
        repo, event("customer.subscription.created", subscription("active", metadata={}), T0)
    )
    assert not outcome.handled
    assert "not one of our memberships" in outcome.action
    assert "ignored" in caplog.text
    bad = handle(repo, event("customer.subscription.updated", subscription("exploded"), T0))
    assert not bad.handled and "Unknown subscription status" in bad.action
    wrong = handle(repo, event("customer.subscription.updated", {"object": "invoice"}, T0))
    assert not wrong.handled
    assert repo.memberships == {}


def test_an_unexpected_move_is_applied_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("unpaid"), T0))
    handle(repo, event("customer.subscription.updated", subscription("past_due"), T0 + 1))
    assert repo.memberships[1].status is MembershipStatus.PAST_DUE
    assert "which Stripe does not usually do" in caplog.text


def test_checkout_completed_records_the_membership() -> None:
    repo = InMemoryBillingRepository()
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": "sub_1",
        "customer": "cus_1",
        "metadata": {"coopcare_plan_id": "5", "coopcare_arrangement_id": "11"},
    }
    outcome = handle(repo, event("checkout.session.completed", session, T0))
    assert outcome.action == "membership 1 recorded from checkout"
    membership = repo.memberships[1]
    assert (membership.stripe_subscription_id, membership.stripe_customer_id) == ("sub_1", "cus_1")
    assert membership.status_observed_at is None  # Stripe has not told us a status yet
    again = handle(repo, event("checkout.session.completed", session, T0))
    assert again.action == "membership 1 already recorded"
    handle(repo, event("customer.subscription.updated", subscription("active"), T0 + 1))
    assert repo.memberships[1].status is MembershipStatus.ACTIVE
    assert len(repo.memberships) == 1


@pytest.mark.parametrize(
    ("session", "why"),
    [
        ({"object": "payment_intent"}, "not a checkout session"),
        (
            # (payment mode is a card payment of an invoice: tests/payments/test_card_checkout.py)
            {"object": "checkout.session", "mode": "setup", "subscription": None},
            "not a subscription",
        ),
        (
            {"object": "checkout.session", "mode": "subscription", "subscription": "sub_1"},
            "names no plan",
        ),
    ],
)
def test_checkout_sessions_we_cannot_use(session: dict[str, Any], why: str) -> None:
    repo = InMemoryBillingRepository()
    outcome = handle(repo, event("checkout.session.completed", session, T0))
    assert not outcome.handled and why in outcome.action
    assert repo.memberships == {}


def test_an_expired_checkout_leaves_nothing_behind() -> None:
    repo = InMemoryBillingRepository()
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": None,
        "metadata": {"coopcare_plan_id": "5"},
    }
    outcome = handle(repo, event("checkout.session.expired", session, T0))
    assert outcome.handled and "no membership was started" in outcome.action
    assert repo.state() == InMemoryBillingRepository().state()


def test_invoices_are_recorded_paid_beats_failed() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    paid = handle(repo, event("invoice.paid", invoice(), T0 + 2))
    assert paid.action == "invoice in_1 paid"
    failed = handle(repo, event("invoice.payment_failed", invoice(amount_paid=0), T0 + 1))
    assert failed.action == "invoice in_1 paid"
    recorded = repo.invoices["in_1"]
    assert recorded.status is InvoiceStatus.PAID
    assert (recorded.amount_paid_pence, recorded.payment_intent_id) == (4500, "pi_membership")
    assert (recorded.period_start, recorded.period_end) == (T0, T0 + 30 * 86400)
    assert recorded.membership_id == 1


def test_invoices_in_the_newer_api_shape() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    newer = invoice(
        id="in_2",
        subscription=None,
        payment_intent=None,
        parent={"subscription_details": {"subscription": "sub_1"}},
        payments={"data": [{"payment": {}}, {"payment": {"payment_intent": "pi_2"}}]},
        lines={"data": []},
    )
    assert handle(repo, event("invoice.payment_failed", newer, T0)).handled
    recorded = repo.invoices["in_2"]
    assert recorded.status is InvoiceStatus.PAYMENT_FAILED
    assert recorded.payment_intent_id == "pi_2" and recorded.period_start is None


@pytest.mark.parametrize(
    ("obj", "why"),
    [
        ({"object": "charge", "id": "ch_1"}, "not an invoice"),
        (invoice(subscription=None), "not a subscription invoice"),
        (invoice(subscription="sub_other"), "not ours"),
    ],
)
def test_invoices_we_do_not_know(obj: dict[str, Any], why: str) -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    outcome = handle(repo, event("invoice.paid", obj, T0))
    assert not outcome.handled and why in outcome.action
    assert repo.invoices == {}


def test_a_refunded_membership_payment_updates_its_invoice() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    handle(repo, event("invoice.paid", invoice(), T0))
    refunded = charge(None, id="ch_m", payment_intent="pi_membership", amount_refunded=1125)
    assert handle(repo, event("charge.refunded", refunded, T0 + 5)).handled
    assert repo.invoices["in_1"].amount_refunded_pence == 1125
    stale = charge(None, id="ch_m", payment_intent="pi_membership", amount_refunded=500)
    handle(repo, event("charge.refunded", stale, T0 + 6))
    assert repo.invoices["in_1"].amount_refunded_pence == 1125


# --- card payments from budgets ------------------------------------------------------


def test_a_succeeded_payment_writes_one_ledger_entry() -> None:
    repo = InMemoryBillingRepository([card_payment()])
    outcome = handle(repo, event("payment_intent.succeeded", intent("succeeded"), T0))
    assert outcome.action == "card payment 21 succeeded"
    (entry,) = repo.entries[3]
    assert (entry.kind, entry.amount_pence, entry.occurred_on) == (
        EntryKind.PAYMENT,
        -12_000,
        date(2026, 2, 26),
    )
    assert entry.category == "agency_care"
    assert entry.source.stripe_object_id == "pi_budget"
    assert (entry.source.invoice_id, entry.source.invoice_reference) == (44, "INV-44")
    assert (entry.source.recorded_by_user_id, entry.source.supporter_user_id) == (8, 9)
    assert entry.recorded_at == FIXED_NOW
    assert repo.card_payments[21].status is CardPaymentStatus.SUCCEEDED
    again = handle(repo, event("payment_intent.succeeded", intent("succeeded"), T0))
    assert again.action == "card payment 21 already succeeded"
    late_failure = handle(
        repo, event("payment_intent.payment_failed", intent("requires_payment_method"), T0 + 9)
    )
    assert late_failure.action == "card payment 21 already succeeded"
    assert len(repo.entries[3]) == 1


def test_a_failed_payment_writes_nothing_and_can_still_succeed() -> None:
    repo = InMemoryBillingRepository([card_payment(stripe_payment_intent_id=None)])
    handle(repo, event("payment_intent.payment_failed", intent("requires_payment_method"), T0))
    failed = repo.card_payments[21]
    assert failed.status is CardPaymentStatus.FAILED
    assert failed.failure_message == "Your card was declined."
    assert failed.stripe_payment_intent_id == "pi_budget"  # found by our id in the metadata
    assert 3 not in repo.entries
    handle(repo, event("payment_intent.succeeded", intent("succeeded"), T0 + 1))
    assert repo.card_payments[21].status is CardPaymentStatus.SUCCEEDED
    assert repo.card_payments[21].failure_message is None
    assert [e.amount_pence for e in repo.entries[3]] == [-12_000]


def test_other_payment_intent_states() -> None:
    repo = InMemoryBillingRepository([card_payment()])
    from payments.gateway import PaymentIntentSnapshot

    action = apply_payment_intent(
        card_payment(), PaymentIntentSnapshot("pi_budget", "requires_action", 12_000, T0), repo
    )
    assert action == "card payment 21 requires_action"
    action = apply_payment_intent(
        card_payment(), PaymentIntentSnapshot("pi_budget", "processing", 12_000, T0), repo
    )
    assert action == "card payment 21 still processing"
    repeat = apply_payment_intent(
        repo.card_payments[21],
        PaymentIntentSnapshot("pi_budget", "requires_action", 12_000, T0),
        repo,
    )
    assert repeat == "card payment 21 requires_action"


@pytest.mark.parametrize(
    "obj",
    [{"object": "charge", "id": "ch_1"}, intent("succeeded", id="pi_other", metadata={})],
)
def test_payment_intents_that_are_not_ours(obj: dict[str, Any]) -> None:
    repo = InMemoryBillingRepository([card_payment()])
    assert not handle(repo, event("payment_intent.succeeded", obj, T0)).handled
    assert repo.entries == {}


def test_refunds_follow_the_payment_in_the_ledger() -> None:
    repo = InMemoryBillingRepository([card_payment()])
    # The refund arrives before the payment's own event: the payment is recorded first.
    refunds = [
        refund("re_2", 500, T0 + 300),
        refund("re_1", 1000, T0 + 200),
        refund("re_pending", 50, T0 + 400, status="pending"),
    ]
    outcome = handle(repo, event("charge.refunded", charge(refunds), T0 + 500))
    assert outcome.action == "card payment 21: 2 refund entries written"
    kinds = [(e.kind, e.amount_pence, e.source.stripe_object_id) for e in repo.entries[3]]
    assert kinds == [
        (EntryKind.PAYMENT, -12_000, "pi_budget"),
        (EntryKind.REFUND, 1000, "re_1"),
        (EntryKind.REFUND, 500, "re_2"),
    ]
    assert repo.entries[3][1].source.invoice_reference == "INV-44"
    handle(repo, event("payment_intent.succeeded", intent("succeeded"), T0))
    handle(repo, event("charge.refunded", charge(refunds), T0 + 500))
    assert len(repo.entries[3]) == 3
    ledger = repo.ledger(3)
    assert ledger.balance() == -12_000 + 1500


def test_refunds_without_a_list_need_stripe() -> None:
    repo = InMemoryBillingRepository([card_payment(status=CardPaymentStatus.SUCCEEDED)])
    outcome = handle(repo, event("charge.refunded", charge(None, amount_refunded=100), T0))
    assert not outcome.handled and "cannot be asked" in outcome.action


@pytest.mark.parametrize(
    ("obj", "why"),
    [
        ({"object": "invoice", "id": "in_1"}, "not a charge"),
        (charge(None, payment_intent=None), "without a payment intent"),
    ],
)
def test_refunded_charges_we_do_not_know(obj: dict[str, Any], why: str) -> None:
    repo = InMemoryBillingRepository([card_payment()])
    outcome = handle(repo, event("charge.refunded", obj, T0))
    assert not outcome.handled and why in outcome.action


def test_a_refund_before_its_membership_invoice_is_kept_for_it() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    early = charge(None, id="ch_m", payment_intent="pi_membership", amount_refunded=700)
    outcome = handle(repo, event("charge.refunded", early, T0 + 5))
    assert outcome.action == "refund of an unknown payment pi_membership noted (700p in all)"
    assert repo.entries == {}
    handle(repo, event("invoice.paid", invoice(), T0))
    assert repo.invoices["in_1"].amount_refunded_pence == 700


def test_unknown_types_and_shapes_are_acknowledged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="payments.webhooks")
    repo = InMemoryBillingRepository()
    assert not handle(repo, event("customer.created", {"object": "customer"}, T0)).handled
    assert not handle(repo, {"type": "invoice.paid", "data": "nonsense"}).handled
    assert not handle(repo, {}).handled
    assert "not an event type we handle" in caplog.text
    assert "(no type)" in caplog.text
    assert repo.state() == InMemoryBillingRepository().state()


# --- replayed, twice, in any order ---------------------------------------------------


def full_scenario() -> list[dict[str, Any]]:
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": "sub_1",
        "customer": "cus_1",
        "metadata": {"coopcare_plan_id": "5", "coopcare_arrangement_id": "11"},
    }
    refunds = [refund("re_1", 1000, T0 + 200)]
    return [
        event("checkout.session.completed", session, T0),
        event("customer.subscription.created", subscription("incomplete"), T0),
        event("customer.subscription.updated", subscription("active"), T0),
        event("invoice.payment_failed", invoice(amount_paid=0), T0 + 10),
        event("customer.subscription.updated", subscription("past_due"), T0 + 10),
        event("invoice.paid", invoice(), T0 + 20),
        event("customer.subscription.updated", subscription("active"), T0 + 20),
        event(
            "customer.subscription.updated",
            subscription("active", cancel_at_period_end=True),
            T0 + 30,
        ),
        event(
            "charge.refunded",
            charge(None, id="ch_m", payment_intent="pi_membership", amount_refunded=1125),
            T0 + 40,
        ),
        event("customer.subscription.deleted", subscription("canceled"), T0 + 50),
        event("payment_intent.payment_failed", intent("requires_payment_method"), T0 + 1),
        event("payment_intent.succeeded", intent("succeeded"), T0 + 2),
        event("charge.refunded", charge(refunds), T0 + 300),
        event("customer.created", {"object": "customer", "id": "cus_1"}, T0),
    ]


def play(events: list[dict[str, Any]]) -> InMemoryBillingRepository:
    # Stripe's answer to the payment request recorded its intent id (without a gateway,
    # a refund cannot be traced to a payment that does not know its intent).
    repo = InMemoryBillingRepository([card_payment()])
    for evt in events:
        handle(repo, evt)
    return repo


def test_the_scenario_ends_where_stripe_ended() -> None:
    repo = play(full_scenario())
    (membership,) = repo.memberships.values()
    assert membership.status is MembershipStatus.CANCELED
    assert repo.invoices["in_1"].status is InvoiceStatus.PAID
    assert repo.invoices["in_1"].amount_refunded_pence == 1125
    assert [e.amount_pence for e in repo.entries[3]] == [-12_000, 1000]
    assert repo.card_payments[21].status is CardPaymentStatus.SUCCEEDED


def test_replaying_every_event_twice_changes_nothing() -> None:
    once = play(full_scenario())
    assert play(full_scenario() + full_scenario()).state() == once.state()
    doubled = [e for e in full_scenario() for _ in range(2)]
    assert play(doubled).state() == once.state()


@pytest.mark.parametrize("seed", range(25))
def test_shuffled_events_end_in_the_same_state(seed: int) -> None:
    expected = play(full_scenario()).state()
    events = full_scenario() * 2
    random.Random(seed).shuffle(events)
    assert play(events).state() == expected


def test_the_handled_types_are_the_issues_list() -> None:
    assert {
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
    } == HANDLED_EVENT_TYPES
    for kind in HANDLED_EVENT_TYPES:
        outcome = handle(InMemoryBillingRepository(), event(kind, {"object": "x"}, T0))
        assert outcome.event_type == kind
        assert "not an event type we handle" not in outcome.action


# --- signatures ----------------------------------------------------------------------


def test_a_signed_event_is_verified_and_parsed() -> None:
    body, header = signed(event("invoice.paid", invoice(), T0))
    parsed = verify_stripe_event(body, header, WEBHOOK_SECRET)
    assert parsed["type"] == "invoice.paid" and parsed["data"]["object"]["id"] == "in_1"


@pytest.mark.parametrize(
    "case",
    ["missing", "wrong secret", "tampered", "stale", "garbled header", "not utf-8"],
)
def test_bad_signatures_are_refused(case: str) -> None:
    body, header = signed(event("invoice.paid", invoice(), T0))
    match case:
        case "missing":
            header = ""
        case "wrong secret":
            body, header = signed(event("invoice.paid", invoice(), T0), secret="whsec_other")
        case "tampered":
            body = body.replace(b"4500", b"1")
        case "stale":
            body, header = signed(event("invoice.paid", invoice(), T0), at=int(time.time()) - 301)
        case "garbled header":
            header = "t=abc,v1"
        case "not utf-8":
            body = b"\xff\xfe" + body
    with pytest.raises(InvalidWebhook, match="signature"):
        verify_stripe_event(body, header, WEBHOOK_SECRET)


def test_a_signature_inside_the_tolerance_is_accepted() -> None:
    body, header = signed(event("invoice.paid", invoice(), T0), at=int(time.time()) - 280)
    assert verify_stripe_event(body, header, WEBHOOK_SECRET)["id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a Stripe event"),
        (json.dumps({"id": "", "type": "x"}).encode(), "not a Stripe event"),
        (json.dumps({"id": "evt_1"}).encode(), "not a Stripe event"),
    ],
)
def test_signed_bodies_that_are_not_events(body: bytes, message: str) -> None:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    with pytest.raises(InvalidWebhook, match=message):
        verify_stripe_event(body, header, WEBHOOK_SECRET)


def test_no_secret_no_trust() -> None:
    body, header = signed(event("invoice.paid", invoice(), T0))
    with pytest.raises(ValueError, match="STRIPE_WEBHOOK_SECRET is not set"):
        verify_stripe_event(body, header, "")


# --- re-fetching from Stripe (localstripe) -------------------------------------------


@pytest.fixture
def live_membership(gateway: StripeGateway, stripe_client: stripe.StripeClient) -> dict[str, Any]:
    ids = gateway.create_plan(PlanTerms(unique_id(), 7, "Plan", 4500))
    user_id = unique_id()
    customer = gateway.create_customer(user_id=user_id, email=f"f{user_id}@example.org")
    gateway.attach_card(customer_id=customer, payment_method_id=add_card(stripe_client))
    snap = gateway.start_subscription(
        MembershipStart(unique_id(), 5, 11, user_id, customer, ids.price_id)
    )
    return stripe_client.v1.subscriptions.retrieve(snap.subscription_id).to_dict()


@pytest.mark.stripe
def test_with_a_gateway_stripes_answer_beats_a_stale_payload(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, live_membership: dict[str, Any]
) -> None:
    repo = InMemoryBillingRepository()
    stale = dict(live_membership, status="incomplete")
    handle(repo, event("customer.subscription.created", stale, int(time.time()) + 60), gateway)
    (membership,) = repo.memberships.values()
    assert membership.status is MembershipStatus.ACTIVE  # what Stripe says now
    assert membership.current_period_end == live_membership["current_period_end"]
    stripe_client.v1.subscriptions.cancel(live_membership["id"])
    handle(repo, event("customer.subscription.updated", live_membership, int(time.time())), gateway)
    assert repo.memberships[1].status is MembershipStatus.CANCELED
    # The old "active" payload replayed later changes nothing.
    handle(repo, event("customer.subscription.updated", live_membership, int(time.time()) + 999))
    assert repo.memberships[1].status is MembershipStatus.CANCELED


@pytest.mark.stripe
def test_checkout_and_invoices_refetch_the_subscription(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, live_membership: dict[str, Any]
) -> None:
    repo = InMemoryBillingRepository()
    session = {
        "id": "cs_x",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": live_membership["id"],
        "customer": live_membership["customer"],
        "metadata": {},
    }
    outcome = handle(repo, event("checkout.session.completed", session, T0), gateway)
    assert outcome.action == "membership 1: incomplete → active"
    (stripe_invoice,) = stripe_client.v1.invoices.list(
        params={"customer": live_membership["customer"]}
    ).data
    paid = handle(repo, event("invoice.paid", stripe_invoice.to_dict(), T0), gateway)
    # Stripe's answer is the same as a second ago, or as news: either way still active.
    assert paid.action in {
        f"invoice {stripe_invoice.id} paid; membership 1: nothing new",
        f"invoice {stripe_invoice.id} paid; membership 1: still active",
    }
    assert repo.memberships[1].status is MembershipStatus.ACTIVE
    recorded = repo.invoices[stripe_invoice.id]
    assert (recorded.amount_paid_pence, recorded.payment_intent_id) == (
        4500,
        stripe_invoice.to_dict().get("payment_intent"),
    )
    orphan = dict(session, metadata={}, subscription=live_membership["id"])
    assert handle(
        InMemoryBillingRepository(), event("checkout.session.completed", dict(orphan), T0), gateway
    ).handled


@pytest.mark.stripe
def test_budget_payment_and_refund_through_stripe(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    payment = card_payment(id=unique_id(), stripe_payment_intent_id=None)
    repo = InMemoryBillingRepository([payment])
    answer = gateway.pay(
        CardPaymentRequest(payment.id, 3, 44, 12_000, None, add_card(stripe_client), "INV-44")
    )
    # Stripe's answer and the webhook both go through one function; only one entry results.
    apply_payment_intent(repo.card_payments[payment.id], answer, repo, now=now)
    stale = intent(
        "requires_payment_method",
        id=answer.intent_id,
        metadata={"coopcare_card_payment_id": str(payment.id)},
    )
    handle(repo, event("payment_intent.payment_failed", stale, T0), gateway)
    assert repo.card_payments[payment.id].status is CardPaymentStatus.SUCCEEDED
    gateway.refund(
        refund_id=f"test-{payment.id}",
        payment_intent_id=answer.intent_id,
        amount_pence=2_000,
        metadata={},
    )
    refunded = charge(
        None, id=answer.charge_id, payment_intent=answer.intent_id, amount_refunded=2_000
    )
    outcome = handle(repo, event("charge.refunded", refunded, T0), gateway)
    assert outcome.action == f"card payment {payment.id}: 1 refund entries written"
    assert [e.kind for e in repo.entries[3]] == [EntryKind.PAYMENT, EntryKind.REFUND]
    terms = BudgetTerms(3, 50_000, BudgetPeriod.MONTHLY, date(2026, 1, 1))
    today = datetime.now(UTC).date()
    assert statement(
        repo.ledger(3), terms, date(2026, 1, 1), max(today, date(2026, 3, 1))
    ).reconciles()


@pytest.mark.stripe
def test_a_refund_traced_through_stripe_to_a_payment_that_lost_its_answer(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    payment = card_payment(id=unique_id(), stripe_payment_intent_id=None)
    repo = InMemoryBillingRepository([payment])
    # Stripe took the payment, but its answer never reached us (a timeout, say).
    answer = gateway.pay(
        CardPaymentRequest(payment.id, 3, 44, 12_000, None, add_card(stripe_client), "INV-44")
    )
    gateway.refund(
        refund_id=f"lost-{payment.id}",
        payment_intent_id=answer.intent_id,
        amount_pence=3_000,
        metadata={},
    )
    refunded = charge(
        None, id=answer.charge_id, payment_intent=answer.intent_id, amount_refunded=3_000
    )
    handle(repo, event("charge.refunded", refunded, T0), gateway)
    assert [(e.kind, e.amount_pence) for e in repo.entries[3]] == [
        (EntryKind.PAYMENT, -12_000),
        (EntryKind.REFUND, 3_000),
    ]
    assert repo.card_payments[payment.id].stripe_payment_intent_id == answer.intent_id


def test_expanded_objects_and_the_real_clock() -> None:
    repo = InMemoryBillingRepository([card_payment()])
    expanded = subscription("active", customer={"id": "cus_9", "object": "customer"})
    handle_stripe_event(event("customer.subscription.created", expanded, T0), repo)
    assert repo.memberships[1].stripe_customer_id == "cus_9"
    before = datetime.now(UTC)
    handle_stripe_event(event("payment_intent.succeeded", intent("succeeded"), T0), repo)
    assert before <= repo.entries[3][0].recorded_at <= datetime.now(UTC)


def test_a_payment_already_in_the_ledger_is_not_written_again() -> None:
    # The entry was written (e.g. from Stripe's answer) before the record caught up.
    repo = InMemoryBillingRepository([card_payment()])
    handle(repo, event("payment_intent.succeeded", intent("succeeded"), T0))
    repo.card_payments[21] = card_payment()  # pending again, as if its save were lost
    handle(repo, event("payment_intent.succeeded", intent("succeeded"), T0))
    assert len(repo.entries[3]) == 1
    assert repo.card_payments[21].status is CardPaymentStatus.SUCCEEDED


def test_an_invoice_without_a_payment_intent() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    free = invoice(payment_intent=None, amount_paid=0, payments={"data": [{"payment": {}}]})
    assert handle(repo, event("invoice.paid", free, T0)).handled
    assert repo.invoices["in_1"].payment_intent_id is None


def test_the_in_memory_repository_guards_itself() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    from dataclasses import replace

    with pytest.raises(KeyError):
        repo.save_membership(replace(repo.memberships[1], id=99))
    entry = repo.ledger(3).post(EntryKind.ALLOCATION, 100, date(2026, 1, 1), "x")
    repo.append_ledger_entry(entry)
    with pytest.raises(ValueError, match="is taken"):
        repo.append_ledger_entry(entry)


@pytest.mark.stripe
def test_a_checkout_for_a_subscription_that_names_no_plan(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    ids = gateway.create_plan(PlanTerms(unique_id(), 7, "Plan", 1000))
    customer = gateway.create_customer(user_id=unique_id(), email="nobody@example.org")
    gateway.attach_card(customer_id=customer, payment_method_id=add_card(stripe_client))
    foreign = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer,
            "items": [{"price" if REAL_STRIPE else "plan": ids.price_id}],
        }
    )
    session = {
        "id": "cs_f",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": foreign.id,
        "metadata": {},
    }
    repo = InMemoryBillingRepository()
    outcome = handle(repo, event("checkout.session.completed", session, T0), gateway)
    assert not outcome.handled and "names no plan" in outcome.action
    assert repo.memberships == {}


@pytest.fixture
def webhook_inbox() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    """A loopback HTTP endpoint collecting what localstripe posts to it."""
    received: list[tuple[bytes, str]] = []

    class Inbox(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((body, self.headers.get("Stripe-Signature", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

    server = HTTPServer(("127.0.0.1", 0), Inbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.mark.stripe
def test_events_sent_by_localstripe_verify_and_apply(
    localstripe_url: str,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    webhook_inbox: tuple[str, list[tuple[bytes, str]]],
) -> None:
    url, received = webhook_inbox
    hook_id = f"coopcare{unique_id()}"
    hook = f"{localstripe_url}/_config/webhooks/{hook_id}"
    config = {"url": url, "secret": WEBHOOK_SECRET, "events": ["customer.subscription.created"]}
    requests.post(hook, json=config, timeout=5).raise_for_status()
    try:
        ids = gateway.create_plan(PlanTerms(unique_id(), 7, "Plan", 2500))
        user_id = unique_id()
        customer = gateway.create_customer(user_id=user_id, email=f"w{user_id}@example.org")
        gateway.attach_card(customer_id=customer, payment_method_id=add_card(stripe_client))
        started = gateway.start_subscription(
            MembershipStart(unique_id(), 5, 11, user_id, customer, ids.price_id)
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            started.subscription_id.encode() in body for body, _ in received
        ):
            time.sleep(0.1)
    finally:
        # localstripe cannot delete a webhook; one listening to no events is silent.
        requests.post(hook, json={**config, "events": []}, timeout=5).raise_for_status()
    body, header = next((b, h) for b, h in received if started.subscription_id.encode() in b)
    parsed = verify_stripe_event(body, header, WEBHOOK_SECRET)
    assert parsed["type"] == "customer.subscription.created"
    repo = InMemoryBillingRepository()
    assert handle(repo, parsed).handled
    (membership,) = repo.memberships.values()
    assert (membership.plan_id, membership.started_by_user_id) == (5, user_id)
    with pytest.raises(InvalidWebhook):
        verify_stripe_event(body, header, "whsec_someone_else")


def test_expanded_payment_intents_on_charges_and_incomplete_refund_lists() -> None:
    repo = InMemoryBillingRepository([card_payment(status=CardPaymentStatus.SUCCEEDED)])
    expanded = charge(
        [refund("re_1", 100, T0)],
        payment_intent={"id": "pi_budget", "object": "payment_intent"},
    )
    assert handle(repo, event("charge.refunded", expanded, T0)).handled
    assert [e.source.stripe_object_id for e in repo.entries[3]] == ["re_1"]
    partial = charge([refund("re_2", 50, T0)])
    partial["refunds"]["has_more"] = True  # a truncated list is not trusted
    outcome = handle(repo, event("charge.refunded", partial, T0))
    assert not outcome.handled and "cannot be asked" in outcome.action


def test_the_person_comes_from_our_metadata_whichever_event_is_first() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("incomplete"), T0))
    assert repo.memberships[1].person_id is None  # this event did not carry it
    tagged = subscription("active")
    tagged["metadata"] = {**tagged["metadata"], "coopcare_person_id": "17"}
    handle(repo, event("customer.subscription.updated", tagged, T0 + 1))
    assert repo.memberships[1].person_id == 17
    fresh = InMemoryBillingRepository()
    handle(fresh, event("customer.subscription.created", tagged, T0))
    assert fresh.memberships[1].person_id == 17


def test_sync_invoices_records_paid_invoices_only() -> None:
    repo = InMemoryBillingRepository()
    handle(repo, event("customer.subscription.created", subscription("active"), T0))
    membership = repo.memberships[1]
    listed = [
        invoice(id="in_paid", status="paid"),
        invoice(id="in_open", status="open", amount_paid=0),
        {"object": "charge", "id": "ch_1", "status": "paid"},
    ]
    recorded = sync_invoices(membership, listed, T0 + 5, repo)
    assert [i.stripe_invoice_id for i in recorded] == ["in_paid"]
    assert set(repo.invoices) == {"in_paid"}
    assert repo.invoices["in_paid"].status is InvoiceStatus.PAID
    # Listing again, or the invoice.paid event after it, changes nothing.
    sync_invoices(membership, listed, T0 + 6, repo)
    handle(repo, event("invoice.paid", invoice(id="in_paid"), T0 + 2))
    assert repo.invoices["in_paid"].amount_paid_pence == 4500 and len(repo.invoices) == 1
