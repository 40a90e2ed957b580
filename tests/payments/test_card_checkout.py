"""Card payments of provider invoices on Stripe Checkout (payment mode), and asking Stripe
again about a card payment that never heard back: pure, over the in-memory repository and
a stand-in for Stripe (localstripe has no Checkout). Events arrive twice and out of order;
the final state is the same."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from card_checkout_helpers import FakeCardGateway, checkout_event

from payments.gateway import BillingError, BillingUnavailable, CardPaymentRequest
from payments.ledger import EntryKind
from payments.webhooks import (
    ABANDONED,
    CHECKOUT_EXPIRED,
    CardPayment,
    CardPaymentStatus,
    InMemoryBillingRepository,
    apply_checkout_session,
    check_card_payment,
    handle_stripe_event,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def now() -> datetime:
    return NOW


def waiting(**kw: Any) -> CardPayment:
    values: dict[str, Any] = {
        "id": 21, "budget_id": 3, "amount_pence": 12_000,
        "requested_at": datetime(2026, 2, 26, 10, 0, tzinfo=UTC),
        "description": "Leeds Care Co-op: visits (card)", "invoice_id": 44,
        "invoice_reference": "INV-44", "category": "agency_care", "recorded_by_user_id": 8,
    }  # fmt: skip
    values.update(kw)
    return CardPayment(**values)


def with_session(gateway: FakeCardGateway, payment: CardPayment) -> CardPayment:
    request = CardPaymentRequest(
        payment.id, payment.budget_id, payment.invoice_id, payment.amount_pence, None, "",
        payment.description,
    )  # fmt: skip
    made = gateway.create_payment_checkout_session(
        request, success_url="https://a/ok", cancel_url="https://a/no", expires_at=1
    )
    return replace(payment, stripe_checkout_session_id=made.id)


def setup(**kw: Any) -> tuple[InMemoryBillingRepository, FakeCardGateway, CardPayment]:
    gateway = FakeCardGateway()
    payment = with_session(gateway, waiting(**kw))
    return InMemoryBillingRepository([payment]), gateway, payment


def handle(repo, event, gateway=None):
    return handle_stripe_event(event, repo, gateway, now=now)


def test_a_completed_checkout_writes_the_payment_once() -> None:
    repo, gateway, payment = setup()
    intent_id = gateway.complete("cs_test_21")
    completed = checkout_event(
        "evt_1", "checkout.session.completed", gateway.sessions["cs_test_21"]
    )
    outcome = handle(repo, completed, gateway)
    assert outcome.action == "card payment 21 succeeded"
    (entry,) = repo.entries[3]
    assert (entry.kind, entry.amount_pence, entry.source.stripe_object_id) == (
        EntryKind.PAYMENT, -12_000, intent_id,
    )  # fmt: skip
    saved = repo.card_payments[21]
    assert saved.status is CardPaymentStatus.SUCCEEDED and saved.stripe_payment_intent_id
    assert handle(repo, completed, gateway).action == "card payment 21 already succeeded"
    assert len(repo.entries[3]) == 1


def test_the_payload_is_not_trusted_when_stripe_can_be_asked() -> None:
    """A payload saying "paid" while Stripe says the session is still open: nothing."""
    repo, gateway, _ = setup()
    forged = checkout_event(
        "evt_f", "checkout.session.completed", gateway.sessions["cs_test_21"],
        status="complete", payment_status="paid", payment_intent="pi_forged",
    )  # fmt: skip
    assert handle(repo, forged, gateway).action == "card payment 21 still waiting (checkout open)"
    assert repo.entries == {} and repo.card_payments[21].status is CardPaymentStatus.PENDING


def test_without_a_gateway_the_payload_is_applied() -> None:
    repo, gateway, _ = setup()
    gateway.complete("cs_test_21")
    event = checkout_event("evt_2", "checkout.session.completed", gateway.sessions["cs_test_21"])
    assert handle(repo, event).action == "card payment 21 succeeded"
    assert len(repo.entries[3]) == 1


def test_an_amount_that_differs_from_ours_is_not_settled() -> None:
    repo, gateway, _ = setup()
    gateway.complete("cs_test_21")
    event = checkout_event(
        "evt_3", "checkout.session.completed", gateway.sessions["cs_test_21"], amount_total=1
    )
    assert handle(repo, event).handled is False
    assert repo.entries == {}


def test_an_expired_checkout_releases_the_money() -> None:
    repo, gateway, _ = setup()
    gateway.expire("cs_test_21")
    event = checkout_event("evt_4", "checkout.session.expired", gateway.sessions["cs_test_21"])
    outcome = handle(repo, event, gateway)
    assert outcome.action == "card payment 21 released: the checkout session expired"
    released = repo.card_payments[21]
    assert (released.status, released.failure_message) == (
        CardPaymentStatus.FAILED, CHECKOUT_EXPIRED,
    )  # fmt: skip
    assert not released.unsettled and repo.entries == {}
    assert handle(repo, event, gateway).action == "card payment 21 already failed"


def test_a_session_found_by_its_metadata_is_remembered() -> None:
    """The webhook came before we saved the session id (Stripe answered, we crashed)."""
    gateway = FakeCardGateway()
    payment = waiting()
    with_session(gateway, payment)
    repo = InMemoryBillingRepository([payment])  # no session id saved
    gateway.expire("cs_test_21")
    handle(repo, checkout_event("evt_5", "checkout.session.expired",
                                gateway.sessions["cs_test_21"]), gateway)  # fmt: skip
    assert repo.card_payments[21].stripe_checkout_session_id == "cs_test_21"


@pytest.mark.parametrize(
    "payload, why",
    [
        ({"object": "charge", "id": "ch_1", "mode": "payment"}, "not a checkout session"),
        ({"object": "checkout.session", "mode": "payment"}, "without an id"),
        ({"object": "checkout.session", "id": "cs_x", "mode": "payment", "metadata": {}},
         "not a budget payment of ours"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("event_type", ["checkout.session.completed", "checkout.session.expired"])
def test_sessions_that_are_not_ours_are_acknowledged_and_ignored(
    payload: dict[str, Any], why: str, event_type: str
) -> None:
    repo = InMemoryBillingRepository([waiting()])
    event = {"id": "evt_x", "type": event_type, "created": 1, "data": {"object": payload}}
    outcome = handle(repo, event)
    assert outcome.handled is False and why in outcome.action


def test_a_session_naming_another_payment_is_ignored() -> None:
    repo, gateway, payment = setup()
    other = replace(gateway.sessions["cs_test_21"], metadata={"coopcare_card_payment_id": "99"})
    outcome = apply_checkout_session(payment, other, repo, gateway, now=now)
    assert outcome.startswith("ignored")


def test_a_membership_checkout_expiring_leaves_nothing() -> None:
    event = {"id": "evt_m", "type": "checkout.session.expired", "created": 1,
             "data": {"object": {"object": "checkout.session", "id": "cs_m",
                                 "mode": "subscription"}}}  # fmt: skip
    outcome = handle(InMemoryBillingRepository(), event)
    assert outcome.action == "checkout expired: no membership was started"


def test_events_twice_and_in_any_order_end_the_same() -> None:
    """payment_intent.succeeded, checkout.session.completed, a stale expired event: each
    delivered twice, in every order: one payment, one entry."""
    finals = set()
    for order in itertools.permutations(range(3)):
        repo, gateway, _ = setup()
        intent_id = gateway.complete("cs_test_21")
        session = gateway.sessions["cs_test_21"]
        events = [
            {"id": "evt_pi", "type": "payment_intent.succeeded", "created": 2,
             "data": {"object": {"id": intent_id, "object": "payment_intent",
                                 "status": "succeeded", "amount": 12_000,
                                 "metadata": dict(session.metadata)}}},
            checkout_event("evt_cs", "checkout.session.completed", session),
            checkout_event("evt_ex", "checkout.session.expired", session, status="expired"),
        ]  # fmt: skip
        for n in order:
            handle(repo, events[n], gateway)
            handle(repo, events[n], gateway)
        finals.add(repr(repo.state()))
        assert [e.amount_pence for e in repo.entries[3]] == [-12_000]
        assert repo.card_payments[21].status is CardPaymentStatus.SUCCEEDED
    assert len(finals) == 1


# --- asking Stripe again about a payment that never heard back ------------------------


def test_checking_a_paid_checkout_settles_it() -> None:
    repo, gateway, payment = setup()
    gateway.complete("cs_test_21")
    assert check_card_payment(payment, repo, gateway, expired=False, now=now) == (
        "card payment 21 succeeded"
    )
    assert len(repo.entries[3]) == 1


def test_checking_an_open_checkout_before_it_expires_waits() -> None:
    repo, gateway, payment = setup()
    action = check_card_payment(payment, repo, gateway, expired=False, now=now)
    assert action == "card payment 21 still waiting (checkout open)"
    assert gateway.writes == ["coopcare-card-checkout-21"]  # nothing expired


def test_an_overdue_open_checkout_is_expired_at_stripe_then_released() -> None:
    repo, gateway, payment = setup()
    action = check_card_payment(payment, repo, gateway, expired=True, now=now)
    assert action == "card payment 21 released: the checkout session expired"
    assert gateway.sessions["cs_test_21"].status == "expired"
    assert gateway.writes[-1] == "coopcare-card-checkout-expire-21"
    assert repo.card_payments[21].status is CardPaymentStatus.FAILED


def test_an_overdue_checkout_paid_meanwhile_is_still_recorded_as_paid() -> None:
    repo, gateway, payment = setup()
    gateway.complete("cs_test_21")
    assert check_card_payment(payment, repo, gateway, expired=True, now=now) == (
        "card payment 21 succeeded"
    )
    assert "coopcare-card-checkout-expire-21" not in gateway.writes


def test_stripe_unreachable_while_checking_changes_nothing() -> None:
    repo, gateway, payment = setup()
    gateway.down = True
    before = repo.state()
    with pytest.raises(BillingUnavailable):
        check_card_payment(payment, repo, gateway, expired=True, now=now)
    assert repo.state() == before


def test_stripe_refusing_to_expire_a_session_completed_meanwhile_raises() -> None:
    repo, gateway, payment = setup()
    real_fetch = gateway.fetch_checkout_session

    def stale_then_real(session_id: str):
        answer = real_fetch(session_id)
        gateway.complete(session_id)  # the card holder pays while we ask
        return answer

    gateway.fetch_checkout_session = stale_then_real  # type: ignore[method-assign]
    with pytest.raises(BillingError):
        check_card_payment(payment, repo, gateway, expired=True, now=now)
    gateway.fetch_checkout_session = real_fetch  # type: ignore[method-assign]
    assert check_card_payment(payment, repo, gateway, expired=True, now=now) == (
        "card payment 21 succeeded"
    )


def _intent_payment(gateway: FakeCardGateway, status: str) -> CardPayment:
    from payments.gateway import PaymentIntentSnapshot

    gateway.intents["pi_21"] = PaymentIntentSnapshot("pi_21", status, 12_000, 1)
    return waiting(stripe_payment_intent_id="pi_21")


@pytest.mark.parametrize(
    "status, expired, final, message",
    [
        ("succeeded", False, CardPaymentStatus.SUCCEEDED, None),
        ("requires_payment_method", True, CardPaymentStatus.FAILED, None),
        ("processing", False, CardPaymentStatus.PENDING, None),
        ("requires_action", True, CardPaymentStatus.FAILED, ABANDONED),
        ("processing", True, CardPaymentStatus.FAILED, ABANDONED),
    ],
)
def test_checking_a_test_card_payment_intent(
    status: str, expired: bool, final: CardPaymentStatus, message: str | None
) -> None:
    gateway = FakeCardGateway()
    payment = _intent_payment(gateway, status)
    repo = InMemoryBillingRepository([payment])
    check_card_payment(payment, repo, gateway, expired=expired, now=now)
    saved = repo.card_payments[21]
    assert (saved.status, saved.failure_message) == (final, message)
    cancelled = "coopcare-card-payment-cancel-21" in gateway.writes
    assert cancelled == (message == ABANDONED)


def test_a_payment_stripe_never_answered_is_released_only_when_overdue() -> None:
    gateway = FakeCardGateway()
    payment = waiting()
    repo = InMemoryBillingRepository([payment])
    assert "still waiting" in check_card_payment(payment, repo, gateway, expired=False, now=now)
    assert repo.card_payments[21].status is CardPaymentStatus.PENDING
    assert check_card_payment(payment, repo, gateway, expired=True, now=now) == (
        "card payment 21 released: Stripe never answered"
    )
    assert repo.card_payments[21].failure_message == ABANDONED
    assert gateway.writes == []


def test_checking_a_settled_payment_asks_nothing() -> None:
    gateway = FakeCardGateway()
    gateway.down = True
    payment = waiting(status=CardPaymentStatus.SUCCEEDED)
    repo = InMemoryBillingRepository([payment])
    assert check_card_payment(payment, repo, gateway, expired=True, now=now) == (
        "card payment 21 already succeeded"
    )
