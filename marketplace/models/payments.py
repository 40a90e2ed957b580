"""Money records: the budget ledger, provider invoices, card payments, membership plans,
memberships and their Stripe invoices, and the Stripe webhook events received.

The rules live in the pure `payments` package; these tables only store what it decides.
`ledger_entries` is append-only: database triggers (migration 0009) refuse UPDATE and
DELETE on SQLite and PostgreSQL, and TRUNCATE on PostgreSQL. Entries keep user ids as plain
numbers, not foreign keys, so that deleting an account never has to rewrite the ledger
(which the triggers would refuse); the ids then point at nobody.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, in_list, utcnow
from payments.invoices import InvoiceStatus as ProviderInvoiceStatus
from payments.ledger import EntryKind
from payments.memberships import GuaranteeRule, InvoiceStatus, MembershipStatus
from payments.webhooks import CardPaymentStatus

if TYPE_CHECKING:
    from marketplace.models.budgets import Budget
    from marketplace.models.people import Person
    from marketplace.models.providers import Provider

ENTRY_KINDS = [k.value for k in EntryKind]
MEMBERSHIP_STATUSES = [s.value for s in MembershipStatus]
MEMBERSHIP_INVOICE_STATUSES = [s.value for s in InvoiceStatus]
CARD_PAYMENT_STATUSES = [s.value for s in CardPaymentStatus]
GUARANTEE_RULES = [r.value for r in GuaranteeRule]
# raised → approved | queried → (replied or amended) raised … approved → paid, or withdrawn
# (marketplace.invoices.services.INVOICE_WORKFLOW).
PROVIDER_INVOICE_STATUSES = [s.value for s in ProviderInvoiceStatus]
PAYMENT_METHODS = ["card", "bank_transfer"]


class LedgerEntry(Base):
    """One line of a budget's ledger (see payments.ledger). Never updated or deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.UniqueConstraint("budget_id", "sequence", name="uq_ledger_entries_budget_sequence"),
        # A reversal names one earlier entry, and an entry is reversed at most once.
        sa.UniqueConstraint(
            "budget_id", "reverses_sequence", name="uq_ledger_entries_budget_reverses"
        ),
        sa.CheckConstraint(in_list("kind", ENTRY_KINDS), name="kind"),
        sa.CheckConstraint("amount_pence <> 0", name="amount_not_zero"),
        sa.CheckConstraint("sequence > 0", name="sequence_positive"),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_sequence IS NOT NULL)", name="reversal_names_entry"
        ),
        sa.CheckConstraint(
            "reverses_sequence IS NULL OR reverses_sequence < sequence", name="reverses_earlier"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        sa.ForeignKey("budgets.id", ondelete="RESTRICT"), index=True
    )
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(24))
    amount_pence: Mapped[int]
    occurred_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.String(40))
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("provider_invoices.id", ondelete="RESTRICT"), index=True
    )
    invoice_reference: Mapped[str | None] = mapped_column(sa.String(60))
    stripe_object_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    recorded_by_user_id: Mapped[int | None]
    supporter_user_id: Mapped[int | None]
    reverses_sequence: Mapped[int | None]


class ProviderInvoice(Base):
    """An invoice a provider raises against an arrangement, paid from a budget."""

    __tablename__ = "provider_invoices"
    __table_args__ = (
        sa.UniqueConstraint("provider_id", "reference", name="uq_provider_invoices_reference"),
        sa.CheckConstraint(in_list("status", PROVIDER_INVOICE_STATUSES), name="status"),
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
        sa.CheckConstraint(
            "paid_by IS NULL OR " + in_list("paid_by", PAYMENT_METHODS), name="paid_by"
        ),
        sa.CheckConstraint(
            "paid_by IS NULL OR paid_by <> 'bank_transfer' OR bank_reference IS NOT NULL",
            name="bank_transfer_has_reference",
        ),
        sa.CheckConstraint("(status = 'paid') = (paid_by IS NOT NULL)", name="paid_has_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    budget_id: Mapped[int] = mapped_column(
        sa.ForeignKey("budgets.id", ondelete="RESTRICT"), index=True
    )
    arrangement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("arrangements.id", ondelete="SET NULL"), index=True
    )
    reference: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40))
    minutes: Mapped[int | None]
    rate_pence: Mapped[int | None]
    amount_pence: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12), default="raised")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_by: Mapped[str | None] = mapped_column(sa.String(16))
    bank_reference: Mapped[str | None] = mapped_column(sa.String(60))
    raised_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # When the status last changed (every change is a workflow move, which sets it): the
    # billing run counts reminder and dunning days from here.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]

    provider: Mapped[Provider] = relationship()
    budget: Mapped[Budget] = relationship()


class CardPayment(Base):
    """One attempt to pay a provider invoice from a budget by card (payments.webhooks)."""

    __tablename__ = "card_payments"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", CARD_PAYMENT_STATUSES), name="status"),
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        sa.ForeignKey("budgets.id", ondelete="RESTRICT"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("provider_invoices.id", ondelete="RESTRICT"), index=True
    )
    invoice_reference: Mapped[str | None] = mapped_column(sa.String(60))
    amount_pence: Mapped[int]
    category: Mapped[str | None] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # Paid on Stripe's Checkout page (production): the session; its payment intent follows.
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    failure_message: Mapped[str | None] = mapped_column(sa.Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    supporter_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class MembershipPlan(Base):
    """A provider's monthly membership for outcomes."""

    __tablename__ = "membership_plans"
    __table_args__ = (
        sa.CheckConstraint("monthly_price_pence > 0", name="price_positive"),
        sa.CheckConstraint(
            "guarantee_percent IS NULL OR (guarantee_percent BETWEEN 1 AND 100)",
            name="guarantee_percent",
        ),
        sa.CheckConstraint(in_list("guarantee_rule", GUARANTEE_RULES), name="guarantee_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    monthly_price_pence: Mapped[int]
    included: Mapped[str] = mapped_column(sa.Text, default="")
    outcomes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    guarantee_percent: Mapped[int | None]
    guarantee_rule: Mapped[str] = mapped_column(sa.String(20), default="any_not_met")
    stripe_product_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_price_id: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Each edit is a new revision; `stripe_revision` is the one Stripe has (None: not yet
    # on Stripe), and `stripe_price_pence` the amount of the Price members now join at.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    stripe_revision: Mapped[int | None]
    stripe_price_pence: Mapped[int | None]

    provider: Mapped[Provider] = relationship()

    @property
    def on_stripe(self) -> bool:
        return self.stripe_price_id is not None and self.stripe_revision == self.revision


class Membership(Base):
    """A family's membership of a plan, mirroring one Stripe subscription."""

    __tablename__ = "memberships"
    __table_args__ = (sa.CheckConstraint(in_list("status", MEMBERSHIP_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership_plans.id", ondelete="RESTRICT"), index=True
    )
    arrangement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("arrangements.id", ondelete="SET NULL"), index=True
    )
    started_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    stripe_subscription_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(20))
    # Unix seconds of the Stripe answer or event the status came from (None: not yet heard).
    status_observed_at: Mapped[int | None] = mapped_column(sa.BigInteger)
    current_period_end: Mapped[int | None] = mapped_column(sa.BigInteger)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whose membership it is (from the metadata we tag the subscription with).
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # The outcomes agreed for this membership: the plan's when it started.
    outcomes: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    # Demo data: no Stripe subscription is behind it (make run works without a network).
    demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The Stripe Price (a Plan on localstripe) it is charged at, and its monthly amount,
    # from Stripe's answers: a plan's new price is for new members, these keep theirs.
    stripe_price_id: Mapped[str | None] = mapped_column(sa.String(255))
    monthly_price_pence: Mapped[int | None]
    # Paid from this personal budget (with the budget's prepaid card): each paid month is
    # a ledger payment, each guarantee refund a ledger refund. None: the family's own card.
    budget_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("budgets.id", ondelete="RESTRICT"), index=True
    )

    plan: Mapped[MembershipPlan] = relationship()
    person: Mapped[Person | None] = relationship()
    budget: Mapped[Budget | None] = relationship()


class MembershipInvoice(Base):
    """One month's Stripe invoice for a membership."""

    __tablename__ = "membership_invoices"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", MEMBERSHIP_INVOICE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_invoice_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20))
    amount_due_pence: Mapped[int]
    amount_paid_pence: Mapped[int]
    amount_refunded_pence: Mapped[int] = mapped_column(default=0)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    period_start: Mapped[int | None] = mapped_column(sa.BigInteger)
    period_end: Mapped[int | None] = mapped_column(sa.BigInteger)
    observed_at: Mapped[int] = mapped_column(sa.BigInteger)
    # When `flask billing run` said this month's outcome review is due (set once,
    # compare-and-set, so the reminder goes once however often the run runs).
    review_reminded_at: Mapped[datetime | None]


class StripeRefundTotal(Base):
    """The most Stripe has said was refunded on a payment intent we could not yet trace."""

    __tablename__ = "stripe_refund_totals"

    payment_intent_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    amount_pence: Mapped[int]


class WebhookEvent(Base):
    """A Stripe event received (its id is unique: a repeat is acknowledged and skipped)."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    event_type: Mapped[str] = mapped_column(sa.String(80))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
