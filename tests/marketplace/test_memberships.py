"""Memberships for outcomes end to end in the app: plans on (local)Stripe, starting a
membership with the test card, the status page, cancelling at the period's end, Checkout
webhooks, and the monthly outcome review with its guarantee refund — including the
attacks: a double submit, a race, another person's membership, a replayed webhook."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import stripe
from stripe_helpers import post_webhook, running_localstripe

from marketplace import clock
from marketplace.extensions import db
from marketplace.memberships import services
from marketplace.models import (
    AuditLog,
    GuaranteeRefund,
    Membership,
    MembershipInvoice,
    MembershipPlan,
    MembershipStart,
    Notification,
    OutboxEmail,
    OutcomeReview,
    WebhookEvent,
)
from marketplace.workflow import IllegalMove
from payments.gateway import (
    CheckoutSession,
    make_stripe_client,
)

pytestmark = pytest.mark.stripe

PLAN_FORM = {
    "name": "Living well at home",
    "monthly_price": "£450.00",
    "included": "A regular team of three, up to 10 hours a week",
    "outcomes": "Gets to the allotment every week\nCooks a meal with friends\n",
    "guarantee_percent": "20",
    "guarantee_rule": "any_not_met",
    "active": "y",
}


@pytest.fixture(scope="module")
def localstripe_base() -> Iterator[str]:
    with running_localstripe() as base:
        yield base


@pytest.fixture
def stripe_on(app, localstripe_base, monkeypatch) -> stripe.StripeClient:
    """The app talks to localstripe, starting memberships with the test card."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_coopcare")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe_base)
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", True)
    return make_stripe_client("sk_test_coopcare", localstripe_base)


def _plan(make, admin=None, **kw) -> MembershipPlan:
    provider = kw.pop("provider", None) or make.provider(admin=admin)
    plan = MembershipPlan(
        provider_id=provider.id,
        name=kw.pop("name", "Living well"),
        monthly_price_pence=kw.pop("monthly_price_pence", 45_000),
        included="Weekly visits",
        outcomes=kw.pop("outcomes", ["Gets to the allotment", "Sleeps well"]),
        guarantee_percent=kw.pop("guarantee_percent", 20),
        guarantee_rule=kw.pop("guarantee_rule", "any_not_met"),
        **kw,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def _on_stripe(plan: MembershipPlan) -> MembershipPlan:
    billing = services.gateway()
    assert billing is not None
    services.sync_plan_to_stripe(plan, billing)
    return plan


def _start(client, plan: MembershipPlan, person_id: int, token: str | None = None):
    page = client.get(f"/memberships/start/{plan.id}")
    assert page.status_code == 200, page.get_data(as_text=True)[:400]
    token = token or re.search(r'name="token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]
    return client.post(
        f"/memberships/start/{plan.id}", data={"person": str(person_id), "token": token}
    )


# --- plans -------------------------------------------------------------------------------


def test_a_provider_admin_creates_a_plan_on_stripe(make, login, stripe_on) -> None:
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    client = login(admin)
    response = client.post(f"/provider/plans/new?provider={provider.id}", data=PLAN_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    plan = db.session.scalar(
        sa.select(MembershipPlan).where(MembershipPlan.provider_id == provider.id)
    )
    assert plan.monthly_price_pence == 45_000
    assert plan.outcomes == ["Gets to the allotment every week", "Cooks a meal with friends"]
    assert (plan.guarantee_percent, plan.guarantee_rule, plan.active) == (20, "any_not_met", True)
    assert plan.on_stripe and plan.stripe_price_pence == 45_000
    product = stripe_on.v1.products.retrieve(plan.stripe_product_id).to_dict()
    assert product["metadata"] == {
        "coopcare_plan_id": str(plan.id),
        "coopcare_provider_id": str(provider.id),
    }
    on_stripe = stripe_on.v1.plans.retrieve(plan.stripe_price_id).to_dict()
    assert (on_stripe["amount"], on_stripe["interval"]) == (45_000, "month")
    page = client.get("/provider/plans").get_data(as_text=True)
    assert "Living well at home" in page and "£450.00 a month" in page and "Offered" in page

    # A new price is a new revision and a new Plan on Stripe; the Product is kept.
    first_price = plan.stripe_price_id
    changed = dict(PLAN_FORM, monthly_price="480", name="Living well, more hours")
    assert client.post(f"/provider/plans/{plan.id}/edit", data=changed).status_code == 302
    db.session.refresh(plan)
    assert plan.revision == 2 and plan.on_stripe and plan.stripe_price_id != first_price
    assert stripe_on.v1.plans.retrieve(plan.stripe_price_id).amount == 48_000
    assert stripe_on.v1.products.retrieve(plan.stripe_product_id).name == "Living well, more hours"
    # Changing only the outcomes is not a Stripe change.
    outcomes_only = dict(changed, outcomes="Sleeps well")
    assert client.post(f"/provider/plans/{plan.id}/edit", data=outcomes_only).status_code == 302
    db.session.refresh(plan)
    assert plan.revision == 2 and plan.outcomes == ["Sleeps well"]


def test_a_new_price_archives_the_old_one_and_members_keep_theirs(make, login, stripe_on) -> None:
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    provider_client = login(admin)
    assert (
        provider_client.post(
            f"/provider/plans/new?provider={provider.id}", data=PLAN_FORM
        ).status_code
        == 302
    )
    plan = db.session.scalar(sa.select(MembershipPlan))
    old_price = plan.stripe_price_id
    member = make.user(roles=["person"])
    family = login(member)
    assert _start(family, plan, member.person.id).status_code == 302
    membership = db.session.scalar(sa.select(Membership))
    assert (membership.stripe_price_id, membership.monthly_price_pence) == (old_price, 45_000)

    raised = dict(PLAN_FORM, monthly_price="480")
    assert provider_client.post(f"/provider/plans/{plan.id}/edit", data=raised).status_code == 302
    db.session.refresh(plan)
    assert plan.stripe_price_id != old_price and plan.stripe_price_pence == 48_000
    # Nobody new joins at the old price; the member's subscription is still on it.
    assert stripe_on.v1.plans.retrieve(old_price).active in (False, "false")
    assert stripe_on.v1.plans.retrieve(plan.stripe_price_id).active is True
    subscription = stripe_on.v1.subscriptions.retrieve(membership.stripe_subscription_id)
    assert subscription["items"]["data"][0]["plan"]["id"] == old_price
    # Asking Stripe again changes nothing: the membership keeps its price, and says so.
    assert family.post(f"/memberships/{membership.id}/refresh").status_code == 302
    db.session.refresh(membership)
    assert (membership.stripe_price_id, membership.monthly_price_pence) == (old_price, 45_000)
    page = family.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert "price to £480.00 a month for new memberships" in page
    assert "This membership keeps its price of £450.00." in page
    # A new member joins at the new price, and their page has nothing to explain.
    newcomer = make.user(roles=["person"])
    newcomer_client = login(newcomer)
    assert _start(newcomer_client, plan, newcomer.person.id).status_code == 302
    joined = db.session.scalar(
        sa.select(Membership).where(Membership.person_id == newcomer.person.id)
    )
    assert (joined.stripe_price_id, joined.monthly_price_pence) == (plan.stripe_price_id, 48_000)
    assert "keeps its price" not in newcomer_client.get(f"/memberships/{joined.id}").get_data(
        as_text=True
    )
    edit = provider_client.get(f"/provider/plans/{plan.id}/edit").get_data(as_text=True)
    assert "families already on the plan keep the price they joined at" in edit


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("monthly_price", "", "Enter the monthly price in pounds, like 450.00"),
        ("monthly_price", "-5", "The monthly price cannot be less than £0"),
        ("monthly_price", "12.345", "Enter the monthly price in pounds and pence"),
        ("monthly_price", "20000", "The monthly price must be £10,000 or less"),
        ("outcomes", "  \n ", "Enter at least one outcome"),
        ("guarantee_percent", "101", "Enter a percentage from 1 to 100"),
        ("guarantee_rule", "whenever", "Not a valid choice"),
        ("name", "", "Enter a name for the plan"),
        ("name", "x" * 500, "Keep the name to 120 characters or fewer"),
        ("guarantee_percent", "9" * 400, "Enter a percentage from 1 to 100"),
        ("monthly_price", "9" * 400, "The monthly price must be £10,000 or less"),
        ("outcomes", "\n".join(f"Outcome {n}" for n in range(30)), "Enter at most 10 outcomes"),
        ("outcomes", "y" * 300, "Keep each outcome to 200 characters or fewer"),
    ],
)
def test_bad_plan_input_is_explained_and_saves_nothing(make, login, field, value, message):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    response = login(admin).post(
        f"/provider/plans/new?provider={provider.id}", data=dict(PLAN_FORM, **{field: value})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    assert db.session.scalar(sa.select(sa.func.count(MembershipPlan.id))) == 0


def test_without_stripe_the_plan_is_saved_and_says_so(make, login) -> None:
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    client = login(admin)
    response = client.post(
        f"/provider/plans/new?provider={provider.id}", data=PLAN_FORM, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Payments are not set up on this site yet" in page and "Not on Stripe yet" in page
    plan = db.session.scalar(sa.select(MembershipPlan))
    assert plan.stripe_product_id is None and not plan.on_stripe


def test_stripe_unreachable_keeps_the_plan_and_a_retry_puts_it_on(
    app, make, login, stripe_on, monkeypatch
) -> None:
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    client = login(admin)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing there
    page = client.post(
        f"/provider/plans/new?provider={provider.id}", data=PLAN_FORM, follow_redirects=True
    ).get_data(as_text=True)
    assert "it is not on Stripe yet" in page and "could not be reached" in page
    plan = db.session.scalar(sa.select(MembershipPlan))
    assert plan.stripe_product_id is None
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_coopcare")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stripe_on._requestor.base_addresses["api"])
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", True)
    assert client.post(f"/provider/plans/{plan.id}/stripe").status_code == 302
    db.session.refresh(plan)
    assert plan.on_stripe


def test_public_page_shows_active_plans_of_listed_providers_only(make, client) -> None:
    listed = make.provider(qa_status="approved")
    _plan(make, provider=listed, name="Offered plan")
    _plan(make, provider=listed, name="Withdrawn plan", active=False)
    draft = make.provider(qa_status="draft")
    _plan(make, provider=draft, name="Draft plan")
    page = client.get(f"/providers/{listed.id}").get_data(as_text=True)
    assert "Offered plan" in page and "Withdrawn plan" not in page
    assert "20% of the month&#39;s fee is refunded" in page
    assert client.get(f"/providers/{draft.id}").status_code == 404


def test_only_active_plans_of_listed_providers_can_be_started(make, login) -> None:
    listed = make.provider(qa_status="approved")
    withdrawn = _plan(make, provider=listed, active=False)
    draft_plan = _plan(make, provider=make.provider(qa_status="draft"))
    client = login(make.user(roles=["person"]))
    assert client.get(f"/memberships/start/{withdrawn.id}").status_code == 404
    assert client.get(f"/memberships/start/{draft_plan.id}").status_code == 404
    page = client.get(f"/memberships/start/{_plan(make, provider=listed).id}")
    assert "Payments are not set up on this site yet" in page.get_data(as_text=True)


# --- starting, the status page, cancelling ------------------------------------------------


def test_a_person_starts_a_membership_with_the_test_card(make, login, stripe_on) -> None:
    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    client = login(person_user)
    response = _start(client, plan, person_user.person.id)
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    membership = db.session.scalar(sa.select(Membership))
    assert membership.status == "active" and membership.person_id == person_user.person.id
    assert membership.outcomes == ["Gets to the allotment", "Sleeps well"]
    assert membership.current_period_end > time.time()
    subscription = stripe_on.v1.subscriptions.retrieve(membership.stripe_subscription_id)
    assert subscription.metadata["coopcare_person_id"] == str(person_user.person.id)
    assert subscription.metadata["coopcare_plan_id"] == str(plan.id)
    (invoice,) = db.session.scalars(sa.select(MembershipInvoice)).all()
    assert (invoice.status, invoice.amount_paid_pence) == ("paid", 45_000)
    assert invoice.payment_intent_id
    page = client.get(response.location).get_data(as_text=True)
    assert "Active. The next monthly payment is taken on" in page
    assert "£450.00" in page and "Cancel at the end of this month" in page


def test_a_membership_pays_for_the_arrangement_and_reviews_its_outcomes(
    make, login, stripe_on
) -> None:
    from datetime import date

    from marketplace.models import Arrangement, ArrangementOutcome, ArrangementVersion

    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    arrangement = Arrangement(person_id=person_user.person.id, provider_id=plan.provider_id,
                              status="active", agreed_version=1, starts_on=date(2026, 11, 1),
                              funding_route="self_funded", membership_plan_id=plan.id)  # fmt: skip
    version = ArrangementVersion(number=1, status="accepted", proposed_by_side="provider",
                                 starts_on=date(2026, 11, 1), funding_route="self_funded",
                                 membership_plan_id=plan.id)  # fmt: skip
    version.outcomes = [ArrangementOutcome(position=1, text="Walks to the shops on my own")]
    arrangement.versions = [version]
    db.session.add(arrangement)
    db.session.flush()
    client = login(person_user)
    page = client.get(f"/memberships/start/{plan.id}").get_data(as_text=True)
    assert "the membership pays for the arrangement with" in page
    assert _start(client, plan, person_user.person.id).status_code == 302
    membership = db.session.scalar(sa.select(Membership))
    assert membership.arrangement_id == arrangement.id
    assert membership.outcomes == ["Walks to the shops on my own"]
    subscription = stripe_on.v1.subscriptions.retrieve(membership.stripe_subscription_id)
    assert subscription.metadata["coopcare_arrangement_id"] == str(arrangement.id)
    status_page = client.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert f'href="/arrangements/{arrangement.id}"' in status_page


def test_a_double_submitted_start_form_starts_one_membership(make, login, stripe_on) -> None:
    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    client = login(person_user)
    token = services.new_start_token()
    first = _start(client, plan, person_user.person.id, token)
    second = client.post(
        f"/memberships/start/{plan.id}", data={"person": str(person_user.person.id), "token": token}
    )
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(MembershipStart.id))) == 1
    membership = db.session.scalar(sa.select(Membership))
    listed = stripe_on.v1.subscriptions.list(params={"customer": membership.stripe_customer_id})
    assert len(listed.data) == 1
    # A fresh form while the membership is live leads to it, not to a second one.
    third = _start(client, plan, person_user.person.id)
    assert third.location.endswith(f"/memberships/{membership.id}")
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 1


def test_start_for_someone_else_is_refused(make, login, stripe_on) -> None:
    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    stranger = make.user(roles=["person"])
    viewer = make.user(roles=["supporter"])
    make.consent(person_user.person, viewer, ["view"])
    # A person cannot start one for another person by changing the form.
    response = _start(login(stranger), plan, person_user.person.id)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 0
    # A supporter who may only view is not someone who pays.
    assert login(viewer).get(f"/memberships/start/{plan.id}").status_code == 403


def test_a_supporter_with_pay_starts_one_and_it_is_recorded_for_the_person(
    make, login, stripe_on
) -> None:
    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    payer = make.user(roles=["supporter"])
    make.consent(person_user.person, payer, ["pay"])
    response = _start(login(payer), plan, person_user.person.id)
    assert response.status_code == 302
    membership = db.session.scalar(sa.select(Membership))
    assert membership.person_id == person_user.person.id
    assert membership.started_by_user_id == payer.id
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "membership.start"))
    assert (entry.actor_user_id, entry.on_behalf_of_person_id) == (payer.id, person_user.person.id)
    assert login(person_user).get(response.location).status_code == 200


def test_cancel_at_period_end_undo_and_canceled_is_final(make, login, stripe_on) -> None:
    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    client = login(person_user)
    _start(client, plan, person_user.person.id)
    membership = db.session.scalar(sa.select(Membership))
    page = client.post(f"/memberships/{membership.id}/cancel", follow_redirects=True)
    assert "The membership will end on" in page.get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.cancel_at_period_end and membership.status == "active"
    assert stripe_on.v1.subscriptions.retrieve(
        membership.stripe_subscription_id
    ).cancel_at_period_end
    # A second cancel (double submit) changes nothing.
    assert client.post(f"/memberships/{membership.id}/cancel").status_code == 302
    page = client.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert "It ends on" in page and "Keep the membership" in page
    assert client.post(f"/memberships/{membership.id}/resume").status_code == 302
    db.session.refresh(membership)
    assert not membership.cancel_at_period_end
    assert not stripe_on.v1.subscriptions.retrieve(
        membership.stripe_subscription_id
    ).cancel_at_period_end

    # Stripe ends it (the month ran out, say): only Stripe's word makes it canceled.
    stripe_on.v1.subscriptions.cancel(membership.stripe_subscription_id)
    assert client.post(f"/memberships/{membership.id}/refresh").status_code == 302
    db.session.refresh(membership)
    assert membership.status == "canceled"
    refused = client.post(f"/memberships/{membership.id}/cancel")
    assert refused.status_code == 409 and "start a new one" in refused.get_data(as_text=True)
    page = client.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert "Ended. Nothing more will be taken." in page and "Start a new Living well" in page
    # Restarting makes a new membership; the old one stays canceled.
    assert _start(client, plan, person_user.person.id).status_code == 302
    rows = db.session.scalars(sa.select(Membership).order_by(Membership.id)).all()
    assert [m.status for m in rows] == ["canceled", "active"]


def test_another_persons_membership_is_not_found(make, login, stripe_on) -> None:
    plan = _on_stripe(_plan(make))
    person_user = make.user(roles=["person"])
    _start(login(person_user), plan, person_user.person.id)
    membership = db.session.scalar(sa.select(Membership))
    stranger = login(make.user(roles=["person"]))
    for method, url in [
        ("get", f"/memberships/{membership.id}"),
        ("post", f"/memberships/{membership.id}/cancel"),
        ("post", f"/memberships/{membership.id}/reviews"),
    ]:
        assert getattr(stranger, method)(url).status_code == 404
    db.session.refresh(membership)
    assert not membership.cancel_at_period_end


# --- Checkout (production) and webhooks ------------------------------------------------


class CheckoutGateway:
    """Records the Checkout session a start asks for (localstripe has no Checkout)."""

    def __init__(self) -> None:
        self.sessions: list = []

    def create_customer(self, *, user_id: int, email: str, name: str = "") -> str:
        return f"cus_{user_id}"

    def create_checkout_session(self, start, *, success_url: str, cancel_url: str):
        self.sessions.append((start, success_url, cancel_url))
        return CheckoutSession(
            f"cs_{start.start_id}", f"https://checkout.stripe.test/{start.start_id}"
        )


post_event = post_webhook


def test_checkout_starts_it_only_when_stripe_says_it_completed(
    app, make, login, monkeypatch
) -> None:
    plan = _plan(make, stripe_product_id="prod_1", stripe_price_id="price_1", stripe_revision=1)
    person_user = make.user(roles=["person"])
    fake = CheckoutGateway()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setattr(services, "gateway", lambda: fake)
    client = login(person_user)
    response = _start(client, plan, person_user.person.id)
    assert response.status_code == 303
    assert response.location.startswith("https://checkout.stripe.test/")
    ((start, success_url, cancel_url),) = fake.sessions
    assert start.metadata()["coopcare_person_id"] == str(person_user.person.id)
    assert success_url == f"https://coopcare.example/memberships/checkout/{start.start_id}/done"
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 0
    # No secret key from here: the webhook applies the payloads, compared by time.
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")

    # Abandoned: the session expires and nothing is left behind.
    session = {
        "id": f"cs_{start.start_id}",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": "sub_checkout",
        "customer": "cus_1",
        "metadata": start.metadata(),
    }
    expired = {"id": "evt_exp", "type": "checkout.session.expired", "created": 1,
               "data": {"object": session}}  # fmt: skip
    assert post_event(client, expired).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 0
    waiting = client.get(success_url.removeprefix("https://coopcare.example"))
    assert "Stripe is confirming the payment" in waiting.get_data(as_text=True)

    completed = {"id": "evt_done", "type": "checkout.session.completed", "created": 2,
                 "data": {"object": session}}  # fmt: skip
    active = {
        "id": "evt_sub",
        "type": "customer.subscription.updated",
        "created": 3,
        "data": {"object": {"id": "sub_checkout", "object": "subscription", "status": "active",
                            "customer": "cus_1", "current_period_end": 2_000_000_000,
                            "metadata": start.metadata()}},
    }  # fmt: skip
    for event in (completed, active, completed, active):  # replayed: the same
        assert post_event(client, event).status_code == 200
    (membership,) = db.session.scalars(sa.select(Membership)).all()
    assert (membership.status, membership.person_id) == ("active", person_user.person.id)
    assert membership.outcomes == plan.outcomes
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 3
    done = client.get(success_url.removeprefix("https://coopcare.example"))
    assert done.location.endswith(f"/memberships/{membership.id}")
    # Another person cannot read someone's checkout page.
    other = login(make.user(roles=["person"]))
    assert other.get(success_url.removeprefix("https://coopcare.example")).status_code == 404


# --- the monthly outcome review -------------------------------------------------------


@pytest.fixture
def reviewed(make, login, stripe_on):
    """An active membership started with the test card, its provider's admin, and the
    month's open review."""
    admin = make.user(roles=["provider_admin"])
    plan = _on_stripe(_plan(make, admin=admin))
    person_user = make.user(roles=["person"])
    family = login(person_user)
    _start(family, plan, person_user.person.id)
    membership = db.session.scalar(sa.select(Membership))
    # The month just paid for is reviewed once it is over.
    too_early = family.post(f"/memberships/{membership.id}/reviews")
    assert too_early.status_code == 409 and "once it is over" in too_early.get_data(as_text=True)
    with clock.frozen(clock.now() + timedelta(days=32)):
        response = family.post(f"/memberships/{membership.id}/reviews")
        again = family.post(f"/memberships/{membership.id}/reviews")  # the same review
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert again.location == response.location
    review = db.session.scalar(sa.select(OutcomeReview))
    return membership, review, family, login(admin), person_user


RATED = {"side": "person", "rating_1": "not_met", "comment_1": "No allotment visits",
         "rating_2": "met", "comment_2": ""}  # fmt: skip


def test_not_met_refunds_the_guarantee_once_through_stripe(reviewed, stripe_on) -> None:
    membership, review, family, team, _ = reviewed
    url = f"/memberships/{membership.id}/reviews/{review.id}"
    page = family.post(url, data=RATED, follow_redirects=True).get_data(as_text=True)
    assert "The refund has been made." in page
    refund = db.session.scalar(sa.select(GuaranteeRefund))
    invoice = db.session.get(MembershipInvoice, review.membership_invoice_id)
    assert refund.amount_pence == 9_000  # 20% of £450
    assert refund.stripe_refund_id and refund.stripe_status == "succeeded"
    assert invoice.amount_refunded_pence == 9_000
    on_stripe = stripe_on.v1.refunds.list(params={"payment_intent": invoice.payment_intent_id})
    assert [(r.amount, r.metadata["coopcare_outcome_review_id"]) for r in on_stripe.data] == [
        (9_000, str(review.id))
    ]
    # A double submit: refused, and no second refund.
    again = family.post(url, data=RATED)
    assert again.status_code == 409
    assert family.post(f"{url}/refund", follow_redirects=True).status_code == 200
    assert (
        len(stripe_on.v1.refunds.list(params={"payment_intent": invoice.payment_intent_id}).data)
        == 1
    )
    assert db.session.scalar(sa.select(sa.func.count(GuaranteeRefund.id))) == 1
    # Both sides see it; the team rates its side.
    team_page = team.get(url).get_data(as_text=True)
    assert "Refund of £90.00" in team_page and "No allotment visits" in team_page
    team_rated = {"side": "team", "rating_1": "partly_met", "comment_1": "Rain",
                  "rating_2": "met", "comment_2": ""}  # fmt: skip
    assert team.post(url, data=team_rated).status_code == 302
    db.session.refresh(review)
    assert review.status == "complete"
    told = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert [n.message.split(" for ")[0] for n in told] == [
        f"The family has rated {services.period_label(review.period_start)}",
        f"The team has rated {services.period_label(review.period_start)}",
    ]
    assert all(n.link == url for n in told)
    status_page = family.get(f"/memberships/{membership.id}").get_data(as_text=True)
    assert "Guarantee refund: £90.00, refunded by Stripe" in status_page
    assert "£90.00" in status_page  # the invoice's refunded column


def test_met_outcomes_refund_nothing(reviewed, stripe_on) -> None:
    membership, review, family, _, _ = reviewed
    met = dict(RATED, rating_1="partly_met")
    assert (
        family.post(f"/memberships/{membership.id}/reviews/{review.id}", data=met).status_code
        == 302
    )
    assert db.session.scalar(sa.select(sa.func.count(GuaranteeRefund.id))) == 0


def test_each_side_rates_only_its_own_side(reviewed) -> None:
    membership, review, family, team, _ = reviewed
    url = f"/memberships/{membership.id}/reviews/{review.id}"
    assert family.post(url, data=dict(RATED, side="team")).status_code == 403
    assert team.post(url, data=RATED).status_code == 403
    missing = family.post(url, data={"side": "person", "rating_1": "met"})
    assert missing.status_code == 400 and "Rate “Sleeps well”" in missing.get_data(as_text=True)
    db.session.refresh(review)
    assert review.status == "open"


def test_two_racing_ratings_count_once(reviewed) -> None:
    """Two requests both saw the review open; the other one committed first. The
    compare-and-set refuses the late one, so nothing is rated or refunded twice."""
    membership, review, _, _, person_user = reviewed
    ratings = {1: services.Rating("not_met", ""), 2: services.Rating("met", "")}
    db.session.execute(
        sa.update(OutcomeReview)
        .where(OutcomeReview.id == review.id)
        .values(status="person_rated")
        .execution_options(synchronize_session=False)
    )  # the winner, behind this request's back: `review` still says open
    assert review.status == "open"
    with pytest.raises(IllegalMove):
        services.rate(review, "person", ratings, person_user)
    assert db.session.scalar(sa.select(sa.func.count(GuaranteeRefund.id))) == 0


def test_racing_refund_requests_ask_stripe_once(reviewed, stripe_on, monkeypatch) -> None:
    membership, review, family, _, person_user = reviewed
    ratings = {1: services.Rating("not_met", ""), 2: services.Rating("met", "")}
    services.rate(review, "person", ratings, person_user)
    db.session.commit()
    refund = services.refund_for(review)
    asked = []
    billing = services.gateway()
    real_refund = billing.refund

    def counting_refund(**kw):
        asked.append(kw["refund_id"])
        return real_refund(**kw)

    monkeypatch.setattr(billing, "refund", counting_refund)
    monkeypatch.setattr(services, "gateway", lambda: billing)
    assert services._claim_refund(refund)  # another request holds it now
    assert services.issue_refund(refund) == "The refund is being made."
    assert asked == []


# --- a real race on PostgreSQL -----------------------------------------------------------


class SlowRefunds:
    """A gateway whose refunds take a moment, so racing requests overlap; counts calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def refund(self, *, refund_id, payment_intent_id, amount_pence, metadata):
        from payments.gateway import RefundResult

        with self.lock:
            self.calls.append(refund_id)
        time.sleep(0.3)
        return RefundResult(
            f"re_{len(self.calls)}", "succeeded", amount_pence, payment_intent_id, 1
        )


@pytest.mark.own_database
def test_racing_family_submits_rate_and_refund_once(app, database_url, monkeypatch) -> None:
    """Two real connections submit the family's ratings at the same moment, then both ask
    for the refund: one rating counts, one refund row, one call to Stripe."""
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent connections: PostgreSQL (SQLite queues writers)")
    from marketplace.models import Person, Provider, User

    gateway = SlowRefunds()
    monkeypatch.setattr(services, "gateway", lambda: gateway)
    tag = str(time.time_ns())
    with app.app_context():
        user = User(email=f"race-{tag}@example.org", password_hash="x", display_name="Race")
        user.add_role("person")
        provider = Provider(name=f"Race Co-op {tag}", legal_form="worker_coop", qa_status="draft")
        db.session.add_all([user, provider])
        db.session.flush()
        person = Person(user_id=user.id, display_name="Race", postcode="LS6 1AA", district="LS6",
                        lat=53.8, lon=-1.57, care_council_code="E08000035")  # fmt: skip
        plan = MembershipPlan(provider_id=provider.id, name="Race plan", included="x",
                              monthly_price_pence=40_000, outcomes=["Sleeps well"],
                              guarantee_percent=50)  # fmt: skip
        db.session.add_all([person, plan])
        db.session.flush()
        membership = Membership(plan_id=plan.id, person_id=person.id, status="active",
                                stripe_subscription_id=f"sub_race_{tag}", status_observed_at=1,
                                outcomes=["Sleeps well"])  # fmt: skip
        db.session.add(membership)
        db.session.flush()
        invoice = MembershipInvoice(stripe_invoice_id=f"in_race_{tag}", membership_id=membership.id,
                                    status="paid", amount_due_pence=40_000,
                                    amount_paid_pence=40_000, payment_intent_id=f"pi_race_{tag}",
                                    observed_at=1)  # fmt: skip
        db.session.add(invoice)
        db.session.flush()
        review = OutcomeReview(membership_id=membership.id, membership_invoice_id=invoice.id)
        from marketplace.models import OutcomeReviewLine

        review.lines = [OutcomeReviewLine(position=1, outcome="Sleeps well", person_comment="",
                                          team_comment="")]  # fmt: skip
        db.session.add(review)
        db.session.commit()
        ids = (user.id, review.id, membership.id, invoice.id, plan.id, person.id, provider.id)
        db.session.remove()

    user_id, review_id = ids[0], ids[1]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def family_submits() -> None:
        with app.app_context():
            found = db.session.get(OutcomeReview, review_id)
            _ = found.lines, found.status  # both see it open
            barrier.wait()
            try:
                services.rate(found, "person", {1: services.Rating("not_met", "")},
                              db.session.get(User, user_id))  # fmt: skip
                db.session.commit()
                results.append("rated")
            except IllegalMove:
                db.session.rollback()
                results.append("refused")
            refund = services.refund_for(db.session.get(OutcomeReview, review_id))
            if refund is not None:
                barrier_refund.wait()
                results.append(services.issue_refund(refund))
            else:
                barrier_refund.wait()
            db.session.remove()

    barrier_refund = threading.Barrier(2)
    threads = [threading.Thread(target=family_submits) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(results[:2]) == ["rated", "refused"]
        assert "The refund has been made." in results
        assert gateway.calls == [f"outcome-review-{review_id}"]
        with app.app_context():
            refunds = db.session.scalars(
                sa.select(GuaranteeRefund).where(GuaranteeRefund.review_id == review_id)
            ).all()
            assert [(r.amount_pence, r.stripe_refund_id) for r in refunds] == [(20_000, "re_1")]
            db.session.remove()
    finally:
        with app.app_context():
            review_id, membership_id, invoice_id, plan_id = ids[1], ids[2], ids[3], ids[4]
            for statement in (
                sa.delete(GuaranteeRefund).where(GuaranteeRefund.review_id == review_id),
                sa.delete(OutcomeReview).where(OutcomeReview.id == review_id),
                sa.delete(MembershipInvoice).where(MembershipInvoice.id == invoice_id),
                sa.delete(Membership).where(Membership.id == membership_id),
                sa.delete(MembershipPlan).where(MembershipPlan.id == plan_id),
                sa.delete(Person).where(Person.id == ids[5]),
                sa.delete(User).where(User.id == ids[0]),
                sa.delete(Provider).where(Provider.id == ids[6]),
            ):
                db.session.execute(statement)
            db.session.commit()
            db.session.remove()


# --- the monthly review is due: `flask billing run` -------------------------------------


def test_billing_run_reminds_both_sides_of_a_review_due_once(make, login, stripe_on, app):
    admin = make.user(roles=["provider_admin"])
    plan = _on_stripe(_plan(make, admin=admin))
    person_user = make.user(roles=["person"])
    payer = make.user(roles=["supporter"])
    make.consent(person_user.person, payer, ["pay"])
    onlooker = make.user(roles=["supporter"])
    make.consent(person_user.person, onlooker, ["view"])  # may see, may not rate
    family = login(person_user)
    assert _start(family, plan, person_user.person.id).status_code == 302
    membership = db.session.scalar(sa.select(Membership))
    db.session.commit()
    runner = app.test_cli_runner()
    # The month just paid for is not over: nothing is due.
    early = runner.invoke(args=["billing", "run"])
    assert early.exit_code == 0, early.output
    assert "0 outcome review reminders sent" in early.output
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    with clock.frozen(clock.now() + timedelta(days=32)):
        first = runner.invoke(args=["billing", "run"])
        assert first.exit_code == 0, first.output
        month = services.period_label(db.session.scalar(sa.select(MembershipInvoice.period_start)))
        assert f"Membership {membership.id} (1 of 1): review of {month} due, reminders sent" in (
            first.output
        )
        assert "1 outcome review reminders sent" in first.output
        again = runner.invoke(args=["billing", "run"])
        assert "0 outcome review reminders sent" in again.output
        assert f"Membership {membership.id} (1 of 1): nothing to send" in again.output
    told = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert sorted(n.user_id for n in told) == sorted([person_user.id, payer.id, admin.id])
    assert all(n.link == f"/memberships/{membership.id}" for n in told)
    assert all(f"{month} is over" in n.message for n in told)
    mails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert sorted(m.to_address for m in mails) == sorted(
        [person_user.email, payer.email, admin.email]
    )
    assert {m.subject for m in mails} == {f"CoopCare: Outcome review due: {month}"}


def test_a_month_both_sides_reviewed_is_not_reminded(reviewed, app) -> None:
    membership, review, family, team, _ = reviewed
    url = f"/memberships/{membership.id}/reviews/{review.id}"
    met = {"side": "person", "rating_1": "met", "comment_1": "", "rating_2": "met",
           "comment_2": ""}  # fmt: skip
    assert family.post(url, data=met).status_code == 302
    assert team.post(url, data=dict(met, side="team")).status_code == 302
    db.session.commit()
    runner = app.test_cli_runner()
    with clock.frozen(clock.now() + timedelta(days=32)):
        out = runner.invoke(args=["billing", "run"]).output
    assert "0 outcome review reminders sent" in out  # both sides have rated it
    assert not db.session.scalars(
        sa.select(Notification).where(Notification.message.contains("is over"))
    ).all()
