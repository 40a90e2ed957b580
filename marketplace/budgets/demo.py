"""Demo ledgers: Amira's direct payment with three months of entries (allocations, her
client contributions, payments against Headingley Care Co-op's invoices and a PA's
wages, a refund), and Derek's individual service fund held by Headingley Care Co-op.
Every date is fixed, so a seed is always the same and its statements reconcile."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marketplace import geo
from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.models import Budget, Person, Provider, User
from payments.ledger import EntryKind, EntrySource

RECORDED_AT = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

FOUR_WEEKS = "Leeds City Council: four weeks' budget"
# (kind, signed pence, date, description, category, invoice reference)
AMIRA_ENTRIES = [
    ("allocation", 173_600, date(2026, 4, 1), FOUR_WEEKS, None, None),
    ("payment", -98_400, date(2026, 4, 24), "Headingley Care Co-op, April visits",
     "agency_care", "HCC-0001"),
    ("payment", -36_000, date(2026, 4, 27), "Personal assistant wages, April", "personal_assistant",
     "PA-2026-04"),
    ("allocation", 173_600, date(2026, 4, 29), FOUR_WEEKS, None, None),
    ("payment", -104_550, date(2026, 5, 22), "Headingley Care Co-op, May visits",
     "agency_care", "HCC-0002"),
    ("refund", 6_150, date(2026, 5, 29), "Headingley Care Co-op: a missed visit refunded",
     "agency_care", "HCC-0002"),
    ("payment", -4_500, date(2026, 5, 30), "Gardening club membership", "activities", "GC-118"),
    ("allocation", 173_600, date(2026, 5, 27), FOUR_WEEKS, None, None),
    ("payment", -101_475, date(2026, 6, 19), "Headingley Care Co-op, June visits",
     "agency_care", "HCC-0003"),
    ("payment", -36_000, date(2026, 6, 26), "Personal assistant wages, June", "personal_assistant",
     "PA-2026-06"),
    ("allocation", 173_600, date(2026, 6, 24), FOUR_WEEKS, None, None),
]  # fmt: skip

DEREK_ENTRIES = [
    ("allocation", 120_000, date(2026, 5, 1), "Leeds City Council: May's fund", None, None),
    ("payment", -92_250, date(2026, 5, 29), "Support in May (41 hours)", "agency_care",
     "HCC-ISF-0005"),
    ("allocation", 120_000, date(2026, 6, 1), "Leeds City Council: June's fund", None, None),
    ("payment", -96_750, date(2026, 6, 30), "Support in June (43 hours)", "agency_care",
     "HCC-ISF-0006"),
]  # fmt: skip


def _post(
    budget: Budget, entries, recorded_by: User | None, invoice_ids: dict[str, int] | None = None
) -> None:
    """Append the entries; `invoice_ids` (reference -> provider invoice) links each entry
    to the invoice it paid or refunded."""
    repo = SqlBillingRepository(db.session)
    book = repo.ledger(budget.id)
    for kind, pence, on, text, category, reference in sorted(entries, key=lambda e: e[2]):
        source = EntrySource(
            invoice_id=(invoice_ids or {}).get(reference or ""),
            invoice_reference=reference,
            recorded_by_user_id=recorded_by.id if recorded_by is not None else None,
        )
        repo.append(
            book.post(
                EntryKind(kind), pence, on, text,
                category=category, source=source, recorded_at=RECORDED_AT,
            )
        )  # fmt: skip


# Amira pays her assessed contribution (£10 a week) into the budget account every four
# weeks, on the day the council's allocation arrives. No names in ledger text: entries
# outlive the account and can never be changed, so deleting it could not remove them.
AMIRA_CONTRIBUTIONS = [
    ("client_contribution", 4_000, on, "Contribution from the person (£10 a week)", None, None)
    for on in (date(2026, 4, 1), date(2026, 4, 29), date(2026, 5, 27), date(2026, 6, 24))
]


def seed_client_contributions(amira_budget: Budget) -> None:
    """Amira's own contributions, money in beside the council's allocations."""
    _post(amira_budget, AMIRA_CONTRIBUTIONS, None)


def seed_budgets(amira_budget: Budget, derek: Person, holder: Provider, holder_admin: User) -> None:
    """Amira's ledger, and Derek's individual service fund held by `holder`."""
    from marketplace.invoices.demo import seed_paid_invoices

    db.session.flush()
    _post(amira_budget, AMIRA_ENTRIES, None, seed_paid_invoices(amira_budget, holder, holder_admin))
    seed_client_contributions(amira_budget)
    place = geo.lookup("LS6 2AB")
    derek.postcode, derek.district = place.postcode, place.outcode
    derek.lat, derek.lon, derek.care_council_code = place.lat, place.lon, place.care_council_code
    derek.funding_route = "individual_service_fund"
    fund = Budget(
        person_id=derek.id,
        care_council_code=place.care_council_code,
        funding_route="individual_service_fund",
        amount_pence=120_000,
        period="monthly",
        account_type="managed_account",
        allowed_categories=["agency_care", "activities"],
        starts_on=date(2026, 5, 1),
        holder_provider_id=holder.id,
    )
    db.session.add(fund)
    db.session.flush()
    _post(fund, DEREK_ENTRIES, holder_admin, seed_paid_invoices(fund, holder, holder_admin))
