"""Paying a provider invoice by card in production: Stripe Checkout in payment mode. The
session is made through a stand-in for Stripe (localstripe has no Checkout); Stripe's
answers come as signed webhooks, delivered twice and out of order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from arrangements_helpers import agreed, setup
from card_checkout_helpers import FakeCardGateway, checkout_event
from stripe_helpers import post_webhook

from marketplace import clock
from marketplace.billing import services as billing_services
from marketplace.extensions import db
from marketplace.invoices import services
from marketplace.models import CardPayment, LedgerEntry, ProviderInvoice

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def stripe(app, monkeypatch) -> FakeCardGateway:
    gateway = FakeCardGateway()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_live_pretend")
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", False)
    monkeypatch.setattr(billing_services, "configured_gateway", lambda: gateway)
    monkeypatch.setattr(services, "configured_gateway", lambda: gateway)
    return gateway


class World:
    def __init__(self, make, login) -> None:
        self.s = setup(make)
        self.arrangement = agreed(self.s)
        self.budget = make.budget(self.s.person, starts_on=date(2026, 10, 1))
        make.ledger_entries(self.budget, ("allocation", 50_000, date(2026, 10, 1), "October"))
        self.person = login(self.s.person_user)
        self.invoice = ProviderInvoice(
            provider_id=self.s.provider.id, budget_id=self.budget.id,
            arrangement_id=self.arrangement.id, reference="HCC-0200",
            description="Support visits", category="agency_care", amount_pence=22_575,
            status="approved",
        )  # fmt: skip
        db.session.add(self.invoice)
        db.session.commit()

    def pay(self, **headers):
        return self.person.post(f"/invoices/{self.invoice.id}/pay/card", headers=headers)

    def entries(self) -> list[LedgerEntry]:
        return list(
            db.session.scalars(
                sa.select(LedgerEntry)
                .where(LedgerEntry.budget_id == self.budget.id)
                .order_by(LedgerEntry.sequence)
            )
        )

    def payments(self) -> list[CardPayment]:
        return list(db.session.scalars(sa.select(CardPayment).order_by(CardPayment.id)))


@pytest.fixture
def world(make, login) -> World:
    return World(make, login)


def deliver(client, event: dict) -> int:
    return post_webhook(client, event).status_code


def test_the_invoice_page_offers_stripes_page_and_sends_the_payer_there(world, stripe) -> None:
    page = world.person.get(f"/invoices/{world.invoice.id}").get_data(as_text=True)
    assert "on Stripe's secure payment page" in page and "test card" not in page
    # Forwarded host headers do not change where Stripe sends the payer back to.
    response = world.pay(**{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"})
    assert response.status_code == 303
    assert response.location == f"https://checkout.stripe.test/cs_test_{world.payments()[0].id}"
    (payment,) = world.payments()
    assert (payment.status, payment.stripe_checkout_session_id) == (
        "pending", f"cs_test_{payment.id}",
    )  # fmt: skip
    (sent,) = stripe.requests
    invoice_url = f"https://coopcare.example/invoices/{world.invoice.id}"
    assert sent["success_url"] == invoice_url + "?card=done"
    assert sent["cancel_url"] == invoice_url + "?card=left"
    assert sent["key"] == f"coopcare-card-checkout-{payment.id}"
    assert sent["payment"].metadata() == {
        "coopcare_card_payment_id": str(payment.id),
        "coopcare_budget_id": str(world.budget.id),
        "coopcare_invoice_id": str(world.invoice.id),
    }
    assert sent["payment"].amount_pence == 22_575
    # The page expires CARD_PAYMENT_EXPIRY_MINUTES (60) after the attempt began.
    requested = payment.requested_at.replace(tzinfo=None).timestamp()
    assert sent["expires_at"] - int(requested) in (3600, 3601)
    assert world.entries()[1:] == [] and world.invoice.status == "approved"


def test_paying_twice_while_waiting_is_the_same_page(world, stripe) -> None:
    first, second = world.pay(), world.pay()
    assert first.location == second.location
    assert len(world.payments()) == 1 and len(stripe.requests) == 1  # the open page again


def test_a_completed_checkout_pays_the_invoice_once_replayed_in_any_order(
    world, stripe, client
) -> None:
    world.pay()
    (payment,) = world.payments()
    session_id = payment.stripe_checkout_session_id
    intent_id = stripe.complete(session_id)
    session = stripe.sessions[session_id]
    events = [
        checkout_event("evt_done", "checkout.session.completed", session),
        {"id": "evt_pi", "type": "payment_intent.succeeded", "created": 1,
         "data": {"object": {"id": intent_id, "object": "payment_intent",
                             "metadata": dict(session.metadata)}}},
        # A stale "expired" about the same session: Stripe, asked, says complete.
        checkout_event("evt_stale", "checkout.session.expired", session, status="expired"),
    ]  # fmt: skip
    for event in [events[1], events[0], events[2], events[0], events[1]]:
        assert deliver(client, event) == 200
    db.session.refresh(world.invoice)
    assert (world.invoice.status, world.invoice.paid_by) == ("paid", "card")
    assert [(e.kind, e.amount_pence, e.stripe_object_id) for e in world.entries()[1:]] == [
        ("payment", -22_575, intent_id)
    ]
    db.session.refresh(payment)
    assert payment.status == "succeeded" and payment.stripe_payment_intent_id == intent_id
    assert "Paid" in world.person.get(f"/invoices/{world.invoice.id}").get_data(as_text=True)


def test_an_expired_checkout_releases_the_money_and_the_invoice_stays_payable(
    world, stripe, client
) -> None:
    world.pay()
    (payment,) = world.payments()
    stripe.expire(payment.stripe_checkout_session_id)
    event = checkout_event(
        "evt_exp", "checkout.session.expired", stripe.sessions[payment.stripe_checkout_session_id]
    )
    assert deliver(client, event) == 200 and deliver(client, event) == 200
    db.session.refresh(payment)
    db.session.refresh(world.invoice)
    assert payment.status == "failed" and "expired" in payment.failure_message
    assert world.invoice.status == "approved" and world.entries()[1:] == []
    assert services._reserved(world.budget.id) == 0
    # A new attempt: a new record, a new key, a new page.
    again = world.pay()
    assert again.status_code == 303
    assert [p.status for p in world.payments()] == ["failed", "pending"]
    assert stripe.requests[-1]["key"] == f"coopcare-card-checkout-{world.payments()[1].id}"


def test_a_page_that_expired_before_its_webhook_is_noticed_when_paying_again(world, stripe) -> None:
    world.pay()
    (payment,) = world.payments()
    stripe.expire(payment.stripe_checkout_session_id)
    response = world.pay()
    assert response.status_code == 303
    assert [p.status for p in world.payments()] == ["failed", "pending"]


def test_paid_on_stripe_before_the_webhook_paying_again_finds_it_paid(world, stripe) -> None:
    world.pay()
    (payment,) = world.payments()
    stripe.complete(payment.stripe_checkout_session_id)
    response = world.pay()
    assert response.status_code == 303
    assert response.location == f"https://coopcare.example/invoices/{world.invoice.id}"
    db.session.refresh(world.invoice)
    assert world.invoice.status == "paid" and len(world.entries()) == 2


def test_stripe_unreachable_writes_nothing_and_the_retry_is_the_same_request(world, stripe) -> None:
    stripe.down = True
    response = world.pay()
    assert response.status_code == 503
    assert "could not be reached" in response.get_data(as_text=True)
    (payment,) = world.payments()
    assert payment.status == "pending" and payment.stripe_checkout_session_id is None
    assert world.entries()[1:] == []
    stripe.down = False
    assert world.pay().status_code == 303
    (again,) = world.payments()
    assert again.id == payment.id and again.stripe_checkout_session_id
    # Stripe down while the waiting page is looked up again: a clear message, no change.
    stripe.down = True
    assert world.pay().status_code == 503
    assert world.payments()[0].stripe_checkout_session_id == again.stripe_checkout_session_id


def test_coming_back_from_stripe(world, stripe) -> None:
    done = world.person.get(f"/invoices/{world.invoice.id}?card=done").get_data(as_text=True)
    assert "Stripe is confirming the card payment" in done
    left = world.person.get(f"/invoices/{world.invoice.id}?card=left").get_data(as_text=True)
    assert "You left Stripe&#39;s page without paying" in left
    other = world.person.get(f"/invoices/{world.invoice.id}?card=%3Cx%3E")
    assert other.status_code == 200 and "Stripe is confirming" not in other.get_data(as_text=True)


def test_connect_destination_when_configured(world, stripe, app, monkeypatch) -> None:
    world.s.provider.stripe_account_id = "acct_provider"
    db.session.commit()
    world.pay()
    assert stripe.requests[-1]["payment"].provider_account_id == "acct_provider"


def test_the_configured_gateway_carries_connect_settings(app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_FEE_BASIS_POINTS", 250)
    gateway = billing_services.configured_gateway()
    assert gateway is not None and gateway._connect.application_fee_basis_points == 250
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_FEE_BASIS_POINTS", None)
    assert billing_services.configured_gateway()._connect is None


def test_a_test_card_attempt_in_flight_is_not_mixed_with_checkout(world, stripe) -> None:
    waiting = CardPayment(
        budget_id=world.budget.id, invoice_id=world.invoice.id, amount_pence=22_575,
        description="x", status="pending", stripe_payment_intent_id="pi_elsewhere",
    )  # fmt: skip
    db.session.add(waiting)
    db.session.commit()
    response = world.pay()
    assert response.status_code == 409
    assert "Check with Stripe again" in response.get_data(as_text=True)


# -- stuck card payments: "Check with Stripe again" and the billing run ----------------------


def check(world):
    return world.person.post(f"/invoices/{world.invoice.id}/pay/card/check")


def test_the_payer_checks_with_stripe_and_a_paid_checkout_pays_the_invoice(world, stripe) -> None:
    world.pay()
    (payment,) = world.payments()
    page = world.person.get(f"/invoices/{world.invoice.id}").get_data(as_text=True)
    assert "Check with Stripe again" in page
    stripe.complete(payment.stripe_checkout_session_id)
    response = check(world)
    assert response.status_code == 302
    page = world.person.get(f"/invoices/{world.invoice.id}").get_data(as_text=True)
    assert "Stripe says the card payment was made" in page
    db.session.refresh(world.invoice)
    assert world.invoice.status == "paid" and len(world.entries()) == 2
    assert check(world).status_code == 409  # nothing waiting any more


def test_checking_before_the_expiry_leaves_an_open_page_alone(world, stripe) -> None:
    world.pay()
    assert check(world).status_code == 302
    (payment,) = world.payments()
    assert payment.status == "pending"
    assert stripe.sessions[payment.stripe_checkout_session_id].status == "open"
    page = world.person.get(f"/invoices/{world.invoice.id}").get_data(as_text=True)
    assert "Stripe is still waiting for the card holder" in page


def test_checking_after_the_expiry_stops_the_page_and_releases_the_money(
    world, stripe, app, monkeypatch
) -> None:
    world.pay()
    monkeypatch.setitem(app.config, "CARD_PAYMENT_EXPIRY_MINUTES", 1)
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        assert check(world).status_code == 302
    (payment,) = world.payments()
    assert payment.status == "failed"
    assert stripe.sessions[payment.stripe_checkout_session_id].status == "expired"
    db.session.refresh(world.invoice)
    assert world.invoice.status == "approved" and services._reserved(world.budget.id) == 0


def test_stripe_unreachable_when_checking_says_so_and_changes_nothing(world, stripe) -> None:
    world.pay()
    stripe.down = True
    response = check(world)
    assert response.status_code == 503
    assert "could not be reached" in response.get_data(as_text=True)
    assert world.payments()[0].status == "pending"


def test_who_may_check_is_who_may_pay(world, stripe, make, login) -> None:
    world.pay()
    stranger = login(make.user(roles=["person"]))
    assert stranger.post(f"/invoices/{world.invoice.id}/pay/card/check").status_code == 404
    provider = login(world.s.admin)
    assert provider.post(f"/invoices/{world.invoice.id}/pay/card/check").status_code == 403
    assert world.payments()[0].status == "pending"


def test_the_billing_run_settles_or_releases_card_payments_stripe_left_waiting(
    world, stripe, make, app, monkeypatch
) -> None:
    from marketplace.budgets import cli as billing_cli

    world.pay()
    (paid,) = world.payments()
    stripe.complete(paid.stripe_checkout_session_id)
    second = ProviderInvoice(
        provider_id=world.s.provider.id, budget_id=world.budget.id,
        arrangement_id=world.arrangement.id, reference="HCC-0201", description="More",
        category="agency_care", amount_pence=1_000, status="approved",
    )  # fmt: skip
    db.session.add(second)
    db.session.commit()
    world.person.post(f"/invoices/{second.id}/pay/card")
    abandoned = world.payments()[1]
    lines: list[str] = []
    summary = billing_cli.run(TODAY, echo=lines.append)  # not overdue yet: nothing asked
    assert "Asked Stripe about 0 card payments" in summary
    with clock.frozen(clock.now() + timedelta(minutes=61)):
        summary = billing_cli.run(TODAY, echo=lines.append)
        assert "Asked Stripe about 2 card payments waiting too long: 1 paid, 1 released." in summary
        assert f"Card payment {abandoned.id}: card payment {abandoned.id} released" in "\n".join(
            lines
        )
        again = billing_cli.run(TODAY, echo=lines.append)
        assert "Asked Stripe about 0 card payments" in again  # idempotent
    db.session.refresh(world.invoice)
    db.session.refresh(second)
    assert (world.invoice.status, second.status) == ("paid", "approved")
    assert [p.status for p in world.payments()] == ["succeeded", "failed"]
    assert stripe.sessions[abandoned.stripe_checkout_session_id].status == "expired"


def test_the_billing_run_with_stripe_unreachable_keeps_waiting_and_says_so(world, stripe) -> None:
    from marketplace.budgets import cli as billing_cli

    world.pay()
    stripe.down = True
    lines: list[str] = []
    with clock.frozen(clock.now() + timedelta(minutes=61)):
        summary = billing_cli.run(TODAY, echo=lines.append)
    assert "1 could not be asked (Stripe unreachable): next run." in summary
    assert any("not changed" in line for line in lines)
    assert world.payments()[0].status == "pending"
    stripe.down = False
    with clock.frozen(clock.now() + timedelta(minutes=61)):
        assert "0 paid, 1 released" in billing_cli.run(TODAY, echo=lines.append)


def test_the_billing_run_without_stripe_leaves_them_waiting(world, stripe, monkeypatch) -> None:
    from marketplace.budgets import cli as billing_cli

    world.pay()
    monkeypatch.setattr(services, "configured_gateway", lambda: None)
    lines: list[str] = []
    with clock.frozen(clock.now() + timedelta(minutes=61)):
        billing_cli.run(TODAY, echo=lines.append)
    assert any("Stripe is not set up here" in line for line in lines)
    assert world.payments()[0].status == "pending"
