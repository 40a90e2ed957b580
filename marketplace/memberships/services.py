"""Memberships for outcomes in the web app: plans on Stripe, starting a membership, the
status page, cancelling at the period's end, and the monthly outcome review with its
guarantee refund.

The rules are in the pure `payments` package (status mirroring, the guarantee decision);
this module reads and writes our rows and talks to Stripe through `BillingGateway`. A
membership's status changes only from what Stripe answers or sends (webhooks); nothing
here guesses one.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from marketplace import audit, authz, clock, links
from marketplace.billing.repository import SqlBillingRepository
from marketplace.billing.services import configured_gateway
from marketplace.budgets.services import memberships_paid_from
from marketplace.choices import (
    GuaranteeRule,
    MembershipState,
    OutcomeRating,
    OutcomeReviewStatus,
)
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    Budget,
    ConsentGrant,
    GuaranteeRefund,
    Membership,
    MembershipInvoice,
    MembershipPlan,
    MembershipStart,
    OutcomeReview,
    OutcomeReviewLine,
    Person,
    Provider,
    User,
)
from marketplace.models.budgets import SPENDING_CATEGORIES
from marketplace.workflow import Move, Moved, Notice, Workflow
from payments import memberships as pure
from payments.gateway import (
    BillingError,
    BillingGateway,
    PlanTerms,
    StripeGateway,
)
from payments.gateway import MembershipStart as StartRequest
from payments.memberships import MEMBERSHIP_SPENDING_CATEGORY
from payments.webhooks import MembershipDraft, record_membership_refunds, sync_invoices

LIVE_STATUSES = {s.value for s in pure.MembershipStatus if not s.is_terminal}
# A refund request that has had no answer for this long (the worker died mid-request) may
# be asked again; the idempotency key makes that the same request at Stripe.
REFUND_RETRY_AFTER = timedelta(minutes=10)


class MembershipError(Exception):
    """Something the family or provider should read (status_code for the response)."""

    def __init__(self, message: str, status_code: int = 409) -> None:
        super().__init__(message)
        self.status_code = status_code


def gateway() -> BillingGateway | None:
    return configured_gateway()


def uses_test_card() -> bool:
    """The config switch: against localstripe (STRIPE_LOCALSTRIPE) a membership starts at
    once with Stripe's test card; everywhere else through Stripe Checkout."""
    return bool(current_app.config.get("STRIPE_LOCALSTRIPE"))


def payments_configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _user(user: Any) -> User:
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter is not None else user


# -- plans ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    name: str
    monthly_price_pence: int
    included: str
    outcomes: list[str]
    guarantee_percent: int | None
    guarantee_rule: str


def provider_plans(provider: Provider) -> list[MembershipPlan]:
    return list(
        db.session.scalars(
            sa.select(MembershipPlan)
            .where(MembershipPlan.provider_id == provider.id)
            .order_by(MembershipPlan.active.desc(), MembershipPlan.name, MembershipPlan.id)
        )
    )


def public_plans(provider_id: int) -> list[MembershipPlan]:
    """The active plans of a provider (the caller shows them only on a listed provider's
    public page)."""
    return list(
        db.session.scalars(
            sa.select(MembershipPlan)
            .where(MembershipPlan.provider_id == provider_id, MembershipPlan.active.is_(True))
            .order_by(MembershipPlan.monthly_price_pence, MembershipPlan.id)
        )
    )


def save_plan(
    provider: Provider, plan: MembershipPlan | None, data: PlanInput, user: User, active: bool
) -> MembershipPlan:
    """Create or change a plan (the caller commits, then `sync_plan_to_stripe`). A change
    to what Stripe shows (name, description, price) is a new revision."""
    if plan is None:
        plan = MembershipPlan(provider_id=provider.id, revision=1)
        db.session.add(plan)
        action = "membership_plan.create"
    else:
        action = "membership_plan.update"
        if (plan.name, plan.included, plan.monthly_price_pence) != (
            data.name,
            data.included,
            data.monthly_price_pence,
        ):
            plan.revision = (plan.revision or 1) + 1
    plan.name = data.name
    plan.monthly_price_pence = data.monthly_price_pence
    plan.included = data.included
    plan.outcomes = list(data.outcomes)
    plan.guarantee_percent = data.guarantee_percent
    plan.guarantee_rule = data.guarantee_rule
    plan.active = active
    db.session.flush()
    audit.record(action, actor_id=user.id, target=plan, revision=plan.revision)
    return plan


def plan_terms(plan: MembershipPlan) -> PlanTerms:
    return PlanTerms(
        plan_id=plan.id,
        provider_id=plan.provider_id,
        name=plan.name,
        monthly_price_pence=plan.monthly_price_pence,
        description=plan.included,
    )


def sync_plan_to_stripe(plan: MembershipPlan, billing: BillingGateway) -> None:
    """Put the plan's current revision on Stripe: a Product and a monthly Price the first
    time, then the Product updated and a new Price when the price changed. Raises
    BillingError (nothing of ours changes); the caller commits on success."""
    if plan.on_stripe:
        return
    terms = plan_terms(plan)
    if plan.stripe_product_id is None:
        ids = billing.create_plan(terms)
        plan.stripe_product_id, plan.stripe_price_id = ids.product_id, ids.price_id
    else:
        new_price = plan.stripe_price_pence != plan.monthly_price_pence
        ids = billing.update_plan(
            terms,
            product_id=plan.stripe_product_id,
            revision=plan.revision,
            new_price=new_price,
            old_price_id=plan.stripe_price_id,
        )
        if new_price:
            plan.stripe_price_id = ids.price_id
    plan.stripe_price_pence = plan.monthly_price_pence
    plan.stripe_revision = plan.revision
    db.session.flush()


def guarantee_of(plan: MembershipPlan) -> pure.OutcomeGuarantee | None:
    if plan.guarantee_percent is None:
        return None
    return pure.OutcomeGuarantee(plan.guarantee_percent, pure.GuaranteeRule(plan.guarantee_rule))


def guarantee_sentence(plan: MembershipPlan) -> str | None:
    if plan.guarantee_percent is None:
        return None
    rule = (GuaranteeRule.label_for(plan.guarantee_rule) or "").lower()
    return (
        f"{plan.guarantee_percent}% of the month's fee is refunded {rule}, "
        "as the person rates them in the monthly review."
    )


# -- who may start a membership for whom -------------------------------------------------


def people_user_can_pay_for(user: Any) -> list[Person]:
    """The person themself, and the people who gave this supporter the pay scope (now)."""
    user = _user(user)
    found: list[Person] = []
    own = db.session.scalar(sa.select(Person).where(Person.user_id == user.id))
    if own is not None:
        found.append(own)
    grants = db.session.scalars(
        sa.select(ConsentGrant).where(ConsentGrant.supporter_user_id == user.id)
    )
    for grant in grants:
        person = db.session.get(Person, grant.person_id)
        if person is not None and person not in found and authz.can(user, "person.pay", person):
            found.append(person)
    return found


def arrangement_for(person: Person, plan: MembershipPlan) -> Arrangement | None:
    """The person's agreed arrangement with the plan's provider, priced by this plan (the
    newest, if several): the membership pays for it and reviews its agreed outcomes."""
    return db.session.scalar(
        sa.select(Arrangement)
        .where(
            Arrangement.person_id == person.id,
            Arrangement.provider_id == plan.provider_id,
            Arrangement.membership_plan_id == plan.id,
            Arrangement.status == "active",
        )
        .order_by(Arrangement.id.desc())
        .limit(1)
    )


def live_membership(person: Person, plan: MembershipPlan) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.person_id == person.id,
            Membership.plan_id == plan.id,
            Membership.status.in_(LIVE_STATUSES),
        )
    )


# A membership is paid by card at Stripe: from a budget that means its prepaid card, or the
# organisation holding a managed account or an individual service fund paying for the
# person. A separate bank account pays by bank transfer, which a subscription cannot use.
CARD_PAYABLE_ACCOUNT_TYPES = frozenset({"prepaid_card", "managed_account"})


def why_budget_cannot_pay(budget: Budget) -> str | None:
    """Why this budget cannot pay a membership (None: it can)."""
    if not (budget.is_isf or budget.account_type in CARD_PAYABLE_ACCOUNT_TYPES):
        return (
            "This budget is a separate bank account, which pays by bank transfer: a "
            "membership is paid by card each month."
        )
    allowed = budget.allowed_categories or list(SPENDING_CATEGORIES)
    if MEMBERSHIP_SPENDING_CATEGORY not in allowed:
        return (
            "The council has not allowed this budget to be spent on "
            f"'{SPENDING_CATEGORIES[MEMBERSHIP_SPENDING_CATEGORY].lower()}'."
        )
    return None


def budgets_to_pay_from(user: Any, person: Person) -> list[Budget]:
    """The person's budgets this user may spend that can pay a membership."""
    user = _user(user)
    return [
        b
        for b in sorted(person.budgets, key=lambda b: (b.starts_on, b.id))
        if authz.can(user, "budget.pay_from", b) and why_budget_cannot_pay(b) is None
    ]


def budget_to_pay_from(user: Any, person: Person, budget_id: int | None) -> Budget | None:
    """The budget chosen on the start form (None: the family's own card), checked again:
    the person's own, one this user may spend, and one that can pay a membership."""
    if budget_id is None:
        return None
    budget = db.session.get(Budget, budget_id)
    if budget is None or budget.person_id != person.id:
        raise MembershipError(f"Choose one of {person.display_name}'s budgets, or a card.", 400)
    authz.require(_user(user), "budget.pay_from", budget)
    reason = why_budget_cannot_pay(budget)
    if reason is not None:
        raise MembershipError(reason, 400)
    return budget


def membership_budget_warnings(membership: Membership) -> list[Any]:
    """The warning about this membership's next month on its budget, if it has one."""
    if membership.budget is None:
        return []
    return [
        paid.warning
        for paid in memberships_paid_from(membership.budget)
        if paid.membership.id == membership.id and paid.warning is not None
    ]


def budget_choice_label(budget: Budget) -> str:
    owner = budget.person.display_name if budget.person is not None else "A former member"
    kind = (
        "individual service fund"
        if budget.is_isf
        else f"personal budget ({budget.account_type_label.lower()})"
    )
    return f"From {owner}'s {kind}"


def paid_from_sentence(membership: Membership) -> str:
    """How the membership is paid, for its page."""
    if membership.budget_id is None:
        return "By card (the family's own)."
    budget = db.session.get(Budget, membership.budget_id)
    kind = "individual service fund" if budget is not None and budget.is_isf else "budget"
    account = (
        f" ({budget.account_type_label.lower()})"
        if budget is not None and not budget.is_isf
        else ""
    )
    return (
        f"From the personal {kind}{account}: each month Stripe takes is a payment on the "
        "budget's ledger, and a guarantee refund goes back onto it."
    )


def new_start_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Started:
    membership: Membership | None = None
    checkout_url: str | None = None


def _customer_for(billing: BillingGateway, person: Person) -> str:
    """The person's Stripe customer: the one an earlier membership used, or a new one
    (the idempotency key is the person's account id)."""
    known = db.session.scalar(
        sa.select(Membership.stripe_customer_id)
        .where(Membership.person_id == person.id, Membership.stripe_customer_id.is_not(None))
        .order_by(Membership.id.desc())
        .limit(1)
    )
    if known:
        return known
    account = db.session.get(User, person.user_id)
    email = account.email if account is not None else f"person-{person.id}@coopcare.invalid"
    return billing.create_customer(user_id=person.user_id, email=email, name=person.display_name)


def claim_start(token: str, plan: MembershipPlan, person: Person, user: User) -> MembershipStart:
    """Record the start request named by the form's token, once: the same token again is
    the same request (a double submit), and a token used for another plan or person is
    refused. Committed at once, so a racing second submit finds it."""
    existing = db.session.scalar(sa.select(MembershipStart).where(MembershipStart.token == token))
    if existing is None:
        existing = MembershipStart(
            token=token, plan_id=plan.id, person_id=person.id, user_id=user.id
        )
        try:
            with db.session.begin_nested():
                db.session.add(existing)
        except sa.exc.IntegrityError:
            existing = db.session.scalar(
                sa.select(MembershipStart).where(MembershipStart.token == token)
            )
            if existing is None:  # pragma: no cover - the other insert was rolled back
                raise MembershipError("Please try again.") from None
        db.session.commit()
    if (existing.plan_id, existing.person_id) != (plan.id, person.id):
        raise MembershipError("This form was for another membership. Please start again.", 400)
    return existing


def start_membership(
    start: MembershipStart,
    plan: MembershipPlan,
    person: Person,
    user: User,
    budget: Budget | None = None,
) -> Started:
    """Start the membership the request names. Against localstripe: a subscription paid
    with the test card, recorded from Stripe's answer. Otherwise: a Stripe Checkout session
    in subscription mode; the membership is recorded when Stripe sends
    `checkout.session.completed` (an abandoned or expired session leaves nothing)."""
    if start.stripe_subscription_id:
        found = db.session.scalar(
            sa.select(Membership).where(
                Membership.stripe_subscription_id == start.stripe_subscription_id
            )
        )
        return Started(membership=found)
    billing = gateway()
    if billing is None:
        raise MembershipError(
            "Payments are not set up on this site yet, so no membership can be started.", 503
        )
    if not plan.on_stripe or plan.stripe_price_id is None:
        raise MembershipError(
            "This plan is not ready for payments yet. Please ask the provider.", 409
        )
    customer = _customer_for(billing, person)
    arrangement = arrangement_for(person, plan)
    request = StartRequest(
        start_id=start.id,
        plan_id=plan.id,
        arrangement_id=arrangement.id if arrangement is not None else None,
        started_by_user_id=user.id,
        customer_id=customer,
        price_id=plan.stripe_price_id,
        person_id=person.id,
        budget_id=budget.id if budget is not None else None,
    )
    if uses_test_card():
        assert isinstance(billing, StripeGateway)
        billing.attach_card(customer_id=customer, payment_method_id=billing.create_test_card())
        snapshot = billing.start_subscription(request)
        membership = record_snapshot(snapshot, request.metadata(), user)
        start.stripe_subscription_id = snapshot.subscription_id
        _audit_start(membership, person, user)
        # What Stripe did is kept before Stripe is asked anything else: no write
        # transaction is held open across a Stripe call (Stripe's webhooks about this very
        # subscription arrive meanwhile, and must not wait on us or be lost).
        db.session.commit()
        try:
            refresh_invoices(membership, billing)
        except BillingError:
            db.session.rollback()  # the invoices follow from the webhook, or "Check with Stripe"
        else:
            db.session.commit()
        return Started(membership=membership)
    session = billing.create_checkout_session(
        request,
        success_url=links.public_url("memberships.checkout_done", start_id=start.id),
        cancel_url=links.public_url("memberships.start", plan_id=plan.id),
    )
    start.stripe_checkout_session_id = session.id
    db.session.commit()
    return Started(checkout_url=session.url)


def _audit_start(membership: Membership, person: Person, user: User) -> None:
    audit.record(
        "membership.start",
        actor_id=user.id,
        target=membership,
        on_behalf_of_person_id=authz.on_behalf_of(user, person),
        plan_id=membership.plan_id,
    )


def record_snapshot(
    snapshot: pure.SubscriptionSnapshot, metadata: dict[str, str], user: User | None
) -> Membership:
    """Apply Stripe's answer about a subscription, as the webhook handler does."""
    repo = SqlBillingRepository(db.session)
    found = repo.membership_for_subscription(snapshot.subscription_id)
    if found is None:
        draft = MembershipDraft(
            plan_id=int(metadata["coopcare_plan_id"]),
            arrangement_id=int(metadata["coopcare_arrangement_id"])
            if metadata.get("coopcare_arrangement_id")
            else None,
            started_by_user_id=user.id if user is not None else None,
            stripe_subscription_id=snapshot.subscription_id,
            stripe_customer_id=snapshot.customer_id,
            person_id=int(metadata["coopcare_person_id"]),
            budget_id=int(metadata["coopcare_budget_id"])
            if metadata.get("coopcare_budget_id")
            else None,
        )
        try:
            with db.session.begin_nested():
                found = repo.add_membership(draft)
        except sa.exc.IntegrityError:
            # Stripe's webhook about the same subscription recorded it a moment ago.
            found = repo.membership_for_subscription(snapshot.subscription_id)
            if found is None:  # pragma: no cover - the other insert was rolled back
                raise MembershipError("Please try again.") from None
    change = pure.apply_snapshot(found, snapshot)
    if change.changed:
        repo.save_membership(change.membership)
    row = db.session.get(Membership, found.id)
    assert row is not None
    return row


def pure_membership(row: Membership) -> pure.Membership:
    repo = SqlBillingRepository(db.session)
    found = repo.membership_for_subscription(row.stripe_subscription_id)
    assert found is not None
    return found


def refresh_invoices(
    membership: Membership,
    billing: BillingGateway,
    invoices: list[dict[str, Any]] | None = None,
) -> None:
    """Record the subscription's paid invoices from Stripe's answer (asked now, unless
    the caller already has it)."""
    if invoices is None:
        invoices = billing.list_invoices(membership.stripe_subscription_id)
    sync_invoices(
        pure_membership(membership),
        invoices,
        int(clock.now().timestamp()),
        SqlBillingRepository(db.session),
        now=clock.now,
    )


def _apply_answer(membership: Membership, snapshot: pure.SubscriptionSnapshot) -> None:
    """Apply Stripe's answer to a request we just made. It is newer than anything we knew
    before asking; Stripe's times are whole seconds, so an answer in the same second as
    the last thing we heard is dated one second later rather than lost in the tie."""
    known = pure_membership(membership)
    if known.status_observed_at is not None and snapshot.observed_at <= known.status_observed_at:
        snapshot = replace(snapshot, observed_at=known.status_observed_at + 1)
    change = pure.apply_snapshot(known, snapshot)
    if change.changed:
        SqlBillingRepository(db.session).save_membership(change.membership)


def refresh_from_stripe(membership: Membership) -> None:
    """Ask Stripe where the subscription and its invoices stand (the caller commits)."""
    _not_demo(membership)
    billing = _billing()
    # Both answers first, then the writes: no write transaction waits on Stripe.
    snapshot = billing.fetch_subscription(membership.stripe_subscription_id)
    invoices = billing.list_invoices(membership.stripe_subscription_id)
    _apply_answer(membership, snapshot)
    refresh_invoices(membership, billing, invoices)


def _billing() -> BillingGateway:
    billing = gateway()
    if billing is None:
        raise MembershipError(
            "Payments are not set up on this site, so Stripe cannot be asked.", 503
        )
    return billing


def _not_demo(membership: Membership) -> None:
    if membership.demo:
        raise MembershipError(
            "This is demo data: no Stripe subscription is behind it, so it cannot be changed.",
            409,
        )


def set_cancel_at_period_end(membership: Membership, cancel: bool, user: User) -> None:
    """Ask Stripe to end the membership when the paid month ends (or to carry on after
    all), and record Stripe's answer. Canceled is final. The caller commits."""
    _not_demo(membership)
    if membership.status not in LIVE_STATUSES:
        raise MembershipError("This membership has ended. To carry on, start a new one.", 409)
    if membership.cancel_at_period_end == cancel:
        return  # already so (a double submit)
    billing = _billing()
    _apply_answer(membership, billing.set_cancel_at_period_end(pure_membership(membership), cancel))
    person = membership.person
    audit.record(
        "membership.cancel_at_period_end" if cancel else "membership.resume",
        actor_id=user.id,
        target=membership,
        on_behalf_of_person_id=authz.on_behalf_of(user, person) if person else None,
    )


# -- what the family and the provider see -----------------------------------------------


def visible_memberships(user: Any) -> list[Membership]:
    user = _user(user)
    people = people_user_can_pay_for(user)
    person_ids = {p.id for p in people}
    own_or_view = db.session.scalars(
        sa.select(ConsentGrant.person_id).where(ConsentGrant.supporter_user_id == user.id)
    )
    for person_id in own_or_view:
        person = db.session.get(Person, person_id)
        if person is not None and authz.can(user, "person.view", person):
            person_ids.add(person.id)
    if not person_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.person_id.in_(person_ids))
            .order_by(Membership.created_at.desc(), Membership.id.desc())
        )
    )


def long_date(moment: int | datetime | None) -> str:
    if moment is None:
        return "not known yet"
    if isinstance(moment, int):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(clock.LONDON).strftime("%-d %B %Y")


def status_sentence(membership: Membership) -> str:
    """The status in plain English, with what happens next."""
    label = MembershipState.label_for(membership.status) or membership.status
    ends = long_date(membership.current_period_end)
    match membership.status:
        case "active" | "trialing" if membership.cancel_at_period_end:
            return f"{label}. It ends on {ends}, when the month already paid for ends."
        case "active":
            return f"{label}. The next monthly payment is taken on {ends}."
        case "trialing":
            return f"{label}. The first payment is taken on {ends}."
        case "incomplete":
            return f"{label}. Stripe has not confirmed the first payment yet."
        case "past_due":
            return f"{label}. Stripe will try the card again; please check the card details."
        case "canceled":
            return f"{label}. Nothing more will be taken. To carry on, start a new membership."
        case _:
            return f"{label}."


def price_changed_since(membership: Membership) -> bool:
    """The plan's price for new members differs from the one this live membership is
    charged at (Stripe's prices cannot change: members keep the Price they joined at)."""
    plan = membership.plan
    return (
        membership.status in LIVE_STATUSES
        and membership.monthly_price_pence is not None
        and plan.stripe_price_pence is not None
        and plan.stripe_price_pence != membership.monthly_price_pence
    )


def invoices_of(membership: Membership) -> list[MembershipInvoice]:
    return list(
        db.session.scalars(
            sa.select(MembershipInvoice)
            .where(MembershipInvoice.membership_id == membership.id)
            .order_by(MembershipInvoice.period_start.desc(), MembershipInvoice.id.desc())
        )
    )


def reviews_of(membership: Membership) -> list[OutcomeReview]:
    return list(
        db.session.scalars(
            sa.select(OutcomeReview)
            .where(OutcomeReview.membership_id == membership.id)
            .order_by(OutcomeReview.period_start.desc(), OutcomeReview.id.desc())
        )
    )


def invoice_to_review(membership: Membership) -> MembershipInvoice | None:
    """The latest paid month that has ended and has no review yet (a month is paid at
    its start, and reviewed once it is over)."""
    reviewed = sa.select(OutcomeReview.membership_invoice_id)
    return db.session.scalar(
        sa.select(MembershipInvoice)
        .where(
            MembershipInvoice.membership_id == membership.id,
            MembershipInvoice.status == "paid",
            MembershipInvoice.amount_paid_pence > 0,
            MembershipInvoice.id.not_in(reviewed),
            sa.or_(
                MembershipInvoice.period_end.is_(None),
                MembershipInvoice.period_end <= int(clock.now().timestamp()),
            ),
        )
        .order_by(MembershipInvoice.period_start.desc(), MembershipInvoice.id.desc())
        .limit(1)
    )


def period_label(start: int | None, end: int | None = None) -> str:
    """A monthly period by its month: "October 2026" (the month it starts in, UK time)."""
    if start is None:
        return "This month"
    return datetime.fromtimestamp(start, UTC).astimezone(clock.LONDON).strftime("%B %Y")


# -- the monthly outcome review ---------------------------------------------------------


def _may_rate_as_person(actor: User | None, review: OutcomeReview) -> str | None:
    return authz.refusal(actor, "membership.rate_as_person", _membership_of(review))


def _may_rate_as_team(actor: User | None, review: OutcomeReview) -> str | None:
    return authz.refusal(actor, "membership.rate_as_team", _membership_of(review))


def _membership_of(review: OutcomeReview) -> Membership:
    found = db.session.get(Membership, review.membership_id)
    assert found is not None
    return found


def _person_values(moved: Moved) -> dict[str, Any]:
    return {
        "person_rated_at": clock.now(),
        "person_rated_by_user_id": moved.actor.id if moved.actor else None,
    }


def _team_values(moved: Moved) -> dict[str, Any]:
    return {
        "team_rated_at": clock.now(),
        "team_rated_by_user_id": moved.actor.id if moved.actor else None,
    }


def _review_link(review: OutcomeReview) -> str:
    from marketplace import notifications

    return notifications.path(
        "memberships.review", membership_id=review.membership_id, review_id=review.id
    )


def _tell_team(moved: Moved) -> list[Notice]:
    """The family rated the month: the provider's admins are asked for the team's side."""
    from marketplace.providers.qa import provider_admin_users

    review = moved.subject
    membership = _membership_of(review)
    month = period_label(review.period_start)
    text = (
        f"The family has rated {month} for {membership_title(membership.id)}. "
        + ("Please give the team's ratings." if moved.to_state != "complete" else "")
    ).strip()
    users = provider_admin_users(membership.plan.provider)
    return [Notice(users, f"Outcome review: {month}", text, _review_link(review))]


def _tell_family(moved: Moved) -> list[Notice]:
    """The team rated the month: the person is told (their own account only)."""
    review = moved.subject
    membership = _membership_of(review)
    person = membership.person
    account = db.session.get(User, person.user_id) if person is not None else None
    if account is None:
        return []
    month = period_label(review.period_start)
    text = f"The team has rated {month} for {membership.plan.name}."
    if moved.to_state != "complete":
        text += " Please give your ratings too."
    return [Notice([account], f"Outcome review: {month}", text, _review_link(review))]


REVIEW_WORKFLOW = Workflow(
    name="outcome_review",
    column=OutcomeReview.status,
    states=OutcomeReviewStatus,
    noun="This review",
    moves=[
        Move("rate_as_person", ("open",), "person_rated", "rated by the family",
             may=_may_rate_as_person, values=_person_values, notices=_tell_team),
        Move("rate_as_person", ("team_rated",), "complete", "rated by the family",
             may=_may_rate_as_person, values=_person_values, notices=_tell_team),
        Move("rate_as_team", ("open",), "team_rated", "rated by the team",
             may=_may_rate_as_team, values=_team_values, notices=_tell_family),
        Move("rate_as_team", ("person_rated",), "complete", "rated by the team",
             may=_may_rate_as_team, values=_team_values, notices=_tell_family),
    ],
)  # fmt: skip


def open_review(membership: Membership, user: User) -> OutcomeReview:
    """This month's review: one per paid monthly invoice (a unique column), listing the
    membership's agreed outcomes. A second request returns the same review."""
    _require_outcomes(membership)
    invoice = invoice_to_review(membership)
    if invoice is None:
        latest = reviews_of(membership)
        if latest:
            return latest[0]
        raise MembershipError(
            "There is no month to review yet: a month is reviewed once it is over.", 409
        )
    review = OutcomeReview(
        membership_id=membership.id,
        membership_invoice_id=invoice.id,
        status="open",
        period_start=invoice.period_start,
        period_end=invoice.period_end,
    )
    review.lines = [
        OutcomeReviewLine(position=i, outcome=text, person_comment="", team_comment="")
        for i, text in enumerate(membership.outcomes or [], start=1)
    ]
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except sa.exc.IntegrityError:
        found = db.session.scalar(
            sa.select(OutcomeReview).where(OutcomeReview.membership_invoice_id == invoice.id)
        )
        if found is None:  # pragma: no cover - the other insert was rolled back
            raise MembershipError("Please try again.") from None
        return found
    audit.record("outcome_review.open", actor_id=user.id, target=review)
    return review


def _require_outcomes(membership: Membership) -> None:
    if not membership.outcomes:
        raise MembershipError("This membership has no agreed outcomes to review.", 409)


@dataclass(frozen=True)
class Rating:
    rating: str
    comment: str


def rate(review: OutcomeReview, side: str, ratings: dict[int, Rating], user: User) -> None:
    """One side's ratings of every outcome (side "person" or "team"). The workflow's
    compare-and-set makes a double submit or a race count once; the loser gets
    IllegalMove. The caller commits, then issues any refund (`issue_refund`)."""
    membership = _membership_of(review)
    if set(ratings) != {line.position for line in review.lines}:
        raise MembershipError("Rate every agreed outcome.", 400)
    person = membership.person
    on_behalf = authz.on_behalf_of(user, person) if (person and side == "person") else None
    move = "rate_as_person" if side == "person" else "rate_as_team"
    REVIEW_WORKFLOW.move(review, move, user, on_behalf_of_person_id=on_behalf)
    for line in review.lines:
        given = ratings[line.position]
        if side == "person":
            line.person_rating, line.person_comment = given.rating, given.comment
        else:
            line.team_rating, line.team_comment = given.rating, given.comment
    db.session.flush()
    if side == "person":
        _decide_refund(review, membership)


def _decide_refund(review: OutcomeReview, membership: Membership) -> GuaranteeRefund | None:
    """The guarantee, judged on the person's ratings: record the refund owed (once: the
    review id is unique on guarantee_refunds)."""
    plan = membership.plan
    invoice = db.session.get(MembershipInvoice, review.membership_invoice_id)
    assert invoice is not None
    decision = pure.decide_guarantee_refund(
        guarantee_of(plan),
        [
            pure.OutcomeReviewLine(
                line.outcome,
                pure.OutcomeRating(line.person_rating) if line.person_rating else None,
                pure.OutcomeRating(line.team_rating) if line.team_rating else None,
            )
            for line in review.lines
        ],
        invoice.amount_paid_pence,
        invoice.amount_refunded_pence,
    )
    if decision.refund_pence <= 0:
        return None
    refund = GuaranteeRefund(
        review_id=review.id,
        membership_invoice_id=invoice.id,
        payment_intent_id=invoice.payment_intent_id,
        amount_pence=decision.refund_pence,
        reason=decision.reason,
    )
    db.session.add(refund)
    db.session.flush()
    audit.record(
        "guarantee_refund.owed", actor_id=None, target=refund, amount_pence=refund.amount_pence
    )
    return refund


def refund_for(review: OutcomeReview) -> GuaranteeRefund | None:
    return db.session.scalar(
        sa.select(GuaranteeRefund).where(GuaranteeRefund.review_id == review.id)
    )


def _claim_refund(refund: GuaranteeRefund) -> bool:
    """Compare-and-set: only one request asks Stripe for this refund at a time."""
    now = clock.now()
    result = db.session.execute(
        sa.update(GuaranteeRefund)
        .where(
            GuaranteeRefund.id == refund.id,
            GuaranteeRefund.stripe_refund_id.is_(None),
            sa.or_(
                GuaranteeRefund.requested_at.is_(None),
                GuaranteeRefund.requested_at < now - REFUND_RETRY_AFTER,
            ),
        )
        .values(requested_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def issue_refund(refund: GuaranteeRefund) -> str:
    """Ask Stripe for the refund against that month's invoice payment, once. The
    idempotency key is the review's id, so even a retry after a lost answer is the same
    refund. Returns what happened, for the person reading the page."""
    if refund.stripe_refund_id is not None:
        return "The refund has already been made."
    invoice = db.session.get(MembershipInvoice, refund.membership_invoice_id)
    membership = db.session.get(Membership, invoice.membership_id) if invoice else None
    if membership is not None and membership.demo:
        return (
            "This is demo data, so no refund is made at Stripe and none goes on the "
            "budget's ledger."
        )
    if refund.payment_intent_id is None:
        return "Stripe has not told us which payment to refund yet; it will be tried again."
    billing = gateway()
    if billing is None:
        return "Payments are not set up on this site, so the refund could not be made yet."
    if not _claim_refund(refund):
        return "The refund is being made."
    try:
        result = billing.refund(
            refund_id=f"outcome-review-{refund.review_id}",
            payment_intent_id=refund.payment_intent_id,
            amount_pence=refund.amount_pence,
            metadata={
                "coopcare_outcome_review_id": str(refund.review_id),
                "coopcare_guarantee_refund_id": str(refund.id),
            },
        )
    except BillingError as error:
        db.session.rollback()
        db.session.execute(
            sa.update(GuaranteeRefund)
            .where(GuaranteeRefund.id == refund.id)
            .values(requested_at=None, failure_message=str(error))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        db.session.refresh(refund)
        return f"The refund could not be made yet: {error}"
    refund.stripe_refund_id = result.refund_id
    refund.stripe_status = result.status
    refund.failure_message = None
    refund.issued_at = clock.now()
    invoice = db.session.get(MembershipInvoice, refund.membership_invoice_id)
    if invoice is not None:
        # A charge.refunded event may already have told us the total; never go down.
        invoice.amount_refunded_pence = max(
            invoice.amount_refunded_pence,
            min(invoice.amount_paid_pence, invoice.amount_refunded_pence + refund.amount_pence),
        )
        membership = db.session.get(Membership, invoice.membership_id)
        if membership is not None and membership.budget_id is not None:
            # Paid from a budget: the refund goes back onto its ledger, keyed by the Stripe
            # refund id (the charge.refunded event, before or after, adds nothing more).
            repo = SqlBillingRepository(db.session)
            db.session.flush()
            paid = repo.membership_invoice(invoice.stripe_invoice_id)
            assert paid is not None
            record_membership_refunds(
                pure_membership(membership), paid, [result], repo, now=clock.now
            )
    audit.record(
        "guarantee_refund.issued",
        actor_id=None,
        target=refund,
        stripe_refund_id=result.refund_id,
        amount_pence=refund.amount_pence,
    )
    db.session.commit()
    return "The refund has been made."


# -- what providers see across their memberships ----------------------------------------


@dataclass
class OutcomeTrend:
    """One outcome's ratings month by month: (month label, person Counter, team Counter)."""

    outcome: str
    months: list[tuple[str, Counter[str], Counter[str]]] = field(default_factory=list)


def provider_memberships(provider: Provider) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(MembershipPlan, MembershipPlan.id == Membership.plan_id)
            .where(MembershipPlan.provider_id == provider.id)
            .order_by(Membership.created_at.desc(), Membership.id.desc())
        )
    )


def provider_trends(provider: Provider) -> list[OutcomeTrend]:
    """Across all the provider's memberships: for each agreed outcome (by its words), how
    the people and the team rated it, month by month, oldest first."""
    rows = db.session.execute(
        sa.select(OutcomeReviewLine, OutcomeReview.period_start)
        .join(OutcomeReview, OutcomeReview.id == OutcomeReviewLine.review_id)
        .join(Membership, Membership.id == OutcomeReview.membership_id)
        .join(MembershipPlan, MembershipPlan.id == Membership.plan_id)
        .where(MembershipPlan.provider_id == provider.id)
    ).all()
    table: dict[str, dict[date, tuple[Counter[str], Counter[str]]]] = defaultdict(dict)
    for line, period_start in rows:
        month = (
            datetime.fromtimestamp(period_start, UTC).astimezone(clock.LONDON).date().replace(day=1)
            if period_start
            else clock.today().replace(day=1)
        )
        person, team = table[line.outcome].setdefault(month, (Counter(), Counter()))
        if line.person_rating:
            person[line.person_rating] += 1
        if line.team_rating:
            team[line.team_rating] += 1
    return [
        OutcomeTrend(
            outcome,
            [(m.strftime("%B %Y"), p, t) for m, (p, t) in sorted(months.items())],
        )
        for outcome, months in sorted(table.items())
    ]


def waiting_for_team(memberships: Iterable[Membership]) -> list[OutcomeReview]:
    ids = [m.id for m in memberships]
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(OutcomeReview)
            .where(
                OutcomeReview.membership_id.in_(ids),
                OutcomeReview.status.in_(["open", "person_rated"]),
            )
            .order_by(OutcomeReview.period_start, OutcomeReview.id)
        )
    )


RATING_LABELS = OutcomeRating.labels()


def review_status_label(review: OutcomeReview) -> str:
    return OutcomeReviewStatus.label_for(review.status) or review.status


def refund_sentence(refund: GuaranteeRefund) -> str:
    invoice = db.session.get(MembershipInvoice, refund.membership_invoice_id)
    membership = db.session.get(Membership, invoice.membership_id) if invoice else None
    if membership is not None and membership.demo and refund.stripe_refund_id is None:
        return (
            "owed, but not made: this is demo data, so no refund is made and none goes "
            "on the budget's ledger."
        )
    if refund.stripe_refund_id is not None:
        when = long_date(refund.issued_at)
        if refund.stripe_status == "succeeded":
            return f"refunded by Stripe on {when} to the card that paid."
        return f"asked of Stripe on {when}; Stripe says it is {refund.stripe_status}."
    if refund.failure_message:
        return f"not made yet. {refund.failure_message}"
    if refund.requested_at is not None:
        return "being made by Stripe."
    return "owed, and not made yet."


def membership_title(membership_id: int) -> str:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        return "a membership"
    who = membership.person.display_name if membership.person else "a former member"
    return f"{membership.plan.name} for {who}"


# -- the periodic run: outcome reviews due ------------------------------------------------


@dataclass
class ReviewReminders:
    checked: int = 0
    reminded: int = 0

    def summary(self) -> str:
        return f"Checked {self.checked} memberships: {self.reminded} outcome review reminders sent."


def _people_side(membership: Membership) -> list[User]:
    """Who may give the person's ratings: the person and supporters allowed to (now)."""
    person = membership.person
    if person is None:
        return []
    users = [person.user] if person.user is not None else []
    for grant in person.consent_grants:
        supporter = grant.supporter
        if (
            supporter is not None
            and supporter not in users
            and authz.can(supporter, "membership.rate_as_person", membership)
        ):
            users.append(supporter)
    return users


def remind_reviews_due(progress: Any = None) -> ReviewReminders:
    """For every live membership, each paid month that is over and not yet reviewed by
    both sides: tell the person (and supporters who may rate for them) and the provider's
    team, once (compare-and-set on `review_reminded_at`, so running again tells nobody
    twice). The caller commits."""
    from marketplace import notifications
    from marketplace.providers.qa import provider_admin_users

    report = ReviewReminders()
    now = clock.now()
    memberships = db.session.scalars(
        sa.select(Membership).where(Membership.status.in_(LIVE_STATUSES)).order_by(Membership.id)
    ).all()
    complete = sa.select(OutcomeReview.membership_invoice_id).where(
        OutcomeReview.status == "complete"
    )
    for number, membership in enumerate(memberships, start=1):
        report.checked += 1
        sent: list[str] = []
        due = db.session.scalars(
            sa.select(MembershipInvoice)
            .where(
                MembershipInvoice.membership_id == membership.id,
                MembershipInvoice.status == "paid",
                MembershipInvoice.amount_paid_pence > 0,
                MembershipInvoice.review_reminded_at.is_(None),
                MembershipInvoice.period_end.is_not(None),
                MembershipInvoice.period_end <= int(now.timestamp()),
                MembershipInvoice.id.not_in(complete),
            )
            .order_by(MembershipInvoice.period_start, MembershipInvoice.id)
        ).all()
        for invoice in due:
            claimed = db.session.execute(
                sa.update(MembershipInvoice)
                .where(
                    MembershipInvoice.id == invoice.id,
                    MembershipInvoice.review_reminded_at.is_(None),
                )
                .values(review_reminded_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                continue  # another run got there first
            month = period_label(invoice.period_start)
            title = membership_title(membership.id)
            link = notifications.path("memberships.show", membership_id=membership.id)
            subject = f"Outcome review due: {month}"
            family = _people_side(membership)
            team = [u for u in provider_admin_users(membership.plan.provider) if u not in family]
            if family:
                notifications.notify(
                    family,
                    f"{month} is over: it is time to review {title}. Rate each agreed "
                    "outcome as met, partly met or not met.",
                    link,
                    subject,
                )
            if team:
                notifications.notify(
                    team,
                    f"{month} is over: please give the team's ratings in the outcome review "
                    f"of {title}.",
                    link,
                    subject,
                )
            report.reminded += 1
            sent.append(month)
        if progress is not None:
            what = f"review of {', '.join(sent)} due, reminders sent" if sent else "nothing to send"
            progress(f"Membership {membership.id} ({number} of {len(memberships)}): {what}")
    db.session.flush()
    return report
