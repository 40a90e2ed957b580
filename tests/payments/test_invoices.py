"""payments.invoices: amounts, references and what the billing run does on a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.invoices import (
    LONGEST_INVOICE_MINUTES,
    DueAction,
    InvoiceAction,
    InvoiceFacts,
    InvoicePolicy,
    InvoiceStatus,
    amount_for_time,
    check_reference,
    due_actions,
)
from payments.ledger import EntryKind, Ledger, WouldOverdraw

DAY = date(2026, 11, 2)


@pytest.mark.parametrize(
    "minutes, rate, pence",
    [(60, 2150, 2150), (90, 2125, 3188), (630, 2150, 22575), (1, 2150, 36), (1, 29, 0)],
)
def test_time_at_a_rate_rounds_to_the_nearest_penny(minutes, rate, pence) -> None:
    assert amount_for_time(minutes, rate) == pence


@given(st.integers(1, LONGEST_INVOICE_MINUTES), st.integers(1, 6_000))
def test_the_amount_is_within_half_a_penny_of_the_exact_one(minutes, rate) -> None:
    exact = minutes * rate / 60
    assert abs(amount_for_time(minutes, rate) - exact) <= 0.5


@pytest.mark.parametrize(
    "minutes, rate, message",
    [
        (0, 2000, "more than 0"),
        (LONGEST_INVOICE_MINUTES + 1, 2000, "at most 744 hours"),
        (60, 0, "more than £0"),
        (LONGEST_INVOICE_MINUTES, 10_000, "at most £50,000"),
    ],
)
def test_impossible_times_and_rates_are_refused(minutes, rate, message) -> None:
    with pytest.raises(ValueError, match=message):
        amount_for_time(minutes, rate)


def test_references_are_tidied_and_checked() -> None:
    assert check_reference("  HCC   0042 ") == "HCC 0042"
    assert check_reference("inv/2026_11.3-a") == "inv/2026_11.3-a"
    with pytest.raises(ValueError, match="Enter the invoice reference"):
        check_reference("   ")
    for bad in ("=HYPERLINK()", "-1", "x" * 61, "HCC;DROP"):
        with pytest.raises(ValueError, match="starting with a letter or number"):
            check_reference(bad)


def test_the_policy_refuses_nonsense() -> None:
    assert InvoicePolicy().auto_approve_days is None  # off unless configured
    for bad in ({"reminder_days": 0}, {"dunning_days": -1}, {"auto_approve_days": 0}):
        with pytest.raises(ValueError, match="must be at least 1"):
            InvoicePolicy(**bad)


def _due(status: InvoiceStatus, waited: int, policy: InvoicePolicy) -> list[DueAction]:
    return due_actions(InvoiceFacts(7, status, DAY), DAY + timedelta(days=waited), policy)


def test_an_unanswered_invoice_is_reminded_about_after_the_wait() -> None:
    policy = InvoicePolicy(reminder_days=7)
    assert _due(InvoiceStatus.RAISED, 6, policy) == []
    assert _due(InvoiceStatus.RAISED, 7, policy) == [
        DueAction(InvoiceAction.REMIND, 7, "7-20261102")
    ]
    # The occasion is the day it was raised: every later run names the same occasion.
    assert _due(InvoiceStatus.RAISED, 30, policy)[0].occasion == "7-20261102"


def test_auto_approval_comes_instead_of_a_reminder_when_configured() -> None:
    policy = InvoicePolicy(auto_approve_days=10, reminder_days=7)
    assert [d.action for d in _due(InvoiceStatus.RAISED, 8, policy)] == [InvoiceAction.REMIND]
    assert [d.action for d in _due(InvoiceStatus.RAISED, 10, policy)] == [
        InvoiceAction.AUTO_APPROVE
    ]


def test_an_approved_invoice_left_unpaid_is_overdue_after_the_wait() -> None:
    policy = InvoicePolicy(dunning_days=14)
    assert _due(InvoiceStatus.APPROVED, 13, policy) == []
    assert [d.action for d in _due(InvoiceStatus.APPROVED, 14, policy)] == [InvoiceAction.DUN]


@pytest.mark.parametrize("status", [InvoiceStatus.QUERIED, InvoiceStatus.PAID,
                                    InvoiceStatus.WITHDRAWN])  # fmt: skip
def test_nothing_is_due_for_invoices_waiting_on_the_provider_or_settled(status) -> None:
    assert _due(status, 365, InvoicePolicy(auto_approve_days=1)) == []


def test_money_promised_to_unsettled_card_payments_is_not_available() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 10_000, DAY, "November")
    ledger.ensure_affordable(6_000, DAY, reserved_pence=4_000)
    with pytest.raises(WouldOverdraw, match="more than the £60.01 left"):
        ledger.ensure_affordable(6_002, DAY, reserved_pence=3_999)
