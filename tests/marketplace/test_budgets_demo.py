"""The demo budgets: three months of Amira's ledger whose statement reconciles, and
Derek's individual service fund held by Headingley Care Co-op."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from marketplace.budgets import services
from marketplace.demo import seed_demo
from marketplace.extensions import db
from marketplace.models import Budget, User


def test_demo_budgets_reconcile_and_the_isf_is_held(app, login):
    seed_demo(carers=40)
    db.session.commit()
    amira = db.session.scalar(sa.select(User).where(User.email == "person@coopcare.example"))
    [budget] = amira.person.budgets
    statement = services.statement(budget, date(2026, 4, 1), date(2026, 6, 30))
    assert statement.reconciles()
    assert statement.opening_balance_pence == 0
    kinds = {line.kind.value for line in statement.money_in + statement.money_out}
    assert {"allocation", "client_contribution", "payment", "refund"} <= kinds
    assert statement.closing_balance_pence == sum(
        line.amount_pence for line in statement.money_in + statement.money_out
    )
    fund = db.session.scalar(
        sa.select(Budget).where(Budget.funding_route == "individual_service_fund")
    )
    assert fund.holder.name == "Headingley Care Co-op"
    grace = db.session.scalar(sa.select(User).where(User.email == "provider@coopcare.example"))
    page = login(grace).get(f"/budgets/{fund.id}").get_data(as_text=True)
    assert "Derek Walsh" in page and "Record an entry" in page
    csv_text = (
        login(amira)
        .get(f"/budgets/{budget.id}/statement.csv?from=2026-04-01&to=2026-06-30")
        .get_data(as_text=True)
    )
    assert "HCC-0002" in csv_text
