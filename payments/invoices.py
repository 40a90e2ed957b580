"""Provider invoices: the amount, the reference, and what the periodic billing run does
with an invoice on a given day. Pure Python: no database, no Stripe.

An invoice moves raised → approved → paid, or raised → queried → raised again (the
provider replied or amended it), or to withdrawn; the marketplace declares those moves on
its workflow engine. This module decides the numbers and the dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "LONGEST_INVOICE_MINUTES",
    "MAXIMUM_INVOICE_PENCE",
    "DueAction",
    "InvoiceAction",
    "InvoiceFacts",
    "InvoicePolicy",
    "InvoiceStatus",
    "amount_for_time",
    "check_reference",
    "due_actions",
]

# One invoice covers at most a month of round-the-clock care, and at most £50,000.
LONGEST_INVOICE_MINUTES = 31 * 24 * 60
MAXIMUM_INVOICE_PENCE = 5_000_000
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./_-]{0,59}")


class InvoiceStatus(StrEnum):
    RAISED = "raised"  # waiting for the person (or a supporter) to approve or query it
    QUERIED = "queried"  # the person asked a question; back with the provider
    APPROVED = "approved"  # agreed, waiting to be paid
    PAID = "paid"
    WITHDRAWN = "withdrawn"  # the provider took it back


def amount_for_time(minutes: int, rate_pence: int) -> int:
    """The amount for `minutes` of support at `rate_pence` an hour, to the nearest penny
    (half a penny rounds up): 90 minutes at £21.25 is £31.88."""
    if not 0 < minutes <= LONGEST_INVOICE_MINUTES:
        raise ValueError(
            f"The time must be more than 0 and at most {LONGEST_INVOICE_MINUTES // 60} hours"
        )
    if rate_pence <= 0:
        raise ValueError(f"The hourly rate must be more than £0, not {rate_pence} pence")
    amount = (minutes * rate_pence * 2 + 60) // 120
    if amount > MAXIMUM_INVOICE_PENCE:
        raise ValueError("An invoice can be at most £50,000")
    return amount


def check_reference(text: str) -> str:
    """The invoice reference, tidied: 1 to 60 letters, digits, spaces and . / _ -,
    starting with a letter or digit (so a spreadsheet never reads it as a formula)."""
    reference = " ".join(text.split())
    if not reference:
        raise ValueError("Enter the invoice reference, like HCC-0042")
    if not _REFERENCE.fullmatch(reference):
        raise ValueError(
            "Use up to 60 letters, numbers, spaces, dots, slashes, dashes or underscores, "
            "starting with a letter or number"
        )
    return reference


@dataclass(frozen=True, slots=True)
class InvoicePolicy:
    """How long the billing run waits. `auto_approve_days` None: never approve on the
    person's behalf (the default); otherwise a raised invoice nobody answered is approved
    after that many days. Reminders go after `reminder_days` unanswered, dunning notices
    after `dunning_days` approved but unpaid."""

    auto_approve_days: int | None = None
    reminder_days: int = 7
    dunning_days: int = 14

    def __post_init__(self) -> None:
        for name in ("reminder_days", "dunning_days"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.auto_approve_days is not None and self.auto_approve_days <= 0:
            raise ValueError(
                f"auto_approve_days must be at least 1 or None, not {self.auto_approve_days}"
            )


class InvoiceAction(StrEnum):
    AUTO_APPROVE = "auto_approve"
    REMIND = "invoice_reminder"  # raised, not answered: asks the person to approve or query
    DUN = "invoice_overdue"  # approved, not paid: tells both sides it is overdue


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What the run needs to know: the status and the day the invoice entered it."""

    invoice_id: int
    status: InvoiceStatus
    since: date


@dataclass(frozen=True, slots=True)
class DueAction:
    """Something to do about one invoice. `occasion` names it, so that doing it once per
    occasion makes running again a no-op (a new occasion only comes with a new status)."""

    action: InvoiceAction
    invoice_id: int
    occasion: str


def due_actions(facts: InvoiceFacts, on: date, policy: InvoicePolicy) -> list[DueAction]:
    """What is due on `on`: auto-approval, a reminder, or a dunning notice (or nothing)."""
    waited = (on - facts.since).days
    occasion = f"{facts.invoice_id}-{facts.since:%Y%m%d}"
    if facts.status is InvoiceStatus.RAISED:
        if policy.auto_approve_days is not None and waited >= policy.auto_approve_days:
            return [DueAction(InvoiceAction.AUTO_APPROVE, facts.invoice_id, occasion)]
        if waited >= policy.reminder_days:
            return [DueAction(InvoiceAction.REMIND, facts.invoice_id, occasion)]
    elif facts.status is InvoiceStatus.APPROVED and waited >= policy.dunning_days:
        return [DueAction(InvoiceAction.DUN, facts.invoice_id, occasion)]
    return []
