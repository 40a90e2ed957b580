"""The budget ledger: append-only entries, balances, projections, warnings, statements."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.ledger import (
    BudgetPeriod,
    BudgetTerms,
    EntryKind,
    EntrySource,
    InMemoryLedgerStore,
    Ledger,
    LedgerEntry,
    LedgerError,
    WarningKind,
    WouldOverdraw,
    budget_warnings,
    format_pounds,
    project,
    statement,
)

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
START = date(2026, 1, 5)  # a Monday


def monthly_terms(amount: int = 100_000, **kw: object) -> BudgetTerms:
    return BudgetTerms(1, amount, BudgetPeriod.MONTHLY, START, **kw)  # type: ignore[arg-type]


def test_format_pounds() -> None:
    assert format_pounds(0) == "£0.00"
    assert format_pounds(5) == "£0.05"
    assert format_pounds(123456) == "£1,234.56"
    assert format_pounds(-300) == "-£3.00"


def test_post_appends_in_order_with_signs_checked() -> None:
    ledger = Ledger(1)
    allocation = ledger.post(EntryKind.ALLOCATION, 100_000, START, "January", recorded_at=AT)
    payment = ledger.post(
        EntryKind.PAYMENT,
        -25_000,
        START + timedelta(days=3),
        "Invoice INV-1",
        category="agency_care",
        source=EntrySource(
            invoice_id=7,
            invoice_reference="INV-1",
            stripe_object_id="pi_1",
            recorded_by_user_id=3,
            supporter_user_id=4,
        ),
    )
    assert (allocation.sequence, payment.sequence) == (1, 2)
    assert ledger.entries == (allocation, payment)
    assert ledger.entry(2).source.supporter_user_id == 4
    assert ledger.entry_for_stripe_object("pi_1") == payment
    assert ledger.entry_for_stripe_object("pi_2") is None
    assert payment.recorded_at.tzinfo is not None
    assert ledger.balance() == 75_000
    assert ledger.balance(START) == 100_000
    assert ledger.balance(START - timedelta(days=1)) == 0
    assert len(ledger) == 2


@pytest.mark.parametrize(
    ("kind", "amount", "message"),
    [
        (EntryKind.ALLOCATION, -1, "must be positive"),
        (EntryKind.CLIENT_CONTRIBUTION, -1, "must be positive"),
        (EntryKind.REFUND, -1, "must be positive"),
        (EntryKind.PAYMENT, 1, "must be negative"),
        (EntryKind.PROVIDER_INVOICE, 1, "must be negative"),
        (EntryKind.ADJUSTMENT, 0, "amount was 0"),
        (EntryKind.REVERSAL, -1, "Ledger.reverse"),
    ],
)
def test_refused_entries_change_nothing(kind: EntryKind, amount: int, message: str) -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 1000, START, "January")
    with pytest.raises(LedgerError, match=message):
        ledger.post(kind, amount, START, "wrong")
    assert len(ledger) == 1


def test_adjustments_go_either_way() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ADJUSTMENT, 500, START, "Council top-up")
    ledger.post(EntryKind.ADJUSTMENT, -200, START, "Bank charge")
    assert ledger.balance() == 300


def test_entries_are_checked_when_loaded() -> None:
    good = LedgerEntry(1, 1, EntryKind.ALLOCATION, 1000, START, AT, "January")
    with pytest.raises(LedgerError, match="cannot go in budget 2"):
        Ledger(2, [good])
    with pytest.raises(LedgerError, match="expected entry 1, got 2"):
        Ledger(1, [dataclasses.replace(good, sequence=2)])
    with pytest.raises(LedgerError, match="needs a description"):
        Ledger(1, [dataclasses.replace(good, description="  ")])
    with pytest.raises(LedgerError, match="timezone"):
        Ledger(1, [dataclasses.replace(good, recorded_at=datetime(2026, 1, 5))])
    with pytest.raises(LedgerError, match="Only a reversal"):
        Ledger(1, [dataclasses.replace(good, reverses_sequence=1)])
    with pytest.raises(LedgerError, match="must name an earlier entry"):
        Ledger(1, [dataclasses.replace(good, kind=EntryKind.REVERSAL, reverses_sequence=None)])
    with pytest.raises(LedgerError, match="exactly minus"):
        Ledger(
            1,
            [
                good,
                LedgerEntry(1, 2, EntryKind.REVERSAL, 999, START, AT, "x", reverses_sequence=1),
            ],
        )
    with pytest.raises(LedgerError, match="before the entry"):
        Ledger(
            1,
            [
                good,
                LedgerEntry(
                    1, 2, EntryKind.REVERSAL, -1000, date(2025, 1, 1), AT, "x", reverses_sequence=1
                ),
            ],
        )


def test_a_stripe_object_is_recorded_once() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 1000, START, "January")
    ledger.post(EntryKind.PAYMENT, -100, START, "x", source=EntrySource(stripe_object_id="pi_1"))
    with pytest.raises(LedgerError, match="already in the ledger"):
        ledger.post(
            EntryKind.PAYMENT, -100, START, "x", source=EntrySource(stripe_object_id="pi_1")
        )
    assert ledger.balance() == 900


def test_corrections_are_reversing_entries() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 1000, START, "January")
    wrong = ledger.post(
        EntryKind.PAYMENT,
        -400,
        START,
        "Paid twice by mistake",
        category="respite",
        source=EntrySource(invoice_id=9, invoice_reference="INV-9"),
    )
    reversal = ledger.reverse(wrong.sequence, START + timedelta(days=1), "Duplicate payment")
    assert reversal.kind is EntryKind.REVERSAL
    assert reversal.amount_pence == 400
    assert reversal.reverses_sequence == 2
    assert reversal.category == "respite"
    assert reversal.source.invoice_reference == "INV-9"
    assert ledger.is_reversed(2) and not ledger.is_reversed(1)
    assert ledger.entry(2) == wrong  # the original stands
    assert ledger.balance() == 1000
    with pytest.raises(LedgerError, match="already been reversed"):
        ledger.reverse(2, START + timedelta(days=1), "again")
    with pytest.raises(LedgerError, match="cannot be reversed"):
        ledger.reverse(3, START + timedelta(days=1), "undo the undo")
    with pytest.raises(LedgerError, match="has no entry 9"):
        ledger.reverse(9, START, "nothing")
    with pytest.raises(LedgerError, match="has no entry 0"):
        ledger.entry(0)


def test_the_ledger_has_no_way_to_change_or_remove_an_entry() -> None:
    ledger = Ledger(1)
    entry = ledger.post(EntryKind.ALLOCATION, 1000, START, "January")
    public = {name for name in dir(ledger) if not name.startswith("_")}
    assert public == {
        "balance",
        "budget_id",
        "ensure_affordable",
        "entries",
        "entry",
        "entry_for_stripe_object",
        "is_reversed",
        "post",
        "reverse",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.amount_pence = 1  # type: ignore[misc]
    assert isinstance(ledger.entries, tuple)
    with pytest.raises(AttributeError):
        ledger.extra = 1  # type: ignore[attr-defined]


def test_ensure_affordable() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 1000, START, "January")
    ledger.ensure_affordable(1000, START)
    with pytest.raises(WouldOverdraw, match="£10.01 is more than the £10.00 left") as refused:
        ledger.ensure_affordable(1001, START)
    assert (refused.value.amount_pence, refused.value.balance_pence) == (1001, 1000)
    with pytest.raises(LedgerError, match="more than £0.00"):
        ledger.ensure_affordable(0, START)
    # A payment already dated later lowers what can be spent today.
    ledger.post(EntryKind.PAYMENT, -600, START + timedelta(days=5), "Booked respite")
    ledger.post(EntryKind.ALLOCATION, 1000, START + timedelta(days=30), "February")
    with pytest.raises(WouldOverdraw):
        ledger.ensure_affordable(500, START)
    ledger.ensure_affordable(400, START)
    # Nothing is available before the first allocation.
    with pytest.raises(WouldOverdraw):
        ledger.ensure_affordable(1, START - timedelta(days=1))


def test_in_memory_store_refuses_a_taken_sequence() -> None:
    store = InMemoryLedgerStore()
    first = Ledger(1).post(EntryKind.ALLOCATION, 1000, START, "January")
    store.append(first)
    # Two writers who both loaded an empty ledger cannot both append entry 1.
    with pytest.raises(LedgerError, match="already taken"):
        store.append(dataclasses.replace(first, amount_pence=5))
    assert store.ledger(1).entries == (first,)
    assert store.entries(2) == ()


# --- budget periods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "on", "expected"),
    [
        (BudgetPeriod.WEEKLY, date(2026, 1, 5), (date(2026, 1, 5), date(2026, 1, 12))),
        (BudgetPeriod.WEEKLY, date(2026, 1, 18), (date(2026, 1, 12), date(2026, 1, 19))),
        (BudgetPeriod.FOUR_WEEKLY, date(2026, 2, 1), (date(2026, 1, 5), date(2026, 2, 2))),
        (BudgetPeriod.FOUR_WEEKLY, date(2026, 2, 2), (date(2026, 2, 2), date(2026, 3, 2))),
        (BudgetPeriod.MONTHLY, date(2026, 1, 5), (date(2026, 1, 5), date(2026, 2, 5))),
        (BudgetPeriod.MONTHLY, date(2026, 2, 4), (date(2026, 1, 5), date(2026, 2, 5))),
        (BudgetPeriod.MONTHLY, date(2026, 12, 31), (date(2026, 12, 5), date(2027, 1, 5))),
    ],
)
def test_period_containing(period: BudgetPeriod, on: date, expected: tuple[date, date]) -> None:
    assert BudgetTerms(1, 1000, period, START).period_containing(on) == expected


def test_monthly_periods_from_the_31st_hold_at_month_end() -> None:
    terms = BudgetTerms(1, 1000, BudgetPeriod.MONTHLY, date(2026, 1, 31))
    assert terms.period_containing(date(2026, 2, 27)) == (date(2026, 1, 31), date(2026, 2, 28))
    assert terms.period_containing(date(2026, 2, 28)) == (date(2026, 2, 28), date(2026, 3, 31))
    assert terms.period_containing(date(2028, 3, 1)) == (date(2028, 2, 29), date(2028, 3, 31))


def test_terms_are_validated() -> None:
    with pytest.raises(ValueError, match="amount_pence must be positive"):
        BudgetTerms(1, 0, BudgetPeriod.WEEKLY, START)
    with pytest.raises(ValueError, match="surplus_limit_weeks must be positive"):
        BudgetTerms(1, 10, BudgetPeriod.WEEKLY, START, surplus_limit_weeks=0)
    with pytest.raises(ValueError, match="before the budget starts"):
        BudgetTerms(1, 10, BudgetPeriod.WEEKLY, START).period_containing(date(2025, 1, 1))


def test_weekly_equivalents() -> None:
    assert BudgetTerms(1, 700, BudgetPeriod.WEEKLY, START).weekly_pence == 700
    assert BudgetTerms(1, 2800, BudgetPeriod.FOUR_WEEKLY, START).weekly_pence == 700
    assert BudgetTerms(1, 5200, BudgetPeriod.MONTHLY, START).weekly_pence == 1200
    # Eight weeks of a £1,000 monthly budget is £1,846.15 and a fraction.
    assert monthly_terms().surplus_limit_pence() == Fraction(8 * 100_000 * 12, 52)


# --- projections and warnings --------------------------------------------------------


def test_projection_follows_the_spending_rate() -> None:
    terms = BudgetTerms(1, 70_000, BudgetPeriod.FOUR_WEEKLY, START)
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 70_000, START, "Period 1")
    for day in range(10):  # £20 a day for ten days
        ledger.post(EntryKind.PAYMENT, -2_000, START + timedelta(days=day), f"Day {day}")
    on = START + timedelta(days=9)
    projection = project(ledger, terms, on)
    assert projection.period_starts_on == START
    assert projection.next_period_starts_on == START + timedelta(days=28)
    assert projection.balance_pence == 50_000
    assert projection.daily_spend_pence == 2_000
    assert projection.projected_spend_pence == 18 * 2_000  # the 18 days left
    assert projection.projected_balance_pence == 14_000
    assert projection.balance_after_next_allocation_pence == 84_000
    assert budget_warnings(ledger, terms, on) == []


def test_projected_overspend_warns() -> None:
    terms = BudgetTerms(1, 70_000, BudgetPeriod.FOUR_WEEKLY, START)
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 70_000, START, "Period 1")
    ledger.post(EntryKind.PAYMENT, -50_000, START + timedelta(days=6), "A big week")
    found = budget_warnings(ledger, terms, START + timedelta(days=6))
    assert [w.kind for w in found] == [WarningKind.PROJECTED_OVERSPEND]
    assert "run out before 2 February 2026" in found[0].message


def test_overspent_warns() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ADJUSTMENT, -1_000, START, "Bank charge")
    found = budget_warnings(ledger, monthly_terms(), START)
    assert [w.kind for w in found] == [WarningKind.OVERSPENT]
    assert "overspent by £10.00" in found[0].message


def test_surplus_above_the_council_limit_warns() -> None:
    terms = BudgetTerms(1, 10_000, BudgetPeriod.WEEKLY, START)
    ledger = Ledger(1)
    ledger.post(EntryKind.ALLOCATION, 80_000, START, "Eight weeks")
    assert budget_warnings(ledger, terms, START) == []  # exactly 8 weeks is not more
    ledger.post(EntryKind.CLIENT_CONTRIBUTION, 5_000, START, "Contribution")
    found = budget_warnings(ledger, terms, START)
    assert [w.kind for w in found] == [WarningKind.SURPLUS]
    assert "8.5 weeks of budget" in found[0].message
    stricter = BudgetTerms(1, 10_000, BudgetPeriod.WEEKLY, START, surplus_limit_weeks=4)
    assert "limit of 4 weeks" in budget_warnings(ledger, stricter, START)[0].message


# --- statements ----------------------------------------------------------------------


def three_months() -> Ledger:
    ledger = Ledger(1)
    for month in range(3):
        first = date(2026, 1 + month, 5)
        ledger.post(EntryKind.ALLOCATION, 100_000, first, f"Allocation {first:%B}")
        ledger.post(EntryKind.CLIENT_CONTRIBUTION, 5_000, first, "Contribution")
        ledger.post(
            EntryKind.PAYMENT,
            -60_000,
            first + timedelta(days=20),
            "Care in the month",
            category="agency_care",
            source=EntrySource(invoice_id=10 + month, invoice_reference=f"INV-{10 + month}"),
        )
    ledger.post(
        EntryKind.PROVIDER_INVOICE,
        -2_000,
        date(2026, 2, 10),
        '=HYPERLINK("http://evil")',
        category="activities",
        source=EntrySource(invoice_reference="+ISF-1"),
    )
    wrong = ledger.post(
        EntryKind.PAYMENT, -3_000, date(2026, 2, 11), "Duplicate", category="agency_care"
    )
    ledger.reverse(wrong.sequence, date(2026, 2, 12), "Duplicate payment reversed")
    ledger.post(
        EntryKind.REFUND, 1_500, date(2026, 2, 15), "Guarantee refund", category="agency_care"
    )
    ledger.post(EntryKind.ADJUSTMENT, -100, date(2026, 2, 16), "Bank charge")
    return ledger


def test_statement_for_a_period() -> None:
    ledger = three_months()
    result = statement(ledger, monthly_terms(), date(2026, 2, 1), date(2026, 2, 28))
    assert result.opening_balance_pence == 45_000
    assert result.money_in_pence == 100_000 + 5_000 + 1_500
    # Out: the invoice, the payment, the duplicate and its reversal, the bank charge.
    assert result.money_out_pence == 60_000 + 2_000 + 3_000 - 3_000 + 100
    assert result.closing_balance_pence == ledger.balance(date(2026, 2, 28))
    assert result.reconciles()
    assert result.money_in_by_kind() == {
        EntryKind.ALLOCATION: 100_000,
        EntryKind.CLIENT_CONTRIBUTION: 5_000,
        EntryKind.REFUND: 1_500,
    }
    assert result.money_out_by_category() == {
        "agency_care": (60_000, ("INV-11",)),
        "activities": (2_000, ("+ISF-1",)),
        "uncategorised": (100, ()),
    }
    assert result.surplus_weeks == Fraction(result.closing_balance_pence * 52, 100_000 * 12)


def test_statement_csv() -> None:
    result = statement(three_months(), monthly_terms(), date(2026, 2, 1), date(2026, 2, 28))
    rows = list(csv.reader(io.StringIO(result.to_csv())))
    assert rows[0] == [
        "section",
        "date",
        "type",
        "category",
        "description",
        "invoice_reference",
        "amount_gbp",
    ]
    assert rows[1] == ["opening balance", "2026-02-01", "", "", "", "", "450.00"]
    by_section: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_section.setdefault(row[0], []).append(row)
    assert len(by_section["money in"]) == 3
    assert len(by_section["money out"]) == 5
    assert [
        "money out",
        "2026-02-25",
        "Payment",
        "agency_care",
        "Care in the month",
        "INV-11",
        "-600.00",
    ] in by_section["money out"]
    # Text from providers cannot run as a spreadsheet formula.
    invoice_row = next(r for r in by_section["money out"] if r[2] == "Provider invoice")
    assert invoice_row[4].startswith("'=") and invoice_row[5] == "'+ISF-1"
    totals_out = {r[3]: (r[5], r[6]) for r in by_section["total money out"]}
    assert totals_out == {
        "activities": ("'+ISF-1", "-20.00"),
        "agency_care": ("INV-11", "-600.00"),
        "uncategorised": ("", "-1.00"),
    }
    assert by_section["closing balance"] == [
        [
            "closing balance",
            "2026-02-28",
            "",
            "",
            "",
            "",
            f"{result.closing_balance_pence / 100:.2f}",
        ]
    ]
    assert by_section["surplus weeks"][0][-1] == "3.9"  # £894.00 over £230.77 a week
    total_in = sum(Fraction(r[-1]) for r in by_section["money in"])
    total_out = sum(Fraction(r[-1]) for r in by_section["money out"])
    assert Fraction(rows[1][-1]) + total_in + total_out == Fraction(
        by_section["closing balance"][0][-1]
    )


def test_statement_arguments_are_checked() -> None:
    ledger = three_months()
    with pytest.raises(ValueError, match="ends .* before it starts"):
        statement(ledger, monthly_terms(), date(2026, 2, 1), date(2026, 1, 1))
    other = BudgetTerms(2, 1000, BudgetPeriod.MONTHLY, START)
    with pytest.raises(ValueError, match="do not belong"):
        statement(ledger, other, date(2026, 2, 1), date(2026, 2, 28))


def test_an_overdrawn_statement_has_no_surplus_weeks() -> None:
    ledger = Ledger(1)
    ledger.post(EntryKind.ADJUSTMENT, -1_000, START, "Bank charge")
    result = statement(ledger, monthly_terms(), START, START)
    assert result.surplus_weeks == 0
    assert result.to_csv().rstrip().endswith("surplus weeks,,,,,,0.0")


# --- properties ----------------------------------------------------------------------

KINDS_WITH_SIGN = {
    EntryKind.ALLOCATION: 1,
    EntryKind.CLIENT_CONTRIBUTION: 1,
    EntryKind.REFUND: 1,
    EntryKind.PAYMENT: -1,
    EntryKind.PROVIDER_INVOICE: -1,
    EntryKind.ADJUSTMENT: 0,
}

# One call on the ledger: ("post", kind, amount, day) or ("reverse", sequence, day); the
# amounts and sequences are drawn freely, so many calls are refused, which is the point.
calls = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.sampled_from(list(KINDS_WITH_SIGN)),
            st.integers(-50_000, 50_000),
            st.integers(0, 120),
        ),
        st.tuples(st.just("reverse"), st.integers(0, 12), st.integers(0, 120)),
    ),
    max_size=30,
)


def play(ledger: Ledger, call: tuple[object, ...]) -> None:
    if call[0] == "post":
        _, kind, amount, day = call
        ledger.post(kind, amount, START + timedelta(days=day), "entry", category="respite")  # type: ignore[arg-type,operator]
    else:
        _, sequence, day = call
        ledger.reverse(sequence, START + timedelta(days=day), "correction")  # type: ignore[arg-type,operator]


@settings(max_examples=150, deadline=None)
@given(calls)
def test_no_sequence_of_calls_changes_or_removes_an_entry(
    sequence: list[tuple[object, ...]],
) -> None:
    ledger = Ledger(1)
    for call in sequence:
        before = ledger.entries
        try:
            play(ledger, call)
        except LedgerError:
            assert ledger.entries == before  # a refused call leaves the ledger as it was
        else:
            assert ledger.entries[: len(before)] == before
            assert len(ledger.entries) == len(before) + 1
        # A reloaded ledger accepts exactly the same entries.
        assert Ledger(1, ledger.entries).entries == ledger.entries


@settings(max_examples=150, deadline=None)
@given(calls, st.integers(0, 130))
def test_balance_is_the_sum_of_entries(sequence: list[tuple[object, ...]], day: int) -> None:
    ledger = Ledger(1)
    for call in sequence:
        with contextlib.suppress(LedgerError):
            play(ledger, call)
    on = START + timedelta(days=day)
    assert ledger.balance() == sum(e.amount_pence for e in ledger.entries)
    assert ledger.balance(on) == sum(e.amount_pence for e in ledger.entries if e.occurred_on <= on)
    for entry in ledger.entries:
        sign = KINDS_WITH_SIGN.get(entry.kind, 0)
        assert entry.amount_pence * sign >= 0


@settings(max_examples=150, deadline=None)
@given(
    calls,
    st.integers(0, 130),
    st.integers(0, 60),
    st.sampled_from(list(BudgetPeriod)),
)
def test_statements_reconcile(
    sequence: list[tuple[object, ...]], first: int, length: int, period: BudgetPeriod
) -> None:
    ledger = Ledger(1)
    for call in sequence:
        with contextlib.suppress(LedgerError):
            play(ledger, call)
    terms = BudgetTerms(1, 40_000, period, START)
    starts_on = START + timedelta(days=first)
    ends_on = starts_on + timedelta(days=length)
    result = statement(ledger, terms, starts_on, ends_on)
    assert result.reconciles()
    assert result.closing_balance_pence == ledger.balance(ends_on)
    assert result.opening_balance_pence == ledger.balance(starts_on - timedelta(days=1))
    by_category = result.money_out_by_category()
    assert sum(total for total, _ in by_category.values()) == result.money_out_pence
    assert sum(result.money_in_by_kind().values()) == result.money_in_pence
    # Consecutive statements chain: one's closing balance is the next one's opening.
    following = statement(ledger, terms, ends_on + timedelta(days=1), ends_on + timedelta(days=30))
    assert following.opening_balance_pence == result.closing_balance_pence
    # The CSV says the same as the statement.
    rows = list(csv.reader(io.StringIO(result.to_csv())))
    lines = [r for r in rows if r[0] in ("money in", "money out")]
    assert (
        sum(Fraction(r[-1]) for r in lines) * 100
        == result.closing_balance_pence - result.opening_balance_pence
    )
    # Projections never project spending as income.
    assert project(ledger, terms, starts_on).projected_spend_pence >= 0
