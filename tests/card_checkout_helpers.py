"""A stand-in for Stripe's Checkout in payment mode (localstripe has none): it keeps the
sessions and payment intents it made, answers like Stripe, and can be told what the card
holder did (`complete`, `expire`), or to be unreachable (`down`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from payments.gateway import (
    BillingError,
    BillingUnavailable,
    CardPaymentRequest,
    CheckoutSession,
    CheckoutSessionSnapshot,
    PaymentIntentSnapshot,
)


class FakeCardGateway:
    def __init__(self) -> None:
        self.sessions: dict[str, CheckoutSessionSnapshot] = {}
        self.intents: dict[str, PaymentIntentSnapshot] = {}
        self.requests: list[dict[str, Any]] = []  # every create, with its idempotency key
        self.writes: list[str] = []  # the idempotency keys of every write
        self.down = False

    def _up(self) -> None:
        if self.down:
            raise BillingUnavailable("connection refused")

    def create_payment_checkout_session(
        self, payment: CardPaymentRequest, *, success_url: str, cancel_url: str, expires_at: int
    ) -> CheckoutSession:
        self._up()
        key = f"coopcare-card-checkout-{payment.payment_id}"
        self.writes.append(key)
        self.requests.append(
            {"payment": payment, "success_url": success_url, "cancel_url": cancel_url,
             "expires_at": expires_at, "key": key}
        )  # fmt: skip
        session_id = f"cs_test_{payment.payment_id}"
        if session_id not in self.sessions:  # the same key again: the same session
            self.sessions[session_id] = CheckoutSessionSnapshot(
                session_id=session_id, mode="payment", status="open", payment_status="unpaid",
                payment_intent_id=None, amount_total_pence=payment.amount_pence,
                observed_at=1, metadata=payment.metadata(),
                url=f"https://checkout.stripe.test/{session_id}",
            )  # fmt: skip
        session = self.sessions[session_id]
        return CheckoutSession(session.session_id, str(session.url))

    def complete(self, session_id: str, status: str = "succeeded") -> str:
        """The card holder paid on Stripe's page: the session completes, its intent
        succeeds."""
        session = self.sessions[session_id]
        intent_id = "pi_" + session_id.removeprefix("cs_")
        self.intents[intent_id] = PaymentIntentSnapshot(
            intent_id=intent_id, status=status, amount_pence=session.amount_total_pence,
            observed_at=2, metadata=session.metadata,
        )  # fmt: skip
        self.sessions[session_id] = replace(
            session, status="complete", payment_status="paid", payment_intent_id=intent_id,
            url=None,
        )  # fmt: skip
        return intent_id

    def expire(self, session_id: str) -> None:
        self.sessions[session_id] = replace(self.sessions[session_id], status="expired", url=None)

    def fetch_checkout_session(self, session_id: str) -> CheckoutSessionSnapshot:
        self._up()
        if session_id not in self.sessions:
            raise BillingError("The payment service refused the request.", "No such session")
        return self.sessions[session_id]

    def expire_checkout_session(
        self, session_id: str, *, payment_id: int
    ) -> CheckoutSessionSnapshot:
        self._up()
        self.writes.append(f"coopcare-card-checkout-expire-{payment_id}")
        if self.sessions[session_id].status != "open":
            raise BillingError("The payment service refused the request.", "Not open")
        self.expire(session_id)
        return self.sessions[session_id]

    def fetch_payment_intent(self, intent_id: str) -> PaymentIntentSnapshot:
        self._up()
        return self.intents[intent_id]

    def cancel_payment_intent(self, intent_id: str, *, payment_id: int) -> PaymentIntentSnapshot:
        self._up()
        self.writes.append(f"coopcare-card-payment-cancel-{payment_id}")
        self.intents[intent_id] = replace(self.intents[intent_id], status="canceled")
        return self.intents[intent_id]


def checkout_event(
    event_id: str, event_type: str, session: CheckoutSessionSnapshot, **changes: Any
) -> dict[str, Any]:
    """A `checkout.session.*` event as Stripe sends it, about `session` (its payload may
    be changed with `changes`: a stale or forged status, say)."""
    payload = {
        "id": session.session_id, "object": "checkout.session", "mode": session.mode,
        "status": session.status, "payment_status": session.payment_status,
        "payment_intent": session.payment_intent_id,
        "amount_total": session.amount_total_pence, "metadata": dict(session.metadata),
        "client_reference_id": "card-payment-" + session.metadata["coopcare_card_payment_id"],
        **changes,
    }  # fmt: skip
    return {"id": event_id, "object": "event", "type": event_type, "created": 1_790_000_000,
            "data": {"object": payload}}  # fmt: skip
