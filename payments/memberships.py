"""Monthly memberships for outcomes: the membership mirrors its Stripe subscription, and
the outcome guarantee decides a refund from the monthly review.

A membership's status comes only from Stripe (an API answer or a webhook event), never from
our own guess. Events arrive late, twice and out of order, so every observation carries the
time Stripe made it; an older observation never overwrites a newer one, and in a tie the
status further along wins. Canceled (and incomplete_expired) are terminal: once seen, even
late, nothing changes the membership again, and starting over makes a new membership.
Together these make the final state depend only on which observations arrived, not on
their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "EXPECTED_TRANSITIONS",
    "MEMBERSHIP_SPENDING_CATEGORY",
    "GuaranteeDecision",
    "GuaranteeRule",
    "InvoiceStatus",
    "Membership",
    "MembershipChange",
    "MembershipInvoice",
    "MembershipStatus",
    "OutcomeGuarantee",
    "OutcomeRating",
    "OutcomeReviewLine",
    "SubscriptionSnapshot",
    "apply_snapshot",
    "decide_guarantee_refund",
    "snapshot_from_stripe",
]


class MembershipStatus(StrEnum):
    """Stripe's subscription statuses, word for word."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


# A membership for outcomes buys care from a provider: on a budget's ledger and the council
# statement its months (and refunds) are in this spending category (a key of the
# marketplace's SPENDING_CATEGORIES), and a budget may pay for one only if it allows it.
MEMBERSHIP_SPENDING_CATEGORY = "agency_care"

TERMINAL_STATUSES = frozenset({MembershipStatus.CANCELED, MembershipStatus.INCOMPLETE_EXPIRED})

S = MembershipStatus
# The moves Stripe makes (docs: "Subscription statuses"). Stripe is the authority, so a move
# outside this table is still applied, but flagged so that it is logged and looked at.
EXPECTED_TRANSITIONS: frozenset[tuple[MembershipStatus, MembershipStatus]] = frozenset(
    {
        (S.INCOMPLETE, S.ACTIVE),
        (S.INCOMPLETE, S.TRIALING),
        (S.INCOMPLETE, S.INCOMPLETE_EXPIRED),
        (S.INCOMPLETE, S.CANCELED),
        (S.TRIALING, S.ACTIVE),
        (S.TRIALING, S.PAST_DUE),
        (S.TRIALING, S.UNPAID),
        (S.TRIALING, S.PAUSED),
        (S.TRIALING, S.CANCELED),
        (S.ACTIVE, S.TRIALING),
        (S.ACTIVE, S.PAST_DUE),
        (S.ACTIVE, S.UNPAID),
        (S.ACTIVE, S.PAUSED),
        (S.ACTIVE, S.CANCELED),
        (S.PAST_DUE, S.ACTIVE),
        (S.PAST_DUE, S.UNPAID),
        (S.PAST_DUE, S.CANCELED),
        (S.UNPAID, S.ACTIVE),
        (S.UNPAID, S.CANCELED),
        (S.PAUSED, S.ACTIVE),
        (S.PAUSED, S.TRIALING),
        (S.PAUSED, S.CANCELED),
    }
)

# Only for breaking ties between observations made in the same second.
_PROGRESS = {
    S.INCOMPLETE: 0,
    S.TRIALING: 1,
    S.ACTIVE: 2,
    S.PAUSED: 3,
    S.PAST_DUE: 4,
    S.UNPAID: 5,
    S.INCOMPLETE_EXPIRED: 6,
    S.CANCELED: 7,
}


@dataclass(frozen=True, slots=True)
class SubscriptionSnapshot:
    """What Stripe said about a subscription, and when (Unix seconds)."""

    subscription_id: str
    customer_id: str | None
    status: MembershipStatus
    observed_at: int
    current_period_end: int | None
    cancel_at_period_end: bool
    metadata: Mapping[str, str]
    # The Price (a Plan on localstripe) the subscription is charged at, and its monthly
    # amount: a plan's price change makes a new Price, and members keep the one they had.
    price_id: str | None = None
    monthly_price_pence: int | None = None

    def order_key(self) -> tuple[bool, int, int, int, bool]:
        # A terminal status outranks any time: Stripe never leaves one, so a late
        # "canceled" is still the truth even after newer-looking news.
        return (
            self.status.is_terminal,
            self.observed_at,
            _PROGRESS[self.status],
            self.current_period_end or 0,
            self.cancel_at_period_end,
        )


def snapshot_from_stripe(subscription: Mapping[str, Any], observed_at: int) -> SubscriptionSnapshot:
    """Read a Stripe subscription object (as a dict). `observed_at` is the event's `created`,
    or the time of the API answer.

    Raises ValueError for an object that is not a subscription or has an unknown status."""
    if subscription.get("object") != "subscription" or not subscription.get("id"):
        raise ValueError("Not a Stripe subscription object")
    try:
        status = MembershipStatus(str(subscription.get("status")))
    except ValueError:
        raise ValueError(f"Unknown subscription status {subscription.get('status')!r}") from None
    period_end = subscription.get("current_period_end")
    if period_end is None:
        # Since API version 2025-03-31 the period lives on the subscription's items.
        items = (subscription.get("items") or {}).get("data") or []
        ends = [i["current_period_end"] for i in items if i.get("current_period_end")]
        period_end = max(ends) if ends else None
    customer = subscription.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    metadata = subscription.get("metadata") or {}
    price_id, price_pence = _subscription_price(subscription)
    return SubscriptionSnapshot(
        subscription_id=str(subscription["id"]),
        customer_id=str(customer) if customer else None,
        status=status,
        observed_at=int(observed_at),
        current_period_end=int(period_end) if period_end is not None else None,
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        metadata={str(k): str(v) for k, v in metadata.items()},
        price_id=price_id,
        monthly_price_pence=price_pence,
    )


def _subscription_price(subscription: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """The first item's Price (or, on localstripe and older API versions, Plan): its id
    and amount in pence; (None, None) when the object does not say."""
    items = (subscription.get("items") or {}).get("data") or []
    for item in items:
        price = item.get("price") or item.get("plan")
        if isinstance(price, Mapping) and price.get("id"):
            amount = price.get("unit_amount", price.get("amount"))
            return str(price["id"]), int(amount) if isinstance(amount, int) else None
        if isinstance(price, str) and price:
            return price, None
    return None, None


@dataclass(frozen=True, slots=True)
class Membership:
    """Our record of a family's membership of a plan, mirroring one Stripe subscription."""

    id: int
    plan_id: int
    arrangement_id: int | None
    started_by_user_id: int | None
    stripe_subscription_id: str
    stripe_customer_id: str | None
    status: MembershipStatus
    status_observed_at: int | None  # None: Stripe has not told us a status yet
    current_period_end: int | None = None  # the next payment date (Unix seconds)
    cancel_at_period_end: bool = False
    person_id: int | None = None  # whose membership it is (from our metadata)
    price_id: str | None = None  # the Price it is charged at (Stripe's answer)
    monthly_price_pence: int | None = None
    budget_id: int | None = None  # paid from this personal budget (our record, not Stripe's)

    def order_key(self) -> tuple[bool, int, int, int, bool] | None:
        if self.status_observed_at is None:
            return None
        return (
            self.status.is_terminal,
            self.status_observed_at,
            _PROGRESS[self.status],
            self.current_period_end or 0,
            self.cancel_at_period_end,
        )


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """The result of applying a snapshot: the membership now, and what happened."""

    membership: Membership
    changed: bool
    reason: str
    expected: bool = True  # False: Stripe moved the status in a way we did not plan for


def apply_snapshot(membership: Membership, snapshot: SubscriptionSnapshot) -> MembershipChange:
    """Apply what Stripe said, unless the membership has ended or already knows better."""
    if snapshot.subscription_id != membership.stripe_subscription_id:
        raise ValueError(
            f"Subscription {snapshot.subscription_id} is not membership {membership.id}'s "
            f"({membership.stripe_subscription_id})"
        )
    current_key = membership.order_key()
    if membership.status.is_terminal and snapshot.status is not membership.status:
        return MembershipChange(membership, False, f"already {membership.status.value}")
    if current_key is not None and snapshot.order_key() < current_key:
        return MembershipChange(membership, False, "older than what we know")
    if current_key is not None and snapshot.order_key() == current_key:
        return MembershipChange(membership, False, "nothing new")
    before = membership.status
    updated = replace(
        membership,
        status=snapshot.status,
        status_observed_at=snapshot.observed_at,
        current_period_end=snapshot.current_period_end,
        cancel_at_period_end=snapshot.cancel_at_period_end,
        stripe_customer_id=snapshot.customer_id or membership.stripe_customer_id,
        **_price_after(membership, snapshot),
    )
    if before is snapshot.status:
        return MembershipChange(updated, updated != membership, f"still {before.value}")
    # A membership Stripe has not described yet starts wherever Stripe says it is.
    expected = current_key is None or (before, snapshot.status) in EXPECTED_TRANSITIONS
    return MembershipChange(
        updated, True, f"{before.value} → {snapshot.status.value}", expected=expected
    )


def _price_after(membership: Membership, snapshot: SubscriptionSnapshot) -> dict[str, Any]:
    """The price fields after a snapshot: Stripe's when it names a price, and an amount
    kept only while the price is the same one."""
    if snapshot.price_id is None:
        return {}
    amount = snapshot.monthly_price_pence
    if amount is None and snapshot.price_id == membership.price_id:
        amount = membership.monthly_price_pence
    return {"price_id": snapshot.price_id, "monthly_price_pence": amount}


class InvoiceStatus(StrEnum):
    """Where a membership's monthly Stripe invoice stands (paid is final)."""

    PAYMENT_FAILED = "payment_failed"
    PAID = "paid"


@dataclass(frozen=True, slots=True)
class MembershipInvoice:
    """One month's Stripe invoice for a membership: what the family sees as a past
    invoice, and the payment a guarantee refund goes against."""

    stripe_invoice_id: str
    membership_id: int
    status: InvoiceStatus
    amount_due_pence: int
    amount_paid_pence: int
    amount_refunded_pence: int
    payment_intent_id: str | None
    period_start: int | None
    period_end: int | None
    observed_at: int

    def merged(self, other: MembershipInvoice) -> MembershipInvoice:
        """Combine two observations of the same invoice, whichever came first: paid beats
        failed, and amounts only grow, so the result does not depend on the order."""
        if other.stripe_invoice_id != self.stripe_invoice_id:
            raise ValueError("Only observations of the same invoice can be merged")
        newest = max(self, other, key=lambda i: (i.observed_at, i.status == InvoiceStatus.PAID))
        return replace(
            newest,
            status=max(self.status, other.status, key=_INVOICE_ORDER.__getitem__),
            amount_paid_pence=max(self.amount_paid_pence, other.amount_paid_pence),
            amount_refunded_pence=max(self.amount_refunded_pence, other.amount_refunded_pence),
            payment_intent_id=self.payment_intent_id or other.payment_intent_id,
            observed_at=max(self.observed_at, other.observed_at),
        )


_INVOICE_ORDER = {InvoiceStatus.PAYMENT_FAILED: 0, InvoiceStatus.PAID: 1}


# --- the outcome guarantee ----------------------------------------------------------


class OutcomeRating(StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class GuaranteeRule(StrEnum):
    """When the month's review triggers the guarantee, judged on the person's ratings
    (the outcomes are in the person's own words)."""

    ANY_NOT_MET = "any_not_met"  # at least one agreed outcome not met
    MAJORITY_NOT_MET = "majority_not_met"  # more than half not met
    ALL_NOT_MET = "all_not_met"  # every agreed outcome not met


@dataclass(frozen=True, slots=True)
class OutcomeGuarantee:
    """A share of the month's fee refunded when the agreed outcomes are not met."""

    refund_percent: int
    rule: GuaranteeRule = GuaranteeRule.ANY_NOT_MET

    def __post_init__(self) -> None:
        if not 1 <= self.refund_percent <= 100:
            raise ValueError(f"refund_percent must be between 1 and 100, not {self.refund_percent}")


@dataclass(frozen=True, slots=True)
class OutcomeReviewLine:
    """One agreed outcome in a monthly review, rated by the person (or their supporter)
    and by the team. None means that side has not rated it yet."""

    outcome: str
    person_rating: OutcomeRating | None
    team_rating: OutcomeRating | None


@dataclass(frozen=True, slots=True)
class GuaranteeDecision:
    refund_pence: int
    reason: str
    not_met: tuple[str, ...] = ()


def decide_guarantee_refund(
    guarantee: OutcomeGuarantee | None,
    lines: Sequence[OutcomeReviewLine],
    month_fee_paid_pence: int,
    already_refunded_pence: int = 0,
) -> GuaranteeDecision:
    """How much of the month's paid fee the guarantee refunds (0 when it does not apply).

    The refund is `refund_percent` of the fee paid, rounded to the nearest penny, and never
    more than is left unrefunded on that payment."""
    if month_fee_paid_pence < 0 or already_refunded_pence < 0:
        raise ValueError("Amounts paid and refunded cannot be negative")
    if guarantee is None:
        return GuaranteeDecision(0, "The plan has no outcome guarantee.")
    if not lines:
        return GuaranteeDecision(0, "The review has no agreed outcomes to judge.")
    if any(line.person_rating is None for line in lines):
        return GuaranteeDecision(0, "The review is not finished: some outcomes are not rated.")
    not_met = tuple(line.outcome for line in lines if line.person_rating is OutcomeRating.NOT_MET)
    match guarantee.rule:
        case GuaranteeRule.ANY_NOT_MET:
            triggered = bool(not_met)
        case GuaranteeRule.MAJORITY_NOT_MET:
            triggered = 2 * len(not_met) > len(lines)
        case _:  # GuaranteeRule.ALL_NOT_MET
            triggered = len(not_met) == len(lines)
    if not triggered:
        return GuaranteeDecision(0, "The agreed outcomes were met under the guarantee's rule.")
    remaining = month_fee_paid_pence - already_refunded_pence
    refund = min((month_fee_paid_pence * guarantee.refund_percent + 50) // 100, remaining)
    if refund <= 0:
        return GuaranteeDecision(0, "This month's payment has already been refunded.", not_met)
    return GuaranteeDecision(
        refund,
        f"{guarantee.refund_percent}% of this month's fee is refunded: "
        f"{len(not_met)} of {len(lines)} outcomes were not met.",
        not_met,
    )
