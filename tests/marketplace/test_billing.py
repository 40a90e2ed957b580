"""The database side of payments: the append-only ledger table, budgets that outlive
their person, the SQL repository, and POST /payments/stripe/webhook."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from stripe_helpers import WEBHOOK_SECRET, signed

from marketplace import create_app
from marketplace.auth.services import delete_account
from marketplace.billing import services
from marketplace.billing.repository import SqlBillingRepository
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import (
    Budget,
    CardPayment,
    LedgerEntry,
    Membership,
    MembershipPlan,
    Person,
    User,
    WebhookEvent,
)
from payments.gateway import BillingUnavailable
from payments.ledger import EntryKind, EntrySource, LedgerError, WouldOverdraw
from payments.webhooks import handle_stripe_event

T0 = 1_772_000_000


def make_budget(make, person=None) -> Budget:
    person = person or make.person()
    budget = Budget(
        person_id=person.id,
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


def post_allocation(budget: Budget) -> None:
    repo = SqlBillingRepository(db.session)
    ledger = repo.ledger(budget.id)
    repo.append(ledger.post(EntryKind.ALLOCATION, 100_000, date(2026, 1, 5), "January"))
    repo.append(
        repo.ledger(budget.id).post(
            EntryKind.PAYMENT,
            -30_000,
            date(2026, 1, 20),
            "INV-1",
            category="agency_care",
            source=EntrySource(stripe_object_id="pi_x", recorded_by_user_id=1),
        )
    )


# --- ledger_entries is append-only in the database -----------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount_pence = 1",
        "UPDATE ledger_entries SET description = 'changed' WHERE sequence = 2",
        "DELETE FROM ledger_entries",
        "DELETE FROM ledger_entries WHERE sequence = 1",
    ],
)
def test_raw_sql_cannot_change_or_remove_an_entry(make, statement: str) -> None:
    budget = make_budget(make)
    post_allocation(budget)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text(statement))
    amounts = db.session.scalars(
        sa.select(LedgerEntry.amount_pence).where(LedgerEntry.budget_id == budget.id)
    ).all()
    assert sorted(amounts) == [-30_000, 100_000]


def test_truncate_is_refused_on_postgresql(make) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE trigger covers the same ground)")
    budget = make_budget(make)
    post_allocation(budget)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text("TRUNCATE ledger_entries"))


def test_the_orm_cannot_change_an_entry_either(make) -> None:
    budget = make_budget(make)
    post_allocation(budget)
    row = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.sequence == 1))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        row.amount_pence = 5
        db.session.flush()


def test_two_writers_cannot_both_append_the_same_entry(make) -> None:
    budget = make_budget(make)
    repo = SqlBillingRepository(db.session)
    first = repo.ledger(budget.id).post(EntryKind.ALLOCATION, 1000, date(2026, 1, 5), "a")
    second = repo.ledger(budget.id).post(EntryKind.ALLOCATION, 2000, date(2026, 1, 5), "b")
    repo.append(first)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        repo.append(second)  # both were built as entry 1
    assert [e.amount_pence for e in repo.entries(budget.id)] == [1000]


def test_the_sql_store_round_trips_entries(make) -> None:
    budget = make_budget(make)
    post_allocation(budget)
    repo = SqlBillingRepository(db.session)
    ledger = repo.ledger(budget.id)
    assert ledger.balance() == 70_000
    payment = ledger.entry(2)
    assert payment.source.stripe_object_id == "pi_x"
    assert payment.recorded_at.tzinfo is not None
    reversal = ledger.reverse(2, date(2026, 1, 21), "Paid twice")
    repo.append(reversal)
    reloaded = repo.ledger(budget.id)
    assert reloaded.balance() == 100_000
    assert reloaded.entry(3).reverses_sequence == 2
    with pytest.raises(LedgerError, match="already been reversed"):
        reloaded.reverse(2, date(2026, 1, 22), "again")


# --- budgets outlive the account -----------------------------------------------------


def test_deleting_the_account_keeps_the_budget_and_ledger_anonymised(make) -> None:
    person = make.person()
    budget = make_budget(make, person)
    post_allocation(budget)
    budget_id = budget.id
    delete_account(person.user)
    db.session.flush()
    db.session.expire_all()
    kept = db.session.get(Budget, budget_id)
    assert kept is not None and kept.person_id is None
    assert SqlBillingRepository(db.session).ledger(budget_id).balance() == 70_000


# --- the repository behind handle_stripe_event ---------------------------------------


def subscription(status: str, plan_id: int, **kw) -> dict:
    obj = {
        "id": "sub_db",
        "object": "subscription",
        "status": status,
        "customer": "cus_1",
        "current_period_end": T0 + 86_400 * 30,
        "cancel_at_period_end": False,
        "metadata": {"coopcare_plan_id": str(plan_id)},
    }
    obj.update(kw)
    return obj


def stripe_event(kind: str, obj: dict, created: int, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{kind}_{created}_{obj.get('status', obj.get('id'))}",
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": obj},
    }


@pytest.fixture
def billing_world(make):
    provider = make.provider()
    plan = MembershipPlan(provider_id=provider.id, name="Living well", monthly_price_pence=4500)
    db.session.add(plan)
    budget = make_budget(make)
    payment = CardPayment(
        budget_id=budget.id,
        amount_pence=12_000,
        description="INV-44",
        invoice_reference="INV-44",
        category="agency_care",
        stripe_payment_intent_id="pi_db",
        requested_at=datetime(2026, 2, 26, 12, tzinfo=UTC),
    )
    db.session.add(payment)
    db.session.flush()
    return plan, budget, payment


def scenario(plan_id: int, payment_id: int) -> list[dict]:
    invoice = {
        "id": "in_db",
        "object": "invoice",
        "subscription": "sub_db",
        "amount_due": 4500,
        "amount_paid": 4500,
        "payment_intent": "pi_membership_db",
        "lines": {"data": [{"period": {"start": T0, "end": T0 + 100}}]},
    }
    intent = {
        "id": "pi_db",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 12_000,
        "metadata": {"coopcare_card_payment_id": str(payment_id)},
    }
    refunded = {
        "id": "ch_db",
        "object": "charge",
        "payment_intent": "pi_db",
        "amount": 12_000,
        "amount_refunded": 2_000,
        "refunds": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": "re_db",
                    "object": "refund",
                    "amount": 2_000,
                    "status": "succeeded",
                    "payment_intent": "pi_db",
                    "created": T0 + 50,
                }
            ],
        },
    }
    return [
        stripe_event("customer.subscription.created", subscription("incomplete", plan_id), T0),
        stripe_event("customer.subscription.updated", subscription("active", plan_id), T0 + 1),
        stripe_event("invoice.paid", invoice, T0 + 2),
        stripe_event("payment_intent.succeeded", intent, T0 + 3),
        stripe_event("charge.refunded", refunded, T0 + 4),
        stripe_event("customer.subscription.deleted", subscription("canceled", plan_id), T0 + 5),
    ]


def database_state(budget_id: int) -> tuple:
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.stripe_subscription_id == "sub_db")
    )
    repo = SqlBillingRepository(db.session)
    return (
        membership.status,
        membership.status_observed_at,
        repo.membership_invoice("in_db"),
        [(e.kind, e.amount_pence, e.source.stripe_object_id) for e in repo.entries(budget_id)],
    )


def test_the_sql_repository_applies_a_shuffled_replayed_scenario(billing_world) -> None:
    plan, budget, payment = billing_world
    events = scenario(plan.id, payment.id) * 2
    random.Random(7).shuffle(events)
    repo = SqlBillingRepository(db.session)
    for event in events:
        handle_stripe_event(event, repo)
    status, observed_at, invoice, entries = database_state(budget.id)
    assert (status, observed_at) == ("canceled", T0 + 5)
    assert invoice.status.value == "paid" and invoice.amount_paid_pence == 4500
    assert entries == [
        (EntryKind.PAYMENT, -12_000, "pi_db"),
        (EntryKind.REFUND, 2_000, "re_db"),
    ]
    assert db.session.get(CardPayment, payment.id).status == "succeeded"


# --- POST /payments/stripe/webhook -----------------------------------------------------


def post_event(client, event: dict, secret: str = WEBHOOK_SECRET):
    body, header = signed(event, secret)
    return client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def test_the_webhook_applies_an_event_once(client, billing_world) -> None:
    plan, _, _ = billing_world
    event = stripe_event("customer.subscription.created", subscription("active", plan.id), T0)
    first = post_event(client, event)
    assert first.status_code == 200 and first.json == {"received": True, "duplicate": False}
    stored = db.session.scalar(
        sa.select(WebhookEvent).where(WebhookEvent.stripe_event_id == event["id"])
    )
    assert stored.event_type == "customer.subscription.created"
    assert "membership" in stored.outcome
    again = post_event(client, event)
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1


def test_the_same_event_twice_at_once_is_applied_once(client, billing_world, monkeypatch):
    """Two deliveries of one event both pass the "seen it?" check; the second one's
    insert of the event id fails, and everything it changed goes with it."""
    from marketplace.billing import services as billing_services

    plan, _, _ = billing_world
    event = stripe_event("customer.subscription.created", subscription("active", plan.id), T0)
    assert post_event(client, event).json["duplicate"] is False
    monkeypatch.setattr(billing_services, "already_received", lambda event_id: False)
    later = stripe_event("customer.subscription.updated", subscription("past_due", plan.id), T0 + 1)
    later["id"] = event["id"]  # the racing delivery, carrying news the first one has not
    again = post_event(client, later)
    assert again.status_code == 200 and again.json["duplicate"] is True
    membership = db.session.scalar(sa.select(Membership))
    db.session.refresh(membership)
    assert membership.status == "active"  # the loser's changes were rolled back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1


def test_unknown_events_are_acknowledged_and_logged(client) -> None:
    response = post_event(client, stripe_event("customer.created", {"object": "customer"}, T0))
    assert response.status_code == 200
    stored = db.session.scalar(sa.select(WebhookEvent))
    assert stored.outcome.startswith("ignored")


@pytest.mark.parametrize("case", ["no signature", "wrong secret", "stale", "not json"])
def test_bad_webhooks_get_400_and_change_nothing(client, case: str) -> None:
    event = stripe_event("invoice.paid", {"object": "invoice", "id": "in_1"}, T0)
    body, header = signed(event)
    match case:
        case "no signature":
            header = ""
        case "wrong secret":
            body, header = signed(event, "whsec_attacker")
        case "stale":
            body, header = signed(event, at=int(time.time()) - 301)
        case "not json":
            body = b"{not json"
            import stripe

            header = stripe.WebhookSignature.generate_signature_header(
                body.decode(), WEBHOOK_SECRET
            )
    response = client.post(
        "/payments/stripe/webhook", data=body, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_webhook"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0


def test_get_is_not_allowed(client) -> None:
    assert client.get("/payments/stripe/webhook").status_code == 405


def test_without_a_webhook_secret_nothing_is_trusted(app, client) -> None:
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    try:
        response = post_event(client, stripe_event("invoice.paid", {"object": "invoice"}, T0))
    finally:
        app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    assert response.status_code == 503


def test_stripe_unreachable_keeps_nothing_so_the_retry_starts_clean(
    client, billing_world, monkeypatch
) -> None:
    plan, _, _ = billing_world

    class Unreachable:
        def fetch_subscription(self, subscription_id: str):
            raise BillingUnavailable("connection refused")

    monkeypatch.setattr(services, "configured_gateway", lambda: Unreachable())
    event = stripe_event("customer.subscription.created", subscription("active", plan.id), T0)
    response = post_event(client, event)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "stripe_unavailable"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0
    monkeypatch.setattr(services, "configured_gateway", lambda: None)
    assert post_event(client, event).json == {"received": True, "duplicate": False}


def test_the_gateway_comes_from_config(app) -> None:
    with app.test_request_context():
        assert services.configured_gateway() is None  # no STRIPE_SECRET_KEY in tests
        app.config["STRIPE_SECRET_KEY"] = "sk_test_x"
        try:
            assert services.configured_gateway() is not None
        finally:
            app.config["STRIPE_SECRET_KEY"] = ""


@pytest.mark.own_database
def test_the_webhook_is_exempt_from_csrf(database_url) -> None:
    class CsrfConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        WTF_CSRF_ENABLED = True

    app = create_app(CsrfConfig)
    # A bad signature reaches our check (JSON 400), not CSRF's HTML refusal.
    response = app.test_client().post(
        "/payments/stripe/webhook", data=json.dumps({}), headers={"Stripe-Signature": "t=1,v1=x"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_webhook"
    with app.app_context():
        db.engine.dispose()


# --- paying from a budget --------------------------------------------------------------


def test_a_payment_the_budget_cannot_cover_is_refused(make) -> None:
    budget = make_budget(make)
    post_allocation(budget)  # £700 left
    entry = services.record_budget_payment(
        db.session,
        budget.id,
        20_000,
        date(2026, 1, 25),
        "INV-2 by bank transfer",
        category="agency_care",
        source=EntrySource(invoice_reference="INV-2"),
    )
    assert (entry.sequence, entry.amount_pence) == (3, -20_000)
    with pytest.raises(WouldOverdraw, match="more than the £500.00 left"):
        services.record_budget_payment(db.session, budget.id, 50_001, date(2026, 1, 26), "x")
    assert SqlBillingRepository(db.session).ledger(budget.id).balance() == 50_000


@pytest.mark.own_database
def test_twenty_payments_racing_on_one_budget_cannot_overdraw_it(database_url) -> None:
    """Twenty real connections at once, each paying £10 from a budget holding £100."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the row lock is PostgreSQL's (SQLite writers queue on the file lock)")
    engine = sa.create_engine(database_url, pool_size=21, max_overflow=0)
    Session = sa.orm.sessionmaker(engine)
    with Session() as session:
        user = User(
            email=f"race{time.time_ns()}@example.org", password_hash="x", display_name="Race"
        )
        user.add_role("person")
        session.add(user)
        session.flush()
        person = Person(
            user_id=user.id,
            display_name="Race",
            postcode="LS6 1AA",
            district="LS6",
            lat=53.8,
            lon=-1.57,
            care_council_code="E08000035",
        )
        session.add(person)
        session.flush()
        budget = Budget(
            person_id=person.id,
            care_council_code="E08000035",
            funding_route="direct_payment",
            amount_pence=10_000,
            period="monthly",
            account_type="prepaid_card",
            allowed_categories=[],
            starts_on=date(2026, 1, 5),
        )
        session.add(budget)
        session.flush()
        repo = SqlBillingRepository(session)
        repo.append(
            repo.ledger(budget.id).post(EntryKind.ALLOCATION, 10_000, date(2026, 1, 5), "January")
        )
        session.commit()
        budget_id, user_id, person_id = budget.id, user.id, person.id

    start = threading.Barrier(20)
    outcomes: list[str] = []

    def pay(n: int) -> None:
        with Session() as session:
            start.wait()
            try:
                services.record_budget_payment(
                    session, budget_id, 1_000, date(2026, 1, 6), f"Payment {n}"
                )
                session.commit()
                outcomes.append("paid")
            except WouldOverdraw:
                session.rollback()
                outcomes.append("refused")
            except sa.exc.IntegrityError:
                session.rollback()
                outcomes.append("collided")

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with Session() as session:
            balance = SqlBillingRepository(session).ledger(budget_id).balance()
        assert sorted(outcomes) == ["paid"] * 10 + ["refused"] * 10
        assert balance == 0
    finally:
        with engine.begin() as conn:
            # Only a superuser can step round the triggers (the app's role must not be one).
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(
                sa.text("DELETE FROM ledger_entries WHERE budget_id = :b"), {"b": budget_id}
            )
            conn.execute(sa.text("DELETE FROM budgets WHERE id = :b"), {"b": budget_id})
            conn.execute(sa.text("DELETE FROM people WHERE id = :p"), {"p": person_id})
            conn.execute(sa.text("DELETE FROM user_roles WHERE user_id = :u"), {"u": user_id})
            conn.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": user_id})
        engine.dispose()
