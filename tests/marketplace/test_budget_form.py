"""Setting up and changing a budget (the person, a supporter with the pay scope, an admin),
the council's budget defaults that admins edit, the GOV.UK date inputs, and the review
reminders of `flask billing run`."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from arrangements_helpers import propose, setup

from marketplace import clock
from marketplace.budgets import services
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    Budget,
    BudgetNotice,
    CouncilLinks,
    LedgerEntry,
    Notification,
)

TODAY = date(2026, 4, 20)
LEEDS = "E08000035"
BRADFORD = "E08000032"


@pytest.fixture(autouse=True)
def frozen_today():
    with clock.frozen(TODAY):
        yield


def good_form(**changes) -> dict:
    form = {
        "care_council_code": LEEDS,
        "funding_route": "direct_payment",
        "amount": "434.00",
        "period": "four_weekly",
        "start_day": "1",
        "start_month": "4",
        "start_year": "2026",
        "account_type": "prepaid_card",
        "allowed_categories": ["agency_care", "activities"],
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def budgets_of(person) -> list[Budget]:
    return list(db.session.scalars(sa.select(Budget).where(Budget.person_id == person.id)))


def _audits(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


# -- setting up a budget ---------------------------------------------------------------------


def test_the_form_suggests_the_council_from_the_postcode_and_its_categories(make, login):
    make.user(roles=["admin"])
    db.session.add(CouncilLinks(code=LEEDS, spending_categories=["respite", "transport"]))
    person = make.user(roles=["person"], display_name="Amira K.").person
    db.session.commit()
    response = login(person.user).get("/budgets/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<option selected value="{LEEDS}">Leeds</option>' in page
    assert 'value="respite" checked' in page and 'value="transport" checked' in page
    assert 'value="agency_care" checked' not in page
    # Nothing chosen for the person: the route, the period and the account.
    assert 'name="funding_route" type="radio" value="direct_payment" checked' not in page
    assert 'type="date"' not in page and 'name="start_day"' in page


def test_a_person_sets_up_a_budget_in_pence_and_it_is_audited(make, login):
    person = make.user(roles=["person"]).person
    db.session.commit()
    response = login(person.user).post(f"/budgets/new?person={person.id}", data=good_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    [budget] = budgets_of(person)
    assert budget.amount_pence == 43_400 and budget.period == "four_weekly"
    assert budget.starts_on == date(2026, 4, 1) and budget.care_council_code == LEEDS
    assert budget.allowed_categories == ["agency_care", "activities"]
    assert budget.holder_provider_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0
    [audit] = _audits("budget.created")
    assert audit.actor_user_id == person.user_id and audit.detail["amount_pence"] == 43_400
    page = login(person.user).get(response.location).get_data(as_text=True)
    assert "£434.00 every four weeks" in page
    assert "1 October 2026" in page  # the next review: 6 months after the start


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"funding_route": None}, "Choose how the budget is paid"),
        ({"period": None}, "Choose how often the budget is paid"),
        ({"account_type": None}, "Choose where the money is kept"),
        ({"care_council_code": ""}, "Choose the council that gives the budget"),
        ({"care_council_code": "X99999999"}, "Not a valid choice"),
        ({"amount": ""}, "Enter the amount the council pays each period"),
        ({"amount": "-5"}, "cannot be less than £0"),
        ({"amount": "12.345"}, "pounds and pence"),
        ({"amount": "60000"}, "£50,000 or less"),
        ({"start_day": "31", "start_month": "2"}, "The start date must be a real date"),
        ({"start_year": ""}, "The start date must include a year"),
        ({"start_day": "", "start_month": "", "start_year": ""}, "Enter the date the budget"),
        ({"funding_route": "self_funded"}, "Not a valid choice"),
        ({"funding_route": "individual_service_fund"}, "Choose the provider that holds the fund"),
        ({"allowed_categories": ["holidays"]}, "not a valid choice"),
        ({"period": "daily"}, "Not a valid choice"),
    ],
)
def test_bad_input_gets_an_error_summary_and_sets_up_nothing(make, login, changes, message):
    person = make.user(roles=["person"]).person
    db.session.commit()
    response = login(person.user).post("/budgets/new", data=good_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page, page
    assert budgets_of(person) == []
    assert _audits("budget.created") == []
    if "start" not in str(changes):  # the review follows the start date typed
        assert "reviews the budget next on <strong>1 October 2026</strong>" in page


def test_an_individual_service_fund_is_held_by_a_provider_the_person_works_with(make, login):
    s = setup(make)
    propose(s)
    stranger = make.provider(name="Not Theirs Co-op")
    db.session.commit()
    client = login(s.person_user)
    page = client.get("/budgets/new").get_data(as_text=True)
    assert s.provider.name in page and "Not Theirs Co-op" not in page
    isf = {"funding_route": "individual_service_fund", "account_type": "managed_account"}
    refused = client.post(
        "/budgets/new", data=good_form(**isf, holder_provider_id=str(stranger.id))
    )
    assert refused.status_code == 400 and budgets_of(s.person) == []
    made = client.post("/budgets/new", data=good_form(**isf, holder_provider_id=str(s.provider.id)))
    assert made.status_code == 302
    [budget] = budgets_of(s.person)
    assert budget.holder_provider_id == s.provider.id and budget.is_isf
    # Its provider now sees it, and records against it.
    assert login(s.admin).get(f"/budgets/{budget.id}/entries/new").status_code == 200


def test_a_supporter_who_pays_sets_up_a_budget_for_the_person(make, login):
    person = make.user(roles=["person"], display_name="Jo B.").person
    payer, viewer = make.user(roles=["supporter"]), make.user(roles=["supporter"])
    make.consent(person, payer, ["pay"])
    make.consent(person, viewer, ["view"])
    stranger = make.user(roles=["supporter"])
    db.session.commit()
    url = f"/budgets/new?person={person.id}"
    assert "Set up a budget for Jo B." in login(payer).get("/budgets").get_data(as_text=True)
    assert "Set up a budget" not in login(viewer).get("/budgets").get_data(as_text=True)
    assert login(viewer).post(url, data=good_form()).status_code == 403
    assert login(stranger).post(url, data=good_form()).status_code == 404
    assert login(stranger).get("/budgets/new").status_code == 404  # nobody to act for
    assert budgets_of(person) == []
    assert login(payer).post(url, data=good_form()).status_code == 302
    [audit] = _audits("budget.created")
    assert audit.actor_user_id == payer.id and audit.on_behalf_of_person_id == person.id
    [told] = db.session.scalars(sa.select(Notification)).all()
    assert told.user_id == person.user_id and "set up your budget" in told.message


def test_an_admin_sets_up_a_budget_for_a_person(make, login):
    person = make.user(roles=["person"]).person
    admin = make.user(roles=["admin"])
    db.session.commit()
    assert login(admin).get("/budgets/new").status_code == 404  # whose?
    assert login(admin).get("/budgets/new?person=abc").status_code == 404
    assert login(admin).get("/budgets/new?person=999999").status_code == 404
    response = login(admin).post(f"/budgets/new?person={person.id}", data=good_form())
    assert response.status_code == 302
    assert len(budgets_of(person)) == 1


# -- changing a budget -----------------------------------------------------------------------


@pytest.fixture
def budget(make):
    person = make.user(roles=["person"], display_name="Amira K.").person
    budget = make.budget(person, amount_pence=100_000, period="monthly")
    make.ledger_entries(
        budget,
        ("allocation", 100_000, date(2026, 1, 1), "January from Leeds"),
        ("payment", -40_000, date(2026, 1, 20), "Care in January", "agency_care", "INV-1"),
        ("allocation", 100_000, date(2026, 4, 1), "April from Leeds"),
    )
    db.session.commit()
    return budget


def edit_form(budget: Budget, **changes) -> dict:
    current = {
        "amount": f"{budget.amount_pence / 100:.2f}",
        "period": budget.period,
        "start_day": str(budget.starts_on.day),
        "start_month": str(budget.starts_on.month),
        "start_year": str(budget.starts_on.year),
        "allowed_categories": list(budget.allowed_categories),
    }
    return good_form(**{**current, **changes})


def ledger_rows(budget: Budget) -> list[tuple]:
    return [
        (e.sequence, e.kind, e.amount_pence, e.occurred_on, e.description)
        for e in db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.budget_id == budget.id)
            .order_by(LedgerEntry.sequence)
        )
    ]


def test_the_edit_form_shows_the_budget_and_its_next_review(budget, login):
    page = login(budget.person.user).get(f"/budgets/{budget.id}/edit").get_data(as_text=True)
    assert (
        'value="1000.00"' in page
        and 'name="start_day" type="text" inputmode="numeric" value="1"' in page
    )
    assert "1 July 2026" in page  # six months after 1 January
    assert 'value="monthly" checked' in page
    show = login(budget.person.user).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert f'href="/budgets/{budget.id}/edit"' in show


def test_a_new_amount_without_the_difference_leaves_the_ledger_alone(budget, login):
    before = ledger_rows(budget)
    client = login(budget.person.user)
    asked = client.post(f"/budgets/{budget.id}/edit", data=edit_form(budget, amount="1200"))
    assert asked.status_code == 400
    assert "choose whether to record the difference" in asked.get_data(as_text=True)
    db.session.refresh(budget)
    assert budget.amount_pence == 100_000
    response = client.post(
        f"/budgets/{budget.id}/edit", data=edit_form(budget, amount="1200", record_difference="no")
    )
    assert response.status_code == 302
    db.session.refresh(budget)
    assert budget.amount_pence == 120_000
    assert ledger_rows(budget) == before
    [audit] = _audits("budget.changed")
    assert audit.detail["changes"] == {"amount_pence": {"from": 100_000, "to": 120_000}}
    assert db.session.scalars(sa.select(Notification)).all() == []  # the person did it


@pytest.mark.parametrize(("amount", "difference"), [("1200", 20_000), ("950.50", -4_950)])
def test_recording_the_difference_appends_an_adjustment(budget, make, login, amount, difference):
    supporter = make.user(roles=["supporter"])
    make.consent(budget.person, supporter, ["pay"])
    db.session.commit()
    before = ledger_rows(budget)
    response = login(supporter).post(
        f"/budgets/{budget.id}/edit",
        data=edit_form(budget, amount=amount, record_difference="yes"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    after = ledger_rows(budget)
    assert after[: len(before)] == before  # nothing rewritten
    [(sequence, kind, pence, on, text)] = after[len(before) :]
    assert (sequence, kind, pence, on) == (4, "adjustment", difference, TODAY)
    assert "changed from £1,000.00" in text
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.sequence == 4))
    assert entry.supporter_user_id == supporter.id and entry.recorded_by_user_id == supporter.id
    [audit] = _audits("budget.changed")
    assert audit.detail["adjustment_sequence"] == 4
    assert audit.on_behalf_of_person_id == budget.person_id
    [told] = db.session.scalars(sa.select(Notification)).all()
    assert told.user_id == budget.person.user_id and "changed your budget" in told.message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # After the first entry (1 January): the ledger would start before the budget.
        ({"start_month": "2"}, "cannot be after the first entry in the ledger (1 January 2026)"),
        ({"record_difference": "yes"}, None),  # same amount: nothing to record, and no error
        ({"amount": "1200", "period": "weekly", "record_difference": "yes"}, "period stays"),
        ({"amount": "abc", "record_difference": "no"}, "pounds and pence"),
    ],
)
def test_bad_changes_change_nothing(budget, login, changes, message):
    before = (ledger_rows(budget), budget.amount_pence, budget.period, budget.starts_on)
    response = login(budget.person.user).post(
        f"/budgets/{budget.id}/edit", data=edit_form(budget, **changes)
    )
    db.session.refresh(budget)
    if message is None:
        assert response.status_code == 302
        assert _audits("budget.changed") == []  # nothing changed, so nothing audited
    else:
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "There is a problem" in page and message in page, page
    after = (ledger_rows(budget), budget.amount_pence, budget.period, budget.starts_on)
    assert after == before


def test_a_start_date_after_the_councils_review_date_is_refused(make, login):
    person = make.user(roles=["person"]).person
    budget = make.budget(person, starts_on=date(2026, 5, 1), review_on=date(2026, 9, 1))
    db.session.commit()
    response = login(person.user).post(
        f"/budgets/{budget.id}/edit", data=edit_form(budget, start_month="9")
    )
    assert response.status_code == 400
    assert "before the review the council set (1 September 2026)" in response.get_data(as_text=True)
    db.session.refresh(budget)
    assert budget.starts_on == date(2026, 5, 1)


def test_who_changes_a_budget(budget, make, login):
    viewer, payer = make.user(roles=["supporter"]), make.user(roles=["supporter"])
    make.consent(budget.person, viewer, ["view"])
    make.consent(budget.person, payer, ["pay"])
    admin = make.user(roles=["admin"])
    db.session.commit()
    url = f"/budgets/{budget.id}/edit"
    assert login(viewer).get(url).status_code == 403
    assert f'href="{url}"' not in login(viewer).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert login(make.user(roles=["supporter"])).get(url).status_code == 404
    assert login(payer).get(url).status_code == 200
    assert login(admin).get(url).status_code == 200
    # A former member's budget: only an admin changes it.
    budget.person_id = None
    db.session.commit()
    assert login(payer).get(url).status_code == 404
    assert login(admin).get(url).status_code == 200
    response = login(admin).post(url, data=edit_form(budget, account_type="bank_account"))
    assert response.status_code == 302
    db.session.refresh(budget)
    assert budget.account_type == "bank_account"


def test_deleting_the_account_anonymises_the_budget_and_keeps_its_ledger(budget, make, login):
    from marketplace.auth.services import delete_account

    person_user = budget.person.user
    before = ledger_rows(budget)
    delete_account(person_user)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Budget, budget.id)
    assert kept is not None and kept.person_id is None
    assert ledger_rows(kept) == before
    admin = make.user(roles=["admin"])
    db.session.commit()
    page = login(admin).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "A former member" in page and "Amira" not in page


# -- the GOV.UK date input on the ISF entry form ---------------------------------------------


@pytest.fixture
def isf(make):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin, name="Holding Co-op")
    person = make.user(roles=["person"], display_name="Jo B.").person
    fund = make.budget(
        person, funding_route="individual_service_fund", holder_provider_id=provider.id
    )
    make.ledger_entries(fund, ("allocation", 100_000, date(2026, 4, 1), "April from Leeds"))
    db.session.commit()
    return fund, admin


def test_the_entry_form_takes_day_month_and_year(isf, login):
    fund, admin = isf
    client = login(admin)
    page = client.get(f"/budgets/{fund.id}/entries/new").get_data(as_text=True)
    assert 'type="date"' not in page
    assert 'name="occurred_day" type="text" inputmode="numeric" value="20"' in page
    entry = {"kind": "payment", "amount": "12.50", "description": "Taxi", "category": "transport"}
    bad = client.post(
        f"/budgets/{fund.id}/entries/new",
        data={**entry, "occurred_day": "30", "occurred_month": "2", "occurred_year": "2026"},
    )
    assert bad.status_code == 400
    assert "The date must be a real date, like 30 11 2026" in bad.get_data(as_text=True)
    assert len(ledger_rows(fund)) == 1
    good = client.post(
        f"/budgets/{fund.id}/entries/new",
        data={**entry, "occurred_day": "18", "occurred_month": "4", "occurred_year": "2026"},
    )
    assert good.status_code == 302
    assert ledger_rows(fund)[-1][1:4] == ("payment", -1250, date(2026, 4, 18))


# -- the council's budget defaults (admins) ----------------------------------------------------


def test_admins_set_a_councils_categories_and_surplus_limit(as_role, make, login):
    admin = as_role("admin")
    page = admin.get(f"/admin/councils/{LEEDS}/budgets").get_data(as_text=True)
    assert 'value="transport" checked' in page and 'value="8"' in page  # platform defaults
    response = admin.post(
        f"/admin/councils/{LEEDS}/budgets",
        data={"spending_categories": ["agency_care", "respite"], "surplus_limit_weeks": "6"},
    )
    assert response.status_code == 302
    row = db.session.get(CouncilLinks, LEEDS)
    assert row.spending_categories == ["agency_care", "respite"] and row.surplus_limit_weeks == 6
    [audit] = _audits("council_budget_defaults.update")
    assert audit.detail["changes"]["surplus_limit_weeks"] == {"from": None, "to": 6}
    again = admin.post(
        f"/admin/councils/{LEEDS}/budgets",
        data={"spending_categories": ["agency_care", "respite"], "surplus_limit_weeks": "6"},
    )
    assert "Nothing changed" in admin.get(again.location).get_data(as_text=True)
    assert "Short breaks" in admin.get(f"/admin/councils/{LEEDS}").get_data(as_text=True)
    # New budgets in Leeds start with them.
    person = make.user(roles=["person"]).person
    db.session.commit()
    form = login(person.user).get("/budgets/new").get_data(as_text=True)
    assert 'value="respite" checked' in form and 'value="transport" checked' not in form


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"surplus_limit_weeks": "8"}, "Choose at least one spending category"),
        ({"spending_categories": ["respite"], "surplus_limit_weeks": "0"}, "from 1 to 52"),
        ({"spending_categories": ["respite"], "surplus_limit_weeks": "53"}, "from 1 to 52"),
        ({"spending_categories": ["respite"], "surplus_limit_weeks": ""}, "surplus limit"),
        ({"spending_categories": ["holidays"], "surplus_limit_weeks": "8"}, "not a valid choice"),
    ],
)
def test_bad_council_defaults_change_nothing(as_role, data, message):
    response = as_role("admin").post(f"/admin/councils/{LEEDS}/budgets", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page, page
    assert db.session.get(CouncilLinks, LEEDS) is None


@pytest.mark.parametrize(("role", "status"), [("person", 403), ("provider_admin", 403)])
def test_only_admins_set_council_defaults(as_role, role, status):
    assert as_role(role).get(f"/admin/councils/{LEEDS}/budgets").status_code == status


def test_council_defaults_for_an_unknown_or_lower_case_council(as_role):
    admin = as_role("admin")
    assert admin.get("/admin/councils/X99999999/budgets").status_code == 404
    moved = admin.get(f"/admin/councils/{LEEDS.lower()}/budgets")
    assert moved.status_code == 302 and moved.location.endswith(f"/admin/councils/{LEEDS}/budgets")


def test_the_councils_surplus_limit_decides_the_surplus_warning(budget, login):
    # £1,600 on a £1,000-a-month budget is 6.9 weeks: under 8, over a council limit of 6.
    page = login(budget.person.user).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Surplus:" not in page
    db.session.add(CouncilLinks(code=LEEDS, surplus_limit_weeks=6))
    db.session.commit()
    page = login(budget.person.user).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Surplus:" in page and "limit of 6 weeks" in page
    assert services.terms(budget).surplus_limit_weeks == 6


# -- review reminders: four weeks, then one week, before ---------------------------------------


def test_review_reminders_go_four_weeks_then_one_week_before_once_each(budget, app):
    runner = app.test_cli_runner()

    def run(on: str) -> str:
        with clock.frozen(date.fromisoformat(on)):
            result = runner.invoke(args=["billing", "run", "--today", on])
        assert result.exit_code == 0, result.output
        return result.output

    assert "0 reviews due" in run("2026-06-02")  # 29 days before 1 July
    first = run("2026-06-03")
    assert "1 reviews due" in first
    assert f"Budget {budget.id} (1 of 1): review due 2026-07-01" in first
    assert "0 reviews due" in run("2026-06-20")
    assert "1 reviews due" in run("2026-06-24")  # a week before
    again = run("2026-06-30")
    assert "0 reviews due" in again and "nothing to send" in again
    kinds = db.session.scalars(
        sa.select(BudgetNotice.kind).where(BudgetNotice.budget_id == budget.id)
    ).all()
    assert sorted(k for k in kinds if k.startswith("review")) == ["review_due", "review_due_week"]


# -- the statement's period in day, month and year boxes ---------------------------------------


def test_the_statement_period_is_typed_in_day_month_and_year_boxes(budget, login):
    client = login(budget.person.user)
    page = client.get(f"/budgets/{budget.id}/statement").get_data(as_text=True)
    assert 'type="date"' not in page
    assert 'id="from_day"' in page and 'id="to_year"' in page
    asked = (
        f"/budgets/{budget.id}/statement?from_day=1&from_month=1&from_year=2026"
        "&to_day=31&to_month=1&to_year=2026"
    )
    page = client.get(asked).get_data(as_text=True)
    assert "1 January 2026 to 31 January 2026" in page
    assert 'id="to_day" name="to_day" type="text" inputmode="numeric" value="31"' in page
    csv_link = f"/budgets/{budget.id}/statement.csv?from=2026-01-01&amp;to=2026-01-31"
    assert csv_link in page
    bad = client.get(
        f"/budgets/{budget.id}/statement?from_day=31&from_month=2&from_year=2026"
        "&to_day=&to_month=&to_year="
    )
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "The first day must be a real date, like 1 4 2026" in text
    assert "Enter the statement&#39;s last day" in text and 'href="#from_day"' in text
