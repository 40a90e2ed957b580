"""A membership paid from a personal budget: each paid month is one ledger payment keyed by
the Stripe invoice, each guarantee refund one ledger refund keyed by the Stripe refund,
however often and in whatever order Stripe's events arrive."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
import stripe
from stripe_helpers import add_card, unique_id

from payments.gateway import (
    MembershipStart,
    PaymentIntentSnapshot,
    PlanTerms,
    RefundResult,
    StripeGateway,
)
from payments.ledger import EntryKind
from payments.memberships import (
    MEMBERSHIP_SPENDING_CATEGORY,
    InvoiceStatus,
    MembershipInvoice,
    MembershipStatus,
    SubscriptionSnapshot,
    snapshot_from_stripe,
)
from payments.webhooks import (
    InMemoryBillingRepository,
    handle_stripe_event,
    record_membership_refunds,
    sync_invoices,
)

FIXED_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = 1_772_000_000  # 2026-02-25 06:13 UTC
MONTH = 30 * 86400
BUDGET = 3


def now() -> datetime:
    return FIXED_NOW


METADATA = {
    "coopcare_plan_id": "5",
    "coopcare_person_id": "2",
    "coopcare_started_by_user_id": "4",
    "coopcare_budget_id": str(BUDGET),
}


def event(kind: str, obj: dict[str, Any], created: int, n: int = 0) -> dict[str, Any]:
    return {
        "id": f"evt_{kind}_{obj['id']}_{created}_{n}",
        "type": kind,
        "created": created,
        "data": {"object": obj},
    }


def subscription(status: str = "active", **kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "sub_b",
        "object": "subscription",
        "status": status,
        "customer": "cus_b",
        "current_period_end": T0 + MONTH,
        "cancel_at_period_end": False,
        "metadata": dict(METADATA),
    }
    obj.update(kw)
    return obj


def invoice(month: int = 0, **kw: Any) -> dict[str, Any]:
    start = T0 + month * MONTH
    obj: dict[str, Any] = {
        "id": f"in_b{month}",
        "object": "invoice",
        "status": "paid",
        "customer": "cus_b",
        "amount_due": 45_000,
        "amount_paid": 45_000,
        "payment_intent": f"pi_b{month}",
        "status_transitions": {"paid_at": start + 60},
        "lines": {"data": [{"period": {"start": start, "end": start + MONTH}}]},
        # API 2025-03-31 and later: the subscription and its metadata under `parent`.
        "parent": {"subscription_details": {"subscription": "sub_b", "metadata": dict(METADATA)}},
    }
    obj.update(kw)
    return obj


def refund(refund_id: str, amount: int, created: int, intent: str = "pi_b0") -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "status": "succeeded",
        "payment_intent": intent,
        "created": created,
    }


def charge(month: int, refunds: list[dict[str, Any]] | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": f"ch_b{month}",
        "object": "charge",
        "payment_intent": f"pi_b{month}",
        "amount": 45_000,
        "amount_refunded": sum(r["amount"] for r in refunds or []),
        "metadata": {},
    }
    if refunds is not None:
        obj["refunds"] = {"object": "list", "data": refunds, "has_more": False}
    return obj


def repository() -> InMemoryBillingRepository:
    repo = InMemoryBillingRepository()
    repo.plan_names[5] = "Living well at home"
    return repo


def handle(repo: InMemoryBillingRepository, evt: dict[str, Any], gateway: Any = None) -> Any:
    return handle_stripe_event(evt, repo, gateway, now=now)


def ledger_rows(repo: InMemoryBillingRepository) -> list[tuple[object, ...]]:
    return [
        (e.kind, e.amount_pence, e.occurred_on, e.description, e.category, e.source)
        for e in repo.entries.get(BUDGET, [])
    ]


# --- without asking Stripe (the payload's own data) --------------------------------


def test_a_paid_month_is_one_payment_on_the_budget() -> None:
    repo = repository()
    handle(repo, event("customer.subscription.created", subscription(), T0))
    outcome = handle(repo, event("invoice.paid", invoice(), T0 + 60))
    assert outcome.action == "invoice in_b0 paid"
    (entry,) = repo.entries[BUDGET]
    assert (entry.kind, entry.amount_pence, entry.category) == (
        EntryKind.PAYMENT,
        -45_000,
        MEMBERSHIP_SPENDING_CATEGORY,
    )
    assert entry.description == "Membership: Living well at home, February 2026"
    assert entry.occurred_on == date(2026, 2, 25)  # the day Stripe took the money
    assert entry.source.stripe_object_id == "in_b0"
    assert entry.source.invoice_reference == "in_b0"
    assert entry.source.recorded_by_user_id == 4
    assert entry.recorded_at == FIXED_NOW
    # The same event again, and the month listed from Stripe, write nothing more.
    handle(repo, event("invoice.paid", invoice(), T0 + 60, n=1))
    sync_invoices(repo.memberships[1], [invoice()], T0 + 999, repo, now=now)
    assert len(repo.entries[BUDGET]) == 1
    handle(repo, event("invoice.paid", invoice(1), T0 + MONTH + 60))
    assert [e.amount_pence for e in repo.entries[BUDGET]] == [-45_000, -45_000]
    assert repo.ledger(BUDGET).balance() == -90_000


def test_an_invoice_before_any_subscription_event_records_the_membership() -> None:
    repo = repository()
    handle(repo, event("invoice.paid", invoice(), T0 + 60))
    (membership,) = repo.memberships.values()
    assert (membership.budget_id, membership.person_id, membership.plan_id) == (BUDGET, 2, 5)
    assert [e.source.stripe_object_id for e in repo.entries[BUDGET]] == ["in_b0"]
    # The subscription's own events, later, leave the ledger as it is.
    handle(repo, event("customer.subscription.created", subscription(), T0))
    assert len(repo.entries[BUDGET]) == 1
    assert repo.memberships[1].status is MembershipStatus.ACTIVE


def test_a_membership_row_without_its_budget_is_filled_from_the_metadata() -> None:
    repo = repository()
    without = dict(METADATA)
    del without["coopcare_budget_id"]
    handle(repo, event("customer.subscription.created", subscription(metadata=without), T0))
    assert repo.memberships[1].budget_id is None
    handle(repo, event("invoice.paid", invoice(), T0 + 60))
    assert repo.memberships[1].budget_id == BUDGET
    assert len(repo.entries[BUDGET]) == 1


def test_a_family_card_membership_writes_no_ledger_entry() -> None:
    repo = repository()
    family = {k: v for k, v in METADATA.items() if k != "coopcare_budget_id"}
    paid = invoice(parent={"subscription_details": {"subscription": "sub_b", "metadata": family}})
    handle(repo, event("invoice.paid", paid, T0 + 60))
    handle(repo, event("charge.refunded", charge(0, [refund("re_1", 4500, T0 + 99)]), T0 + 99))
    assert repo.invoices["in_b0"].amount_refunded_pence == 4500
    assert repo.entries == {}


def test_older_invoice_shapes_and_missing_dates() -> None:
    repo = repository()
    # Before API 2025-03-31: `subscription` and `subscription_details` at the top.
    old = invoice(
        parent=None,
        subscription="sub_b",
        subscription_details={"metadata": dict(METADATA)},
        status_transitions=None,
        lines={"data": []},
        created=T0 + 5,
    )
    handle(repo, event("invoice.paid", old, T0 + 60))
    assert repo.entries[BUDGET][0].occurred_on == date(2026, 2, 25)
    bare = invoice(1, status_transitions={}, lines={"data": []})
    handle(repo, event("invoice.paid", bare, T0 + 60))
    assert repo.entries[BUDGET][1].occurred_on == FIXED_NOW.date()
    assert repo.entries[BUDGET][1].description == "Membership: Living well at home, January 1970"
    unnamed = InMemoryBillingRepository()
    handle(unnamed, event("invoice.paid", invoice(), T0 + 60))
    assert unnamed.entries[BUDGET][0].description == "Membership: plan 5, February 2026"


def test_a_failed_or_free_month_is_not_a_payment() -> None:
    repo = repository()
    handle(repo, event("invoice.payment_failed", invoice(amount_paid=0), T0 + 60))
    handle(repo, event("invoice.paid", invoice(1, amount_paid=0, amount_due=0), T0 + 60))
    assert repo.invoices["in_b0"].status is InvoiceStatus.PAYMENT_FAILED
    assert repo.entries == {}


def test_a_guarantee_refund_is_one_refund_entry() -> None:
    repo = repository()
    handle(repo, event("invoice.paid", invoice(), T0 + 60))
    refunded = charge(0, [refund("re_g", 11_250, T0 + 20 * 86400)])
    outcome = handle(repo, event("charge.refunded", refunded, T0 + 20 * 86400))
    assert outcome.action == "invoice in_b0 refunded 11250p in all; 1 refund entries written"
    handle(repo, event("charge.refunded", refunded, T0 + 20 * 86400, n=1))
    payment, refund_entry = repo.entries[BUDGET]
    assert (refund_entry.kind, refund_entry.amount_pence) == (EntryKind.REFUND, 11_250)
    assert refund_entry.source.stripe_object_id == "re_g"
    assert refund_entry.source.invoice_reference == "in_b0"
    assert refund_entry.category == MEMBERSHIP_SPENDING_CATEGORY
    assert refund_entry.description == (
        "Refund: Membership: Living well at home (outcome guarantee)"
    )
    assert refund_entry.occurred_on == date(2026, 3, 17)
    assert repo.ledger(BUDGET).balance() == -45_000 + 11_250


def test_a_refund_event_without_its_list_needs_stripe() -> None:
    repo = repository()
    handle(repo, event("invoice.paid", invoice(), T0 + 60))
    unlisted = dict(charge(0, None), amount_refunded=11_250)
    outcome = handle(repo, event("charge.refunded", unlisted, T0 + 99))
    assert outcome.action.endswith("the refunds are not listed and Stripe cannot be asked")
    assert len(repo.entries[BUDGET]) == 1


def test_record_membership_refunds_writes_only_this_payments_succeeded_refunds() -> None:
    repo = repository()
    handle(repo, event("invoice.paid", invoice(), T0 + 60))
    membership, paid = repo.memberships[1], repo.invoices["in_b0"]
    refunds = [
        RefundResult("re_ok", "succeeded", 1000, "pi_b0", T0 + 100),
        RefundResult("re_pending", "pending", 1000, "pi_b0", T0 + 101),
        RefundResult("re_zero", "succeeded", 0, "pi_b0", T0 + 102),
        RefundResult("re_other", "succeeded", 1000, "pi_elsewhere", T0 + 103),
        RefundResult("re_untagged", "succeeded", 500, None, T0 + 104),
    ]
    assert record_membership_refunds(membership, paid, refunds, repo, now=now) == 2
    assert record_membership_refunds(membership, paid, refunds, repo, now=now) == 0
    assert [e.source.stripe_object_id for e in repo.entries[BUDGET]] == [
        "in_b0",
        "re_ok",
        "re_untagged",
    ]
    family = type(membership)(**{**_fields(membership), "budget_id": None})
    assert record_membership_refunds(family, paid, refunds, repo) == 0
    # A month that is not on this budget's ledger has nothing to refund there.
    other = MembershipInvoice("in_x", 1, InvoiceStatus.PAID, 1, 1, 0, "pi_b0", None, None, T0)
    assert record_membership_refunds(membership, other, refunds, repo) == 0


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


# --- asking Stripe (a fake that keeps Stripe's state) --------------------------------


class FakeStripe:
    """Stripe's current answers: the subscription, its invoices and their refunds."""

    def __init__(self) -> None:
        self.subscription = subscription()
        self.invoices = {i["id"]: i for i in (invoice(0), invoice(1))}
        self.refunds = [RefundResult("re_g", "succeeded", 11_250, "pi_b0", T0 + 20 * 86400)]
        self.calls = 0

    def fetch_invoice(self, invoice_id: str) -> dict[str, Any]:
        self.calls += 1
        return self.invoices[invoice_id]

    def fetch_subscription(self, subscription_id: str) -> SubscriptionSnapshot:
        return snapshot_from_stripe(self.subscription, T0 + 3 * MONTH)

    def fetch_payment_intent(self, intent_id: str) -> PaymentIntentSnapshot:
        # A subscription's payment carries no metadata of ours.
        return PaymentIntentSnapshot(intent_id, "succeeded", 45_000, T0)

    def list_refunds(self, payment_intent_id: str) -> list[RefundResult]:
        return [r for r in self.refunds if r.payment_intent_id == payment_intent_id]


def scenario() -> list[dict[str, Any]]:
    """Two paid months and a guarantee refund of the first, with stale payloads."""
    return [
        event("customer.subscription.created", subscription("incomplete"), T0),
        event("invoice.payment_failed", invoice(0, status="open", amount_paid=0), T0 + 10),
        event("invoice.paid", invoice(0), T0 + 60),
        event("customer.subscription.updated", subscription(), T0 + 61),
        event("invoice.paid", invoice(1), T0 + MONTH + 60),
        event("charge.refunded", charge(0, None) | {"amount_refunded": 11_250}, T0 + 20 * 86400),
    ]


def play(events: list[dict[str, Any]]) -> InMemoryBillingRepository:
    repo, stripe_now = repository(), FakeStripe()
    for evt in events:
        handle(repo, evt, stripe_now)
    return repo


def test_with_stripe_every_month_and_refund_is_on_the_ledger_once() -> None:
    repo = play(scenario())
    assert [(kind, amount) for kind, amount, *_ in ledger_rows(repo)] == [
        (EntryKind.PAYMENT, -45_000),
        (EntryKind.PAYMENT, -45_000),
        (EntryKind.REFUND, 11_250),
    ]
    assert repo.memberships[1].status is MembershipStatus.ACTIVE


def test_replayed_twice_the_ledger_is_identical() -> None:
    once = play(scenario())
    assert play(scenario() + scenario()).state() == once.state()
    assert play([e for e in scenario() for _ in range(2)]).state() == once.state()


@pytest.mark.parametrize("seed", range(30))
def test_shuffled_the_ledger_holds_the_same_entries(seed: int) -> None:
    """In any order the same entries are written, once each, and a month's refund never
    comes before its payment; only the order of the two months may differ."""
    expected = play(scenario())
    events = scenario() * 2
    random.Random(seed).shuffle(events)
    shuffled = play(events)
    assert sorted(ledger_rows(shuffled), key=repr) == sorted(ledger_rows(expected), key=repr)
    kinds = [(e.source.stripe_object_id) for e in shuffled.entries[BUDGET]]
    assert kinds.index("in_b0") < kinds.index("re_g")
    assert shuffled.ledger(BUDGET).balance() == expected.ledger(BUDGET).balance()
    assert shuffled.invoices == expected.invoices


def test_stripe_decides_whether_an_invoice_is_paid() -> None:
    repo, fake = repository(), FakeStripe()
    fake.invoices["in_b0"] = invoice(0, status="open", amount_paid=0)
    # A forged or stale "paid" for an invoice Stripe says is open writes nothing.
    outcome = handle(repo, event("invoice.paid", invoice(0), T0 + 60), fake)
    assert outcome.action == "ignored: Stripe says invoice in_b0 is open"
    handle(repo, event("invoice.payment_failed", invoice(0), T0 + 60), fake)
    assert repo.invoices["in_b0"].status is InvoiceStatus.PAYMENT_FAILED
    assert repo.entries == {}
    # A late "payment failed" for an invoice Stripe has since been paid records it paid.
    handle(repo, event("invoice.payment_failed", invoice(1, status="open"), T0 + 60), fake)
    assert repo.invoices["in_b1"].status is InvoiceStatus.PAID
    assert len(repo.entries[BUDGET]) == 1
    fake.invoices["in_b0"] = invoice(0, status="void")
    assert not handle(repo, event("invoice.payment_failed", invoice(0), T0 + 99), fake).handled


def test_a_refund_heard_before_its_invoice_follows_the_payment() -> None:
    repo, fake = repository(), FakeStripe()
    handle(repo, event("charge.refunded", charge(0, None) | {"amount_refunded": 11_250}, T0), fake)
    assert repo.entries == {}
    handle(repo, event("invoice.paid", invoice(0), T0 + 60), fake)
    assert [e.kind for e in repo.entries[BUDGET]] == [EntryKind.PAYMENT, EntryKind.REFUND]


# --- against localstripe ------------------------------------------------------------


@pytest.mark.stripe
def test_a_budget_membership_on_localstripe(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    ids = gateway.create_plan(PlanTerms(unique_id(), 5, "Living well at home", 45_000))
    user_id = unique_id()
    customer = gateway.create_customer(user_id=user_id, email=f"b{user_id}@example.org")
    gateway.attach_card(customer_id=customer, payment_method_id=add_card(stripe_client))
    start = MembershipStart(unique_id(), 5, None, user_id, customer, ids.price_id, 2, BUDGET)
    assert start.metadata()["coopcare_budget_id"] == str(BUDGET)
    snap = gateway.start_subscription(start)
    assert snap.metadata["coopcare_budget_id"] == str(BUDGET)
    (paid,) = gateway.list_invoices(snap.subscription_id)
    fetched = gateway.fetch_invoice(paid["id"])
    assert (fetched["id"], fetched["status"], fetched["amount_paid"]) == (
        paid["id"],
        "paid",
        45_000,
    )
    repo = repository()
    # invoice.paid first (localstripe never sends it): the membership comes from Stripe.
    handle(repo, event("invoice.paid", paid, int(time.time())), gateway)
    (membership,) = repo.memberships.values()
    assert (membership.budget_id, membership.status) == (BUDGET, MembershipStatus.ACTIVE)
    (month,) = repo.entries[BUDGET]
    assert (month.amount_pence, month.source.stripe_object_id) == (-45_000, paid["id"])
    intent = repo.invoices[paid["id"]].payment_intent_id
    assert intent is not None
    made = gateway.refund(
        refund_id=f"outcome-review-{unique_id()}",
        payment_intent_id=intent,
        amount_pence=11_250,
        metadata={},
    )
    # Stripe's answer to the refund, then the charge.refunded event twice: one entry.
    assert record_membership_refunds(membership, repo.invoices[paid["id"]], [made], repo) == 1
    unlisted = {
        "id": "ch_x",
        "object": "charge",
        "payment_intent": intent,
        "amount_refunded": 11_250,
    }
    for n in range(2):
        handle(repo, event("charge.refunded", unlisted, int(time.time()), n), gateway)
    assert [(e.kind, e.amount_pence) for e in repo.entries[BUDGET]] == [
        (EntryKind.PAYMENT, -45_000),
        (EntryKind.REFUND, 11_250),
    ]
    assert repo.entries[BUDGET][1].source.stripe_object_id == made.refund_id
