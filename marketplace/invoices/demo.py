"""Demo invoices from Headingley Care Co-op: the ones Amira's and Derek's demo ledgers
already paid (each ledger entry names its invoice), and on Amira's budget a July invoice
she queried and an August one waiting for her to approve and pay. Fixed dates, so every
seed is the same."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from marketplace import clock
from marketplace.extensions import db
from marketplace.models import Arrangement, Budget, Provider, ProviderInvoice, User

# reference -> (description, category, pence, raised, paid, bank transfer reference)
PAID = {
    "HCC-0001": ("April visits", "agency_care", 98_400, (4, 17), (4, 24), "HCC0001 APR"),
    "HCC-0002": ("May visits", "agency_care", 104_550, (5, 15), (5, 22), "HCC0002 MAY"),
    "HCC-0003": ("June visits", "agency_care", 101_475, (6, 12), (6, 19), "HCC0003 JUN"),
    "HCC-ISF-0005": ("Support in May (41 hours)", "agency_care", 92_250, (5, 28), (5, 29),
                     "ISF MAY"),
    "HCC-ISF-0006": ("Support in June (43 hours)", "agency_care", 96_750, (6, 29), (6, 30),
                     "ISF JUNE"),
}  # fmt: skip


def _at(month_day: tuple[int, int], hour: int = 9) -> datetime:
    return datetime(2026, month_day[0], month_day[1], hour, tzinfo=UTC)


def seed_paid_invoices(budget: Budget, headingley: Provider, grace: User) -> dict[str, int]:
    """The invoices behind a demo ledger's payments (Amira's, or Derek's fund), paid;
    reference -> invoice id, for the ledger entries to name."""
    ids: dict[str, int] = {}
    for reference, (text, category, pence, raised, paid, bank) in PAID.items():
        if reference.startswith("HCC-ISF") != budget.is_isf:
            continue
        invoice = ProviderInvoice(
            provider_id=headingley.id, budget_id=budget.id, reference=reference,
            description=text, category=category, amount_pence=pence, status="paid",
            raised_at=_at(raised), updated_at=_at(paid), paid_at=_at(paid),
            paid_by="bank_transfer", bank_reference=bank, raised_by_user_id=grace.id,
        )  # fmt: skip
        db.session.add(invoice)
        db.session.flush()
        ids[reference] = invoice.id
    return ids


def seed_open_invoices(
    amira_budget: Budget, headingley: Provider, grace: User, arrangement: Arrangement | None
) -> None:
    """July's invoice, queried by Amira (a visit that did not happen); August's, raised and
    waiting for her. Both on her arrangement with Headingley, through the workflow."""
    from marketplace.invoices import services

    amira = db.session.get(User, amira_budget.person.user_id) if amira_budget.person else None
    if arrangement is None or amira is None:
        return
    db.session.execute(
        sa.update(ProviderInvoice)
        .where(ProviderInvoice.budget_id == amira_budget.id)
        .values(arrangement_id=arrangement.id)
    )
    rate = arrangement.hourly_rate_pence or 2400
    for reference, text, minutes, raised in (
        ("HCC-0004", "July visits", 42 * 60, (7, 17)),
        ("HCC-0005", "August visits", 12 * 60 + 30, (8, 14)),
    ):
        with clock.frozen(_at(raised)):
            invoice = services.raise_invoice(
                headingley, arrangement,
                services.InvoiceInput(reference, text, "agency_care", minutes=minutes,
                                      rate_pence=rate),
                grace,
            )  # fmt: skip
        if reference == "HCC-0004":
            with clock.frozen(_at((7, 20), 18)):
                services.move(
                    invoice, "query", amira,
                    reason="Ana's visit on Tuesday 7 July did not happen (she was ill), so "
                    "please take those 3 hours off.",
                )  # fmt: skip
