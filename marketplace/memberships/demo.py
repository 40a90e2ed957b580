"""Demo memberships: Headingley Care Co-op's "Living well at home" plan, and Amira on an
active membership paid from her personal budget (its prepaid card), with three paid months
on the budget's ledger and October reviewed by both sides. The rows are marked demo: no
Stripe subscription is behind them (the demo runs without a network), and the pages say
so. The months go through the same code as Stripe's answers (`sync_invoices`). Every
date is fixed, so every seed is the same."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.models import (
    Budget,
    Membership,
    MembershipInvoice,
    MembershipPlan,
    OutcomeReview,
    OutcomeReviewLine,
    Person,
    Provider,
    User,
)
from payments.webhooks import sync_invoices

OUTCOMES = [
    "Gets to the allotment every week",
    "Cooks a meal with friends once a week",
    "Feels confident going into town on the bus",
]


def _ts(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


MONTHS = [((2026, 10, 1), (2026, 11, 1)), ((2026, 11, 1), (2026, 12, 1)),
          ((2026, 12, 1), (2027, 1, 1))]  # fmt: skip


RECORDED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def seed_memberships(
    provider: Provider, person: Person, team_admin: User, budget: Budget | None = None
) -> Membership:
    """The plan and the person's membership; with `budget`, paid from it."""
    plan = MembershipPlan(
        provider_id=provider.id,
        name="Living well at home",
        monthly_price_pence=48_000,
        included="A regular team of three who know you, up to 8 hours a week, "
        "and a monthly outcome review together",
        outcomes=OUTCOMES,
        guarantee_percent=25,
        guarantee_rule="any_not_met",
        active=True,
        revision=1,
        created_at=datetime(2026, 9, 1, 9, tzinfo=UTC),
    )
    db.session.add(plan)
    db.session.flush()
    membership = Membership(
        plan_id=plan.id,
        person_id=person.id,
        started_by_user_id=person.user_id,
        stripe_subscription_id="sub_demo_amira",
        status="active",
        status_observed_at=_ts(2026, 12, 1),
        current_period_end=_ts(2027, 1, 1),
        cancel_at_period_end=False,
        outcomes=list(OUTCOMES),
        demo=True,
        created_at=datetime(2026, 10, 1, 10, tzinfo=UTC),
        budget_id=budget.id if budget is not None else None,
    )
    db.session.add(membership)
    db.session.flush()
    # Stripe-shaped paid invoices, recorded as Stripe's answer would be: each month is a
    # membership invoice and, paid from the budget, a ledger payment keyed by its id.
    repo = SqlBillingRepository(db.session)
    pure_membership = repo.membership(membership.id)
    assert pure_membership is not None
    for n, (start, end) in enumerate(MONTHS, start=1):
        stripe_invoice = {
            "id": f"in_demo_amira_{n}",
            "object": "invoice",
            "status": "paid",
            "amount_due": 48_000,
            "amount_paid": 48_000,
            "status_transitions": {"paid_at": _ts(*start) + 10 * 3600},
            "lines": {"data": [{"period": {"start": _ts(*start), "end": _ts(*end)}}]},
        }
        sync_invoices(pure_membership, [stripe_invoice], _ts(*start), repo, now=lambda: RECORDED_AT)
    october = db.session.scalar(
        sa.select(MembershipInvoice).where(MembershipInvoice.stripe_invoice_id == "in_demo_amira_1")
    )
    assert october is not None
    review = OutcomeReview(
        membership_id=membership.id,
        membership_invoice_id=october.id,
        status="complete",
        period_start=october.period_start,
        period_end=october.period_end,
        person_rated_at=datetime(2026, 11, 2, 15, tzinfo=UTC),
        person_rated_by_user_id=person.user_id,
        team_rated_at=datetime(2026, 11, 3, 11, tzinfo=UTC),
        team_rated_by_user_id=team_admin.id,
        created_at=datetime(2026, 11, 2, 14, tzinfo=UTC),
        updated_at=datetime(2026, 11, 3, 11, tzinfo=UTC),
    )
    review.lines = [
        OutcomeReviewLine(position=1, outcome=OUTCOMES[0], person_rating="met",
                          person_comment="Every Tuesday, and we picked the last beans.",
                          team_rating="met", team_comment="Four visits out of four."),
        OutcomeReviewLine(position=2, outcome=OUTCOMES[1], person_rating="partly_met",
                          person_comment="Twice this month: Nadia was ill.",
                          team_rating="partly_met", team_comment="Two of four weeks."),
        OutcomeReviewLine(position=3, outcome=OUTCOMES[2], person_rating="met",
                          person_comment="", team_rating="met",
                          team_comment="Went into town alone on the 24th."),
    ]  # fmt: skip
    db.session.add(review)
    db.session.flush()
    return membership
