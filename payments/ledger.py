"""The personal-budget ledger: append-only entries in integer pence, balances, projections,
warnings and council statements.

Pure Python: the entries are frozen dataclasses, and a `Ledger` only ever grows. There is no
way to change or remove an entry; a mistake is corrected by a reversing entry, so the history
a council audits is the history that happened. The marketplace stores the entries in the
`ledger_entries` table, where database triggers refuse UPDATE and DELETE as well.

Sign convention: `amount_pence` is what the entry does to the balance. Money in (allocation,
client contribution, refund) is positive, money out (provider invoice, payment) is negative,
an adjustment may be either, and a reversal is exactly minus the entry it reverses.

A provider invoice reaches the ledger once, when it is settled from the budget: as a
`payment` (by card or bank transfer from the budget account) or, for an individual service
fund where the provider holds the money, as a `provider_invoice` entry drawing on the fund.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Protocol

__all__ = [
    "DEFAULT_SURPLUS_LIMIT_WEEKS",
    "BudgetPeriod",
    "BudgetWarning",
    "BudgetTerms",
    "EntryKind",
    "EntrySource",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerStore",
    "InMemoryLedgerStore",
    "Projection",
    "Statement",
    "StatementLine",
    "WarningKind",
    "WouldOverdraw",
    "budget_warnings",
    "format_pounds",
    "payment_due_warning",
    "project",
    "statement",
]

# Councils may claw back a direct-payment surplus; most treat more than eight weeks of
# budget left unspent as a surplus to review.
DEFAULT_SURPLUS_LIMIT_WEEKS = 8


class EntryKind(StrEnum):
    """What an entry records."""

    ALLOCATION = "allocation"
    CLIENT_CONTRIBUTION = "client_contribution"
    PROVIDER_INVOICE = "provider_invoice"
    PAYMENT = "payment"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"


MONEY_IN_KINDS = frozenset({EntryKind.ALLOCATION, EntryKind.CLIENT_CONTRIBUTION, EntryKind.REFUND})
MONEY_OUT_KINDS = frozenset({EntryKind.PROVIDER_INVOICE, EntryKind.PAYMENT})

KIND_LABELS = {
    EntryKind.ALLOCATION: "Allocation",
    EntryKind.CLIENT_CONTRIBUTION: "Client contribution",
    EntryKind.PROVIDER_INVOICE: "Provider invoice",
    EntryKind.PAYMENT: "Payment",
    EntryKind.REFUND: "Refund",
    EntryKind.ADJUSTMENT: "Adjustment",
    EntryKind.REVERSAL: "Reversal",
}


class BudgetPeriod(StrEnum):
    """How often the council pays the budget in."""

    WEEKLY = "weekly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"


class LedgerError(ValueError):
    """An entry that the ledger refuses; the message says why. Nothing was recorded."""


class WouldOverdraw(LedgerError):
    """Spending more than the balance holds."""

    def __init__(self, amount_pence: int, balance_pence: int) -> None:
        self.amount_pence = amount_pence
        self.balance_pence = balance_pence
        super().__init__(
            f"This payment of {format_pounds(amount_pence)} is more than the "
            f"{format_pounds(balance_pence)} left in the budget, so it was not made."
        )


def format_pounds(pence: int) -> str:
    """£1,234.56 (and -£3.00) from integer pence."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def _decimal_pounds(pence: int) -> str:
    """1234.56 (and -3.00): pounds for CSV cells, no symbol or thousands separator."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{rest:02d}"


@dataclass(frozen=True, slots=True)
class EntrySource:
    """Where an entry came from: our invoice, the Stripe object, who recorded it and, when
    a supporter acted for the person, the supporter."""

    invoice_id: int | None = None
    invoice_reference: str | None = None
    stripe_object_id: str | None = None
    recorded_by_user_id: int | None = None
    supporter_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of a budget's ledger. `sequence` counts from 1 within the budget."""

    budget_id: int
    sequence: int
    kind: EntryKind
    amount_pence: int
    occurred_on: date
    recorded_at: datetime
    description: str
    category: str | None = None
    source: EntrySource = field(default_factory=EntrySource)
    reverses_sequence: int | None = None


@dataclass(frozen=True, slots=True)
class BudgetTerms:
    """The budget's amount and rhythm, for projections, warnings and statements."""

    budget_id: int
    amount_pence: int
    period: BudgetPeriod
    starts_on: date
    surplus_limit_weeks: int = DEFAULT_SURPLUS_LIMIT_WEEKS
    # Allocations are promised only before this day: the next review, where the council
    # decides whether the budget carries on (None: no end known). A projection counts no
    # money in on or after it until the budget is renewed (a later review date).
    funded_until: date | None = None

    def __post_init__(self) -> None:
        if self.amount_pence <= 0:
            raise ValueError(f"amount_pence must be positive, not {self.amount_pence}")
        if self.surplus_limit_weeks <= 0:
            raise ValueError(
                f"surplus_limit_weeks must be positive, not {self.surplus_limit_weeks}"
            )

    @property
    def weekly_pence(self) -> Fraction:
        """The budget per week (exact: a monthly budget is 12/52 of its amount a week)."""
        match self.period:
            case BudgetPeriod.WEEKLY:
                return Fraction(self.amount_pence)
            case BudgetPeriod.FOUR_WEEKLY:
                return Fraction(self.amount_pence, 4)
            case _:  # monthly: twelve months over 52 weeks
                return Fraction(self.amount_pence * 12, 52)

    def weeks_of_budget(self, pence: int) -> Fraction:
        """How many weeks of budget `pence` is."""
        return pence / self.weekly_pence

    def surplus_limit_pence(self) -> Fraction:
        """Above this balance the council may see a surplus."""
        return self.surplus_limit_weeks * self.weekly_pence

    def period_containing(self, on: date) -> tuple[date, date]:
        """The budget period holding `on`: (first day, first day of the next period)."""
        if on < self.starts_on:
            raise ValueError(f"{on.isoformat()} is before the budget starts ({self.starts_on})")
        if self.period is BudgetPeriod.MONTHLY:
            months = (on.year - self.starts_on.year) * 12 + on.month - self.starts_on.month
            start = _add_months(self.starts_on, months)
            if start > on:
                months -= 1
                start = _add_months(self.starts_on, months)
            return start, _add_months(self.starts_on, months + 1)
        length = 7 if self.period is BudgetPeriod.WEEKLY else 28
        index = (on - self.starts_on).days // length
        start = self.starts_on + timedelta(days=index * length)
        return start, start + timedelta(days=length)


def _add_months(anchor: date, months: int) -> date:
    """The anchor's day of the month, `months` later, held at the month's last day."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def _check_sign(kind: EntryKind, amount_pence: int) -> None:
    if amount_pence == 0:
        raise LedgerError("An entry must move some money: the amount was 0")
    if kind in MONEY_IN_KINDS and amount_pence < 0:
        raise LedgerError(f"A {KIND_LABELS[kind].lower()} adds money: the amount must be positive")
    if kind in MONEY_OUT_KINDS and amount_pence > 0:
        raise LedgerError(
            f"A {KIND_LABELS[kind].lower()} takes money out: the amount must be negative"
        )


class Ledger:
    """A budget's entries, oldest first. It only grows: `post` and `reverse` append;
    nothing changes or removes an entry."""

    __slots__ = ("_budget_id", "_entries", "_by_stripe_object", "_reversed")

    def __init__(self, budget_id: int, entries: Iterable[LedgerEntry] = ()) -> None:
        self._budget_id = budget_id
        self._entries: list[LedgerEntry] = []
        self._by_stripe_object: dict[str, LedgerEntry] = {}
        self._reversed: set[int] = set()
        for entry in entries:
            self._accept(entry)

    @property
    def budget_id(self) -> int:
        return self._budget_id

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """A copy: changing it cannot change the ledger."""
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, sequence: int) -> LedgerEntry:
        """The entry with this sequence number."""
        if not 1 <= sequence <= len(self._entries):
            raise LedgerError(f"Budget {self._budget_id} has no entry {sequence}")
        return self._entries[sequence - 1]

    def entry_for_stripe_object(self, stripe_object_id: str) -> LedgerEntry | None:
        """The entry recording this Stripe payment or refund, if there is one."""
        return self._by_stripe_object.get(stripe_object_id)

    def is_reversed(self, sequence: int) -> bool:
        return sequence in self._reversed

    def balance(self, on: date | None = None) -> int:
        """The balance at the end of `on` (all entries when None)."""
        return sum(e.amount_pence for e in self._entries if on is None or e.occurred_on <= on)

    def ensure_affordable(self, amount_pence: int, on: date, *, reserved_pence: int = 0) -> None:
        """Raise `WouldOverdraw` when spending `amount_pence` (positive) on `on` would take
        the balance, then or later, below zero. `reserved_pence` is money already promised
        elsewhere (card payments Stripe has not yet confirmed), so it is not available."""
        if amount_pence <= 0:
            raise LedgerError(
                f"A payment must be more than £0.00, not {format_pounds(amount_pence)}"
            )
        # The payment lowers every balance from `on` onwards, so it must fit the lowest.
        available = self.balance(on)
        running = available
        for entry in sorted(
            (e for e in self._entries if e.occurred_on > on), key=lambda e: e.occurred_on
        ):
            running += entry.amount_pence
            available = min(available, running)
        available -= reserved_pence
        if amount_pence > available:
            raise WouldOverdraw(amount_pence, available)

    def post(
        self,
        kind: EntryKind,
        amount_pence: int,
        occurred_on: date,
        description: str,
        *,
        category: str | None = None,
        source: EntrySource | None = None,
        recorded_at: datetime | None = None,
    ) -> LedgerEntry:
        """Append a new entry (not a reversal: use `reverse`) and return it."""
        if kind is EntryKind.REVERSAL:
            raise LedgerError("Reverse an entry with Ledger.reverse, naming the entry")
        entry = LedgerEntry(
            budget_id=self._budget_id,
            sequence=len(self._entries) + 1,
            kind=kind,
            amount_pence=amount_pence,
            occurred_on=occurred_on,
            recorded_at=recorded_at or datetime.now(UTC),
            description=description,
            category=category,
            source=source or EntrySource(),
        )
        self._accept(entry)
        return entry

    def reverse(
        self,
        sequence: int,
        occurred_on: date,
        reason: str,
        *,
        source: EntrySource | None = None,
        recorded_at: datetime | None = None,
    ) -> LedgerEntry:
        """Append the entry that cancels entry `sequence` and return it."""
        original = self.entry(sequence)
        entry = LedgerEntry(
            budget_id=self._budget_id,
            sequence=len(self._entries) + 1,
            kind=EntryKind.REVERSAL,
            amount_pence=-original.amount_pence,
            occurred_on=occurred_on,
            recorded_at=recorded_at or datetime.now(UTC),
            description=reason,
            category=original.category,
            source=source
            or EntrySource(
                invoice_id=original.source.invoice_id,
                invoice_reference=original.source.invoice_reference,
            ),
            reverses_sequence=sequence,
        )
        self._accept(entry)
        return entry

    def _accept(self, entry: LedgerEntry) -> None:
        """Check an entry against the ledger so far, then append it (or raise, unchanged)."""
        if entry.budget_id != self._budget_id:
            raise LedgerError(
                f"Entry for budget {entry.budget_id} cannot go in budget {self._budget_id}"
            )
        if entry.sequence != len(self._entries) + 1:
            raise LedgerError(
                f"Entries are appended in order: expected entry {len(self._entries) + 1}, "
                f"got {entry.sequence}"
            )
        if not entry.description.strip():
            raise LedgerError("Every entry needs a description")
        if entry.recorded_at.tzinfo is None:
            raise LedgerError("recorded_at must be a UTC time with a timezone")
        stripe_id = entry.source.stripe_object_id
        if stripe_id is not None and stripe_id in self._by_stripe_object:
            raise LedgerError(f"Stripe object {stripe_id} is already in the ledger")
        if entry.kind is EntryKind.REVERSAL:
            self._check_reversal(entry)
        else:
            if entry.reverses_sequence is not None:
                raise LedgerError("Only a reversal names an entry it reverses")
            _check_sign(entry.kind, entry.amount_pence)
        self._entries.append(entry)
        if stripe_id is not None:
            self._by_stripe_object[stripe_id] = entry
        if entry.reverses_sequence is not None:
            self._reversed.add(entry.reverses_sequence)

    def _check_reversal(self, entry: LedgerEntry) -> None:
        target = entry.reverses_sequence
        if target is None or not 1 <= target <= len(self._entries):
            raise LedgerError("A reversal must name an earlier entry")
        original = self._entries[target - 1]
        if original.kind is EntryKind.REVERSAL:
            raise LedgerError("A reversal cannot be reversed: post the entry again instead")
        if target in self._reversed:
            raise LedgerError(f"Entry {target} has already been reversed")
        if entry.amount_pence != -original.amount_pence:
            raise LedgerError("A reversal must be exactly minus the entry it reverses")
        if entry.occurred_on < original.occurred_on:
            raise LedgerError("A reversal cannot be dated before the entry it reverses")


class LedgerStore(Protocol):
    """Where entries live (the marketplace implements it over `ledger_entries`)."""

    def entries(self, budget_id: int) -> Sequence[LedgerEntry]:
        """The budget's entries, oldest first."""
        ...

    def append(self, entry: LedgerEntry) -> None:
        """Store a new entry; refuse one whose (budget, sequence) is taken."""
        ...


class InMemoryLedgerStore:
    """A `LedgerStore` in a dict, for tests and the pure core."""

    def __init__(self) -> None:
        self._entries: dict[int, list[LedgerEntry]] = {}

    def entries(self, budget_id: int) -> Sequence[LedgerEntry]:
        return tuple(self._entries.get(budget_id, ()))

    def append(self, entry: LedgerEntry) -> None:
        stored = self._entries.setdefault(entry.budget_id, [])
        if entry.sequence != len(stored) + 1:
            raise LedgerError(
                f"Entry {entry.sequence} of budget {entry.budget_id} is already taken"
            )
        stored.append(entry)

    def ledger(self, budget_id: int) -> Ledger:
        return Ledger(budget_id, self.entries(budget_id))


# --- projections and warnings -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Projection:
    """Where the balance is heading by the start of the next budget period.

    The spending rate is the net money out per day over the last full period's length
    (up to `on`), so a steady pattern of invoices projects forward as it is."""

    on: date
    period_starts_on: date
    next_period_starts_on: date
    balance_pence: int
    daily_spend_pence: Fraction
    projected_spend_pence: int
    projected_balance_pence: int  # the day before the next allocation
    balance_after_next_allocation_pence: int
    # The allocation expected when the next period starts: the budget's amount, or 0 when
    # that day is on or after `BudgetTerms.funded_until` (not renewed yet).
    next_allocation_pence: int


def project(ledger: Ledger, terms: BudgetTerms, on: date) -> Projection:
    """Project the balance from `on` to the start of the next budget period."""
    start, next_start = terms.period_containing(on)
    window_days = (next_start - start).days
    window_start = max(terms.starts_on, on - timedelta(days=window_days - 1))
    spent = -sum(
        e.amount_pence
        for e in ledger.entries
        if window_start <= e.occurred_on <= on and _side(ledger, e) == "out"
    )
    elapsed = (on - window_start).days + 1
    daily = Fraction(max(spent, 0), elapsed)
    remaining_days = (next_start - on).days - 1
    projected_spend = int(daily * remaining_days)  # whole pence, rounded down
    balance = ledger.balance(on)
    projected = balance - projected_spend
    funded = terms.funded_until is None or next_start < terms.funded_until
    next_allocation = terms.amount_pence if funded else 0
    return Projection(
        on=on,
        period_starts_on=start,
        next_period_starts_on=next_start,
        balance_pence=balance,
        daily_spend_pence=daily,
        projected_spend_pence=projected_spend,
        projected_balance_pence=projected,
        balance_after_next_allocation_pence=projected + next_allocation,
        next_allocation_pence=next_allocation,
    )


class WarningKind(StrEnum):
    OVERSPENT = "overspent"
    PROJECTED_OVERSPEND = "projected_overspend"
    SURPLUS = "surplus"
    PAYMENT_DUE_OVERSPEND = "payment_due_overspend"


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    """Something the person (and the council) should know about the budget."""

    kind: WarningKind
    message: str


def budget_warnings(ledger: Ledger, terms: BudgetTerms, on: date) -> list[BudgetWarning]:
    """Overspend now or by the next period, and a surplus above the council's limit."""
    found: list[BudgetWarning] = []
    projection = project(ledger, terms, on)
    balance = projection.balance_pence
    if balance < 0:
        found.append(
            BudgetWarning(
                WarningKind.OVERSPENT,
                f"The budget is overspent by {format_pounds(-balance)}.",
            )
        )
    elif projection.projected_balance_pence < 0:
        found.append(
            BudgetWarning(
                WarningKind.PROJECTED_OVERSPEND,
                "At the current rate of spending the budget will run out before "
                f"{projection.next_period_starts_on:%-d %B %Y}, about "
                f"{format_pounds(-projection.projected_balance_pence)} short.",
            )
        )
    if balance > terms.surplus_limit_pence():
        weeks = terms.weeks_of_budget(balance)
        found.append(
            BudgetWarning(
                WarningKind.SURPLUS,
                f"The balance of {format_pounds(balance)} is {_weeks_text(weeks)} of budget, "
                f"more than the council's limit of {terms.surplus_limit_weeks} weeks. "
                "The council may ask for the surplus back.",
            )
        )
    return found


def payment_due_warning(
    ledger: Ledger, amount_pence: int, due_on: date, what: str
) -> BudgetWarning | None:
    """A payment the budget cannot refuse (a card payment Stripe takes on `due_on`, such
    as a membership's month) that would take the balance below zero: say so before it is
    taken. None when the balance on that day (entries dated up to it) covers it."""
    if amount_pence <= 0:
        raise ValueError(f"amount_pence must be positive, not {amount_pence}")
    after = ledger.balance(due_on) - amount_pence
    if after >= 0:
        return None
    return BudgetWarning(
        WarningKind.PAYMENT_DUE_OVERSPEND,
        f"The next payment of {format_pounds(amount_pence)} for {what}, due on "
        f"{due_on:%-d %B %Y}, would take the budget to {format_pounds(after)}. Stripe takes "
        "it from the card and it cannot be stopped from here: add money to the budget, or "
        "change or cancel the membership before then.",
    )


def _weeks_text(weeks: Fraction) -> str:
    return f"{_one_decimal(weeks)} weeks"


def _one_decimal(value: Fraction) -> str:
    """Round half away from zero to one decimal place, exactly."""
    tenths = abs(value) * 10
    rounded = int(tenths) + (1 if tenths - int(tenths) >= Fraction(1, 2) else 0)
    sign = "-" if value < 0 and rounded else ""
    return f"{sign}{rounded // 10}.{rounded % 10}"


# --- statements ---------------------------------------------------------------------


def _side(ledger: Ledger, entry: LedgerEntry) -> str:
    """'in' or 'out': a reversal sits on the side of the entry it reverses, so reversing a
    payment reduces money out instead of looking like money in."""
    if entry.kind is EntryKind.REVERSAL:
        assert entry.reverses_sequence is not None  # checked when the entry was accepted
        return _side(ledger, ledger.entry(entry.reverses_sequence))
    if entry.kind in MONEY_IN_KINDS:
        return "in"
    if entry.kind in MONEY_OUT_KINDS:
        return "out"
    return "in" if entry.amount_pence > 0 else "out"


@dataclass(frozen=True, slots=True)
class StatementLine:
    occurred_on: date
    kind: EntryKind
    description: str
    category: str | None
    invoice_reference: str | None
    amount_pence: int  # signed: what it did to the balance


@dataclass(frozen=True, slots=True)
class Statement:
    """A council statement for the days `starts_on` to `ends_on`, both included."""

    budget_id: int
    starts_on: date
    ends_on: date
    opening_balance_pence: int
    money_in: tuple[StatementLine, ...]
    money_out: tuple[StatementLine, ...]
    closing_balance_pence: int
    surplus_weeks: Fraction  # the closing balance in weeks of budget (0 when none left)

    @property
    def money_in_pence(self) -> int:
        return sum(line.amount_pence for line in self.money_in)

    @property
    def money_out_pence(self) -> int:
        """Money out as a positive number."""
        return -sum(line.amount_pence for line in self.money_out)

    def money_in_by_kind(self) -> dict[EntryKind, int]:
        totals: dict[EntryKind, int] = {}
        for line in self.money_in:
            totals[line.kind] = totals.get(line.kind, 0) + line.amount_pence
        return totals

    def money_out_by_category(self) -> dict[str, tuple[int, tuple[str, ...]]]:
        """Category → (money out as a positive number, the invoice references)."""
        totals: dict[str, int] = {}
        references: dict[str, list[str]] = {}
        for line in self.money_out:
            category = line.category or "uncategorised"
            totals[category] = totals.get(category, 0) - line.amount_pence
            refs = references.setdefault(category, [])
            if line.invoice_reference and line.invoice_reference not in refs:
                refs.append(line.invoice_reference)
        return {c: (totals[c], tuple(references[c])) for c in totals}

    def reconciles(self) -> bool:
        """Opening + in − out = closing."""
        return (
            self.opening_balance_pence + self.money_in_pence - self.money_out_pence
            == self.closing_balance_pence
        )

    def to_csv(self) -> str:
        """The statement as CSV: one table, a row per line and per total, amounts in pounds."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(
            [
                "section",
                "date",
                "type",
                "category",
                "description",
                "invoice_reference",
                "amount_gbp",
            ]
        )
        writer.writerow(
            [
                "opening balance",
                self.starts_on.isoformat(),
                "",
                "",
                "",
                "",
                _decimal_pounds(self.opening_balance_pence),
            ]
        )
        for section, lines in (("money in", self.money_in), ("money out", self.money_out)):
            for line in lines:
                writer.writerow(
                    [
                        section,
                        line.occurred_on.isoformat(),
                        KIND_LABELS[line.kind],
                        _safe_cell(line.category or ""),
                        _safe_cell(line.description),
                        _safe_cell(line.invoice_reference or ""),
                        _decimal_pounds(line.amount_pence),
                    ]
                )
        for kind, total in self.money_in_by_kind().items():
            writer.writerow(
                ["total money in", "", KIND_LABELS[kind], "", "", "", _decimal_pounds(total)]
            )
        for category, (total, refs) in self.money_out_by_category().items():
            writer.writerow(
                [
                    "total money out",
                    "",
                    "",
                    _safe_cell(category),
                    "",
                    _safe_cell(" ".join(refs)),
                    _decimal_pounds(-total),
                ]
            )
        writer.writerow(
            [
                "closing balance",
                self.ends_on.isoformat(),
                "",
                "",
                "",
                "",
                _decimal_pounds(self.closing_balance_pence),
            ]
        )
        writer.writerow(["surplus weeks", "", "", "", "", "", _one_decimal(self.surplus_weeks)])
        return buffer.getvalue()


def _safe_cell(text: str) -> str:
    """Stop a spreadsheet running text as a formula (CSV injection): descriptions and
    references come from providers and people."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def statement(ledger: Ledger, terms: BudgetTerms, starts_on: date, ends_on: date) -> Statement:
    """The statement for `starts_on`..`ends_on` (both included)."""
    if ends_on < starts_on:
        raise ValueError(f"The statement ends ({ends_on}) before it starts ({starts_on})")
    if terms.budget_id != ledger.budget_id:
        raise ValueError(
            f"Terms for budget {terms.budget_id} do not belong to budget {ledger.budget_id}"
        )
    money_in: list[StatementLine] = []
    money_out: list[StatementLine] = []
    in_period = sorted(
        (e for e in ledger.entries if starts_on <= e.occurred_on <= ends_on),
        key=lambda e: (e.occurred_on, e.sequence),
    )
    for entry in in_period:
        line = StatementLine(
            occurred_on=entry.occurred_on,
            kind=entry.kind,
            description=entry.description,
            category=entry.category,
            invoice_reference=entry.source.invoice_reference,
            amount_pence=entry.amount_pence,
        )
        (money_in if _side(ledger, entry) == "in" else money_out).append(line)
    closing = ledger.balance(ends_on)
    return Statement(
        budget_id=ledger.budget_id,
        starts_on=starts_on,
        ends_on=ends_on,
        opening_balance_pence=ledger.balance(starts_on - timedelta(days=1)),
        money_in=tuple(money_in),
        money_out=tuple(money_out),
        closing_balance_pence=closing,
        surplus_weeks=max(terms.weeks_of_budget(closing), Fraction(0)),
    )
