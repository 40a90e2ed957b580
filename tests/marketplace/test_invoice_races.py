"""Twenty invoice payments racing on one budget, on twenty real PostgreSQL connections:
the budget row lock lets exactly the affordable ones through (bank transfers are written
to the ledger; card payments hold their money back while Stripe is asked)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.billing.repository import SqlBillingRepository
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.invoices import services
from marketplace.models import (
    Budget,
    Person,
    Provider,
    ProviderInvoice,
    User,
)
from payments.ledger import EntryKind, WouldOverdraw

RACERS = 20


@pytest.mark.own_database
@pytest.mark.parametrize("way", ["bank_transfer", "card"])
def test_twenty_invoice_payments_racing_on_one_budget_cannot_overdraw_it(
    app, database_url, way
) -> None:
    """A budget holding £100, twenty approved £10 invoices, each paid on its own
    connection at the same moment: ten pass, ten are refused, the budget ends at £0."""
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "the budget row lock (SELECT ... FOR UPDATE) is PostgreSQL's; SQLite has one "
            "writer at a time, so it cannot race"
        )

    class RaceConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": RACERS + 2, "max_overflow": 0}

    race_app = create_app(RaceConfig)
    with race_app.app_context():
        stamp = time.time_ns()
        user = User(email=f"race{stamp}@example.org", password_hash="x", display_name="Race")
        user.add_role("person")
        db.session.add(user)
        db.session.flush()
        place = {"district": "LS6", "lat": 53.8, "lon": -1.57, "care_council_code": "E08000035"}
        person = Person(user_id=user.id, display_name="Race", postcode="LS6 1AA", **place)
        provider = Provider(name=f"Race Co-op {stamp}", legal_form="worker_coop",
                            service_radius_km=10.0, qa_status="draft", **place)  # fmt: skip
        db.session.add_all([person, provider])
        db.session.flush()
        budget = Budget(person_id=person.id, care_council_code="E08000035",
                        funding_route="direct_payment", amount_pence=10_000, period="monthly",
                        account_type="prepaid_card", allowed_categories=["agency_care"],
                        starts_on=date(2026, 1, 5))  # fmt: skip
        db.session.add(budget)
        db.session.flush()
        repo = SqlBillingRepository(db.session)
        repo.append(
            repo.ledger(budget.id).post(EntryKind.ALLOCATION, 10_000, date(2026, 1, 5), "Jan")
        )
        invoices = [
            ProviderInvoice(
                provider_id=provider.id,
                budget_id=budget.id,
                reference=f"R-{n}",
                description="Visits",
                category="agency_care",
                amount_pence=1_000,
                status="approved",
            )  # fmt: skip
            for n in range(RACERS)
        ]
        db.session.add_all(invoices)
        db.session.commit()
        ids = [i.id for i in invoices]
        budget_id, user_id, person_id, provider_id = budget.id, user.id, person.id, provider.id

    start = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def pay(invoice_id: int) -> None:
        with race_app.app_context():
            invoice = db.session.get(ProviderInvoice, invoice_id)
            actor = db.session.get(User, user_id)
            invoice.budget.person  # noqa: B018 - loaded before the race starts
            start.wait()
            try:
                if way == "bank_transfer":
                    services.pay_by_bank_transfer(invoice, "FT", date(2026, 1, 6), actor)
                    db.session.commit()
                else:
                    services._start_card_payment(invoice, actor)  # commits its reservation
                outcomes.append("passed")
            except WouldOverdraw:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 - any other ending fails the test below
                db.session.rollback()
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay, args=(i,)) for i in ids]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["passed"] * 10 + ["refused"] * 10
        with race_app.app_context():
            balance = SqlBillingRepository(db.session).ledger(budget_id).balance()
            paid = db.session.scalar(
                sa.select(sa.func.count(ProviderInvoice.id)).where(
                    ProviderInvoice.budget_id == budget_id, ProviderInvoice.status == "paid"
                )
            )
            held = services._reserved(budget_id)
            db.session.remove()
        if way == "bank_transfer":
            assert (balance, paid, held) == (0, 10, 0)
        else:  # nothing is in the ledger until Stripe confirms; £100 is held back
            assert (balance, paid, held) == (10_000, 0, 10_000)
    finally:
        with race_app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                # Only a superuser can step round the ledger's triggers.
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                for statement in (
                    "DELETE FROM ledger_entries WHERE budget_id = :b",
                    "DELETE FROM card_payments WHERE budget_id = :b",
                    "DELETE FROM workflow_events WHERE workflow = 'invoice' AND "
                    "subject_id IN (SELECT id FROM provider_invoices WHERE budget_id = :b)",
                    "DELETE FROM provider_invoices WHERE budget_id = :b",
                    "DELETE FROM budgets WHERE id = :b",
                    "DELETE FROM audit_log WHERE actor_user_id = :u",
                    "DELETE FROM people WHERE id = :p",
                    "DELETE FROM providers WHERE id = :v",
                    "DELETE FROM user_roles WHERE user_id = :u",
                    "DELETE FROM users WHERE id = :u",
                ):
                    conn.execute(
                        sa.text(statement),
                        {"b": budget_id, "u": user_id, "p": person_id, "v": provider_id},
                    )
            db.engine.dispose()
