"""Provider invoices end to end through the web app: raised by the provider, approved or
queried by the person's side (answered, amended or withdrawn by the provider), paid from
the budget by bank transfer or by card (localstripe), the billing run's auto-approval,
reminders and overdue notices, and the statement's money out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from arrangements_helpers import agreed, setup
from stripe_helpers import WEBHOOK_SECRET, running_localstripe, signed

from marketplace import clock
from marketplace.budgets import cli as billing_cli
from marketplace.extensions import db
from marketplace.invoices import services
from marketplace.models import (
    AuditLog,
    BudgetNotice,
    CardPayment,
    LedgerEntry,
    Notification,
    ProviderInvoice,
    WorkflowEvent,
)
from marketplace.workflow import MoveError
from payments.gateway import BillingUnavailable, PaymentDeclined

TODAY = date(2026, 11, 20)


def paid_on(day: str, month: str, year: str) -> dict[str, str]:
    """The bank transfer form's date: Day, Month and Year boxes (marketplace.date_input)."""
    return {"bank-paid_on_day": day, "bank-paid_on_month": month, "bank-paid_on_year": year}


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with clock.frozen(TODAY):
        yield


class World:
    def __init__(self, make, login) -> None:
        self.s = setup(make)
        self.arrangement = agreed(self.s)
        self.budget = make.budget(self.s.person, starts_on=date(2026, 10, 1))
        make.ledger_entries(self.budget, ("allocation", 50_000, date(2026, 10, 1), "October"))
        self.pay_supporter = make.user(roles=["supporter"], display_name="Sam Payer")
        make.consent(self.s.person, self.pay_supporter, ["pay"])
        self.view_supporter = make.user(roles=["supporter"])
        make.consent(self.s.person, self.view_supporter, ["view"])
        self.provider = login(self.s.admin)
        self.person = login(self.s.person_user)
        self.payer = login(self.pay_supporter)
        self.viewer = login(self.view_supporter)
        self.stranger = login(make.user(roles=["provider_admin"]))

    def raise_invoice(self, **form) -> ProviderInvoice:
        data = {
            "arrangement": str(self.arrangement.id),
            "reference": "HCC-0100",
            "description": "Support visits, 1 to 14 November",
            "category": "agency_care",
            "basis": "time",
            "hours": "10",
            "minutes": "30",
            "rate": "21.50",
            **form,
        }
        response = self.provider.post(
            f"/provider/invoices/new?provider={self.s.provider.id}", data=data
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return db.session.scalars(
            sa.select(ProviderInvoice).order_by(ProviderInvoice.id.desc())
        ).first()


@pytest.fixture
def world(make, login) -> World:
    return World(make, login)


def _notified(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id))
    )


def _entries(budget) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.budget_id == budget.id)
            .order_by(LedgerEntry.sequence)
        )
    )


# -- raising ----------------------------------------------------------------------------------


def test_a_provider_raises_an_invoice_for_time_at_a_rate(world) -> None:
    page = world.provider.get(f"/provider/invoices/new?provider={world.s.provider.id}")
    assert page.status_code == 200
    assert 'value="INV-0001"' in page.get_data(as_text=True)  # a suggested reference
    invoice = world.raise_invoice()
    assert (invoice.status, invoice.minutes, invoice.rate_pence) == ("raised", 630, 2150)
    assert invoice.amount_pence == 22_575  # 10.5 hours at £21.50
    assert invoice.budget_id == world.budget.id and invoice.raised_by_user_id == world.s.admin.id
    assert any("HCC-0100" in m and "£225.75" in m for m in _notified(world.s.person_user))
    assert any("HCC-0100" in m for m in _notified(world.pay_supporter))
    assert not _notified(world.view_supporter)  # only supporters who pay are asked
    listing = world.provider.get("/provider/invoices").get_data(as_text=True)
    assert "HCC-0100" in listing and "Waiting for approval" in listing
    budget_page = world.person.get(f"/budgets/{world.budget.id}").get_data(as_text=True)
    assert f'href="/invoices/{invoice.id}">HCC-0100' in budget_page


def test_a_fixed_amount_invoice_such_as_a_month_of_membership(world) -> None:
    invoice = world.raise_invoice(basis="fixed", amount="450", hours="", rate="")
    assert (invoice.amount_pence, invoice.minutes, invoice.rate_pence) == (45_000, None, None)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hours": "", "minutes": ""}, "Enter the time"),
        ({"rate": "abc"}, "hourly rate in pounds and pence"),
        ({"minutes": "75"}, "minutes as a whole number from 0 to 59"),
        ({"basis": "fixed", "amount": ""}, "Enter the fixed amount"),
        ({"basis": "fixed", "amount": "60000"}, "£50,000 or less"),
        ({"reference": "=cmd()"}, "starting with a letter or number"),
        ({"description": ""}, "Say what the invoice is for"),
        ({"category": "transport"}, "categories this budget can be spent on"),
        ({"arrangement": "999999"}, "Choose the arrangement"),
    ],
)
def test_bad_invoices_are_refused_and_nothing_is_raised(world, change, message) -> None:
    data = {
        "arrangement": str(world.arrangement.id), "reference": "X-1", "description": "Visits",
        "category": "agency_care", "basis": "time", "hours": "2", "minutes": "0", "rate": "20",
        **change,
    }  # fmt: skip
    response = world.provider.post(
        f"/provider/invoices/new?provider={world.s.provider.id}", data=data
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ProviderInvoice.id))) == 0


def test_a_reference_is_used_once_per_provider(world) -> None:
    world.raise_invoice(reference="HCC-7")
    response = world.provider.post(
        f"/provider/invoices/new?provider={world.s.provider.id}",
        data={"arrangement": str(world.arrangement.id), "reference": "hcc-7",
              "description": "Again", "category": "agency_care", "basis": "fixed",
              "amount": "10"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "already used the reference" in response.get_data(as_text=True)


def test_another_provider_cannot_raise_on_this_arrangement(world, make) -> None:
    other_admin = make.user(roles=["provider_admin"])
    other = make.provider(name="Elsewhere", admin=other_admin)
    with pytest.raises(services.InvoiceError, match="this provider's agreed arrangements"):
        services.raise_invoice(
            other, world.arrangement,
            services.InvoiceInput("R-1", "x", "agency_care", fixed_pence=100), other_admin,
        )  # fmt: skip


# -- answering --------------------------------------------------------------------------------


def test_the_person_approves_and_the_provider_is_told(world) -> None:
    invoice = world.raise_invoice()
    assert world.viewer.post(f"/invoices/{invoice.id}/approve").status_code == 403
    assert world.stranger.get(f"/invoices/{invoice.id}").status_code == 404
    response = world.person.post(f"/invoices/{invoice.id}/approve")
    assert response.status_code == 302
    db.session.refresh(invoice)
    assert invoice.status == "approved"
    assert any("approved invoice HCC-0100" in m for m in _notified(world.s.admin))
    again = world.person.post(f"/invoices/{invoice.id}/approve")
    assert again.status_code == 409
    assert "cannot be approved now" in again.get_data(as_text=True)


def test_a_supporter_with_pay_approves_for_the_person(world) -> None:
    invoice = world.raise_invoice()
    assert world.payer.post(f"/invoices/{invoice.id}/approve").status_code == 302
    event = db.session.scalars(
        sa.select(WorkflowEvent).where(WorkflowEvent.workflow == "invoice")
    ).one()
    assert event.actor_user_id == world.pay_supporter.id
    assert event.on_behalf_of_person_id == world.s.person.id


def test_query_reply_query_amend_then_withdraw(world) -> None:
    invoice = world.raise_invoice()
    empty = world.person.post(f"/invoices/{invoice.id}/query", data={"query-reason": " "})
    assert empty.status_code == 400 and "Write your message" in empty.get_data(as_text=True)
    assert "<title>Error: " in empty.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.status == "raised"

    world.person.post(f"/invoices/{invoice.id}/query", data={"query-reason": "Was it 10 hours?"})
    db.session.refresh(invoice)
    assert invoice.status == "queried"
    assert any("Was it 10 hours?" in m for m in _notified(world.s.admin))
    assert world.person.post(f"/invoices/{invoice.id}/approve").status_code == 409

    page = world.provider.get(f"/provider/invoices/{invoice.id}").get_data(as_text=True)
    assert "Was it 10 hours?" in page and "Answer the question" in page
    world.provider.post(
        f"/provider/invoices/{invoice.id}/reply", data={"reply-reason": "Yes, see the rota."}
    )
    db.session.refresh(invoice)
    assert invoice.status == "raised"
    assert any("Yes, see the rota." in m for m in _notified(world.s.person_user))

    world.payer.post(f"/invoices/{invoice.id}/query", data={"query-reason": "Rota says 9."})
    amend = f"/provider/invoices/{invoice.id}/amend"
    form = world.provider.get(amend).get_data(as_text=True)
    assert 'value="10"' in form and 'value="21.50"' in form
    missing_reason = world.provider.post(amend, data={
        "description": "Support visits", "category": "agency_care", "basis": "time",
        "hours": "9", "minutes": "0", "rate": "21.50"})  # fmt: skip
    assert missing_reason.status_code == 400
    world.provider.post(amend, data={
        "description": "Support visits", "category": "agency_care", "basis": "time",
        "hours": "9", "minutes": "0", "rate": "21.50",
        "change_reason": "Nine hours, sorry."})  # fmt: skip
    db.session.refresh(invoice)
    assert (invoice.status, invoice.amount_pence) == ("raised", 19_350)
    assert invoice.reference == "HCC-0100"
    assert any("changed invoice HCC-0100 (£193.50)" in m for m in _notified(world.s.person_user))
    assert world.provider.get(amend).status_code == 409  # only a queried invoice changes

    assert world.person.post(f"/provider/invoices/{invoice.id}/withdraw",
                             data={"withdraw-reason": "x"}).status_code == 403  # fmt: skip
    world.provider.post(
        f"/provider/invoices/{invoice.id}/withdraw", data={"withdraw-reason": "Sent twice."}
    )
    db.session.refresh(invoice)
    assert invoice.status == "withdrawn"
    moves = db.session.scalars(
        sa.select(WorkflowEvent.move)
        .where(WorkflowEvent.workflow == "invoice", WorkflowEvent.subject_id == invoice.id)
        .order_by(WorkflowEvent.id)
    ).all()  # fmt: skip
    assert moves == ["query", "reply", "query", "amend", "withdraw"]
    history = world.person.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Sent twice." in history and "Nine hours, sorry." in history


# -- paying -----------------------------------------------------------------------------------


def _approved(world, **form) -> ProviderInvoice:
    invoice = world.raise_invoice(**form)
    world.person.post(f"/invoices/{invoice.id}/approve")
    db.session.refresh(invoice)
    return invoice


def test_paying_by_bank_transfer_writes_one_ledger_entry(world) -> None:
    invoice = _approved(world)
    page = world.person.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Record the bank transfer" in page
    assert "by card" not in page  # no card payments on a site without Stripe
    response = world.payer.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "FT 1234", **paid_on("19", "11", "2026")},
    )
    assert response.status_code == 302
    db.session.refresh(invoice)
    assert (invoice.status, invoice.paid_by, invoice.bank_reference) == (
        "paid", "bank_transfer", "FT 1234",
    )  # fmt: skip
    entry = _entries(world.budget)[-1]
    assert (entry.kind, entry.amount_pence, entry.occurred_on) == (
        "payment", -22_575, date(2026, 11, 19),
    )  # fmt: skip
    assert (entry.invoice_id, entry.invoice_reference, entry.category) == (
        invoice.id, "HCC-0100", "agency_care",
    )  # fmt: skip
    assert entry.supporter_user_id == world.pay_supporter.id
    assert any("paid by bank transfer" in m for m in _notified(world.s.admin))
    again = world.person.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "FT 1234", **paid_on("19", "11", "2026")},
    )
    assert again.status_code == 409 and len(_entries(world.budget)) == 2


@pytest.mark.parametrize(
    "data, message",
    [
        ({"bank-bank_reference": "", **paid_on("19", "11", "2026")}, "Enter the bank transfer"),
        ({"bank-bank_reference": "FT", **paid_on("yesterday", "", "")}, "must include a month"),
        ({"bank-bank_reference": "FT", **paid_on("31", "11", "2026")}, "must be a real date"),
        ({"bank-bank_reference": "FT", **paid_on("21", "11", "2026")}, "cannot be in the future"),
    ],
)
def test_a_bad_bank_transfer_changes_nothing(world, data, message) -> None:
    invoice = _approved(world)
    response = world.person.post(f"/invoices/{invoice.id}/pay/bank-transfer", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.status == "approved" and len(_entries(world.budget)) == 1


def test_the_bank_transfer_date_is_three_boxes_and_its_error_links_to_the_day(world) -> None:
    invoice = _approved(world)
    page = world.person.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="bank-paid_on_day" name="bank-paid_on_day" type="text" inputmode="numeric"' in page
    assert 'name="bank-paid_on_year" type="text" inputmode="numeric" value="20' in page
    assert "The day your bank sent the money. For example, 27 11 2026" in page
    data = {"bank-bank_reference": "FT", **paid_on("19", "", "2026")}
    bad = world.person.post(f"/invoices/{invoice.id}/pay/bank-transfer", data=data)
    text = bad.get_data(as_text=True)
    assert '<a href="#bank-paid_on_day">The date of the transfer must include a month</a>' in text
    # Only the month box is marked wrong (GOV.UK date input).
    assert re.search(r'class="input input-width-2 input-error" id="bank-paid_on_month"', text)
    assert not re.search(r'input-error" id="bank-paid_on_day"', text)


def test_a_payment_that_would_overdraw_the_budget_is_refused(world) -> None:
    invoice = _approved(world, basis="fixed", amount="500.01", hours="", rate="")
    response = world.person.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "FT 9", **paid_on("19", "11", "2026")},
    )
    assert response.status_code == 400
    assert "more than the £500.00 left in the budget, so it was not made" in response.get_data(
        as_text=True
    )
    db.session.refresh(invoice)
    assert invoice.status == "approved" and len(_entries(world.budget)) == 1


def test_an_unapproved_invoice_cannot_be_paid(world) -> None:
    invoice = world.raise_invoice()
    response = world.person.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "FT 9", **paid_on("19", "11", "2026")},
    )
    assert response.status_code == 409 and len(_entries(world.budget)) == 1


def test_the_statement_shows_the_invoice_reference_and_reconciles(world) -> None:
    invoice = _approved(world)
    world.person.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "FT 1", **paid_on("19", "11", "2026")},
    )
    from marketplace.budgets import services as budget_services

    statement = budget_services.statement(world.budget, date(2026, 11, 1), date(2026, 11, 30))
    assert statement.money_out_by_category() == {"agency_care": (22_575, ("HCC-0100",))}
    assert statement.reconciles()
    assert statement.closing_balance_pence == 50_000 - 22_575
    csv = world.person.get(
        f"/budgets/{world.budget.id}/statement.csv?from=2026-11-01&to=2026-11-30"
    ).get_data(as_text=True)
    assert "HCC-0100" in csv


def test_an_isf_provider_records_the_payment_from_the_fund(world, make) -> None:
    fund = make.budget(
        world.s.person, funding_route="individual_service_fund",
        holder_provider_id=world.s.provider.id, starts_on=date(2026, 10, 1),
    )  # fmt: skip
    make.ledger_entries(fund, ("allocation", 80_000, date(2026, 10, 1), "October's fund"))
    invoice = world.raise_invoice()
    assert invoice.budget_id == fund.id  # the fund this provider holds pays its invoices
    world.person.post(f"/invoices/{invoice.id}/approve")
    refused = world.person.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "ISF 1", **paid_on("19", "11", "2026")},
    )
    assert refused.status_code == 403
    page = world.provider.get(f"/provider/invoices/{invoice.id}").get_data(as_text=True)
    assert "Record a bank transfer you made" in page
    world.provider.post(
        f"/invoices/{invoice.id}/pay/bank-transfer",
        data={"bank-bank_reference": "ISF 1", **paid_on("19", "11", "2026"), "side": "provider"},
    )
    db.session.refresh(invoice)
    assert invoice.status == "paid"
    assert _entries(fund)[-1].kind == "provider_invoice"


# -- paying by card (localstripe) -------------------------------------------------------------


@pytest.fixture(scope="module")
def localstripe_base() -> Iterator[str]:
    with running_localstripe() as base:
        yield base


@pytest.fixture
def stripe_on(app, localstripe_base, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_coopcare")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe_base)
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", True)
    return localstripe_base


def test_paying_by_card_writes_the_entry_once_even_when_the_webhook_follows(
    world, stripe_on, client
) -> None:
    invoice = _approved(world)
    assert "by card" in world.person.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    response = world.person.post(f"/invoices/{invoice.id}/pay/card")
    assert response.status_code == 302
    db.session.refresh(invoice)
    payment = db.session.scalars(sa.select(CardPayment)).one()
    assert (invoice.status, invoice.paid_by) == ("paid", "card")
    assert payment.status == "succeeded" and payment.stripe_payment_intent_id
    entries = _entries(world.budget)
    assert [(e.kind, e.amount_pence, e.stripe_object_id) for e in entries[1:]] == [
        ("payment", -22_575, payment.stripe_payment_intent_id)
    ]
    # Stripe's webhook for the same payment, twice: nothing more is written.
    for n in range(2):
        event = {
            "id": f"evt_invoice_{payment.id}_{n}", "type": "payment_intent.succeeded",
            "created": 1_790_000_000,
            "data": {"object": {"id": payment.stripe_payment_intent_id,
                                "object": "payment_intent", "status": "succeeded",
                                "amount": 22_575,
                                "metadata": {"coopcare_card_payment_id": str(payment.id)}}},
        }  # fmt: skip
        body, header = signed(event, WEBHOOK_SECRET)
        answer = client.post(
            "/payments/stripe/webhook", data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )  # fmt: skip
        assert answer.status_code == 200
    assert len(_entries(world.budget)) == 2


def test_the_webhook_alone_settles_a_card_payment(world, stripe_on, monkeypatch) -> None:
    """When Stripe's answer is not final (say 3-D Secure) the webhook pays the invoice."""
    invoice = _approved(world)
    from marketplace.billing.services import receive_event
    from payments.gateway import StripeGateway

    real_pay = StripeGateway.pay
    intents: list[str] = []

    def pending_answer(self, request):
        snapshot = real_pay(self, request)
        intents.append(snapshot.intent_id)
        from dataclasses import replace

        return replace(snapshot, status="processing")

    monkeypatch.setattr(StripeGateway, "pay", pending_answer)
    world.person.post(f"/invoices/{invoice.id}/pay/card")
    payment = db.session.scalars(sa.select(CardPayment)).one()
    db.session.refresh(invoice)
    assert invoice.status == "approved" and len(_entries(world.budget)) == 1
    assert payment.status == "pending"
    metadata = {"coopcare_card_payment_id": str(payment.id)}
    event = {"id": "evt_only_webhook", "type": "payment_intent.succeeded", "created": 1,
             "data": {"object": {"id": intents[0], "object": "payment_intent",
                                 "metadata": metadata}}}  # fmt: skip
    from marketplace.billing.services import configured_gateway

    receive_event(event, configured_gateway())  # re-fetches the real intent
    db.session.refresh(invoice)
    assert invoice.status == "paid" and len(_entries(world.budget)) == 2


def test_stripe_unreachable_changes_nothing_and_the_retry_is_the_same_payment(
    world, stripe_on, app, monkeypatch
) -> None:
    invoice = _approved(world)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing there
    response = world.person.post(f"/invoices/{invoice.id}/pay/card")
    assert response.status_code == 503
    assert "could not be reached, so nothing was changed" in response.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.status == "approved" and len(_entries(world.budget)) == 1
    waiting = db.session.scalars(sa.select(CardPayment)).one()
    assert waiting.status == "pending"
    # The waiting attempt holds its money back from any other payment meanwhile.
    assert services._reserved(world.budget.id) == invoice.amount_pence
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stripe_on)
    assert world.person.post(f"/invoices/{invoice.id}/pay/card").status_code == 302
    assert [p.id for p in db.session.scalars(sa.select(CardPayment))] == [waiting.id]
    db.session.refresh(invoice)
    assert invoice.status == "paid" and len(_entries(world.budget)) == 2


def test_a_declined_card_is_recorded_and_a_new_attempt_may_follow(
    world, stripe_on, monkeypatch
) -> None:
    from stripe_helpers import DECLINED_CARD

    from payments.gateway import StripeGateway

    invoice = _approved(world)
    real = StripeGateway.create_test_card
    monkeypatch.setattr(StripeGateway, "create_test_card", lambda self: real(self, DECLINED_CARD))
    response = world.person.post(f"/invoices/{invoice.id}/pay/card")
    assert response.status_code == 402 and "declined" in response.get_data(as_text=True)
    failed = db.session.scalars(sa.select(CardPayment)).one()
    assert failed.status == "failed" and len(_entries(world.budget)) == 1
    monkeypatch.setattr(StripeGateway, "create_test_card", real)
    assert world.person.post(f"/invoices/{invoice.id}/pay/card").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(CardPayment.id))) == 2
    db.session.refresh(invoice)
    assert invoice.status == "paid"


def test_a_card_payment_cannot_overdraw_either(world, stripe_on) -> None:
    invoice = _approved(world, basis="fixed", amount="600", hours="", rate="")
    response = world.person.post(f"/invoices/{invoice.id}/pay/card")
    assert response.status_code == 400 and "so it was not made" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CardPayment.id))) == 0


def test_withdrawing_waits_for_a_card_payment_in_flight(world, stripe_on, app, monkeypatch) -> None:
    invoice = _approved(world)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    world.person.post(f"/invoices/{invoice.id}/pay/card")
    response = world.provider.post(
        f"/provider/invoices/{invoice.id}/withdraw", data={"withdraw-reason": "Oops"}
    )
    assert response.status_code == 400 and "still waiting for Stripe" in response.get_data(
        as_text=True
    )


def test_the_service_reports_declines_and_outages(world, stripe_on, monkeypatch) -> None:
    from payments.gateway import StripeGateway

    invoice = _approved(world)

    def down(self, request):
        raise BillingUnavailable("boom")

    monkeypatch.setattr(StripeGateway, "pay", down)
    with pytest.raises(BillingUnavailable):
        services.pay_by_card(invoice, world.s.person_user)

    def declined(self, request):
        raise PaymentDeclined("Your card was declined.")

    monkeypatch.setattr(StripeGateway, "pay", declined)
    with pytest.raises(PaymentDeclined):
        services.pay_by_card(invoice, world.s.person_user)
    assert [p.status for p in db.session.scalars(sa.select(CardPayment))] == ["failed"]


# -- the billing run --------------------------------------------------------------------------


def _run(on: date) -> tuple[str, list[str]]:
    lines: list[str] = []
    with clock.frozen(on):
        summary = billing_cli.run(on, echo=lines.append)
    return summary, lines


def test_reminders_and_overdue_notices_go_once_per_occasion(world) -> None:
    unanswered = world.raise_invoice(reference="R-1")
    approved = _approved(world, reference="R-2")
    summary, lines = _run(TODAY + timedelta(days=6))
    assert "0 reminders and 0 overdue notices" in summary
    assert f"Invoice {unanswered.id} (R-1): checked" in lines
    summary, _ = _run(TODAY + timedelta(days=7))
    assert "1 reminders" in summary
    summary, _ = _run(TODAY + timedelta(days=8))
    assert "0 reminders" in summary  # the same occasion: nobody is told twice
    reminders = [m for m in _notified(world.s.person_user) if "R-1" in m and "waiting" in m]
    assert len(reminders) == 1
    summary, _ = _run(TODAY + timedelta(days=14))
    assert "1 overdue notices" in summary
    assert any("R-2" in m and "not paid yet" in m for m in _notified(world.s.admin))
    link = db.session.scalar(
        sa.select(Notification.link).where(
            Notification.user_id == world.s.admin.id, Notification.message.contains("not paid")
        )
    )
    assert link == f"/provider/invoices/{approved.id}"  # each side gets its own page
    summary, _ = _run(TODAY + timedelta(days=15))
    assert "0 overdue notices" in summary
    assert db.session.scalar(sa.select(sa.func.count(BudgetNotice.id))) >= 2
    assert approved.status == "approved"


def test_auto_approval_is_off_by_default_and_runs_when_configured(world, app, monkeypatch) -> None:
    invoice = world.raise_invoice()
    _run(TODAY + timedelta(days=30))
    db.session.refresh(invoice)
    assert invoice.status == "raised"
    monkeypatch.setitem(app.config, "INVOICE_AUTO_APPROVE_DAYS", 10)
    summary, _ = _run(TODAY + timedelta(days=30))
    assert "1 approved automatically" in summary
    db.session.refresh(invoice)
    assert invoice.status == "approved"
    event = db.session.scalars(
        sa.select(WorkflowEvent).where(WorkflowEvent.move == "auto_approve")
    ).one()
    assert event.actor_user_id is None
    assert any("approved automatically" in m for m in _notified(world.s.admin))
    assert any("approved automatically" in m for m in _notified(world.s.person_user))
    summary, _ = _run(TODAY + timedelta(days=30))
    assert "0 approved automatically" in summary
    fresh = world.raise_invoice(reference="R-9")
    with pytest.raises(MoveError, match="Only the billing run"):
        services.INVOICE_WORKFLOW.move(fresh, "auto_approve", world.s.person_user)


def test_audit_rows_name_the_raiser(world) -> None:
    invoice = world.raise_invoice()
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.actor_user_id == world.s.admin.id)
    ).all()
    assert "invoice.raise" in actions
    assert re.fullmatch(r"HCC-\d{4}", invoice.reference)


# -- the demo -----------------------------------------------------------------------------------


def test_the_demo_budget_has_paid_queried_and_waiting_invoices(app, login) -> None:
    from marketplace.budgets import services as budget_services
    from marketplace.demo import seed_demo
    from marketplace.models import User

    seed_demo(carers=40)
    db.session.commit()
    amira = db.session.scalar(sa.select(User).where(User.email == "person@coopcare.example"))
    grace = db.session.scalar(sa.select(User).where(User.email == "provider@coopcare.example"))
    budget = next(b for b in amira.person.budgets if not b.is_isf)
    invoices = {i.reference: i for i in services.budget_invoices(budget)}
    assert {r: i.status for r, i in invoices.items()} == {
        "HCC-0001": "paid", "HCC-0002": "paid", "HCC-0003": "paid",
        "HCC-0004": "queried", "HCC-0005": "raised",
    }  # fmt: skip
    linked = {
        e.invoice_reference: e.invoice_id for e in _entries(budget) if e.invoice_id is not None
    }
    assert linked == {r: invoices[r].id for r in ("HCC-0001", "HCC-0002", "HCC-0003")}
    statement = budget_services.statement(budget, date(2026, 4, 1), date(2026, 6, 30))
    assert statement.reconciles()
    assert statement.money_out_by_category()["agency_care"][1] == (
        "HCC-0001", "HCC-0002", "HCC-0003",
    )  # fmt: skip
    page = login(amira).get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "HCC-0004" in page and "Queried: waiting for the provider" in page
    queried = login(grace).get(f"/provider/invoices/{invoices['HCC-0004'].id}")
    assert "did not happen" in queried.get_data(as_text=True)
    fund = db.session.scalar(
        sa.select(ProviderInvoice).where(ProviderInvoice.reference == "HCC-ISF-0005")
    ).budget
    assert fund.is_isf and all(e.invoice_id for e in _entries(fund) if e.kind == "payment")
