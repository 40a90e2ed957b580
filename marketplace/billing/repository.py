"""`payments.webhooks.BillingRepository` and `payments.ledger.LedgerStore` over SQLAlchemy.

Everything happens in the caller's session and transaction: the webhook commits once per
event, so an event is applied whole or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.models import (
    Arrangement,
    Budget,
    CardPayment,
    LedgerEntry,
    Membership,
    MembershipInvoice,
    MembershipPlan,
    Person,
    StripeRefundTotal,
)
from payments import ledger as pure_ledger
from payments import memberships as pure_memberships
from payments import webhooks as pure_webhooks


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def entry_from_row(row: LedgerEntry) -> pure_ledger.LedgerEntry:
    return pure_ledger.LedgerEntry(
        budget_id=row.budget_id,
        sequence=row.sequence,
        kind=pure_ledger.EntryKind(row.kind),
        amount_pence=row.amount_pence,
        occurred_on=row.occurred_on,
        recorded_at=_utc(row.recorded_at),
        description=row.description,
        category=row.category,
        source=pure_ledger.EntrySource(
            invoice_id=row.invoice_id,
            invoice_reference=row.invoice_reference,
            stripe_object_id=row.stripe_object_id,
            recorded_by_user_id=row.recorded_by_user_id,
            supporter_user_id=row.supporter_user_id,
        ),
        reverses_sequence=row.reverses_sequence,
    )


def row_from_entry(entry: pure_ledger.LedgerEntry) -> LedgerEntry:
    return LedgerEntry(
        budget_id=entry.budget_id,
        sequence=entry.sequence,
        kind=entry.kind.value,
        amount_pence=entry.amount_pence,
        occurred_on=entry.occurred_on,
        recorded_at=entry.recorded_at,
        description=entry.description,
        category=entry.category,
        invoice_id=entry.source.invoice_id,
        invoice_reference=entry.source.invoice_reference,
        stripe_object_id=entry.source.stripe_object_id,
        recorded_by_user_id=entry.source.recorded_by_user_id,
        supporter_user_id=entry.source.supporter_user_id,
        reverses_sequence=entry.reverses_sequence,
    )


def _membership(row: Membership) -> pure_memberships.Membership:
    return pure_memberships.Membership(
        id=row.id,
        plan_id=row.plan_id,
        arrangement_id=row.arrangement_id,
        started_by_user_id=row.started_by_user_id,
        stripe_subscription_id=row.stripe_subscription_id,
        stripe_customer_id=row.stripe_customer_id,
        status=pure_memberships.MembershipStatus(row.status),
        status_observed_at=row.status_observed_at,
        current_period_end=row.current_period_end,
        cancel_at_period_end=row.cancel_at_period_end,
        person_id=row.person_id,
        price_id=row.stripe_price_id,
        monthly_price_pence=row.monthly_price_pence,
        budget_id=row.budget_id,
    )


def _invoice(row: MembershipInvoice) -> pure_memberships.MembershipInvoice:
    return pure_memberships.MembershipInvoice(
        stripe_invoice_id=row.stripe_invoice_id,
        membership_id=row.membership_id,
        status=pure_memberships.InvoiceStatus(row.status),
        amount_due_pence=row.amount_due_pence,
        amount_paid_pence=row.amount_paid_pence,
        amount_refunded_pence=row.amount_refunded_pence,
        payment_intent_id=row.payment_intent_id,
        period_start=row.period_start,
        period_end=row.period_end,
        observed_at=row.observed_at,
    )


def _card_payment(row: CardPayment) -> pure_webhooks.CardPayment:
    return pure_webhooks.CardPayment(
        id=row.id,
        budget_id=row.budget_id,
        amount_pence=row.amount_pence,
        requested_at=_utc(row.requested_at),
        description=row.description,
        status=pure_webhooks.CardPaymentStatus(row.status),
        stripe_payment_intent_id=row.stripe_payment_intent_id,
        invoice_id=row.invoice_id,
        invoice_reference=row.invoice_reference,
        category=row.category,
        recorded_by_user_id=row.recorded_by_user_id,
        supporter_user_id=row.supporter_user_id,
        failure_message=row.failure_message,
        stripe_checkout_session_id=row.stripe_checkout_session_id,
    )


class SqlBillingRepository:
    """Our money records in the database, in the shapes `payments` works on."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the ledger (LedgerStore) ---------------------------------------------------

    def entries(self, budget_id: int) -> Sequence[pure_ledger.LedgerEntry]:
        rows = self.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.budget_id == budget_id)
            .order_by(LedgerEntry.sequence)
        )
        return tuple(entry_from_row(row) for row in rows)

    def ledger(self, budget_id: int) -> pure_ledger.Ledger:
        """The budget's ledger, with the budget row locked on PostgreSQL until the
        transaction ends, so two writers append one after the other. (Elsewhere the unique
        (budget, sequence) pair refuses the second of two racing appends.)"""
        self.session.execute(sa.select(Budget.id).where(Budget.id == budget_id).with_for_update())
        return pure_ledger.Ledger(budget_id, self.entries(budget_id))

    def append(self, entry: pure_ledger.LedgerEntry) -> None:
        self.session.add(row_from_entry(entry))
        self.session.flush()

    def append_ledger_entry(self, entry: pure_ledger.LedgerEntry) -> None:
        self.append(entry)

    # --- memberships ----------------------------------------------------------------

    def membership_for_subscription(
        self, subscription_id: str
    ) -> pure_memberships.Membership | None:
        row = self.session.scalar(
            sa.select(Membership).where(Membership.stripe_subscription_id == subscription_id)
        )
        return _membership(row) if row else None

    def membership(self, membership_id: int) -> pure_memberships.Membership | None:
        row = self.session.get(Membership, membership_id)
        return _membership(row) if row else None

    def plan_name(self, plan_id: int) -> str | None:
        plan = self.session.get(MembershipPlan, plan_id)
        return plan.name if plan is not None else None

    def _own_budget(self, budget_id: int | None, person_id: int | None) -> int | None:
        """The budget, if it is the person's own: metadata naming someone else's budget
        (or one that is gone) is not trusted, and the membership is then paid by card."""
        if budget_id is None or person_id is None:
            return None
        budget = self.session.get(Budget, budget_id)
        return budget_id if budget is not None and budget.person_id == person_id else None

    def add_membership(self, draft: pure_webhooks.MembershipDraft) -> pure_memberships.Membership:
        plan = self.session.get(MembershipPlan, draft.plan_id)
        person_id = draft.person_id
        if person_id is not None and self.session.get(Person, person_id) is None:
            person_id = None  # the account was deleted meanwhile
        arrangement = (
            self.session.get(Arrangement, draft.arrangement_id)
            if draft.arrangement_id is not None
            else None
        )
        if arrangement is not None and arrangement.person_id != person_id:
            arrangement = None  # metadata naming someone else's arrangement is not trusted
        # The outcomes agreed when it starts, copied (editing the plan or the arrangement
        # later does not rewrite what was agreed): the arrangement's terms in effect,
        # else the plan's.
        agreed = (
            [o.text for o in arrangement.current.outcomes]
            if (arrangement is not None and arrangement.current is not None)
            else []
        )
        if not agreed and plan is not None:
            agreed = list(plan.outcomes or [])
        row = Membership(
            outcomes=agreed,
            plan_id=draft.plan_id,
            arrangement_id=arrangement.id if arrangement is not None else None,
            started_by_user_id=draft.started_by_user_id,
            stripe_subscription_id=draft.stripe_subscription_id,
            stripe_customer_id=draft.stripe_customer_id,
            person_id=person_id,
            budget_id=self._own_budget(draft.budget_id, person_id),
            status=pure_memberships.MembershipStatus.INCOMPLETE.value,
            status_observed_at=None,
            cancel_at_period_end=False,
        )
        self.session.add(row)
        self.session.flush()
        return _membership(row)

    def save_membership(self, membership: pure_memberships.Membership) -> None:
        row = self.session.get(Membership, membership.id)
        if row is None:
            raise KeyError(f"No membership {membership.id}")
        row.arrangement_id = membership.arrangement_id
        row.started_by_user_id = membership.started_by_user_id
        row.stripe_customer_id = membership.stripe_customer_id
        row.status = membership.status.value
        row.status_observed_at = membership.status_observed_at
        row.current_period_end = membership.current_period_end
        row.cancel_at_period_end = membership.cancel_at_period_end
        row.person_id = membership.person_id
        row.stripe_price_id = membership.price_id
        row.monthly_price_pence = membership.monthly_price_pence
        if row.budget_id is None:
            row.budget_id = self._own_budget(membership.budget_id, row.person_id)
        self.session.flush()

    def membership_invoice(
        self, stripe_invoice_id: str
    ) -> pure_memberships.MembershipInvoice | None:
        row = self.session.scalar(
            sa.select(MembershipInvoice).where(
                MembershipInvoice.stripe_invoice_id == stripe_invoice_id
            )
        )
        return _invoice(row) if row else None

    def membership_invoice_for_payment_intent(
        self, payment_intent_id: str
    ) -> pure_memberships.MembershipInvoice | None:
        row = self.session.scalar(
            sa.select(MembershipInvoice)
            .where(MembershipInvoice.payment_intent_id == payment_intent_id)
            .limit(1)
        )
        return _invoice(row) if row else None

    def save_membership_invoice(self, invoice: pure_memberships.MembershipInvoice) -> None:
        row = self.session.scalar(
            sa.select(MembershipInvoice).where(
                MembershipInvoice.stripe_invoice_id == invoice.stripe_invoice_id
            )
        )
        if row is None:
            row = MembershipInvoice(stripe_invoice_id=invoice.stripe_invoice_id)
            self.session.add(row)
        row.membership_id = invoice.membership_id
        row.status = invoice.status.value
        row.amount_due_pence = invoice.amount_due_pence
        row.amount_paid_pence = invoice.amount_paid_pence
        row.amount_refunded_pence = invoice.amount_refunded_pence
        row.payment_intent_id = invoice.payment_intent_id
        row.period_start = invoice.period_start
        row.period_end = invoice.period_end
        row.observed_at = invoice.observed_at
        self.session.flush()

    def refunded_total(self, payment_intent_id: str) -> int:
        row = self.session.get(StripeRefundTotal, payment_intent_id)
        return row.amount_pence if row else 0

    def note_refunded_total(self, payment_intent_id: str, amount_pence: int) -> None:
        row = self.session.get(StripeRefundTotal, payment_intent_id)
        if row is None:
            self.session.add(
                StripeRefundTotal(payment_intent_id=payment_intent_id, amount_pence=amount_pence)
            )
        elif amount_pence > row.amount_pence:
            row.amount_pence = amount_pence
        self.session.flush()

    # --- card payments ---------------------------------------------------------------

    def card_payment(self, payment_id: int) -> pure_webhooks.CardPayment | None:
        row = self.session.get(CardPayment, payment_id)
        return _card_payment(row) if row else None

    def card_payment_for_intent(self, payment_intent_id: str) -> pure_webhooks.CardPayment | None:
        row = self.session.scalar(
            sa.select(CardPayment).where(CardPayment.stripe_payment_intent_id == payment_intent_id)
        )
        return _card_payment(row) if row else None

    def card_payment_for_checkout_session(
        self, session_id: str
    ) -> pure_webhooks.CardPayment | None:
        row = self.session.scalar(
            sa.select(CardPayment).where(CardPayment.stripe_checkout_session_id == session_id)
        )
        return _card_payment(row) if row else None

    def save_card_payment(self, payment: pure_webhooks.CardPayment) -> None:
        row = self.session.get(CardPayment, payment.id)
        if row is None:
            raise KeyError(f"No card payment {payment.id}")
        row.status = payment.status.value
        row.stripe_payment_intent_id = payment.stripe_payment_intent_id
        row.stripe_checkout_session_id = payment.stripe_checkout_session_id
        row.failure_message = payment.failure_message
        self.session.flush()
        if payment.status is pure_webhooks.CardPaymentStatus.SUCCEEDED and row.invoice_id:
            # The invoice it pays is paid (a workflow move), from Stripe's answer or its
            # webhook alike, in the same transaction as the ledger entry.
            from marketplace.invoices.services import settle_card_payment

            settle_card_payment(row.id)
