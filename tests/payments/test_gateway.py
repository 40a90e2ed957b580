"""StripeGateway against localstripe, and the exact requests it sends (for the paths
localstripe does not have: Prices, Checkout, Connect)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from stripe_helpers import DECLINED_CARD, REAL_STRIPE, add_card, unique_id

from payments.gateway import (
    BillingError,
    BillingUnavailable,
    CardPaymentRequest,
    CheckoutSessionSnapshot,
    ConnectSettings,
    MembershipStart,
    PaymentDeclined,
    PaymentIntentSnapshot,
    PlanTerms,
    RefundResult,
    StripeGateway,
    StripePlanIds,
    idempotency_key,
    make_stripe_client,
)
from payments.memberships import Membership, MembershipStatus


def plan_terms(price: int = 4500) -> PlanTerms:
    return PlanTerms(unique_id(), 7, "Living well at home", price, "Weekly visits, outcomes")


def start_for(gateway: StripeGateway, client: stripe.StripeClient) -> MembershipStart:
    ids = gateway.create_plan(plan_terms())
    user_id = unique_id()
    customer = gateway.create_customer(user_id=user_id, email=f"family{user_id}@example.org")
    gateway.attach_card(customer_id=customer, payment_method_id=add_card(client))
    return MembershipStart(unique_id(), 5, 11, user_id, customer, ids.price_id)


# --- against localstripe -------------------------------------------------------------


@pytest.mark.stripe
def test_plan_creates_a_product_and_a_plan_tagged_with_our_ids(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    terms = plan_terms()
    ids = gateway.create_plan(terms)
    product = stripe_client.v1.products.retrieve(ids.product_id).to_dict()
    assert ids.product_id.startswith("prod_")
    assert product["metadata"] == {
        "coopcare_plan_id": str(terms.plan_id),
        "coopcare_provider_id": "7",
    }
    if REAL_STRIPE:
        price = stripe_client.v1.prices.retrieve(ids.price_id).to_dict()
        assert (price["unit_amount"], price["recurring"]["interval"]) == (4500, "month")
        return
    assert ids.price_id.startswith("plan_")
    plan = stripe_client.v1.plans.retrieve(ids.price_id).to_dict()
    assert (plan["amount"], plan["currency"], plan["interval"]) == (4500, "gbp", "month")


@pytest.mark.stripe
def test_a_membership_subscription_from_start_to_cancel(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    start = start_for(gateway, stripe_client)
    customer = stripe_client.v1.customers.retrieve(start.customer_id).to_dict()
    assert customer["metadata"] == {"coopcare_user_id": str(start.started_by_user_id)}
    snapshot = gateway.start_subscription(start)
    assert snapshot.status is MembershipStatus.ACTIVE
    assert snapshot.customer_id == start.customer_id
    assert snapshot.current_period_end and snapshot.current_period_end > time.time()
    assert snapshot.metadata == {
        "coopcare_membership_start_id": str(start.start_id),
        "coopcare_plan_id": "5",
        "coopcare_arrangement_id": "11",
        "coopcare_started_by_user_id": str(start.started_by_user_id),
    }
    invoices = stripe_client.v1.invoices.list(params={"customer": start.customer_id}).data
    assert [(i.status, i.amount_paid) for i in invoices] == [("paid", 4500)]
    assert gateway.fetch_subscription(snapshot.subscription_id).status is MembershipStatus.ACTIVE

    membership = Membership(
        1, 5, 11, None, snapshot.subscription_id, start.customer_id, snapshot.status, 1
    )
    ending = gateway.set_cancel_at_period_end(membership, True)
    assert ending.cancel_at_period_end and ending.status is MembershipStatus.ACTIVE
    carrying_on = gateway.set_cancel_at_period_end(membership, False)
    assert not carrying_on.cancel_at_period_end and carrying_on.status is MembershipStatus.ACTIVE
    (invoice,) = gateway.list_invoices(snapshot.subscription_id)
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", 4500)
    assert invoice["payment_intent"]
    stripe_client.v1.subscriptions.cancel(snapshot.subscription_id)
    assert gateway.fetch_subscription(snapshot.subscription_id).status is MembershipStatus.CANCELED


@pytest.mark.stripe
def test_card_payment_and_refunds(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    request = CardPaymentRequest(
        unique_id(), 3, 44, 12_000, None, add_card(stripe_client), "INV-44"
    )
    paid = gateway.pay(request)
    assert paid.status == "succeeded" and paid.amount_pence == 12_000
    assert paid.charge_id and paid.charge_id.startswith("ch_")
    assert paid.metadata == {
        "coopcare_card_payment_id": str(request.payment_id),
        "coopcare_budget_id": "3",
        "coopcare_invoice_id": "44",
    }
    fetched = gateway.fetch_payment_intent(paid.intent_id)
    assert (fetched.status, fetched.charge_id, fetched.metadata) == (
        "succeeded",
        paid.charge_id,
        paid.metadata,
    )
    first = gateway.refund(
        refund_id="review-1",
        payment_intent_id=paid.intent_id,
        amount_pence=1_000,
        metadata={"coopcare_outcome_review_id": "1"},
    )
    second = gateway.refund(
        refund_id="review-2", payment_intent_id=paid.intent_id, amount_pence=500, metadata={}
    )
    assert (first.status, first.amount_pence, first.payment_intent_id) == (
        "succeeded",
        1_000,
        paid.intent_id,
    )
    listed = gateway.list_refunds(paid.intent_id)
    assert {r.refund_id for r in listed} == {first.refund_id, second.refund_id}
    assert sum(r.amount_pence for r in listed) == 1_500
    with pytest.raises(ValueError, match="must be positive"):
        gateway.refund(refund_id="x", payment_intent_id=paid.intent_id, amount_pence=0, metadata={})


@pytest.mark.stripe
def test_a_declined_card_says_so(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    request = CardPaymentRequest(
        unique_id(), 3, None, 500, None, add_card(stripe_client, DECLINED_CARD), "x"
    )
    with pytest.raises(PaymentDeclined, match="declined") as declined:
        gateway.pay(request)
    assert declined.value.detail


@pytest.mark.stripe
def test_stripe_refusals_become_billing_errors(gateway: StripeGateway) -> None:
    with pytest.raises(BillingError, match="refused the request") as refused:
        gateway.fetch_subscription("sub_does_not_exist")
    assert not isinstance(refused.value, BillingUnavailable)
    assert refused.value.detail  # Stripe's words, kept for the log


# --- the requests themselves (no server) ---------------------------------------------


class RecordingHTTPClient(stripe.HTTPClient):
    """Answers every request with a canned object and remembers what was sent."""

    name = "recording"

    def __init__(self, answers: Mapping[str, dict[str, Any]]) -> None:
        super().__init__()
        self.answers = answers
        self.sent: list[tuple[str, str, dict[str, str], dict[str, str]]] = []

    def request(  # type: ignore[override]
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None
    ) -> tuple[str, int, Mapping[str, str]]:
        path = urlsplit(url).path
        body = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        self.sent.append((method, path, dict(headers or {}), dict(parse_qsl(body))))
        return json.dumps(self.answers[path]), 200, {}

    def close(self) -> None:
        return None


def recording_gateway(
    answers: Mapping[str, dict[str, Any]], **kw: Any
) -> tuple[StripeGateway, RecordingHTTPClient]:
    http = RecordingHTTPClient(answers)
    client = stripe.StripeClient(
        "sk_test_recording",
        http_client=http,
        max_network_retries=0,
        base_addresses={"api": "http://127.0.0.1:9"},
    )
    return StripeGateway(client, clock=lambda: 1_700_000_000.5, **kw), http


INTENT = {
    "id": "pi_1",
    "object": "payment_intent",
    "status": "succeeded",
    "amount": 10_000,
    "latest_charge": "ch_1",
    "metadata": {},
}


def test_plans_use_prices_on_real_stripe() -> None:
    gateway, http = recording_gateway(
        {
            "/v1/products": {"id": "prod_1", "object": "product"},
            "/v1/prices": {"id": "price_1", "object": "price"},
        }
    )
    terms = PlanTerms(12, 7, "Plan", 4500)
    ids = gateway.create_plan(terms)
    assert (ids.product_id, ids.price_id) == ("prod_1", "price_1")
    (_, product_path, product_headers, product), (_, price_path, price_headers, price) = http.sent
    assert (product_path, price_path) == ("/v1/products", "/v1/prices")
    assert product["description"] == "Plan"  # no description: the name
    assert price == {
        "product": "prod_1",
        "unit_amount": "4500",
        "currency": "gbp",
        "recurring[interval]": "month",
        "metadata[coopcare_plan_id]": "12",
        "metadata[coopcare_provider_id]": "7",
    }
    assert product_headers["Idempotency-Key"] == "coopcare-plan-product-12"
    assert price_headers["Idempotency-Key"] == "coopcare-plan-price-12"


def test_subscription_items_name_a_price_on_real_stripe() -> None:
    subscription = {
        "id": "sub_1",
        "object": "subscription",
        "status": "incomplete",
        "customer": "cus_1",
        "metadata": {},
    }
    gateway, http = recording_gateway({"/v1/subscriptions": subscription})
    start = MembershipStart(8, 5, None, None, "cus_1", "price_1")
    snapshot = gateway.start_subscription(start)
    assert snapshot.observed_at == 1_700_000_000
    ((_, _, headers, sent),) = http.sent
    assert sent["items[0][price]"] == "price_1" and "items[0][plan]" not in sent
    assert sent["metadata[coopcare_membership_start_id]"] == "8"
    assert "metadata[coopcare_arrangement_id]" not in sent
    assert headers["Idempotency-Key"] == "coopcare-subscription-8"


def test_checkout_session_in_subscription_mode() -> None:
    gateway, http = recording_gateway(
        {
            "/v1/checkout/sessions": {
                "id": "cs_1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/cs_1",
            }
        }
    )
    start = MembershipStart(9, 5, 11, 4, "cus_1", "price_1")
    session = gateway.create_checkout_session(
        start, success_url="https://coopcare.example/ok", cancel_url="https://coopcare.example/no"
    )
    assert (session.id, session.url) == ("cs_1", "https://checkout.stripe.com/c/cs_1")
    ((_, _, headers, sent),) = http.sent
    assert sent["mode"] == "subscription"
    assert sent["line_items[0][price]"] == "price_1" and sent["line_items[0][quantity]"] == "1"
    assert sent["client_reference_id"] == "9"
    assert sent["subscription_data[metadata][coopcare_plan_id]"] == "5"
    assert sent["metadata[coopcare_arrangement_id]"] == "11"
    assert headers["Idempotency-Key"] == "coopcare-checkout-9"


def test_connect_destination_charge_when_configured() -> None:
    gateway, http = recording_gateway(
        {"/v1/payment_intents": INTENT},
        connect=ConnectSettings(application_fee_basis_points=250),
    )
    request = CardPaymentRequest(21, 3, 44, 10_001, "cus_1", "pm_1", "INV-44", "acct_provider")
    assert gateway.pay(request).charge_id == "ch_1"
    ((_, _, headers, sent),) = http.sent
    assert sent["transfer_data[destination]"] == "acct_provider"
    assert sent["application_fee_amount"] == "250"  # 2.5 % of £100.01, rounded down
    assert sent["customer"] == "cus_1" and sent["confirm"] == "true"
    assert sent["description"] == "INV-44"
    assert headers["Idempotency-Key"] == "coopcare-card-payment-21"


def test_no_destination_charge_without_connect_or_an_account() -> None:
    request = CardPaymentRequest(21, 3, None, 10_000, None, "pm_1", "x", "acct_provider")
    plain, http = recording_gateway({"/v1/payment_intents": INTENT})
    plain.pay(request)
    free, free_http = recording_gateway({"/v1/payment_intents": INTENT}, connect=ConnectSettings())
    free.pay(request)
    no_account, no_account_http = recording_gateway(
        {"/v1/payment_intents": INTENT}, connect=ConnectSettings(100)
    )
    no_account.pay(CardPaymentRequest(22, 3, None, 10_000, None, "pm_1", "x"))
    assert "transfer_data[destination]" not in http.sent[0][3]
    assert "customer" not in http.sent[0][3]
    assert free_http.sent[0][3]["transfer_data[destination]"] == "acct_provider"
    assert "application_fee_amount" not in free_http.sent[0][3]
    assert "transfer_data[destination]" not in no_account_http.sent[0][3]


def test_a_retry_sends_the_same_idempotency_key() -> None:
    gateway, http = recording_gateway(
        {
            "/v1/refunds": {
                "id": "re_1",
                "object": "refund",
                "status": "succeeded",
                "amount": 100,
                "payment_intent": None,
                "created": 5,
            }
        }
    )
    for _ in range(2):
        result = gateway.refund(
            refund_id="review-3", payment_intent_id="pi_1", amount_pence=100, metadata={}
        )
    assert result == RefundResult("re_1", "succeeded", 100, None, 5)
    assert [h["Idempotency-Key"] for _, _, h, _ in http.sent] == ["coopcare-refund-review-3"] * 2


# --- Stripe unreachable --------------------------------------------------------------


def test_stripe_unreachable_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_stripe_client(
        "sk_test_x", f"http://127.0.0.1:{port}", timeout_seconds=2, max_network_retries=0
    )
    with pytest.raises(BillingUnavailable, match="could not be reached") as unavailable:
        StripeGateway(client).create_customer(user_id=1, email="a@example.org")
    assert "trying again will not charge twice" in str(unavailable.value)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                held.append(connection)
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_timeouts_are_set(silent_server: int) -> None:
    client = make_stripe_client(
        "sk_test_x",
        f"http://127.0.0.1:{silent_server}",
        timeout_seconds=0.5,
        max_network_retries=0,
    )
    began = time.monotonic()
    with pytest.raises(BillingUnavailable):
        StripeGateway(client).fetch_subscription("sub_1")
    assert time.monotonic() - began < 5


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="STRIPE_SECRET_KEY"):
        make_stripe_client("")
    assert isinstance(make_stripe_client("sk_test_x"), stripe.StripeClient)
    assert idempotency_key("card-payment", 42) == "coopcare-card-payment-42"
    with pytest.raises(ValueError, match="action and a record id"):
        idempotency_key("", 1)
    with pytest.raises(ValueError, match="between 0 and 10000"):
        ConnectSettings(10_001)
    with pytest.raises(ValueError, match="monthly_price_pence must be positive"):
        PlanTerms(1, 1, "x", 0)
    with pytest.raises(ValueError, match="amount_pence must be positive"):
        CardPaymentRequest(1, 1, None, 0, None, "pm_1", "x")
    with pytest.raises(ValueError, match="Not a Stripe payment intent"):
        PaymentIntentSnapshot.from_stripe({"object": "charge"}, 1)
    with pytest.raises(ValueError, match="Not a Stripe refund"):
        RefundResult.from_stripe({"object": "charge"})


def test_payment_intent_snapshot_reads_expanded_charges_and_errors() -> None:
    snap = PaymentIntentSnapshot.from_stripe(
        {
            "id": "pi_1",
            "object": "payment_intent",
            "status": "requires_payment_method",
            "amount": 5,
            "latest_charge": {"id": "ch_9"},
            "last_payment_error": {"message": "Your card was declined."},
        },
        3,
    )
    assert (snap.charge_id, snap.failure_message, snap.metadata) == (
        "ch_9",
        "Your card was declined.",
        {},
    )


@pytest.mark.stripe
def test_a_plan_revision_updates_the_product_and_adds_a_price(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    terms = plan_terms()
    ids = gateway.create_plan(terms)
    renamed = PlanTerms(terms.plan_id, 7, "Living well, more hours", 4800, "Ten hours a week")
    changed = gateway.update_plan(
        renamed, product_id=ids.product_id, revision=2, new_price=True, old_price_id=ids.price_id
    )
    assert changed.product_id == ids.product_id and changed.price_id != ids.price_id
    product = stripe_client.v1.products.retrieve(ids.product_id)
    assert (product.name, product.description) == ("Living well, more hours", "Ten hours a week")
    # The old price is archived (nobody new joins at it), the new one is live.
    # (localstripe hands back the form-encoded "false" rather than a boolean.)
    prices = stripe_client.v1.prices if REAL_STRIPE else stripe_client.v1.plans
    assert prices.retrieve(ids.price_id).active in (False, "false")
    assert prices.retrieve(changed.price_id).active is True
    if not REAL_STRIPE:
        assert stripe_client.v1.plans.retrieve(changed.price_id).amount == 4800
    same_price = gateway.update_plan(
        renamed,
        product_id=ids.product_id,
        revision=3,
        new_price=False,
        old_price_id=changed.price_id,
    )
    assert same_price.price_id == ""
    assert prices.retrieve(changed.price_id).active is True  # no new price, nothing archived


@pytest.mark.stripe
@pytest.mark.skipif(REAL_STRIPE, reason="raw test card numbers are for localstripe only")
def test_test_cards_are_for_localstripe_only(gateway: StripeGateway) -> None:
    assert gateway.create_test_card().startswith("pm_")
    real, _ = recording_gateway({})
    with pytest.raises(BillingError, match="only be used with the local test server"):
        real.create_test_card()


def test_plan_revisions_on_real_stripe_are_prices_with_their_own_keys() -> None:
    gateway, http = recording_gateway(
        {
            "/v1/products/prod_1": {"id": "prod_1", "object": "product"},
            "/v1/prices": {"id": "price_2", "object": "price"},
            "/v1/prices/price_1": {"id": "price_1", "object": "price", "active": False},
        }
    )
    ids = gateway.update_plan(
        PlanTerms(12, 7, "Plan", 4800),
        product_id="prod_1",
        revision=2,
        new_price=True,
        old_price_id="price_1",
    )
    assert ids == StripePlanIds("prod_1", "price_2")
    (_, _, product_headers, product), (_, _, price_headers, price), archive = http.sent
    assert product == {"name": "Plan", "description": "Plan"}
    assert price["unit_amount"] == "4800" and price["recurring[interval]"] == "month"
    assert product_headers["Idempotency-Key"] == "coopcare-plan-product-update-12-r2"
    assert price_headers["Idempotency-Key"] == "coopcare-plan-price-12-r2"
    # The old Price is archived, once per revision: a retry is the same request.
    method, path, archive_headers, archived = archive
    assert (method, path, archived) == ("post", "/v1/prices/price_1", {"active": "false"})
    assert archive_headers["Idempotency-Key"] == "coopcare-plan-archive-12-r2"


def test_cancel_and_resume_keys_name_the_state_they_were_asked_from() -> None:
    subscription = {"id": "sub_1", "object": "subscription", "status": "active",
                    "customer": "cus_1", "cancel_at_period_end": True, "metadata": {}}  # fmt: skip
    gateway, http = recording_gateway({"/v1/subscriptions/sub_1": subscription})
    membership = Membership(3, 5, None, None, "sub_1", "cus_1", MembershipStatus.ACTIVE, 100)
    gateway.set_cancel_at_period_end(membership, True)
    gateway.set_cancel_at_period_end(membership, True)  # a double submit: the same request
    gateway.set_cancel_at_period_end(membership, False)
    unheard = Membership(4, 5, None, None, "sub_1", "cus_1", MembershipStatus.INCOMPLETE, None)
    gateway.set_cancel_at_period_end(unheard, True)
    assert [h["Idempotency-Key"] for _, _, h, _ in http.sent] == [
        "coopcare-cancel-at-period-end-3-100",
        "coopcare-cancel-at-period-end-3-100",
        "coopcare-resume-3-100",
        "coopcare-cancel-at-period-end-4-0",
    ]
    assert [sent["cancel_at_period_end"] for *_, sent in http.sent] == [
        "true", "true", "false", "true"
    ]  # fmt: skip


def test_person_is_in_the_subscription_metadata() -> None:
    start = MembershipStart(8, 5, None, 4, "cus_1", "price_1", person_id=17)
    assert start.metadata()["coopcare_person_id"] == "17"


def test_no_old_price_nothing_to_archive() -> None:
    gateway, http = recording_gateway(
        {
            "/v1/products/prod_1": {"id": "prod_1", "object": "product"},
            "/v1/prices": {"id": "price_2", "object": "price"},
        }
    )
    for old in (None, "price_2"):  # none known, or the answer is the price we had
        gateway.update_plan(
            PlanTerms(12, 7, "Plan", 4800),
            product_id="prod_1",
            revision=2,
            new_price=True,
            old_price_id=old,
        )
    assert [path for _, path, _, _ in http.sent] == ["/v1/products/prod_1", "/v1/prices"] * 2


# --- card payments on Stripe Checkout (payment mode) ----------------------------------

SESSION = {
    "id": "cs_pay_1",
    "object": "checkout.session",
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "payment_intent": None,
    "amount_total": 10_001,
    "url": "https://checkout.stripe.com/c/cs_pay_1",
    "metadata": {"coopcare_card_payment_id": "21"},
}


def test_checkout_session_in_payment_mode_with_a_destination_charge() -> None:
    gateway, http = recording_gateway(
        {"/v1/checkout/sessions": SESSION},
        connect=ConnectSettings(application_fee_basis_points=250),
    )
    request = CardPaymentRequest(21, 3, 44, 10_001, None, "", "Co-op: visits (card)", "acct_p")
    session = gateway.create_payment_checkout_session(
        request,
        success_url="https://coopcare.example/invoices/44?card=done",
        cancel_url="https://coopcare.example/invoices/44?card=left",
        expires_at=1_700_003_600,
    )
    assert (session.id, session.url) == ("cs_pay_1", "https://checkout.stripe.com/c/cs_pay_1")
    ((method, path, headers, sent),) = http.sent
    assert (method, path) == ("post", "/v1/checkout/sessions")
    assert headers["Idempotency-Key"] == "coopcare-card-checkout-21"
    assert sent["mode"] == "payment" and "customer" not in sent
    assert sent["line_items[0][price_data][unit_amount]"] == "10001"
    assert sent["line_items[0][price_data][currency]"] == "gbp"
    assert sent["line_items[0][price_data][product_data][name]"] == "Co-op: visits (card)"
    assert sent["client_reference_id"] == "card-payment-21"
    assert sent["metadata[coopcare_card_payment_id]"] == "21"
    assert sent["metadata[coopcare_invoice_id]"] == "44"
    assert sent["payment_intent_data[metadata][coopcare_budget_id]"] == "3"
    assert sent["payment_intent_data[transfer_data][destination]"] == "acct_p"
    assert sent["payment_intent_data[application_fee_amount]"] == "250"
    assert sent["success_url"] == "https://coopcare.example/invoices/44?card=done"
    assert sent["expires_at"] == "1700003600"


def test_checkout_session_without_connect_keeps_the_money_on_the_platform() -> None:
    gateway, http = recording_gateway({"/v1/checkout/sessions": SESSION})
    request = CardPaymentRequest(21, 3, None, 500, "cus_1", "", "x", "acct_p")
    gateway.create_payment_checkout_session(
        request, success_url="https://a/ok", cancel_url="https://a/no", expires_at=1
    )
    ((_, _, _, sent),) = http.sent
    assert sent["customer"] == "cus_1"
    assert not any(k.startswith("payment_intent_data[transfer_data]") for k in sent)
    assert "payment_intent_data[application_fee_amount]" not in sent


def test_reading_and_expiring_a_checkout_session() -> None:
    paid = {**SESSION, "status": "complete", "payment_status": "paid", "url": None,
            "payment_intent": {"id": "pi_9", "object": "payment_intent"}}  # fmt: skip
    gateway, http = recording_gateway(
        {"/v1/checkout/sessions/cs_pay_1": paid,
         "/v1/checkout/sessions/cs_pay_1/expire": {**SESSION, "status": "expired"}}
    )  # fmt: skip
    snapshot = gateway.fetch_checkout_session("cs_pay_1")
    assert (snapshot.status, snapshot.payment_status, snapshot.payment_intent_id) == (
        "complete", "paid", "pi_9",
    )  # fmt: skip
    assert snapshot.url is None and snapshot.amount_total_pence == 10_001
    assert snapshot.observed_at == 1_700_000_000
    expired = gateway.expire_checkout_session("cs_pay_1", payment_id=21)
    assert expired.status == "expired" and expired.url == SESSION["url"]
    (_, (method, path, headers, _)) = http.sent
    assert (method, path) == ("post", "/v1/checkout/sessions/cs_pay_1/expire")
    assert headers["Idempotency-Key"] == "coopcare-card-checkout-expire-21"


def test_cancelling_an_abandoned_payment_intent() -> None:
    gateway, http = recording_gateway(
        {"/v1/payment_intents/pi_1/cancel": {**INTENT, "status": "canceled"}}
    )
    assert gateway.cancel_payment_intent("pi_1", payment_id=21).status == "canceled"
    ((_, _, headers, sent),) = http.sent
    assert sent == {"cancellation_reason": "abandoned"}
    assert headers["Idempotency-Key"] == "coopcare-card-payment-cancel-21"


def test_a_checkout_session_snapshot_needs_a_session() -> None:
    with pytest.raises(ValueError, match="Checkout session"):
        CheckoutSessionSnapshot.from_stripe({"object": "charge", "id": "ch_1"}, 1)
