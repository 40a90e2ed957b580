"""Talking to the billing service: the `BillingGateway` protocol and its Stripe implementation.

`StripeGateway` takes an injected `stripe.StripeClient` (build one with
`make_stripe_client`, which sets timeouts and the API base from `STRIPE_API_BASE`). Every
write carries an idempotency key derived from our own record id, so retrying after a
timeout or an outage is a no-op at Stripe, and every object carries `metadata` naming our
ids. Stripe's answers come back as plain dataclasses; nothing outside this module sees a
Stripe object.

The local test server (localstripe) speaks an older dialect: it has Plans but no Prices,
and refuses a `description` on payment intents. The switch is explicit
(`StripeGateway(client, localstripe=True)`, config `STRIPE_LOCALSTRIPE`) rather than guessed
from the URL; on real Stripe, plans are Prices and payments carry their description.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import stripe

from payments.memberships import Membership, SubscriptionSnapshot, snapshot_from_stripe

if TYPE_CHECKING:
    from stripe import RequestOptions
    from stripe.params import (
        PaymentIntentCreateParams,
        SubscriptionCreateParams,
    )
    from stripe.params.checkout import SessionCreateParams

__all__ = [
    "BillingError",
    "BillingGateway",
    "BillingUnavailable",
    "CardPaymentRequest",
    "CheckoutSession",
    "CheckoutSessionSnapshot",
    "ConnectSettings",
    "MembershipStart",
    "PaymentDeclined",
    "PaymentIntentSnapshot",
    "PlanTerms",
    "RefundResult",
    "StripeGateway",
    "StripePlanIds",
    "idempotency_key",
    "make_stripe_client",
]

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0


class BillingError(Exception):
    """Stripe refused the request. The message is safe to show; `detail` is Stripe's own
    words, for the log."""

    def __init__(self, message: str, detail: str = "") -> None:
        self.detail = detail
        super().__init__(message)


class BillingUnavailable(BillingError):
    """Stripe could not be reached, timed out or had an outage. Trying again is safe."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The payment service (Stripe) could not be reached, so nothing was changed. "
            "Please try again in a few minutes: trying again will not charge twice.",
            detail,
        )


class PaymentDeclined(BillingError):
    """The card was declined; the message is Stripe's, written for the card holder."""


def idempotency_key(action: str, record_id: int | str) -> str:
    """The idempotency key for one write about one of our records, e.g.
    `coopcare-card-payment-42`. The same record and action always give the same key."""
    if not action or not str(record_id):
        raise ValueError("An idempotency key needs an action and a record id")
    return f"coopcare-{action}-{record_id}"


def make_stripe_client(
    secret_key: str,
    api_base: str = "",
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    max_network_retries: int = 2,
) -> stripe.StripeClient:
    """A StripeClient with timeouts set; `api_base` (config `STRIPE_API_BASE`) points it at
    a local test server, and empty means Stripe itself."""
    if not secret_key:
        raise ValueError("STRIPE_SECRET_KEY is not set")
    http_client = stripe.RequestsClient(
        timeout=(min(DEFAULT_CONNECT_TIMEOUT_SECONDS, timeout_seconds), timeout_seconds)
    )
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        http_client=http_client,
        # Retries reuse the request's idempotency key, so they cannot charge twice.
        max_network_retries=max_network_retries,
    )


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """A provider's membership plan, as Stripe needs it."""

    plan_id: int
    provider_id: int
    name: str
    monthly_price_pence: int
    description: str = ""

    def __post_init__(self) -> None:
        if self.monthly_price_pence <= 0:
            raise ValueError(
                f"monthly_price_pence must be positive, not {self.monthly_price_pence}"
            )


@dataclass(frozen=True, slots=True)
class StripePlanIds:
    product_id: str
    price_id: str  # a Price id on Stripe, a Plan id on localstripe


@dataclass(frozen=True, slots=True)
class MembershipStart:
    """A request to start a membership. `start_id` is our record of the request, so a
    repeated request cannot create two subscriptions."""

    start_id: int
    plan_id: int
    arrangement_id: int | None
    started_by_user_id: int | None
    customer_id: str
    price_id: str
    person_id: int | None = None  # whose membership it will be
    budget_id: int | None = None  # paid from this personal budget (None: the family's card)

    def metadata(self) -> dict[str, str]:
        data = {
            "coopcare_membership_start_id": str(self.start_id),
            "coopcare_plan_id": str(self.plan_id),
        }
        if self.person_id is not None:
            data["coopcare_person_id"] = str(self.person_id)
        if self.budget_id is not None:
            data["coopcare_budget_id"] = str(self.budget_id)
        if self.arrangement_id is not None:
            data["coopcare_arrangement_id"] = str(self.arrangement_id)
        if self.started_by_user_id is not None:
            data["coopcare_started_by_user_id"] = str(self.started_by_user_id)
        return data


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True, slots=True)
class CheckoutSessionSnapshot:
    """What Stripe said about a Checkout session: `status` is open, complete or expired;
    `payment_status` paid, unpaid or no_payment_required."""

    session_id: str
    mode: str
    status: str
    payment_status: str
    payment_intent_id: str | None
    amount_total_pence: int
    observed_at: int
    metadata: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None  # Stripe's page, while the session is open

    @classmethod
    def from_stripe(cls, session: Mapping[str, Any], observed_at: int) -> CheckoutSessionSnapshot:
        if session.get("object") != "checkout.session" or not session.get("id"):
            raise ValueError("Not a Stripe Checkout session object")
        intent = session.get("payment_intent")
        if isinstance(intent, Mapping):
            intent = intent.get("id")
        return cls(
            session_id=str(session["id"]),
            mode=str(session.get("mode")),
            status=str(session.get("status")),
            payment_status=str(session.get("payment_status")),
            payment_intent_id=str(intent) if intent else None,
            amount_total_pence=int(session.get("amount_total") or 0),
            observed_at=int(observed_at),
            metadata={str(k): str(v) for k, v in (session.get("metadata") or {}).items()},
            url=str(session["url"]) if session.get("url") else None,
        )


@dataclass(frozen=True, slots=True)
class CardPaymentRequest:
    """A card payment of a provider invoice from a budget. `payment_id` is our record of
    this payment attempt (a new attempt after a decline gets a new id)."""

    payment_id: int
    budget_id: int
    invoice_id: int | None
    amount_pence: int
    customer_id: str | None
    payment_method_id: str
    description: str
    provider_account_id: str | None = None  # the provider's Stripe Connect account

    def __post_init__(self) -> None:
        if self.amount_pence <= 0:
            raise ValueError(f"amount_pence must be positive, not {self.amount_pence}")

    def metadata(self) -> dict[str, str]:
        data = {
            "coopcare_card_payment_id": str(self.payment_id),
            "coopcare_budget_id": str(self.budget_id),
        }
        if self.invoice_id is not None:
            data["coopcare_invoice_id"] = str(self.invoice_id)
        return data


@dataclass(frozen=True, slots=True)
class ConnectSettings:
    """Stripe Connect destination charges: the payment goes to the provider's account and
    the platform keeps `application_fee_basis_points` (250 = 2.5 %), rounded down."""

    application_fee_basis_points: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.application_fee_basis_points <= 10_000:
            raise ValueError(
                "application_fee_basis_points must be between 0 and 10000, "
                f"not {self.application_fee_basis_points}"
            )

    def fee_pence(self, amount_pence: int) -> int:
        return amount_pence * self.application_fee_basis_points // 10_000


@dataclass(frozen=True, slots=True)
class PaymentIntentSnapshot:
    """What Stripe said about a payment intent, and when (Unix seconds)."""

    intent_id: str
    status: str
    amount_pence: int
    observed_at: int
    charge_id: str | None = None
    failure_message: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_stripe(cls, intent: Mapping[str, Any], observed_at: int) -> PaymentIntentSnapshot:
        if intent.get("object") != "payment_intent" or not intent.get("id"):
            raise ValueError("Not a Stripe payment intent object")
        charge = intent.get("latest_charge")
        if isinstance(charge, Mapping):
            charge = charge.get("id")
        error = intent.get("last_payment_error") or {}
        return cls(
            intent_id=str(intent["id"]),
            status=str(intent.get("status")),
            amount_pence=int(intent.get("amount") or 0),
            observed_at=int(observed_at),
            charge_id=str(charge) if charge else None,
            failure_message=error.get("message") if isinstance(error, Mapping) else None,
            metadata={str(k): str(v) for k, v in (intent.get("metadata") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund_id: str
    status: str
    amount_pence: int
    payment_intent_id: str | None
    created: int

    @classmethod
    def from_stripe(cls, refund: Mapping[str, Any]) -> RefundResult:
        if refund.get("object") != "refund" or not refund.get("id"):
            raise ValueError("Not a Stripe refund object")
        intent = refund.get("payment_intent")
        return cls(
            refund_id=str(refund["id"]),
            status=str(refund.get("status")),
            amount_pence=int(refund.get("amount") or 0),
            payment_intent_id=str(intent) if intent else None,
            created=int(refund.get("created") or 0),
        )


class BillingGateway(Protocol):
    """What the app needs from a billing service."""

    def create_plan(self, plan: PlanTerms) -> StripePlanIds: ...

    def create_customer(self, *, user_id: int, email: str, name: str = "") -> str: ...

    def attach_card(self, *, customer_id: str, payment_method_id: str) -> None: ...

    def start_subscription(self, start: MembershipStart) -> SubscriptionSnapshot: ...

    def create_checkout_session(
        self, start: MembershipStart, *, success_url: str, cancel_url: str
    ) -> CheckoutSession: ...

    def update_plan(
        self,
        plan: PlanTerms,
        *,
        product_id: str,
        revision: int,
        new_price: bool,
        old_price_id: str | None = None,
    ) -> StripePlanIds: ...

    def set_cancel_at_period_end(
        self, membership: Membership, cancel: bool
    ) -> SubscriptionSnapshot: ...

    def fetch_subscription(self, subscription_id: str) -> SubscriptionSnapshot: ...

    def list_invoices(self, subscription_id: str) -> list[dict[str, Any]]: ...

    def fetch_invoice(self, invoice_id: str) -> dict[str, Any]: ...

    def pay(self, payment: CardPaymentRequest) -> PaymentIntentSnapshot: ...

    def create_payment_checkout_session(
        self, payment: CardPaymentRequest, *, success_url: str, cancel_url: str, expires_at: int
    ) -> CheckoutSession: ...

    def fetch_checkout_session(self, session_id: str) -> CheckoutSessionSnapshot: ...

    def expire_checkout_session(
        self, session_id: str, *, payment_id: int
    ) -> CheckoutSessionSnapshot: ...

    def fetch_payment_intent(self, intent_id: str) -> PaymentIntentSnapshot: ...

    def cancel_payment_intent(
        self, intent_id: str, *, payment_id: int
    ) -> PaymentIntentSnapshot: ...

    def refund(
        self,
        *,
        refund_id: str,
        payment_intent_id: str,
        amount_pence: int,
        metadata: Mapping[str, str],
    ) -> RefundResult: ...

    def list_refunds(self, payment_intent_id: str) -> list[RefundResult]: ...


class StripeGateway:
    """`BillingGateway` on Stripe (or on localstripe, with `localstripe=True`)."""

    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        localstripe: bool = False,
        connect: ConnectSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._localstripe = localstripe
        self._connect = connect
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    def create_plan(self, plan: PlanTerms) -> StripePlanIds:
        """A Product for the plan and its monthly recurring Price (or Plan)."""
        metadata = {
            "coopcare_plan_id": str(plan.plan_id),
            "coopcare_provider_id": str(plan.provider_id),
        }
        with _translated_errors():
            product = self._client.v1.products.create(
                params={
                    "name": plan.name,
                    "description": plan.description or plan.name,
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key("plan-product", plan.plan_id)},
            )
            action = "plan-plan" if self._localstripe else "plan-price"
            recurring = self._recurring(plan, product.id, idempotency_key(action, plan.plan_id))
        return StripePlanIds(product.id, recurring)

    def _recurring(self, plan: PlanTerms, product_id: str, key: str) -> str:
        metadata = {
            "coopcare_plan_id": str(plan.plan_id),
            "coopcare_provider_id": str(plan.provider_id),
        }
        if self._localstripe:
            created = self._client.v1.plans.create(
                params={
                    "product": product_id,
                    "amount": plan.monthly_price_pence,
                    "currency": "gbp",
                    "interval": "month",
                    "metadata": metadata,
                },
                options={"idempotency_key": key},
            )
            return created.id
        price = self._client.v1.prices.create(
            params={
                "product": product_id,
                "unit_amount": plan.monthly_price_pence,
                "currency": "gbp",
                "recurring": {"interval": "month"},
                "metadata": metadata,
            },
            options={"idempotency_key": key},
        )
        return price.id

    def update_plan(
        self,
        plan: PlanTerms,
        *,
        product_id: str,
        revision: int,
        new_price: bool,
        old_price_id: str | None = None,
    ) -> StripePlanIds:
        """Bring the Product up to date with revision `revision` of our plan, and when the
        monthly price changed, add a new Price and archive the old one (`old_price_id`,
        active=false: nobody new joins at it, while members already on it keep paying it,
        as Stripe's prices cannot change). Each revision has its own idempotency keys, so
        retrying one is a no-op and the next one is not."""
        with _translated_errors():
            self._client.v1.products.update(
                product_id,
                params={"name": plan.name, "description": plan.description or plan.name},
                options={
                    "idempotency_key": idempotency_key(
                        "plan-product-update", f"{plan.plan_id}-r{revision}"
                    )
                },
            )
            price_id = ""
            if new_price:
                price_id = self._recurring(
                    plan,
                    product_id,
                    idempotency_key("plan-price", f"{plan.plan_id}-r{revision}"),
                )
                if old_price_id and old_price_id != price_id:
                    self._archive(old_price_id, f"{plan.plan_id}-r{revision}")
        return StripePlanIds(product_id, price_id)

    def _archive(self, price_id: str, record: str) -> None:
        options: RequestOptions = {"idempotency_key": idempotency_key("plan-archive", record)}
        if self._localstripe:
            self._client.v1.plans.update(price_id, params={"active": False}, options=options)
        else:
            self._client.v1.prices.update(price_id, params={"active": False}, options=options)

    def create_test_card(self, number: str = "4242424242424242") -> str:
        """A card payment method made from a test card number: only on localstripe (Stripe
        itself refuses raw card numbers from a server, and so should we)."""
        if not self._localstripe:
            raise BillingError("Test cards can only be used with the local test server.")
        with _translated_errors():
            method = self._client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                }
            )
        return method.id

    def create_customer(self, *, user_id: int, email: str, name: str = "") -> str:
        with _translated_errors():
            customer = self._client.v1.customers.create(
                params={
                    "email": email,
                    "name": name or email,
                    "metadata": {"coopcare_user_id": str(user_id)},
                },
                options={"idempotency_key": idempotency_key("customer", user_id)},
            )
        return customer.id

    def attach_card(self, *, customer_id: str, payment_method_id: str) -> None:
        """Attach a card and make it the customer's default for subscriptions."""
        with _translated_errors():
            self._client.v1.payment_methods.attach(
                payment_method_id,
                params={"customer": customer_id},
                options={"idempotency_key": idempotency_key("attach", payment_method_id)},
            )
            self._client.v1.customers.update(
                customer_id,
                params={"invoice_settings": {"default_payment_method": payment_method_id}},
                options={
                    "idempotency_key": idempotency_key(
                        "default-card", f"{customer_id}-{payment_method_id}"
                    )
                },
            )

    def _item(self, price_id: str) -> dict[str, str]:
        return {"plan": price_id} if self._localstripe else {"price": price_id}

    def start_subscription(self, start: MembershipStart) -> SubscriptionSnapshot:
        """A subscription charged to the customer's default card (used where there is no
        Checkout, e.g. against localstripe)."""
        params: SubscriptionCreateParams = {
            "customer": start.customer_id,
            "items": [self._item(start.price_id)],  # type: ignore[list-item]
            "metadata": start.metadata(),
        }
        with _translated_errors():
            subscription = self._client.v1.subscriptions.create(
                params=params,
                options={"idempotency_key": idempotency_key("subscription", start.start_id)},
            )
        return snapshot_from_stripe(subscription.to_dict(), self._now())

    def create_checkout_session(
        self, start: MembershipStart, *, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        """A Stripe Checkout session in subscription mode (production); the membership
        starts from the `checkout.session.completed` webhook."""
        params: SessionCreateParams = {
            "mode": "subscription",
            "customer": start.customer_id,
            "line_items": [{"price": start.price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(start.start_id),
            "metadata": start.metadata(),
            "subscription_data": {"metadata": start.metadata()},
        }
        with _translated_errors():
            session = self._client.v1.checkout.sessions.create(
                params=params,
                options={"idempotency_key": idempotency_key("checkout", start.start_id)},
            )
        return CheckoutSession(session.id, str(session.url))

    def set_cancel_at_period_end(
        self, membership: Membership, cancel: bool
    ) -> SubscriptionSnapshot:
        """Ask Stripe to end the subscription when the paid period ends (or, with
        `cancel=False`, to carry on after all). The key names the membership and the
        Stripe observation the request was made from, so a double submit is one request
        while a later change of mind is a new one."""
        action = "cancel-at-period-end" if cancel else "resume"
        key = idempotency_key(action, f"{membership.id}-{membership.status_observed_at or 0}")
        with _translated_errors():
            subscription = self._client.v1.subscriptions.update(
                membership.stripe_subscription_id,
                params={"cancel_at_period_end": cancel},
                options={"idempotency_key": key},
            )
        return snapshot_from_stripe(subscription.to_dict(), self._now())

    def fetch_subscription(self, subscription_id: str) -> SubscriptionSnapshot:
        with _translated_errors():
            subscription = self._client.v1.subscriptions.retrieve(subscription_id)
        return snapshot_from_stripe(subscription.to_dict(), self._now())

    def list_invoices(self, subscription_id: str) -> list[dict[str, Any]]:
        """The subscription's invoices as plain dicts, newest first (for
        `payments.webhooks.record_invoice`)."""
        with _translated_errors():
            page = self._client.v1.invoices.list(
                params={"subscription": subscription_id, "limit": 100}
            )
            return [invoice.to_dict() for invoice in page.auto_paging_iter()]

    def fetch_invoice(self, invoice_id: str) -> dict[str, Any]:
        """One invoice as Stripe has it now, as a plain dict (a webhook's copy may be stale)."""
        with _translated_errors():
            return self._client.v1.invoices.retrieve(invoice_id).to_dict()

    def pay(self, payment: CardPaymentRequest) -> PaymentIntentSnapshot:
        """Charge the card now. A decline raises `PaymentDeclined`; 3-D Secure leaves the
        intent in `requires_action` for the card holder to finish."""
        params: PaymentIntentCreateParams = {
            "amount": payment.amount_pence,
            "currency": "gbp",
            "payment_method": payment.payment_method_id,
            "confirm": True,
            "metadata": payment.metadata(),
        }
        if not self._localstripe:
            params["description"] = payment.description
        if payment.customer_id:
            params["customer"] = payment.customer_id
        params.update(self._destination(payment))  # type: ignore[typeddict-item]
        with _translated_errors():
            intent = self._client.v1.payment_intents.create(
                params=params,
                options={"idempotency_key": idempotency_key("card-payment", payment.payment_id)},
            )
        return PaymentIntentSnapshot.from_stripe(intent.to_dict(), self._now())

    def fetch_payment_intent(self, intent_id: str) -> PaymentIntentSnapshot:
        with _translated_errors():
            intent = self._client.v1.payment_intents.retrieve(intent_id)
        return PaymentIntentSnapshot.from_stripe(intent.to_dict(), self._now())

    def cancel_payment_intent(self, intent_id: str, *, payment_id: int) -> PaymentIntentSnapshot:
        """Cancel a payment intent nobody finished (a card payment we stopped waiting for),
        so that it can no longer take the money."""
        with _translated_errors():
            intent = self._client.v1.payment_intents.cancel(
                intent_id,
                params={"cancellation_reason": "abandoned"},
                options={"idempotency_key": idempotency_key("card-payment-cancel", payment_id)},
            )
        return PaymentIntentSnapshot.from_stripe(intent.to_dict(), self._now())

    def _destination(self, payment: CardPaymentRequest) -> dict[str, Any]:
        """A Connect destination charge to the provider's account, with the platform's
        fee, when Connect is configured and the provider has an account; else nothing."""
        if self._connect is None or not payment.provider_account_id:
            return {}
        params: dict[str, Any] = {"transfer_data": {"destination": payment.provider_account_id}}
        fee = self._connect.fee_pence(payment.amount_pence)
        if fee:
            params["application_fee_amount"] = fee
        return params

    def create_payment_checkout_session(
        self, payment: CardPaymentRequest, *, success_url: str, cancel_url: str, expires_at: int
    ) -> CheckoutSession:
        """A Stripe Checkout session in payment mode for one card payment of an invoice
        (production: Stripe's hosted page takes the card). The key is our CardPayment id,
        so asking again for the same attempt returns the same session. The invoice is paid
        from the `checkout.session.completed` webhook; `expires_at` (Unix seconds, 30
        minutes to 24 hours away) ends an abandoned one."""
        intent_data: dict[str, Any] = {
            "metadata": payment.metadata(),
            "description": payment.description,
            **self._destination(payment),
        }
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "gbp",
                        "unit_amount": payment.amount_pence,
                        "product_data": {"name": payment.description[:250]},
                    },
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": f"card-payment-{payment.payment_id}",
            "metadata": payment.metadata(),
            "payment_intent_data": intent_data,  # type: ignore[typeddict-item]
            "expires_at": expires_at,
        }
        if payment.customer_id:
            params["customer"] = payment.customer_id
        with _translated_errors():
            session = self._client.v1.checkout.sessions.create(
                params=params,
                options={"idempotency_key": idempotency_key("card-checkout", payment.payment_id)},
            )
        return CheckoutSession(session.id, str(session.url))

    def fetch_checkout_session(self, session_id: str) -> CheckoutSessionSnapshot:
        with _translated_errors():
            session = self._client.v1.checkout.sessions.retrieve(session_id)
        return CheckoutSessionSnapshot.from_stripe(session.to_dict(), self._now())

    def expire_checkout_session(
        self, session_id: str, *, payment_id: int
    ) -> CheckoutSessionSnapshot:
        """End an open Checkout session now, so that its page can no longer take the
        money (Stripe refuses when it was completed meanwhile: ask again, then)."""
        with _translated_errors():
            session = self._client.v1.checkout.sessions.expire(
                session_id,
                options={"idempotency_key": idempotency_key("card-checkout-expire", payment_id)},
            )
        return CheckoutSessionSnapshot.from_stripe(session.to_dict(), self._now())

    def refund(
        self,
        *,
        refund_id: str,
        payment_intent_id: str,
        amount_pence: int,
        metadata: Mapping[str, str],
    ) -> RefundResult:
        """Refund part or all of a payment. `refund_id` names our record of the refund
        (e.g. `outcome-review-7`), so the same refund is never made twice."""
        if amount_pence <= 0:
            raise ValueError(f"amount_pence must be positive, not {amount_pence}")
        with _translated_errors():
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": amount_pence,
                    "metadata": dict(metadata),
                },
                options={"idempotency_key": idempotency_key("refund", refund_id)},
            )
        return RefundResult.from_stripe(refund.to_dict())

    def list_refunds(self, payment_intent_id: str) -> list[RefundResult]:
        """Every refund of a payment, oldest first."""
        with _translated_errors():
            page = self._client.v1.refunds.list(
                params={"payment_intent": payment_intent_id, "limit": 100}
            )
            refunds = [RefundResult.from_stripe(r.to_dict()) for r in page.auto_paging_iter()]
        return sorted(refunds, key=lambda r: (r.created, r.refund_id))


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn the SDK's errors into ours: unreachable / busy / server errors become
    `BillingUnavailable`, declines `PaymentDeclined`, anything else `BillingError`."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        raise BillingUnavailable(str(exc)) from exc
    except stripe.CardError as exc:
        raise PaymentDeclined(exc.user_message or "The card was declined.", str(exc)) from exc
    except stripe.StripeError as exc:
        raise BillingError("The payment service refused the request.", str(exc)) from exc
