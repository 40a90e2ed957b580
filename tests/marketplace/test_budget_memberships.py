"""A membership paid from a personal budget, through POST /payments/stripe/webhook with
signed payloads: each paid month one ledger payment, each refund one ledger refund, the
same ledger however often and in whatever order the events arrive."""

from __future__ import annotations

import random
from datetime import date

import pytest
import sqlalchemy as sa
from stripe_helpers import WEBHOOK_SECRET, signed

from marketplace.billing import services as billing_services
from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.models import Budget, LedgerEntry, Membership, MembershipPlan
from payments.gateway import PaymentIntentSnapshot, RefundResult
from payments.ledger import EntryKind, EntrySource
from payments.memberships import snapshot_from_stripe

T0 = 1_772_000_000
MONTH = 30 * 86400


def stripe_event(kind: str, obj: dict, created: int) -> dict:
    return {
        "id": f"evt_{kind}_{obj['id']}_{created}",
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": obj},
    }


def post(client, event: dict):
    body, header = signed(event, WEBHOOK_SECRET)
    return client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def make_budget(make) -> Budget:
    budget = Budget(
        person_id=make.person().id,
        care_council_code="E08000035",
        funding_route="direct_payment",
        amount_pence=100_000,
        period="monthly",
        account_type="prepaid_card",
        allowed_categories=["agency_care"],
        starts_on=date(2026, 1, 5),
    )
    db.session.add(budget)
    db.session.flush()
    return budget


@pytest.fixture
def world(make):
    provider = make.provider()
    plan = MembershipPlan(
        provider_id=provider.id, name="Living well at home", monthly_price_pence=45_000
    )
    db.session.add(plan)
    budget = make_budget(make)
    db.session.flush()
    return plan, budget


def metadata(plan, budget, **kw) -> dict:
    data = {
        "coopcare_plan_id": str(plan.id),
        "coopcare_person_id": str(budget.person_id),
        "coopcare_budget_id": str(budget.id),
    }
    data.update(kw)
    return data


def invoice(month: int, meta: dict) -> dict:
    start = T0 + month * MONTH
    return {
        "id": f"in_w{month}",
        "object": "invoice",
        "status": "paid",
        "amount_due": 45_000,
        "amount_paid": 45_000,
        "payment_intent": f"pi_w{month}",
        "status_transitions": {"paid_at": start + 60},
        "lines": {"data": [{"period": {"start": start, "end": start + MONTH}}]},
        "parent": {"subscription_details": {"subscription": "sub_w", "metadata": meta}},
    }


def scenario(plan, budget) -> list[dict]:
    meta = metadata(plan, budget)
    sub = {
        "id": "sub_w",
        "object": "subscription",
        "status": "active",
        "customer": "cus_w",
        "current_period_end": T0 + MONTH,
        "cancel_at_period_end": False,
        "metadata": meta,
    }
    refunded = {
        "id": "ch_w0",
        "object": "charge",
        "payment_intent": "pi_w0",
        "amount": 45_000,
        "amount_refunded": 11_250,
        "refunds": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": "re_w",
                    "object": "refund",
                    "amount": 11_250,
                    "status": "succeeded",
                    "payment_intent": "pi_w0",
                    "created": T0 + 20 * 86400,
                }
            ],
        },
    }
    return [
        stripe_event("invoice.paid", invoice(0, meta), T0 + 60),
        stripe_event("customer.subscription.created", sub, T0),
        stripe_event("invoice.paid", invoice(1, meta), T0 + MONTH + 60),
        stripe_event("charge.refunded", refunded, T0 + 20 * 86400),
    ]


def ledger_rows(budget_id: int) -> list[tuple]:
    return sorted(
        (
            e.kind,
            e.amount_pence,
            e.occurred_on,
            e.description,
            e.category,
            e.source.stripe_object_id,
        )
        for e in SqlBillingRepository(db.session).entries(budget_id)
    )


def test_signed_events_put_each_month_and_the_refund_on_the_ledger(client, world) -> None:
    plan, budget = world
    for event in scenario(plan, budget):
        assert post(client, event).status_code == 200
    membership = db.session.scalar(sa.select(Membership))
    assert membership.budget_id == budget.id
    rows = ledger_rows(budget.id)
    assert [(kind.value, pence, key) for kind, pence, _, _, _, key in rows] == [
        ("payment", -45_000, "in_w0"),
        ("payment", -45_000, "in_w1"),
        ("refund", 11_250, "re_w"),
    ]
    assert {row[3] for row in rows} >= {"Membership: Living well at home, February 2026"}
    assert {row[4] for row in rows} == {"agency_care"}


class StripeNow:
    """Stripe's current answers (production re-fetches every object it is told about)."""

    def __init__(self, events: list[dict]) -> None:
        self.objects = {e["data"]["object"]["id"]: e["data"]["object"] for e in events}

    def fetch_invoice(self, invoice_id: str) -> dict:
        return self.objects[invoice_id]

    def fetch_subscription(self, subscription_id: str):
        return snapshot_from_stripe(self.objects[subscription_id], T0 + 3 * MONTH)

    def fetch_payment_intent(self, intent_id: str):
        return PaymentIntentSnapshot(intent_id, "succeeded", 45_000, T0)

    def list_refunds(self, payment_intent_id: str):
        charge = self.objects["ch_w0"]
        return [RefundResult.from_stripe(r) for r in charge["refunds"]["data"]]


def test_replayed_twice_and_shuffled_the_ledger_is_the_same(client, world, monkeypatch) -> None:
    plan, budget = world
    monkeypatch.setattr(
        billing_services, "configured_gateway", lambda: StripeNow(scenario(plan, budget))
    )
    events = scenario(plan, budget) * 2
    random.Random(12).shuffle(events)
    for event in events:
        assert post(client, event).status_code == 200
    assert len(ledger_rows(budget.id)) == 3
    # The same events with new ids (Stripe's retries are the same id; a resend is not).
    for event in scenario(plan, budget):
        post(client, dict(event, id=event["id"] + "_again"))
    assert [row[5] for row in ledger_rows(budget.id)] == ["in_w0", "in_w1", "re_w"]
    balance = SqlBillingRepository(db.session).ledger(budget.id).balance()
    assert balance == -90_000 + 11_250


def test_the_stripe_object_is_unique_in_the_table(world) -> None:
    """The database refuses a second entry for one Stripe invoice or refund, whatever the
    code does (uq on ledger_entries.stripe_object_id)."""
    _, budget = world
    repo = SqlBillingRepository(db.session)
    first = repo.ledger(budget.id).post(
        EntryKind.PAYMENT, -100, budget.starts_on, "x", source=EntrySource(stripe_object_id="in_u")
    )
    repo.append(first)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            LedgerEntry(
                budget_id=budget.id,
                sequence=2,
                kind="payment",
                amount_pence=-100,
                occurred_on=first.occurred_on,
                recorded_at=first.recorded_at,
                description="x",
                stripe_object_id="in_u",
            )
        )
        db.session.flush()


def test_someone_elses_budget_in_the_metadata_is_not_trusted(client, make, world) -> None:
    plan, budget = world
    stranger = make_budget(make)
    meta = metadata(plan, budget, coopcare_budget_id=str(stranger.id))
    assert post(client, stripe_event("invoice.paid", invoice(0, meta), T0 + 60)).status_code == 200
    membership = db.session.scalar(sa.select(Membership))
    assert membership.budget_id is None
    assert ledger_rows(stranger.id) == [] and ledger_rows(budget.id) == []
