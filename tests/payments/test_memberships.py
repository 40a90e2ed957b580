"""Memberships mirror Stripe subscriptions; the outcome guarantee decides refunds."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.memberships import (
    EXPECTED_TRANSITIONS,
    GuaranteeRule,
    InvoiceStatus,
    Membership,
    MembershipInvoice,
    MembershipStatus,
    OutcomeGuarantee,
    OutcomeRating,
    OutcomeReviewLine,
    SubscriptionSnapshot,
    apply_snapshot,
    decide_guarantee_refund,
    snapshot_from_stripe,
)

S = MembershipStatus


def membership(status: S = S.INCOMPLETE, observed_at: int | None = None) -> Membership:
    return Membership(
        id=1,
        plan_id=2,
        arrangement_id=3,
        started_by_user_id=4,
        stripe_subscription_id="sub_1",
        stripe_customer_id=None,
        status=status,
        status_observed_at=observed_at,
    )


def snapshot(status: S, at: int, **kw: Any) -> SubscriptionSnapshot:
    values: dict[str, Any] = {
        "subscription_id": "sub_1",
        "customer_id": "cus_1",
        "status": status,
        "observed_at": at,
        "current_period_end": None,
        "cancel_at_period_end": False,
        "metadata": {},
    }
    values.update(kw)
    return SubscriptionSnapshot(**values)


def stripe_subscription(status: str = "active", **kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "sub_1",
        "object": "subscription",
        "status": status,
        "customer": "cus_1",
        "current_period_end": 1_800_000_000,
        "cancel_at_period_end": False,
        "metadata": {"coopcare_plan_id": "2"},
    }
    obj.update(kw)
    return obj


def test_statuses_are_stripes_words() -> None:
    assert {s.value for s in S} == {
        "incomplete",
        "incomplete_expired",
        "trialing",
        "active",
        "past_due",
        "canceled",
        "unpaid",
        "paused",
    }
    assert {s for s in S if s.is_terminal} == {S.CANCELED, S.INCOMPLETE_EXPIRED}


def test_snapshot_from_a_stripe_subscription() -> None:
    snap = snapshot_from_stripe(stripe_subscription(), 100)
    assert snap == SubscriptionSnapshot(
        "sub_1", "cus_1", S.ACTIVE, 100, 1_800_000_000, False, {"coopcare_plan_id": "2"}
    )


def test_snapshot_reads_the_period_from_items_on_newer_api_versions() -> None:
    obj = stripe_subscription(customer={"id": "cus_9"}, metadata=None)
    del obj["current_period_end"]
    obj["items"] = {"data": [{"current_period_end": 5}, {"current_period_end": 9}, {}]}
    snap = snapshot_from_stripe(obj, 1)
    assert (snap.current_period_end, snap.customer_id, snap.metadata) == (9, "cus_9", {})
    obj["items"] = {"data": []}
    assert snapshot_from_stripe(obj, 1).current_period_end is None


@pytest.mark.parametrize(
    "obj",
    [
        {"object": "invoice", "id": "in_1"},
        {"object": "subscription"},
        {"object": "subscription", "id": "sub_1", "status": "exploded"},
    ],
)
def test_snapshot_refuses_other_objects(obj: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Not a Stripe subscription|Unknown subscription status"):
        snapshot_from_stripe(obj, 1)


@pytest.mark.parametrize(("before", "after"), sorted(EXPECTED_TRANSITIONS))
def test_every_expected_transition(before: S, after: S) -> None:
    change = apply_snapshot(membership(before, 10), snapshot(after, 20, current_period_end=99))
    assert change.changed and change.expected
    assert change.membership.status is after
    assert change.membership.status_observed_at == 20
    assert change.membership.current_period_end == 99
    assert change.membership.stripe_customer_id == "cus_1"
    assert change.reason == f"{before.value} → {after.value}"


NON_TERMINAL = [s for s in S if not s.is_terminal]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b, a)
        for b, a in itertools.product(NON_TERMINAL, S)
        if b is not a and (b, a) not in EXPECTED_TRANSITIONS
    ],
)
def test_unexpected_transitions_follow_stripe_but_are_flagged(before: S, after: S) -> None:
    change = apply_snapshot(membership(before, 10), snapshot(after, 20))
    assert change.changed and not change.expected
    assert change.membership.status is after


@pytest.mark.parametrize("terminal", [S.CANCELED, S.INCOMPLETE_EXPIRED])
@pytest.mark.parametrize("after", list(S))
def test_terminal_statuses_never_change(terminal: S, after: S) -> None:
    ended = membership(terminal, 10)
    change = apply_snapshot(ended, snapshot(after, 9_999, cancel_at_period_end=True))
    assert change.membership.status is terminal
    if after is terminal:
        # Newer news of the same ending may still fill in details.
        assert change.reason == f"still {terminal.value}"
        assert change.membership.cancel_at_period_end
    else:
        assert not change.changed
        assert change.membership is ended
        assert change.reason == f"already {terminal.value}"


def test_the_first_observation_sets_any_status() -> None:
    change = apply_snapshot(membership(), snapshot(S.PAST_DUE, 5))
    assert change.changed and change.expected
    assert change.membership.status is S.PAST_DUE


def test_older_observations_are_ignored() -> None:
    current = membership(S.ACTIVE, 50)
    assert not apply_snapshot(current, snapshot(S.INCOMPLETE, 40)).changed
    assert apply_snapshot(current, snapshot(S.INCOMPLETE, 40)).reason == "older than what we know"


def test_a_tie_goes_to_the_status_further_along() -> None:
    assert apply_snapshot(membership(S.INCOMPLETE, 50), snapshot(S.ACTIVE, 50)).changed
    assert not apply_snapshot(membership(S.ACTIVE, 50), snapshot(S.INCOMPLETE, 50)).changed


def test_same_status_news_updates_the_details() -> None:
    current = membership(S.ACTIVE, 50)
    change = apply_snapshot(current, snapshot(S.ACTIVE, 60, cancel_at_period_end=True))
    assert change.changed and change.reason == "still active"
    assert change.membership.cancel_at_period_end
    repeat = apply_snapshot(change.membership, snapshot(S.ACTIVE, 60, cancel_at_period_end=True))
    assert not repeat.changed


def test_a_snapshot_of_another_subscription_is_refused() -> None:
    with pytest.raises(ValueError, match="is not membership 1's"):
        apply_snapshot(membership(), snapshot(S.ACTIVE, 1, subscription_id="sub_2"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(S)), st.integers(0, 5), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    st.randoms(use_true_random=False),
)
def test_the_final_state_does_not_depend_on_arrival_order(
    observations: list[tuple[S, int, bool]], shuffler: random.Random
) -> None:
    snaps = [snapshot(s, at, cancel_at_period_end=c) for s, at, c in observations]

    def final(order: list[SubscriptionSnapshot]) -> Membership:
        current = membership()
        for snap in order + order:  # and every event twice
            current = apply_snapshot(current, snap).membership
        return current

    shuffled = snaps[:]
    shuffler.shuffle(shuffled)
    first_terminal = [s for s in snaps if s.status.is_terminal]
    if len({s.status for s in first_terminal}) <= 1:
        # (Stripe never reports both canceled and incomplete_expired for one subscription.)
        assert final(snaps) == final(shuffled)


def invoice(status: InvoiceStatus, at: int, **kw: Any) -> MembershipInvoice:
    values: dict[str, Any] = {
        "stripe_invoice_id": "in_1",
        "membership_id": 1,
        "status": status,
        "amount_due_pence": 5000,
        "amount_paid_pence": 0,
        "amount_refunded_pence": 0,
        "payment_intent_id": None,
        "period_start": 1,
        "period_end": 2,
        "observed_at": at,
    }
    values.update(kw)
    return MembershipInvoice(**values)


def test_invoice_observations_merge_in_any_order() -> None:
    failed = invoice(InvoiceStatus.PAYMENT_FAILED, 10)
    paid = invoice(InvoiceStatus.PAID, 5, amount_paid_pence=5000, payment_intent_id="pi_1")
    refunded = invoice(InvoiceStatus.PAID, 7, amount_paid_pence=5000, amount_refunded_pence=500)
    results = {
        a.merged(b).merged(c) for a, b, c in itertools.permutations([failed, paid, refunded])
    }
    assert len(results) == 1
    merged = results.pop()
    assert merged.status is InvoiceStatus.PAID
    assert (merged.amount_paid_pence, merged.amount_refunded_pence) == (5000, 500)
    assert merged.payment_intent_id == "pi_1"
    assert merged.observed_at == 10
    with pytest.raises(ValueError, match="same invoice"):
        failed.merged(invoice(InvoiceStatus.PAID, 1, stripe_invoice_id="in_2"))


# --- the outcome guarantee -----------------------------------------------------------

M, P, N = OutcomeRating.MET, OutcomeRating.PARTLY_MET, OutcomeRating.NOT_MET


def lines(*ratings: OutcomeRating | None) -> list[OutcomeReviewLine]:
    return [OutcomeReviewLine(f"Outcome {i}", r, M) for i, r in enumerate(ratings, 1)]


def test_guarantee_percent_is_checked() -> None:
    for wrong in (0, 101):
        with pytest.raises(ValueError, match="between 1 and 100"):
            OutcomeGuarantee(wrong)


@pytest.mark.parametrize(
    ("rule", "ratings", "refund"),
    [
        (GuaranteeRule.ANY_NOT_MET, (M, M, N), 1250),
        (GuaranteeRule.ANY_NOT_MET, (M, P, P), 0),
        (GuaranteeRule.MAJORITY_NOT_MET, (M, N, N), 1250),
        (GuaranteeRule.MAJORITY_NOT_MET, (M, N, P, N), 0),  # half is not a majority
        (GuaranteeRule.ALL_NOT_MET, (N, N), 1250),
        (GuaranteeRule.ALL_NOT_MET, (N, P), 0),
    ],
)
def test_guarantee_rules(
    rule: GuaranteeRule, ratings: tuple[OutcomeRating, ...], refund: int
) -> None:
    decision = decide_guarantee_refund(OutcomeGuarantee(25, rule), lines(*ratings), 5000)
    assert decision.refund_pence == refund
    if refund:
        assert decision.not_met == tuple(f"Outcome {i}" for i, r in enumerate(ratings, 1) if r is N)
        assert "25% of this month's fee is refunded" in decision.reason


def test_the_persons_rating_decides_not_the_teams() -> None:
    review = [OutcomeReviewLine("Getting to the allotment", N, M)]
    assert decide_guarantee_refund(OutcomeGuarantee(10), review, 5000).refund_pence == 500
    review = [OutcomeReviewLine("Getting to the allotment", M, N)]
    assert decide_guarantee_refund(OutcomeGuarantee(10), review, 5000).refund_pence == 0


def test_guarantee_rounds_to_the_penny_and_never_refunds_twice() -> None:
    guarantee = OutcomeGuarantee(33)
    assert decide_guarantee_refund(guarantee, lines(N), 1001).refund_pence == 330  # 330.33
    assert decide_guarantee_refund(guarantee, lines(N), 1005).refund_pence == 332  # 331.65
    assert decide_guarantee_refund(guarantee, lines(N), 1000, 900).refund_pence == 100
    done = decide_guarantee_refund(guarantee, lines(N), 1000, 1000)
    assert done.refund_pence == 0 and "already been refunded" in done.reason


def test_no_refund_without_a_guarantee_or_a_finished_review() -> None:
    assert decide_guarantee_refund(None, lines(N), 5000).reason.startswith("The plan has no")
    assert decide_guarantee_refund(OutcomeGuarantee(10), [], 5000).refund_pence == 0
    unfinished = decide_guarantee_refund(OutcomeGuarantee(10), lines(N, None), 5000)
    assert unfinished.refund_pence == 0 and "not finished" in unfinished.reason
    with pytest.raises(ValueError, match="cannot be negative"):
        decide_guarantee_refund(OutcomeGuarantee(10), lines(N), -1)


@pytest.mark.parametrize(
    "items, expected",
    [
        ({"data": [{"price": {"id": "price_1", "unit_amount": 4500}}]}, ("price_1", 4500)),
        ({"data": [{"plan": {"id": "plan_1", "amount": 4800}}]}, ("plan_1", 4800)),  # localstripe
        ({"data": [{"price": "price_2"}]}, ("price_2", None)),  # not expanded
        ({"data": [{"price": {"id": "price_3", "unit_amount": None}}]}, ("price_3", None)),
        ({"data": [{}, {"price": {"id": "price_4", "unit_amount": 1}}]}, ("price_4", 1)),
        ({"data": []}, (None, None)),
        (None, (None, None)),
    ],
)
def test_snapshot_reads_the_price_the_subscription_is_charged_at(
    items: dict[str, Any] | None, expected: tuple[str | None, int | None]
) -> None:
    snap = snapshot_from_stripe(stripe_subscription(items=items), 1)
    assert (snap.price_id, snap.monthly_price_pence) == expected


def test_a_membership_keeps_its_price_until_stripe_names_another() -> None:
    start = apply_snapshot(
        membership(), snapshot(S.ACTIVE, 10, price_id="price_1", monthly_price_pence=4500)
    ).membership
    assert (start.price_id, start.monthly_price_pence) == ("price_1", 4500)
    # News that names no price, or the same price without its amount, keeps both.
    silent = apply_snapshot(start, snapshot(S.ACTIVE, 11)).membership
    assert (silent.price_id, silent.monthly_price_pence) == ("price_1", 4500)
    same = apply_snapshot(silent, snapshot(S.ACTIVE, 12, price_id="price_1")).membership
    assert (same.price_id, same.monthly_price_pence) == ("price_1", 4500)
    # Moved to another price: its amount, or unknown until Stripe says.
    moved = apply_snapshot(same, snapshot(S.ACTIVE, 13, price_id="price_2")).membership
    assert (moved.price_id, moved.monthly_price_pence) == ("price_2", None)
    priced = apply_snapshot(
        moved, snapshot(S.ACTIVE, 14, price_id="price_2", monthly_price_pence=4800)
    ).membership
    assert (priced.price_id, priced.monthly_price_pence) == ("price_2", 4800)
