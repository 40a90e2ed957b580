"""A membership paid from a personal budget, through POST /payments/stripe/webhook with
signed payloads: each paid month one ledger payment, each refund one ledger refund, the
same ledger however often and in whatever order the events arrive."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from factories import Factories
from stripe_helpers import post_webhook, running_localstripe

from marketplace import authz, clock
from marketplace.billing import services as billing_services
from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.memberships import services as membership_services
from marketplace.models import (
    Budget,
    GuaranteeRefund,
    LedgerEntry,
    Membership,
    MembershipPlan,
    Notification,
)
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


post = post_webhook


def make_budget(make) -> Budget:
    person = make.person()
    return make.budget(person, allowed_categories=["agency_care"], starts_on=date(2026, 1, 5))


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


# --- starting a membership paid from a budget (localstripe) ----------------------------

PLAN_OUTCOMES = ["Gets to the allotment", "Sleeps well"]


@pytest.fixture(scope="module")
def localstripe_base():
    with running_localstripe() as base:
        yield base


@pytest.fixture
def stripe_on(app, localstripe_base, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_coopcare")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe_base)
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", True)


def budget_for(person, **kw) -> Budget:
    values = dict(allowed_categories=["agency_care", "activities"], starts_on=date(2026, 1, 5))
    return Factories().budget(person, **{**values, **kw})


@pytest.fixture
def plan_on_stripe(make, stripe_on):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    plan = MembershipPlan(
        provider_id=provider.id,
        name="Living well at home",
        monthly_price_pence=45_000,
        included="Weekly visits",
        outcomes=PLAN_OUTCOMES,
        guarantee_percent=20,
        guarantee_rule="any_not_met",
    )
    db.session.add(plan)
    db.session.flush()
    billing = membership_services.gateway()
    membership_services.sync_plan_to_stripe(plan, billing)
    return plan, admin


def start_page(client, plan) -> tuple[str, str]:
    page = client.get(f"/memberships/start/{plan.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return text, re.search(r'name="token"[^>]*value="([^"]+)"', text)[1]


def test_the_start_form_offers_only_budgets_that_can_pay(make, login, plan_on_stripe) -> None:
    plan, _ = plan_on_stripe
    user = make.user(roles=["person"])
    good = budget_for(user.person)
    bank = budget_for(user.person, account_type="bank_account")
    not_care = budget_for(user.person, allowed_categories=["activities"])
    unset = budget_for(user.person, account_type="managed_account", allowed_categories=[])
    text, _ = start_page(login(user), plan)
    assert "How will the membership be paid?" in text
    assert f'value="{good.id}"' in text and f'value="{unset.id}"' in text
    assert f'value="{bank.id}"' not in text and f'value="{not_care.id}"' not in text
    assert "personal budget (prepaid card)" in text


def test_a_person_pays_a_membership_from_their_budget(make, login, plan_on_stripe) -> None:
    plan, admin = plan_on_stripe
    user = make.user(roles=["person"])
    budget = budget_for(user.person)
    client = login(user)
    _, token = start_page(client, plan)
    data = {"person": str(user.person.id), "token": token, "paid_from": str(budget.id)}
    response = client.post(f"/memberships/start/{plan.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    membership = db.session.scalar(sa.select(Membership))
    assert membership.budget_id == budget.id and membership.status == "active"
    (month,) = SqlBillingRepository(db.session).entries(budget.id)
    assert (month.kind, month.amount_pence, month.category) == (
        EntryKind.PAYMENT,
        -45_000,
        "agency_care",
    )
    assert month.description.startswith("Membership: Living well at home, ")
    page = client.get(response.location).get_data(as_text=True)
    assert "From the personal budget (prepaid card)" in page
    assert "See the budget&#39;s ledger" in page or "See the budget's ledger" in page
    ledger_page = client.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Memberships paid from this budget" in ledger_page
    assert "Membership: Living well at home" in ledger_page
    csv_text = client.get(
        f"/budgets/{budget.id}/statement.csv?from=2026-01-01&to={date.today().isoformat()}"
    ).get_data(as_text=True)
    assert "Membership: Living well at home" in csv_text
    assert any(
        line.startswith("total money out,,,agency_care,") and "-450.00" in line
        for line in csv_text.splitlines()
    )
    # The guarantee refund goes back onto the budget, once.
    review_url = client.post(f"/memberships/{membership.id}/reviews")
    assert review_url.status_code == 409  # the month is not over yet
    with clock.frozen(clock.now() + timedelta(days=32)):
        opened = client.post(f"/memberships/{membership.id}/reviews")
        rated = {"side": "person", "rating_1": "not_met", "comment_1": "No visits",
                 "rating_2": "met", "comment_2": ""}  # fmt: skip
        page = client.post(opened.location, data=rated, follow_redirects=True)
    assert "The refund has been made." in page.get_data(as_text=True)
    refund = db.session.scalar(sa.select(GuaranteeRefund))
    entries = SqlBillingRepository(db.session).entries(budget.id)
    assert [(e.kind, e.amount_pence) for e in entries] == [
        (EntryKind.PAYMENT, -45_000),
        (EntryKind.REFUND, 9_000),
    ]
    assert entries[1].source.stripe_object_id == refund.stripe_refund_id


def test_a_budget_that_cannot_pay_is_refused_with_a_message(make, login, plan_on_stripe) -> None:
    plan, _ = plan_on_stripe
    user = make.user(roles=["person"])
    bank = budget_for(user.person, account_type="bank_account")
    other = budget_for(make.person())
    client = login(user)
    # Only budgets that can pay are choices at all; the rest are not valid answers.
    for budget_id in (bank.id, other.id, "x"):
        _, token = start_page(client, plan)
        data = {"person": str(user.person.id), "token": token, "paid_from": str(budget_id)}
        response = client.post(f"/memberships/start/{plan.id}", data=data)
        assert response.status_code == 400
        assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 0
    # The service refuses it too, with the reason (if the form were bypassed).
    with pytest.raises(membership_services.MembershipError, match="bank transfer"):
        membership_services.budget_to_pay_from(user, user.person, bank.id)
    with pytest.raises(membership_services.MembershipError, match="budgets, or a card"):
        membership_services.budget_to_pay_from(user, user.person, other.id)
    not_care = budget_for(user.person, allowed_categories=["activities"])
    with pytest.raises(membership_services.MembershipError, match="care from a provider"):
        membership_services.budget_to_pay_from(user, user.person, not_care.id)


def test_a_view_only_supporter_cannot_spend_the_budget(make, login) -> None:
    person = make.person()
    budget = budget_for(person)
    viewer = make.user(roles=["supporter"])
    payer = make.user(roles=["supporter"])
    make.consent(person, viewer, ["view"])
    make.consent(person, payer, ["pay"])
    assert not authz.can(viewer, "budget.pay_from", budget)
    assert authz.can(payer, "budget.pay_from", budget)
    assert membership_services.budgets_to_pay_from(payer, person) == [budget]
    assert membership_services.budgets_to_pay_from(viewer, person) == []
    assert not authz.can(None, "budget.pay_from", budget)


def test_a_month_that_would_overspend_is_warned_before_it_is_taken(
    make, login, plan_on_stripe, app
) -> None:
    plan, admin = plan_on_stripe
    user = make.user(roles=["person"])
    budget = budget_for(user.person)
    repo = SqlBillingRepository(db.session)
    client = login(user)
    _, token = start_page(client, plan)
    data = {"person": str(user.person.id), "token": token, "paid_from": str(budget.id)}
    client.post(f"/memberships/start/{plan.id}", data=data)
    membership = db.session.scalar(sa.select(Membership))
    # £450 taken, nothing in: the next month would take the budget to -£900.
    assert repo.ledger(budget.id).balance() == -45_000
    page = client.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert "would take the budget to -£900.00" in page
    assert "cannot be stopped from here" in page
    assert "would take the budget to -£900.00" in client.get(f"/budgets/{budget.id}").get_data(
        as_text=True
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["billing", "run"])
    assert first.exit_code == 0, first.output
    assert f"membership {membership.id} overspend warning" in first.output
    told = db.session.scalars(
        sa.select(Notification).where(Notification.message.contains("-£900.00"))
    ).all()
    assert {n.user_id for n in told} == {user.id, admin.id}
    again = runner.invoke(args=["billing", "run"])
    assert f"membership {membership.id} overspend warning" not in again.output
    # Money in before the day covers it: no warning.
    repo.append(repo.ledger(budget.id).post(EntryKind.ALLOCATION, 100_000, clock.today(), "Top-up"))
    assert "would take the budget" not in client.get(f"/memberships/{membership.id}").get_data(
        as_text=True
    )
