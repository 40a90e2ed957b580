"""The budget page, council statements (page and CSV, audited, reconciling with the
ledger), individual service fund entries, and `flask billing run`."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.budgets import services
from marketplace.extensions import db
from marketplace.models import AuditLog, BudgetNotice, LedgerEntry, Notification

TODAY = date(2026, 4, 20)


@pytest.fixture(autouse=True)
def frozen_today():
    with clock.frozen(TODAY):
        yield


def three_months(make, budget):
    make.ledger_entries(
        budget,
        ("allocation", 100_000, date(2026, 1, 1), "January from Leeds"),
        ("payment", -40_000, date(2026, 1, 20), "Care in January", "agency_care", "INV-1"),
        ("allocation", 100_000, date(2026, 2, 1), "February from Leeds"),
        ("payment", -45_000, date(2026, 2, 20), "Care in February", "agency_care", "INV-2"),
        ("payment", -12_000, date(2026, 2, 25), "PA wages", "personal_assistant", "PA-7"),
        ("allocation", 100_000, date(2026, 3, 1), "March from Leeds"),
        ("refund", 5_000, date(2026, 3, 3), "Missed visit refunded", "agency_care", "INV-2"),
        ("payment", -50_000, date(2026, 3, 20), "Care in March", "agency_care", "INV-3"),
    )


@pytest.fixture
def budget(make):
    person = make.user(roles=["person"], display_name="Amira K.").person
    budget = make.budget(person)
    three_months(make, budget)
    db.session.commit()
    return budget


@pytest.fixture
def isf(make):
    """An individual service fund held by a provider, with its admin."""
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin, name="Holding Co-op")
    person = make.user(roles=["person"], display_name="Jo B.").person
    budget = make.budget(
        person, funding_route="individual_service_fund", holder_provider_id=provider.id
    )
    make.ledger_entries(budget, ("allocation", 100_000, date(2026, 4, 1), "April from Leeds"))
    db.session.commit()
    return budget, admin


def _audits(action="budget.statement_downloaded"):
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


# -- the budget page -----------------------------------------------------------------------


def test_page_shows_balance_projection_review_and_ledger(budget, login):
    response = login(budget.person.user).get(f"/budgets/{budget.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "£1,580.00" in page  # 300,000 in + 5,000 refund − 147,000 out
    assert "INV-3" in page and "Missed visit refunded" in page
    assert "Expected by 1 May 2026" in page
    assert "1 July 2026" in page  # next review: six months after 1 January
    assert "Surplus:" not in page  # £1,580 is 6.8 weeks of budget, under the 8-week limit


def test_page_warns_of_a_surplus_and_of_an_overspend(budget, make, login):
    make.ledger_entries(budget, ("allocation", 50_000, date(2026, 4, 1), "Back pay"))
    db.session.commit()
    page = login(budget.person.user).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Surplus:" in page and "9.0 weeks" in page
    make.ledger_entries(budget, ("payment", -250_000, date(2026, 4, 10), "Respite week"))
    db.session.commit()
    page = login(budget.person.user).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Overspend:" in page and "overspent by £420.00" in page


def test_budgets_list_shows_own_supported_and_held(budget, isf, make, login):
    supporter = make.user(roles=["supporter"])
    make.consent(budget.person, supporter, ["pay"])
    db.session.commit()
    fund, holder_admin = isf
    assert "Amira K." in login(supporter).get("/budgets").get_data(as_text=True)
    held = login(holder_admin).get("/budgets").get_data(as_text=True)
    assert "Jo B." in held and "Amira K." not in held
    stranger = login(make.user(roles=["supporter"])).get("/budgets").get_data(as_text=True)
    assert "Amira K." not in stranger and "You have no budgets" in stranger


@pytest.mark.parametrize(
    ("who", "status"),
    [("view", 200), ("pay", 200), ("message", 404), ("stranger", 404), ("admin", 200)],
)
def test_who_sees_a_budget(budget, make, login, who, status):
    if who == "admin":
        user = make.user(roles=["admin"])
    else:
        user = make.user(roles=["supporter"])
        if who != "stranger":
            make.consent(budget.person, user, [who])
    db.session.commit()
    assert login(user).get(f"/budgets/{budget.id}").status_code == status
    assert login(user).get(f"/budgets/{budget.id}/statement.csv").status_code == status


def test_a_budget_outlives_its_person(budget, make, login):
    """Anonymised (no person): admins still see it and its statement."""
    budget.person_id = None
    db.session.commit()
    admin = make.user(roles=["admin"])
    page = login(admin).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "A former member" in page
    assert login(admin).get(f"/budgets/{budget.id}/statement.csv").status_code == 200


def test_next_review_six_months_then_yearly(make):
    budget = make.budget(None, starts_on=date(2026, 1, 31))
    assert services.next_review_on(budget, date(2026, 2, 1)) == date(2026, 7, 31)
    assert services.next_review_on(budget, date(2026, 8, 1)) == date(2027, 7, 31)
    assert services.next_review_on(budget, date(2027, 7, 31)) == date(2027, 7, 31)
    budget.review_on = date(2026, 5, 1)  # a date the council set wins while it is ahead
    assert services.next_review_on(budget, date(2026, 2, 1)) == date(2026, 5, 1)
    assert services.next_review_on(budget, date(2026, 6, 1)) == date(2026, 7, 31)


# -- statements ------------------------------------------------------------------------------


def _csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _pence(text: str) -> int:
    return int(Decimal(text) * 100)


def test_statement_csv_reconciles_with_the_ledger(budget, login):
    client = login(budget.person.user)
    response = client.get(f"/budgets/{budget.id}/statement.csv?from=2026-02-01&to=2026-03-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    by_section: dict[str, list[dict]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    opening = _pence(by_section["opening balance"][0]["amount_gbp"])
    closing = _pence(by_section["closing balance"][0]["amount_gbp"])
    money_in = sum(_pence(r["amount_gbp"]) for r in by_section["money in"])
    money_out = sum(_pence(r["amount_gbp"]) for r in by_section["money out"])

    def ledger_sum(where):
        return db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_pence), 0)).where(
                LedgerEntry.budget_id == budget.id, where
            )
        )

    assert opening == ledger_sum(LedgerEntry.occurred_on < date(2026, 2, 1)) == 60_000
    assert closing == ledger_sum(LedgerEntry.occurred_on <= date(2026, 3, 31)) == 158_000
    assert opening + money_in + money_out == closing
    out_totals = {r["category"]: r for r in by_section["total money out"]}
    assert _pence(out_totals["agency_care"]["amount_gbp"]) == -95_000
    assert out_totals["agency_care"]["invoice_reference"] == "INV-2 INV-3"
    assert by_section["surplus weeks"][0]["amount_gbp"] == "6.8"


def test_statement_page_is_printable_and_audited(budget, make, login):
    supporter = make.user(roles=["supporter"])
    make.consent(budget.person, supporter, ["view"])
    db.session.commit()
    response = login(supporter).get(f"/budgets/{budget.id}/statement?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'media="print"' in page and "statement-print.css" in page
    assert "£1,030.00" in page and "£1,580.00" in page  # opening and closing
    assert "INV-3" in page
    [row] = _audits()
    assert row.actor_user_id == supporter.id
    assert row.on_behalf_of_person_id == budget.person.id  # by supporter X for person Y
    assert row.detail == {"format": "page", "starts_on": "2026-03-01", "ends_on": "2026-03-31"}


def test_every_csv_download_is_audited(budget, login):
    client = login(budget.person.user)
    client.get(f"/budgets/{budget.id}/statement.csv")
    client.get(f"/budgets/{budget.id}/statement.csv?from=2026-01-01&to=2026-01-31")
    rows = _audits()
    assert [r.detail["format"] for r in rows] == ["csv", "csv"]
    # No dates: last calendar month.
    assert rows[0].detail["starts_on"] == "2026-03-01"
    assert rows[0].on_behalf_of_person_id is None  # the person themself


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday&to=2026-03-01", "first day as a date"),
        ("from=2026-03-10&to=2026-03-01", "same as or after the first day"),
        ("from=2020-01-01&to=2026-03-01", "at most three years"),
        ("from=2026-03-01", "last day as a date"),
    ],
)
def test_bad_statement_dates_get_a_clear_message(budget, login, query, message):
    client = login(budget.person.user)
    for path in ("statement", "statement.csv"):
        response = client.get(f"/budgets/{budget.id}/{path}?{query}")
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "There is a problem" in page and message in page
    assert _audits() == []


def test_isf_provider_sees_monthly_statements_of_its_people(isf, login, make):
    fund, admin = isf
    page = login(admin).get(f"/budgets/{fund.id}/statement").get_data(as_text=True)
    assert "Individual service fund statement" in page and "Holding Co-op" in page
    assert "April 2026" in page
    other_admin = make.user(roles=["provider_admin"])
    make.provider(admin=other_admin, name="Other Co-op")
    db.session.commit()
    assert login(other_admin).get(f"/budgets/{fund.id}/statement").status_code == 404
    assert login(fund.person.user).get(f"/budgets/{fund.id}/statement").status_code == 200


# -- individual service fund entries ---------------------------------------------------------


def _entry(client, fund, **form):
    """occurred_on="2026-04-10" is typed into the form's day, month and year boxes."""
    on = form.pop("occurred_on", None)
    if on is not None:
        year, month, day = (on.split("-") + ["", "", ""])[:3] if "-" in on else ("", "", on)
        form.update(occurred_day=day, occurred_month=month, occurred_year=year)
    return client.post(f"/budgets/{fund.id}/entries/new", data=form)


def test_isf_provider_records_payment_adjustment_and_reversal(isf, login):
    fund, admin = isf
    client = login(admin)
    assert client.get(f"/budgets/{fund.id}/entries/new").status_code == 200
    response = _entry(
        client,
        fund,
        kind="payment",
        amount="120.50",
        occurred_on="2026-04-10",
        description="Support in week 2",
        category="agency_care",
    )
    assert response.status_code == 302
    _entry(
        client,
        fund,
        kind="adjustment",
        amount="10",
        direction="out",
        occurred_on="2026-04-11",
        description="Bank charge",
    )
    _entry(
        client,
        fund,
        kind="reversal",
        reverses="2",
        occurred_on="2026-04-12",
        description="Paid twice by mistake",
    )
    rows = db.session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.budget_id == fund.id)
        .order_by(LedgerEntry.sequence)
    ).all()
    assert [(r.kind, r.amount_pence) for r in rows] == [
        ("allocation", 100_000),
        ("payment", -12_050),
        ("adjustment", -1_000),
        ("reversal", 12_050),
    ]
    assert rows[1].recorded_by_user_id == admin.id
    assert len(_audits("budget.entry_recorded")) == 3


def test_isf_overdraw_is_refused_and_records_nothing(isf, login):
    fund, admin = isf
    response = _entry(
        login(admin),
        fund,
        kind="payment",
        amount="1000.01",
        occurred_on="2026-04-10",
        description="Too much",
    )
    assert response.status_code == 400
    assert "more than the £1,000.00 left" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.budget_id == fund.id)
        )
        == 1
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"kind": "payment", "amount": "", "occurred_on": "2026-04-10", "description": "x"},
            "Enter the amount",
        ),
        (
            {"kind": "payment", "amount": "-3", "occurred_on": "2026-04-10", "description": "x"},
            "cannot be less than",
        ),
        (
            {"kind": "adjustment", "amount": "3", "occurred_on": "2026-04-10", "description": "x"},
            "adds money or takes it out",
        ),
        (
            {"kind": "reversal", "occurred_on": "2026-04-10", "description": "x"},
            "number of the entry to reverse",
        ),
        (
            {"kind": "reversal", "reverses": "9", "occurred_on": "2026-04-10", "description": "x"},
            "has no entry 9",
        ),
        (
            {"kind": "refund", "amount": "3", "occurred_on": "2026-04-10", "description": "x"},
            "Not a valid choice",
        ),
        (
            {"kind": "payment", "amount": "3", "occurred_on": "soon", "description": "x"},
            "The date must include a month and a year",
        ),
        (
            {"kind": "payment", "amount": "3", "occurred_on": "2026-13-01", "description": "x"},
            "The date must be a real date, like 30 11 2026",
        ),
    ],
)
def test_bad_entries_get_a_clear_message(isf, login, form, message):
    fund, admin = isf
    response = _entry(login(admin), fund, **form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.budget_id == fund.id)
        )
        == 1
    )


def test_only_the_holder_records(isf, budget, login, make):
    fund, admin = isf
    # The person sees their fund but records nothing by hand; a direct payment has no holder.
    assert login(fund.person.user).get(f"/budgets/{fund.id}/entries/new").status_code == 403
    assert (
        login(make.user(roles=["admin"])).get(f"/budgets/{budget.id}/entries/new").status_code
        == 403
    )
    assert login(admin).get(f"/budgets/{budget.id}/entries/new").status_code == 404


# -- the periodic run ------------------------------------------------------------------------


def test_billing_run_is_idempotent_and_notifies_through_the_outbox(budget, isf, make, app):
    supporter = make.user(roles=["supporter"])
    make.consent(budget.person, supporter, ["view"])
    make.ledger_entries(budget, ("allocation", 50_000, date(2026, 4, 1), "Back pay"))
    db.session.commit()
    runner = app.test_cli_runner()
    with clock.frozen(date(2026, 6, 10)):  # review on 1 July is within 28 days
        first = runner.invoke(args=["billing", "run", "--today", "2026-06-10"])
        assert first.exit_code == 0, first.output
        assert f"Budget {budget.id} (1 of 2): review due 2026-07-01, surplus warning sent" in (
            first.output
        )
        assert "2 reviews due, 1 surplus warnings, 0 overspend warnings" in first.output
        again = runner.invoke(args=["billing", "run", "--today", "2026-06-10"])
        assert "0 reviews due, 0 surplus warnings, 0 overspend warnings" in again.output
        assert f"Budget {budget.id} (1 of 2): nothing to send" in again.output
    notices = db.session.scalars(sa.select(BudgetNotice).order_by(BudgetNotice.id)).all()
    assert {(n.budget_id, n.kind) for n in notices} == {
        (budget.id, "review_due"),
        (budget.id, "surplus"),
        (isf[0].id, "review_due"),
    }
    told = {n.user_id for n in db.session.scalars(sa.select(Notification))}
    assert {budget.person.user_id, supporter.id, isf[1].id, isf[0].person.user_id} <= told


def test_billing_run_warns_of_an_overspend_once_a_period(budget, make, app):
    make.ledger_entries(budget, ("payment", -200_000, date(2026, 4, 10), "Respite week"))
    db.session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["billing", "run", "--today", "2026-04-20"]).output
    assert "1 overspend warnings" in out
    assert (
        "0 overspend warnings"
        in runner.invoke(args=["billing", "run", "--today", "2026-04-25"]).output
    )
    # The next budget period is a new occasion.
    assert (
        "1 overspend warnings"
        in runner.invoke(args=["billing", "run", "--today", "2026-05-02"]).output
    )


def test_billing_run_rejects_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["billing", "run", "--today", "tomorrow"])
    assert result.exit_code != 0 and "tomorrow" in result.output
