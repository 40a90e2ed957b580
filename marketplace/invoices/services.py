"""Provider invoices: raised by a provider against an arrangement, approved or queried by
the person (or a supporter with the pay scope), paid from the person's budget by card
(a Stripe payment intent) or recorded as a bank transfer.

Every status change is a move on ``INVOICE_WORKFLOW``; every move tells the other side
through the outbox. Money reaches the ledger only with the budget row locked
(``SqlBillingRepository.ledger``), and only when it really moved: a bank transfer when it
is recorded, a card payment when Stripe says it succeeded (its answer or its webhook,
whichever comes first; the entry is keyed by the payment intent, so never twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from marketplace import audit, authz, clock, links, notifications
from marketplace.billing.repository import SqlBillingRepository, _card_payment
from marketplace.billing.services import configured_gateway
from marketplace.budgets.services import category_label
from marketplace.choices import ArrangementStatus, ConsentScope, InvoiceState
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    Budget,
    BudgetNotice,
    CardPayment,
    ConsentGrant,
    Provider,
    ProviderAdmin,
    ProviderInvoice,
    User,
    WorkflowEvent,
    utcnow,
)
from marketplace.models.budgets import SPENDING_CATEGORIES
from marketplace.money import format_pence
from marketplace.workflow import Move as M
from marketplace.workflow import Moved, MoveError, Notice, NotReady, Workflow
from payments import invoices as pure
from payments.gateway import (
    BillingError,
    BillingGateway,
    BillingUnavailable,
    CardPaymentRequest,
    PaymentDeclined,
    StripeGateway,
)
from payments.ledger import EntryKind, EntrySource, LedgerError
from payments.webhooks import (
    CardPaymentStatus,
    apply_checkout_session,
    apply_payment_intent,
    check_card_payment,
)

# Card payments Stripe has not settled yet hold their money back from other payments.
UNSETTLED_CARD = (CardPaymentStatus.PENDING.value, CardPaymentStatus.REQUIRES_ACTION.value)


class InvoiceError(Exception):
    """Something the person or provider should read; nothing was changed."""

    def __init__(self, message: str, status_code: int = 409) -> None:
        super().__init__(message)
        self.status_code = status_code


# -- who is on each side -------------------------------------------------------------------


def person_side_users(invoice: ProviderInvoice) -> list[User]:
    """The person and their supporters with the pay scope now."""
    person = invoice.budget.person
    if person is None:
        return []
    users = [person.user]
    now = clock.now()
    grants = db.session.scalars(
        sa.select(ConsentGrant).where(ConsentGrant.person_id == person.id).order_by(ConsentGrant.id)
    )
    for grant in grants:
        if grant.allows(ConsentScope.PAY, now) and grant.supporter not in users:
            users.append(grant.supporter)
    return users


def provider_side_users(invoice: ProviderInvoice) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == invoice.provider_id)
            .order_by(User.id)
        )
    )


def _person_link(invoice: ProviderInvoice) -> str:
    return notifications.path("invoices.show", invoice_id=invoice.id)


def _provider_link(invoice: ProviderInvoice) -> str:
    return notifications.path("provider_invoices.show", invoice_id=invoice.id)


def _who(moved: Moved) -> str:
    return moved.actor.display_name if moved.actor is not None else "CoopCare"


def _with_reason(message: str, moved: Moved) -> str:
    return f"{message} They wrote: “{moved.reason}”" if moved.reason else message


def _tell_provider(moved: Moved) -> Iterable[Notice]:
    invoice: ProviderInvoice = moved.subject
    amount = format_pence(invoice.amount_pence)
    if moved.move.name == "pay":
        what = "paid"
        how = "by card" if moved.context["paid_by"] == "card" else "by bank transfer"
        message = f"Invoice {invoice.reference} ({amount}) was paid {how}."
    else:
        what = "approved" if moved.move.name == "approve" else "queried"
        message = _with_reason(
            f"{_who(moved)} {what} invoice {invoice.reference} ({amount}).", moved
        )
    yield Notice(
        provider_side_users(invoice), f"invoice {invoice.reference} {what}", message,
        _provider_link(invoice),
    )  # fmt: skip


def _tell_person(moved: Moved) -> Iterable[Notice]:
    invoice: ProviderInvoice = moved.subject
    name = invoice.provider.name
    match moved.move.name:
        case "reply":
            message, subject = f"{name} answered your question about invoice", "answered"
        case "amend":
            message, subject = f"{name} changed invoice", "changed"
        case _:
            message, subject = f"{name} withdrew invoice", "withdrawn"
    text = _with_reason(
        f"{message} {invoice.reference} ({format_pence(invoice.amount_pence)}).", moved
    )
    yield Notice(
        person_side_users(invoice), f"invoice {invoice.reference} {subject}", text,
        _person_link(invoice),
    )  # fmt: skip


def _tell_both_approved(moved: Moved) -> Iterable[Notice]:
    invoice: ProviderInvoice = moved.subject
    days = policy().auto_approve_days
    message = (
        f"Invoice {invoice.reference} from {invoice.provider.name} "
        f"({format_pence(invoice.amount_pence)}) was approved automatically: nobody approved "
        f"or queried it within {days} days. It can now be paid."
    )
    yield Notice(person_side_users(invoice), "invoice approved", message, _person_link(invoice))
    yield Notice(provider_side_users(invoice), "invoice approved", message, _provider_link(invoice))


def _may(action: str) -> Callable[[Any, ProviderInvoice], str | None]:
    def check(actor: Any, invoice: ProviderInvoice) -> str | None:
        return authz.refusal(actor, action, invoice)

    return check


def _system_only(actor: Any, invoice: ProviderInvoice) -> str | None:
    return None if actor is None else "Only the billing run approves invoices automatically."


def _payer_or_stripe(actor: Any, invoice: ProviderInvoice) -> str | None:
    """Stripe's confirmation (no actor), or whoever pays from the budget."""
    return None if actor is None else authz.refusal(actor, "invoice.pay", invoice)


def _no_card_payment_waiting(invoice: ProviderInvoice, context: dict[str, Any]) -> None:
    if _unsettled_card_payment(invoice) is not None:
        raise NotReady(["a card payment of this invoice is still waiting for Stripe's answer"])


def _amended(moved: Moved) -> dict[str, Any]:
    change: InvoiceInput = moved.context["change"]
    return change.columns()


def _paid(moved: Moved) -> dict[str, Any]:
    return {
        "paid_by": moved.context["paid_by"],
        "bank_reference": moved.context.get("bank_reference"),
        "paid_at": utcnow(),
    }


INVOICE_WORKFLOW = Workflow(
    name="invoice",
    column=ProviderInvoice.status,
    states=InvoiceState,
    noun="This invoice",
    moves=[
        M("approve", ("raised",), "approved", "approved", may=_may("invoice.answer"),
          notices=_tell_provider),
        M("auto_approve", ("raised",), "approved", "approved automatically",
          may=_system_only, notices=_tell_both_approved),
        M("query", ("raised",), "queried", "queried", may=_may("invoice.answer"),
          reason_prompt="Say what you want to ask the provider about this invoice",
          notices=_tell_provider),
        M("reply", ("queried",), "raised", "answered", may=_may("invoice.manage"),
          reason_prompt="Write your answer to the question", notices=_tell_person),
        M("amend", ("queried",), "raised", "changed", may=_may("invoice.manage"),
          reason_prompt="Say what you changed and why", values=_amended,
          notices=_tell_person),
        M("withdraw", ("raised", "queried", "approved"), "withdrawn", "withdrawn",
          may=_may("invoice.manage"), reason_prompt="Say why the invoice is withdrawn",
          check=_no_card_payment_waiting, notices=_tell_person),
        M("pay", ("approved",), "paid", "paid", may=_payer_or_stripe, values=_paid,
          notices=_tell_provider),
    ],
)  # fmt: skip


# -- configuration ----------------------------------------------------------------------


def policy() -> pure.InvoicePolicy:
    """The billing run's waits, from config (INVOICE_AUTO_APPROVE_DAYS: None, off)."""
    config = current_app.config
    return pure.InvoicePolicy(
        auto_approve_days=config.get("INVOICE_AUTO_APPROVE_DAYS"),
        reminder_days=config.get("INVOICE_REMINDER_DAYS", 7),
        dunning_days=config.get("INVOICE_DUNNING_DAYS", 14),
    )


def card_payments_available() -> bool:
    """Card payments from a budget need Stripe (STRIPE_SECRET_KEY)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def uses_test_card() -> bool:
    """The config switch memberships use too: against the local test server
    (STRIPE_LOCALSTRIPE) a card payment is a payment intent confirmed at once with Stripe's
    test card; everywhere else the payer types the card on Stripe Checkout's page."""
    return bool(current_app.config.get("STRIPE_LOCALSTRIPE"))


# Stripe lets a Checkout session expire 30 minutes to 24 hours after it is made.
_SHORTEST_CHECKOUT = timedelta(minutes=31)
_LONGEST_CHECKOUT = timedelta(hours=23, minutes=59)


def card_payment_expiry() -> timedelta:
    """How long a card payment may wait for Stripe (CARD_PAYMENT_EXPIRY_MINUTES)."""
    minutes = int(current_app.config.get("CARD_PAYMENT_EXPIRY_MINUTES", 60))
    if minutes < 1:
        raise ValueError(f"CARD_PAYMENT_EXPIRY_MINUTES must be at least 1, not {minutes}")
    return timedelta(minutes=minutes)


def _requested_at(payment: CardPayment) -> datetime:
    moment = payment.requested_at
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def card_payment_overdue(payment: CardPayment, now: datetime | None = None) -> bool:
    """Has the card payment waited for Stripe longer than CARD_PAYMENT_EXPIRY_MINUTES?"""
    return (now or clock.now()) - _requested_at(payment) >= card_payment_expiry()


# -- reading ------------------------------------------------------------------------------


def status_label(invoice: ProviderInvoice) -> str:
    return InvoiceState.label_for(invoice.status) or invoice.status


def category_choices(budget: Budget) -> list[tuple[str, str]]:
    """The budget's allowed spending categories (every category when the council has not
    set them yet)."""
    allowed = [c for c in budget.allowed_categories or [] if c in SPENDING_CATEGORIES]
    return [(c, SPENDING_CATEGORIES[c]) for c in (allowed or SPENDING_CATEGORIES)]


def budget_for(arrangement: Arrangement) -> Budget | None:
    """The budget an invoice on this arrangement draws on: the individual service fund this
    provider holds for the person, else the person's own budget (the newest started)."""
    budgets = sorted(arrangement.person.budgets, key=lambda b: (b.starts_on, b.id), reverse=True)
    held = [b for b in budgets if b.holder_provider_id == arrangement.provider_id]
    own = [b for b in budgets if b.holder_provider_id is None]
    return (held or own or [None])[0]


def invoiceable_arrangements(provider: Provider) -> list[Arrangement]:
    """This provider's agreed arrangements whose person has a budget to invoice."""
    rows = db.session.scalars(
        sa.select(Arrangement)
        .where(
            Arrangement.provider_id == provider.id,
            Arrangement.status.in_([ArrangementStatus.ACTIVE, ArrangementStatus.PAUSED]),
            Arrangement.agreed_version > 0,
        )
        .order_by(Arrangement.id)
    )
    return [a for a in rows if budget_for(a) is not None]


def provider_invoices(provider: Provider) -> list[ProviderInvoice]:
    return list(
        db.session.scalars(
            sa.select(ProviderInvoice)
            .where(ProviderInvoice.provider_id == provider.id)
            .order_by(ProviderInvoice.raised_at.desc(), ProviderInvoice.id.desc())
        )
    )


def budget_invoices(budget: Budget) -> list[ProviderInvoice]:
    """The budget's invoices: those waiting for someone first, then the rest, newest
    first."""
    rows = db.session.scalars(
        sa.select(ProviderInvoice)
        .where(ProviderInvoice.budget_id == budget.id)
        .order_by(ProviderInvoice.raised_at.desc(), ProviderInvoice.id.desc())
    )
    waiting = (InvoiceState.RAISED, InvoiceState.APPROVED, InvoiceState.QUERIED)
    return sorted(rows, key=lambda i: i.status not in waiting)


def history(invoice: ProviderInvoice) -> list[WorkflowEvent]:
    return list(
        db.session.scalars(
            sa.select(WorkflowEvent)
            .where(WorkflowEvent.workflow == "invoice", WorkflowEvent.subject_id == invoice.id)
            .order_by(WorkflowEvent.at, WorkflowEvent.id)
        )
    )


def actor_name(user_id: int | None) -> str:
    if user_id is None:
        return "CoopCare (automatically)"
    user = db.session.get(User, user_id)
    return user.display_name if user is not None else "A former member"


def card_payments(invoice: ProviderInvoice) -> list[CardPayment]:
    return list(
        db.session.scalars(
            sa.select(CardPayment)
            .where(CardPayment.invoice_id == invoice.id)
            .order_by(CardPayment.id)
        )
    )


def _unsettled_card_payment(invoice: ProviderInvoice) -> CardPayment | None:
    return db.session.scalar(
        sa.select(CardPayment).where(
            CardPayment.invoice_id == invoice.id, CardPayment.status.in_(UNSETTLED_CARD)
        )
    )


# -- raising and amending -------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceInput:
    """What the provider typed: time at an hourly rate, or a fixed amount."""

    reference: str
    description: str
    category: str
    minutes: int | None = None
    rate_pence: int | None = None
    fixed_pence: int | None = None

    @property
    def amount_pence(self) -> int:
        if self.fixed_pence is not None:
            return self.fixed_pence
        if self.minutes is None or self.rate_pence is None:
            raise ValueError("an invoice is either time at a rate or a fixed amount")
        return pure.amount_for_time(self.minutes, self.rate_pence)

    def columns(self) -> dict[str, Any]:
        fixed = self.fixed_pence is not None
        return {
            "description": self.description,
            "category": self.category,
            "minutes": None if fixed else self.minutes,
            "rate_pence": None if fixed else self.rate_pence,
            "amount_pence": self.amount_pence,
        }


def _check_category(budget: Budget, category: str) -> None:
    if category not in dict(category_choices(budget)):
        raise InvoiceError("Choose one of the categories this budget can be spent on.", 400)


def reference_taken(provider: Provider, reference: str) -> bool:
    return (
        db.session.scalar(
            sa.select(ProviderInvoice.id).where(
                ProviderInvoice.provider_id == provider.id,
                sa.func.lower(ProviderInvoice.reference) == reference.lower(),
            )
        )
        is not None
    )


def suggested_reference(provider: Provider) -> str:
    """The next free reference like INV-0007 (a suggestion the provider may change)."""
    count = db.session.scalar(
        sa.select(sa.func.count(ProviderInvoice.id)).where(
            ProviderInvoice.provider_id == provider.id
        )
    )
    number = (count or 0) + 1
    while reference_taken(provider, f"INV-{number:04d}"):
        number += 1
    return f"INV-{number:04d}"


def raise_invoice(
    provider: Provider, arrangement: Arrangement, change: InvoiceInput, actor: User
) -> ProviderInvoice:
    """The provider's invoice against its agreed arrangement, waiting for the person's
    answer; the person's side is told. The caller commits."""
    authz.require(actor, "provider.manage", provider)
    if arrangement.provider_id != provider.id or arrangement not in invoiceable_arrangements(
        provider
    ):
        raise InvoiceError("Invoices can only be raised on this provider's agreed arrangements.")
    budget = budget_for(arrangement)
    assert budget is not None  # invoiceable_arrangements only lists those with one
    _check_category(budget, change.category)
    reference = pure.check_reference(change.reference)
    if reference_taken(provider, reference):
        raise InvoiceError(f"You already used the reference {reference}. Choose another.", 400)
    invoice = ProviderInvoice(
        provider_id=provider.id,
        budget_id=budget.id,
        arrangement_id=arrangement.id,
        reference=reference,
        raised_by_user_id=actor.id,
        status=InvoiceState.RAISED.value,
        **change.columns(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(invoice)
    except sa.exc.IntegrityError as error:  # the same reference sent twice at once
        raise InvoiceError(f"You already used the reference {reference}.", 400) from error
    audit.record(
        "invoice.raise",
        actor_id=actor.id,
        target=invoice,
        reference=reference,
        amount_pence=invoice.amount_pence,
    )
    notifications.notify(
        person_side_users(invoice),
        f"{provider.name} sent invoice {reference} for {format_pence(invoice.amount_pence)}. "
        "Please check it, then approve it or ask a question.",
        _person_link(invoice),
        f"invoice {reference} to approve",
    )
    db.session.flush()
    return invoice


def move(invoice: ProviderInvoice, name: str, actor: User | None, **kwargs: Any) -> None:
    """A workflow move by ``actor`` (for a supporter, recorded "for" the person)."""
    person = invoice.budget.person
    on_behalf = authz.on_behalf_of(actor, person) if actor and person else None
    INVOICE_WORKFLOW.move(invoice, name, actor, on_behalf_of_person_id=on_behalf, **kwargs)


def amend(invoice: ProviderInvoice, change: InvoiceInput, reason: str, actor: User) -> None:
    """The provider changes a queried invoice (the reference stays) and sends it again."""
    _check_category(invoice.budget, change.category)
    move(invoice, "amend", actor, reason=reason, change=change)


# -- paying ------------------------------------------------------------------------------


def _reserved(budget_id: int, except_payment_id: int | None = None) -> int:
    """Money held back by card payments Stripe has not settled yet."""
    query = sa.select(sa.func.coalesce(sa.func.sum(CardPayment.amount_pence), 0)).where(
        CardPayment.budget_id == budget_id, CardPayment.status.in_(UNSETTLED_CARD)
    )
    if except_payment_id is not None:
        query = query.where(CardPayment.id != except_payment_id)
    return int(db.session.scalar(query) or 0)


def _lock_and_check(invoice: ProviderInvoice, actor: User) -> SqlBillingRepository:
    """Lock the budget row (PostgreSQL: until the commit), then look at the invoice again:
    a racing payment may have paid it while we waited for the lock."""
    repo = SqlBillingRepository(db.session)
    repo.ledger(invoice.budget_id)
    db.session.refresh(invoice)
    authz.require(actor, "invoice.pay", invoice)
    if invoice.status != InvoiceState.APPROVED:
        raise InvoiceError(
            f"This invoice cannot be paid now: its status is “{status_label(invoice).lower()}”."
        )
    return repo


def _entry_source(invoice: ProviderInvoice, actor: User | None, **more: Any) -> EntrySource:
    person = invoice.budget.person
    supporter = (
        actor.id
        if actor is not None and person is not None and person.user_id != actor.id
        else None
    )
    return EntrySource(
        invoice_id=invoice.id,
        invoice_reference=invoice.reference,
        recorded_by_user_id=actor.id if actor is not None else None,
        supporter_user_id=supporter,
        **more,
    )


def _description(invoice: ProviderInvoice) -> str:
    return f"{invoice.provider.name}: {invoice.description}"


def pay_by_bank_transfer(
    invoice: ProviderInvoice, bank_reference: str, paid_on: date, actor: User
) -> None:
    """Record that the invoice was paid by bank transfer from the budget account (or, for
    an individual service fund, from the fund its provider holds). Refuses with
    `WouldOverdraw` when the budget cannot cover it, counting card payments still waiting
    for Stripe. The caller commits (or rolls back: then nothing was recorded)."""
    reference = " ".join(bank_reference.split())
    if not reference or len(reference) > 60:
        raise InvoiceError("Enter the bank transfer's reference (up to 60 characters).", 400)
    if paid_on > clock.today():
        raise InvoiceError("The date of the transfer cannot be in the future.", 400)
    repo = _lock_and_check(invoice, actor)
    book = repo.ledger(invoice.budget_id)
    book.ensure_affordable(
        invoice.amount_pence, paid_on, reserved_pence=_reserved(invoice.budget_id)
    )
    kind = EntryKind.PROVIDER_INVOICE if invoice.budget.is_isf else EntryKind.PAYMENT
    entry = book.post(
        kind,
        -invoice.amount_pence,
        paid_on,
        f"{_description(invoice)} (bank transfer {reference})",
        category=invoice.category,
        source=_entry_source(invoice, actor),
        recorded_at=clock.now(),
    )
    repo.append(entry)
    move(invoice, "pay", actor, paid_by="bank_transfer", bank_reference=reference)


def _start_card_payment(invoice: ProviderInvoice, actor: User) -> CardPayment:
    """Our record of the attempt, committed before Stripe is asked: it holds the money back
    from other payments while Stripe answers. An attempt still waiting (Stripe could not be
    reached last time) is used again, so the retry has the same idempotency key."""
    if invoice.budget.is_isf:
        raise InvoiceError(
            "The provider holding this fund pays it from the fund: record it as a transfer.", 400
        )
    _lock_and_check(invoice, actor)
    waiting = _unsettled_card_payment(invoice)
    if waiting is not None:
        return waiting
    book = SqlBillingRepository(db.session).ledger(invoice.budget_id)
    book.ensure_affordable(
        invoice.amount_pence, clock.today(), reserved_pence=_reserved(invoice.budget_id)
    )
    person = invoice.budget.person
    payment = CardPayment(
        budget_id=invoice.budget_id,
        invoice_id=invoice.id,
        invoice_reference=invoice.reference,
        amount_pence=invoice.amount_pence,
        category=invoice.category,
        description=f"{_description(invoice)} (card)",
        status=CardPaymentStatus.PENDING.value,
        requested_at=clock.now(),
        recorded_by_user_id=actor.id,
        supporter_user_id=actor.id if person is not None and person.user_id != actor.id else None,
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(
        "invoice.card_payment_started",
        actor_id=actor.id,
        target=invoice,
        card_payment_id=payment.id,
        amount_pence=payment.amount_pence,
    )
    db.session.commit()
    return payment


def pay_by_card(
    invoice: ProviderInvoice, actor: User, gateway: BillingGateway | None = None
) -> CardPayment:
    """Pay the invoice by card through Stripe (the test card on the local test server).
    The ledger entry is written when Stripe says the payment succeeded: here, from its
    answer, or from the `payment_intent.succeeded` webhook, whichever is first.

    Raises `BillingUnavailable` (the attempt stays waiting; trying again is safe),
    `PaymentDeclined` (the attempt is marked failed; a new one may be made), `InvoiceError`
    and `WouldOverdraw` (nothing was recorded)."""
    billing = gateway or configured_gateway()
    if billing is None or not card_payments_available():
        raise InvoiceError("Card payments are not set up on this site.", 503)
    payment = _start_card_payment(invoice, actor)
    assert isinstance(billing, StripeGateway)
    request = _card_request(invoice, payment, billing.create_test_card())
    repo = SqlBillingRepository(db.session)
    try:
        snapshot = billing.pay(request)
    except PaymentDeclined as error:
        repo.save_card_payment(
            replace(
                _card_payment(payment),
                status=CardPaymentStatus.FAILED,
                failure_message=str(error),
            )
        )
        db.session.commit()
        raise
    except BillingUnavailable:
        db.session.rollback()
        raise
    apply_payment_intent(_card_payment(payment), snapshot, repo, now=clock.now)
    db.session.commit()
    db.session.refresh(payment)
    return payment


def _card_request(
    invoice: ProviderInvoice, payment: CardPayment, payment_method_id: str = ""
) -> CardPaymentRequest:
    return CardPaymentRequest(
        payment_id=payment.id,
        budget_id=payment.budget_id,
        invoice_id=invoice.id,
        amount_pence=payment.amount_pence,
        customer_id=None,
        payment_method_id=payment_method_id,
        description=payment.description,
        # A Connect destination charge when configured (the gateway decides).
        provider_account_id=invoice.provider.stripe_account_id,
    )


def _checkout_expires_at(payment: CardPayment) -> int:
    """When Stripe's page for this attempt expires: CARD_PAYMENT_EXPIRY_MINUTES after the
    attempt began, within what Stripe allows. Made from the attempt (not from now), so a
    retry sends the same request under the same idempotency key."""
    wait = min(max(card_payment_expiry(), _SHORTEST_CHECKOUT), _LONGEST_CHECKOUT)
    return int((_requested_at(payment) + wait).timestamp())


def start_card_checkout(
    invoice: ProviderInvoice, actor: User, gateway: BillingGateway | None = None
) -> str:
    """Pay the invoice by card on Stripe Checkout's page (production): the address to send
    the payer to. The attempt is recorded and committed first (holding its money back), then
    the session is made with the idempotency key `coopcare-card-checkout-<id>`; the invoice
    is paid from the `checkout.session.completed` webhook, and an expired session releases
    the money. Asking again while the attempt waits sends the payer to the same page.

    Raises `BillingError` (Stripe unreachable or refusing: the attempt waits, nothing else
    is written, and trying again is the same request), `InvoiceError`, `WouldOverdraw`."""
    billing = gateway or configured_gateway()
    if billing is None or not card_payments_available():
        raise InvoiceError("Card payments are not set up on this site.", 503)
    payment = _start_card_payment(invoice, actor)
    if payment.stripe_checkout_session_id is not None:
        try:
            session = billing.fetch_checkout_session(payment.stripe_checkout_session_id)
        except BillingError:
            db.session.rollback()
            raise
        if session.status == "open" and session.url:
            return session.url
        # Completed or expired meanwhile, and its webhook not here yet: apply it now.
        repo = SqlBillingRepository(db.session)
        try:
            apply_checkout_session(_card_payment(payment), session, repo, billing, now=clock.now)
        except BillingError:
            db.session.rollback()
            raise
        db.session.commit()
        db.session.refresh(invoice)
        if invoice.status != InvoiceState.APPROVED:
            return links.public_url("invoices.show", invoice_id=invoice.id)
        payment = _start_card_payment(invoice, actor)
    elif payment.stripe_payment_intent_id is not None:
        raise InvoiceError(
            "A card payment of this invoice is still waiting for Stripe. "
            "Use “Check with Stripe again” to see where it is."
        )
    request = _card_request(invoice, payment)
    # End the read transaction before Stripe is asked: no transaction (nor SQLite's write
    # lock, taken at BEGIN in a form's request) is held open across a network call.
    db.session.commit()
    try:
        session_made = billing.create_payment_checkout_session(
            request,
            success_url=links.public_url("invoices.show", invoice_id=invoice.id, card="done"),
            cancel_url=links.public_url("invoices.show", invoice_id=invoice.id, card="left"),
            expires_at=_checkout_expires_at(payment),
        )
    except BillingError:
        db.session.rollback()
        raise
    payment.stripe_checkout_session_id = session_made.id
    db.session.commit()
    return session_made.url


def waiting_card_payment(invoice: ProviderInvoice) -> CardPayment | None:
    """The card payment of this invoice still waiting for Stripe's answer, if any."""
    return _unsettled_card_payment(invoice)


def _ask_stripe(payment: CardPayment, billing: BillingGateway) -> str:
    """Ask Stripe about one waiting card payment and apply its answer (settled, released
    when overdue, or still waiting), committed; on `BillingError` rolled back."""
    repo = SqlBillingRepository(db.session)
    repo.ledger(payment.budget_id)  # the budget row locked, as for any payment
    db.session.refresh(payment)
    try:
        action = check_card_payment(
            _card_payment(payment), repo, billing,
            expired=card_payment_overdue(payment), now=clock.now,
        )  # fmt: skip
    except BillingError:
        db.session.rollback()
        raise
    db.session.commit()
    return action


def check_card_payment_again(
    invoice: ProviderInvoice, actor: User, gateway: BillingGateway | None = None
) -> CardPayment:
    """The payer's "Check with Stripe again": Stripe's answer about the waiting card payment
    of this invoice is applied (paid: the invoice is paid through its workflow; expired or
    overdue: the money is released and the invoice stays payable). Raises `InvoiceError`
    (nothing waiting, Stripe not set up) and `BillingError` (nothing changed; try again)."""
    authz.require(actor, "invoice.pay", invoice)
    billing = gateway or configured_gateway()
    if billing is None or not card_payments_available():
        raise InvoiceError("Card payments are not set up on this site.", 503)
    payment = _unsettled_card_payment(invoice)
    if payment is None:
        raise InvoiceError("No card payment of this invoice is waiting for Stripe.")
    action = _ask_stripe(payment, billing)
    audit.record(
        "invoice.card_payment_checked",
        actor_id=actor.id,
        target=invoice,
        card_payment_id=payment.id,
        outcome=action[:200],
    )
    db.session.commit()
    db.session.refresh(payment)
    return payment


@dataclass
class CardRunReport:
    waiting: int = 0
    settled: int = 0
    released: int = 0
    unreachable: int = 0

    def summary(self) -> str:
        text = (
            f"Asked Stripe about {self.waiting} card payments waiting too long: "
            f"{self.settled} paid, {self.released} released."
        )
        if self.unreachable:
            text += f" {self.unreachable} could not be asked (Stripe unreachable): next run."
        return text


def run_card_payments(
    progress: Callable[[str], None] | None = None, gateway: BillingGateway | None = None
) -> CardRunReport:
    """The billing run's part: every card payment that has waited for Stripe longer than
    CARD_PAYMENT_EXPIRY_MINUTES is asked about (Stripe first), then settled or stopped at
    Stripe and released. One commit per payment, so an outage halfway keeps what was done;
    running again repeats nothing (a settled payment is not waiting any more)."""
    report = CardRunReport()
    cutoff = clock.now() - card_payment_expiry()
    overdue = db.session.scalars(
        sa.select(CardPayment)
        .where(CardPayment.status.in_(UNSETTLED_CARD), CardPayment.requested_at <= cutoff)
        .order_by(CardPayment.id)
    ).all()
    if not overdue:
        return report
    billing = gateway or configured_gateway()
    for payment in overdue:
        report.waiting += 1
        if billing is None:
            report.unreachable += 1
            if progress is not None:
                progress(f"Card payment {payment.id}: Stripe is not set up here, left waiting")
            continue
        try:
            action = _ask_stripe(payment, billing)
        except BillingError as error:
            report.unreachable += 1
            action = f"not changed ({error}; {error.detail})"
        else:
            if payment.status == CardPaymentStatus.SUCCEEDED.value:
                report.settled += 1
            elif payment.status == CardPaymentStatus.FAILED.value:
                report.released += 1
        if progress is not None:
            progress(f"Card payment {payment.id}: {action}")
    return report


def settle_card_payment(payment_id: int) -> None:
    """Stripe said a card payment succeeded (its ledger entry is written): the invoice it
    paid is paid. Called by the billing repository for the answer and the webhook alike."""
    payment = db.session.get(CardPayment, payment_id)
    if payment is None or payment.invoice_id is None:
        return
    invoice = db.session.get(ProviderInvoice, payment.invoice_id)
    if invoice is None or invoice.status != InvoiceState.APPROVED:
        return  # already paid (the other confirmation got here first)
    INVOICE_WORKFLOW.move(invoice, "pay", None, paid_by="card")


# -- the billing run: auto-approval, reminders, dunning --------------------------------------


@dataclass
class InvoiceRunReport:
    invoices: int = 0
    auto_approved: int = 0
    reminders: int = 0
    overdue_notices: int = 0

    def summary(self) -> str:
        return (
            f"Checked {self.invoices} open invoices: {self.auto_approved} approved "
            f"automatically, {self.reminders} reminders and {self.overdue_notices} "
            "overdue notices sent."
        )


def _since(invoice: ProviderInvoice) -> date:
    """The UK day the invoice entered its status."""
    moment: datetime = invoice.updated_at
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(clock.LONDON).date()


def _notice_once(
    invoice: ProviderInvoice,
    due: pure.DueAction,
    message: str,
    subject: str,
    users: list[User],
    provider_users: list[User] | None = None,
) -> bool:
    """Send the notice unless it already went for this occasion (a `budget_notices` row,
    unique per budget, kind and occasion). True when sent."""
    exists = db.session.scalar(
        sa.select(BudgetNotice.id).where(
            BudgetNotice.budget_id == invoice.budget_id,
            BudgetNotice.kind == due.action.value,
            BudgetNotice.occasion == due.occasion,
        )
    )
    if exists is not None:
        return False
    db.session.add(
        BudgetNotice(budget_id=invoice.budget_id, kind=due.action.value, occasion=due.occasion)
    )
    notifications.notify(users, message, _person_link(invoice), subject)
    if provider_users:
        notifications.notify(provider_users, message, _provider_link(invoice), subject)
    db.session.flush()
    return True


def run_invoices(on: date, progress: Callable[[str], None] | None = None) -> InvoiceRunReport:
    """Approve unanswered invoices when configured, remind about unanswered ones, and tell
    both sides about approved ones still unpaid; each once per occasion (the day the
    invoice entered its status), so running again the same day, or every day, repeats
    nothing. The caller commits."""
    rules = policy()
    report = InvoiceRunReport()
    open_invoices = db.session.scalars(
        sa.select(ProviderInvoice)
        .where(ProviderInvoice.status.in_([InvoiceState.RAISED, InvoiceState.APPROVED]))
        .order_by(ProviderInvoice.id)
    ).all()
    for invoice in open_invoices:
        report.invoices += 1
        facts = pure.InvoiceFacts(invoice.id, pure.InvoiceStatus(invoice.status), _since(invoice))
        for due in pure.due_actions(facts, on, rules):
            amount = format_pence(invoice.amount_pence)
            name = invoice.provider.name
            if due.action is pure.InvoiceAction.AUTO_APPROVE:
                INVOICE_WORKFLOW.move(invoice, "auto_approve", None)
                report.auto_approved += 1
            elif due.action is pure.InvoiceAction.REMIND:
                message = (
                    f"Invoice {invoice.reference} from {name} ({amount}) is waiting for you "
                    "to approve it or ask a question."
                )
                users = person_side_users(invoice)
                if _notice_once(invoice, due, message, f"invoice {invoice.reference}", users):
                    report.reminders += 1
            else:
                message = (
                    f"Invoice {invoice.reference} from {name} ({amount}) was approved on "
                    f"{clock.long_date(facts.since)} and is not paid yet."
                )
                subject = f"invoice {invoice.reference} not paid"
                users, providers = person_side_users(invoice), provider_side_users(invoice)
                if _notice_once(invoice, due, message, subject, users, providers):
                    report.overdue_notices += 1
        if progress is not None:
            progress(f"Invoice {invoice.id} ({invoice.reference}): checked")
    return report


__all__ = [
    "INVOICE_WORKFLOW",
    "category_label",
    "InvoiceError",
    "InvoiceInput",
    "LedgerError",
    "MoveError",
]
