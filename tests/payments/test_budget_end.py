"""Projections stop counting money in at the budget's next review (until it is renewed),
and a card payment the budget cannot refuse is warned about before it is taken."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from payments.ledger import (
    BudgetPeriod,
    BudgetTerms,
    EntryKind,
    Ledger,
    WarningKind,
    payment_due_warning,
    project,
)

START = date(2026, 1, 5)


def spending_ledger() -> Ledger:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 70_000, START, "Period 1")
    for day in range(10):  # £20 a day
        ledger.post(EntryKind.PAYMENT, -2_000, START + timedelta(days=day), f"Day {day}")
    return ledger


def terms(funded_until: date | None) -> BudgetTerms:
    return BudgetTerms(1, 70_000, BudgetPeriod.FOUR_WEEKLY, START, funded_until=funded_until)


@pytest.mark.parametrize(
    ("funded_until", "next_allocation"),
    [
        (None, 70_000),  # no end known: the council keeps paying in
        (START + timedelta(days=29), 70_000),  # the review comes after the next period starts
        (START + timedelta(days=28), 0),  # reviewed the day the next period would start
        (START + timedelta(days=20), 0),  # reviewed before it
    ],
)
def test_the_next_allocation_counts_only_before_the_review(
    funded_until: date | None, next_allocation: int
) -> None:
    projection = project(spending_ledger(), terms(funded_until), START + timedelta(days=9))
    assert projection.projected_balance_pence == 14_000  # spending goes on either way
    assert projection.next_allocation_pence == next_allocation
    assert projection.balance_after_next_allocation_pence == 14_000 + next_allocation


def test_a_payment_due_that_would_overdraw_is_warned_about() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 40_000, START, "January")
    due = START + timedelta(days=31)
    warning = payment_due_warning(ledger, 45_000, due, "the Living well membership")
    assert warning is not None and warning.kind is WarningKind.PAYMENT_DUE_OVERSPEND
    assert warning.message.startswith(
        "The next payment of £450.00 for the Living well membership, due on 5 February 2026, "
        "would take the budget to -£50.00. Stripe takes it from the card"
    )
    # An allocation recorded before the day covers it; one after it does not.
    ledger.post(EntryKind.ALLOCATION, 40_000, due + timedelta(days=1), "Late")
    assert payment_due_warning(ledger, 45_000, due, "it") is not None
    covered = Ledger(1)
    covered.post(EntryKind.ALLOCATION, 45_000, START, "January")
    assert payment_due_warning(covered, 45_000, due, "it") is None
    with pytest.raises(ValueError, match="positive"):
        payment_due_warning(covered, 0, due, "it")
