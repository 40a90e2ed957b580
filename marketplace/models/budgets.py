"""A person's personal budget. Its ledger is in `ledger_entries` (models/payments.py).

A budget and its ledger outlive the person's account: deleting the account leaves the
budget with no person (anonymised), never deleted, since the council may audit it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, in_list, utcnow
from marketplace.models.people import FUNDING_ROUTES

if TYPE_CHECKING:
    from marketplace.models.people import Person
    from marketplace.models.providers import Provider

BUDGET_PERIODS = {"weekly": "a week", "four_weekly": "every four weeks", "monthly": "a month"}
ACCOUNT_TYPES = {
    "prepaid_card": "Prepaid card",
    "bank_account": "Separate bank account",
    "managed_account": "Managed account (a support organisation holds it)",
}
SPENDING_CATEGORIES = {
    "personal_assistant": "Personal assistants",
    "agency_care": "Care from a provider",
    "respite": "Short breaks",
    "equipment": "Small equipment",
    "activities": "Activities and getting out",
    "transport": "Transport",
}


class Budget(Base):
    __tablename__ = "budgets"
    __table_args__ = (
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
        sa.CheckConstraint(in_list("period", list(BUDGET_PERIODS)), name="period"),
        sa.CheckConstraint(in_list("account_type", list(ACCOUNT_TYPES)), name="account_type"),
        sa.CheckConstraint(in_list("funding_route", list(FUNDING_ROUTES)), name="funding_route"),
        sa.CheckConstraint("review_on IS NULL OR review_on > starts_on", name="review_after_start"),
        # An individual service fund is held by the provider the person chose; no other
        # budget has a holder.
        sa.CheckConstraint(
            "(funding_route = 'individual_service_fund') = (holder_provider_id IS NOT NULL)",
            name="isf_holder",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    care_council_code: Mapped[str] = mapped_column(sa.String(9))
    funding_route: Mapped[str] = mapped_column(sa.String(32))
    amount_pence: Mapped[int]
    period: Mapped[str] = mapped_column(sa.String(12))
    account_type: Mapped[str] = mapped_column(sa.String(20))
    allowed_categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    starts_on: Mapped[date]
    review_on: Mapped[date | None]
    holder_provider_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person | None] = relationship(back_populates="budgets")
    holder: Mapped[Provider | None] = relationship()

    @property
    def funding_route_label(self) -> str:
        return FUNDING_ROUTES[self.funding_route]

    @property
    def is_isf(self) -> bool:
        return self.funding_route == "individual_service_fund"

    @property
    def period_label(self) -> str:
        return BUDGET_PERIODS[self.period]

    @property
    def account_type_label(self) -> str:
        return ACCOUNT_TYPES[self.account_type]


class BudgetNotice(Base):
    """A notice sent about a budget (a review due, a surplus, an overspend), once per
    budget, kind and occasion, so `flask billing run` can run again and tell nobody twice."""

    __tablename__ = "budget_notices"
    __table_args__ = (
        sa.UniqueConstraint("budget_id", "kind", "occasion", name="uq_budget_notices_occasion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(sa.ForeignKey("budgets.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    occasion: Mapped[str] = mapped_column(sa.String(24))  # e.g. the period's first day
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
