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
    # Ledger text outlives the account and cannot be changed: it names nobody.
    from marketplace.models import LedgerEntry

    texts = db.session.scalars(sa.select(LedgerEntry.description)).all()
    assert texts and not [t for t in texts if "Amira" in t or "Derek" in t]


def test_derek_and_an_admin_see_the_providers_monthly_isf_statement_and_it_reconciles(app, login):
    """The ISF held by Headingley: Derek (the person) and a platform admin (for the
    council) open May's statement from the fund's page; it reconciles with the ledger and
    each look is audited."""
    from marketplace import clock

    with clock.frozen(date(2026, 12, 2)):  # May 2026 is within the year of monthly links
        _isf_statements_seen_and_reconciled(login)


def _isf_statements_seen_and_reconciled(login):
    from marketplace.models import AuditLog, LedgerEntry

    seed_demo(carers=40)
    db.session.commit()
    fund = db.session.scalar(
        sa.select(Budget).where(Budget.funding_route == "individual_service_fund")
    )
    derek = fund.person.user
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@coopcare.example"))
    may = f"/budgets/{fund.id}/statement?from=2026-05-01&amp;to=2026-05-31"
    for who in (derek, admin):
        client = login(who)
        overview = client.get(f"/budgets/{fund.id}").get_data(as_text=True)
        assert "Headingley Care Co-op holds this fund" in overview and may in overview
        page = client.get(may.replace("&amp;", "&")).get_data(as_text=True)
        assert "Individual service fund statement for Derek Walsh" in page
        assert "£1,200.00" in page and "£922.50" in page and "£277.50" in page
        assert "HCC-ISF-0005" in page
    statement = services.statement(fund, date(2026, 5, 1), date(2026, 5, 31))
    assert statement.reconciles()
    stored = db.session.scalar(
        sa.select(sa.func.sum(LedgerEntry.amount_pence)).where(
            LedgerEntry.budget_id == fund.id, LedgerEntry.occurred_on <= date(2026, 5, 31)
        )
    )
    assert statement.closing_balance_pence == stored == 27_750
    audited = db.session.scalars(
        sa.select(AuditLog.actor_user_id).where(
            AuditLog.action == "budget.statement_downloaded", AuditLog.target_id == fund.id
        )
    ).all()
    assert {derek.id, admin.id} <= set(audited)


def test_amiras_membership_is_paid_from_her_budget_and_its_months_are_on_the_ledger(app, login):
    """make run: a family on an active membership with a past outcome review, paid from the
    demo person's budget; October to December's statement reconciles."""
    from marketplace.models import Membership, OutcomeReview

    seed_demo(carers=40)
    db.session.commit()
    amira = db.session.scalar(sa.select(User).where(User.email == "person@coopcare.example"))
    [budget] = amira.person.budgets
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.stripe_subscription_id == "sub_demo_amira")
    )
    assert membership.status == "active" and membership.budget_id == budget.id
    review = db.session.scalar(
        sa.select(OutcomeReview).where(OutcomeReview.membership_id == membership.id)
    )
    assert review.status == "complete"
    statement = services.statement(budget, date(2026, 10, 1), date(2026, 12, 31))
    assert statement.reconciles()
    assert [(line.description, line.amount_pence) for line in statement.money_out] == [
        ("Membership: Living well at home, October 2026", -48_000),
        ("Membership: Living well at home, November 2026", -48_000),
        ("Membership: Living well at home, December 2026", -48_000),
    ]
    assert statement.money_out_by_category()["agency_care"] == (
        144_000,
        ("in_demo_amira_1", "in_demo_amira_2", "in_demo_amira_3"),
    )
    # The April to June statement is as it was.
    assert services.statement(budget, date(2026, 4, 1), date(2026, 6, 30)).reconciles()
    client = login(amira)
    page = client.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert "From the personal budget (prepaid card)" in page
    budget_page = client.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Memberships paid from this budget" in budget_page
    assert "Membership: Living well at home, December 2026" in budget_page
