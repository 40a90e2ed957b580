"""/provider/invoices (the provider raises, answers questions, amends, withdraws) and
/invoices/<id> (the person's side approves, queries and pays). Access: authz invoice.*."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace import authz, clock
from marketplace.extensions import db
from marketplace.invoices import bp, provider_bp, services
from marketplace.invoices.forms import (
    AmendForm,
    BankTransferForm,
    ConfirmForm,
    InvoiceForm,
    ReasonForm,
)
from marketplace.models import Arrangement, ProviderInvoice
from marketplace.models.budgets import SPENDING_CATEGORIES
from marketplace.money import format_pence
from marketplace.web import choose_provider_page
from marketplace.workflow import MoveError
from payments.gateway import BillingError
from payments.ledger import LedgerError


def _user() -> Any:
    return current_user._get_current_object()


def _invoice(invoice_id: int, action: str = "invoice.view") -> ProviderInvoice:
    """The invoice, or 404 when it does not exist or this user may not see it (not to say
    it does); 403 when they see it but may not do this."""
    return authz.get_or_abort(current_user, ProviderInvoice, invoice_id, action)


CARD_RETURNS = {
    "done": "Thank you. Stripe is confirming the card payment: this page shows the invoice "
    "paid when it has. If it does not within a few minutes, use “Check with Stripe again”.",
    "left": "You left Stripe's page without paying. Nothing was taken from the card. You can "
    "pay by card again, or record a bank transfer.",
}

REASON_LABELS = {
    "query": "Ask the provider a question instead",
    "reply": "Your answer",
    "withdraw": "Why is it withdrawn?",
}


def _reason_form(name: str) -> ReasonForm:
    form = ReasonForm(prefix=name)
    form.reason.label.text = REASON_LABELS[name]
    return form


def _show(invoice: ProviderInvoice, side: str, status: int = 200, problem: str | None = None,
          **forms: Any):  # fmt: skip
    user = _user()
    for name in REASON_LABELS:
        forms.setdefault(f"{name}_form", _reason_form(name))
    forms.setdefault("bank_form", BankTransferForm(prefix="bank"))
    if request.method == "GET":
        forms["bank_form"].paid_on.data = clock.today()
    workflow = services.INVOICE_WORKFLOW
    # The form with errors, if any: the page title then starts "Error: " (base.html).
    errored = next((form for form in forms.values() if form.errors), None)
    if errored is not None:
        forms["form"] = errored
    return render_template(
        "invoices/show.html",
        invoice=invoice,
        side=side,
        problem=problem,
        # Back from Stripe's page: what it means (the payment itself comes by webhook).
        back_from_stripe=CARD_RETURNS.get(request.args.get("card", "")),
        test_card=services.uses_test_card(),
        history=services.history(invoice),
        card_payments=services.card_payments(invoice),
        may={
            move: workflow.may(user, invoice, move)
            for move in ("approve", "query", "reply", "amend", "withdraw")
        },
        may_pay=invoice.status == "approved" and authz.can(user, "invoice.pay", invoice),
        card_available=services.card_payments_available() and not invoice.budget.is_isf,
        may_check_card=services.card_payments_available()
        and authz.can(user, "invoice.pay", invoice),
        confirm=ConfirmForm(),
        services=services,
        **forms,
    ), status


def _done(invoice: ProviderInvoice, side: str, message: str):
    db.session.commit()
    flash(message, "success")
    endpoint = "provider_invoices.show" if side == "provider" else "invoices.show"
    return redirect(url_for(endpoint, invoice_id=invoice.id))


def _move(invoice_id: int, side: str, name: str, form_name: str | None, message: str):
    """A move from a form on the invoice page: done and committed, or the page again with
    the error (nothing changed). Who may is asked before the form is read."""
    action = "invoice.manage" if side == "provider" else "invoice.answer"
    invoice = _invoice(invoice_id, action)
    form = _reason_form(form_name) if form_name else ConfirmForm()
    if not form.validate_on_submit():
        return _show(invoice, side, 400, **({f"{form_name}_form": form} if form_name else {}))
    reason = form.reason.data if form_name else ""
    try:
        services.move(invoice, name, _user(), reason=reason)
    except MoveError as error:
        db.session.rollback()
        return _show(invoice, side, error.status_code, problem=str(error))
    return _done(invoice, side, message)


# -- the person's side -----------------------------------------------------------------------


@bp.get("/<int:invoice_id>")
@login_required
def show(invoice_id: int):
    return _show(_invoice(invoice_id), "person")


@bp.post("/<int:invoice_id>/approve")
@login_required
def approve(invoice_id: int):
    return _move(invoice_id, "person", "approve", None, "The invoice is approved.")


@bp.post("/<int:invoice_id>/query")
@login_required
def query(invoice_id: int):
    return _move(
        invoice_id, "person", "query", "query",
        "Your question is sent to the provider. The invoice waits until they answer.",
    )  # fmt: skip


def _side_of(invoice: ProviderInvoice) -> str:
    return "provider" if request.form.get("side") == "provider" else "person"


@bp.post("/<int:invoice_id>/pay/bank-transfer")
@login_required
def pay_bank_transfer(invoice_id: int):
    invoice = _invoice(invoice_id, "invoice.pay")
    side = _side_of(invoice)
    form = BankTransferForm(prefix="bank")
    if not form.validate_on_submit():
        return _show(invoice, side, 400, bank_form=form)
    try:
        services.pay_by_bank_transfer(invoice, form.bank_reference.data, form.paid_on.data, _user())
    except (services.InvoiceError, LedgerError, MoveError) as error:
        db.session.rollback()
        status = getattr(error, "status_code", 400 if isinstance(error, LedgerError) else 409)
        return _show(invoice, side, status, problem=str(error), bank_form=form)
    return _done(
        invoice, side,
        f"The bank transfer of {format_pence(invoice.amount_pence)} is recorded and the "
        "invoice is paid.",
    )  # fmt: skip


@bp.post("/<int:invoice_id>/pay/card")
@login_required
def pay_card(invoice_id: int):
    invoice = _invoice(invoice_id, "invoice.pay")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not services.card_payments_available():
        return _show(invoice, "person", 503, problem="Card payments are not set up on this site.")
    if not services.uses_test_card():
        return _pay_on_stripe_checkout(invoice)
    try:
        payment = services.pay_by_card(invoice, _user())
    except (services.InvoiceError, LedgerError) as error:
        db.session.rollback()
        status = getattr(error, "status_code", 400)
        return _show(invoice, "person", status, problem=str(error))
    except BillingError as error:
        # Declined (recorded as failed) or Stripe unreachable (the attempt waits, and
        # trying again uses the same idempotency key): the message says which.
        db.session.rollback()
        return _show(invoice, "person", 402 if "declined" in str(error).lower() else 503,
                     problem=str(error))  # fmt: skip
    if payment.status == "succeeded":
        flash(f"Paid {format_pence(payment.amount_pence)} by card. The invoice is paid.", "success")
    else:
        flash("Stripe has not confirmed the payment yet. This page shows it when it does.", "info")
    return redirect(url_for("invoices.show", invoice_id=invoice.id))


def _billing_problem(invoice: ProviderInvoice, error: Exception):
    """The invoice page again with what went wrong (nothing half-written: the service rolled
    back). Stripe unreachable is 503 and safe to retry; a decline 402."""
    db.session.rollback()
    if isinstance(error, (services.InvoiceError, LedgerError)):
        return _show(invoice, "person", getattr(error, "status_code", 400), problem=str(error))
    status = 402 if "declined" in str(error).lower() else 503
    return _show(invoice, "person", status, problem=str(error))


def _pay_on_stripe_checkout(invoice: ProviderInvoice):
    """Production: off to Stripe's page (303), which comes back to the invoice page."""
    try:
        url = services.start_card_checkout(invoice, _user())
    except (services.InvoiceError, LedgerError, BillingError) as error:
        return _billing_problem(invoice, error)
    return redirect(url, code=303)


@bp.post("/<int:invoice_id>/pay/card/check")
@login_required
def check_card(invoice_id: int):
    """ "Check with Stripe again" about a card payment still waiting."""
    invoice = _invoice(invoice_id, "invoice.pay")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        payment = services.check_card_payment_again(invoice, _user())
    except (services.InvoiceError, LedgerError, BillingError) as error:
        return _billing_problem(invoice, error)
    message = {
        "succeeded": ("Stripe says the card payment was made. The invoice is paid.", "success"),
        "failed": ("Stripe did not take the money, so the budget no longer holds it back. "
                   "The invoice can be paid again.", "info"),
    }.get(payment.status, ("Stripe is still waiting for the card holder. Try again later: "
                           "the money stays held back until Stripe answers.", "info"))  # fmt: skip
    flash(*message)
    return redirect(url_for("invoices.show", invoice_id=invoice.id))


# -- the provider's side ---------------------------------------------------------------------


@provider_bp.get("/invoices")
@authz.requires("provider_area.use")
def index():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page("provider_invoices.index", "Choose whose invoices to see")
    return render_template(
        "invoices/provider_index.html",
        provider=provider,
        invoices=services.provider_invoices(provider),
        can_raise=bool(services.invoiceable_arrangements(provider)),
        services=services,
    )


def _arrangement_label(arrangement: Arrangement) -> str:
    return f"{arrangement.person.display_name}, from {clock.long_date(arrangement.starts_on)}"


@provider_bp.route("/invoices/new", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def new():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page("provider_invoices.new", "Choose who raises the invoice")
    authz.require(current_user, "provider.manage", provider)
    arrangements = services.invoiceable_arrangements(provider)
    form = InvoiceForm()
    form.arrangement.choices = [(a.id, _arrangement_label(a)) for a in arrangements]
    chosen = next((a for a in arrangements if a.id == form.arrangement.data), None)
    if chosen is None and len(arrangements) == 1:
        chosen = arrangements[0]
    budget = services.budget_for(chosen) if chosen is not None else None
    # The chosen arrangement's budget decides the categories (raise_invoice checks again).
    every = list(SPENDING_CATEGORIES.items())
    form.category.choices = services.category_choices(budget) if budget is not None else every
    if request.method == "GET":
        form.reference.data = services.suggested_reference(provider)
        if chosen is not None:
            form.arrangement.data = chosen.id
            form.rate.data = format_pence(chosen.hourly_rate_pence, for_input=True)
    problem = None
    if form.validate_on_submit():
        if chosen is None or chosen.id != form.arrangement.data:
            form.arrangement.errors = ["Choose the arrangement the invoice is for"]
        else:
            try:
                invoice = services.raise_invoice(provider, chosen, form.invoice_input(), _user())
            except (services.InvoiceError, ValueError) as error:
                db.session.rollback()
                problem = str(error)
            else:
                db.session.commit()
                flash(f"Invoice {invoice.reference} is sent to the person to approve.", "success")
                return redirect(url_for("provider_invoices.show", invoice_id=invoice.id))
    status = 400 if (form.errors or problem) else 200
    return render_template(
        "invoices/form.html", provider=provider, form=form, invoice=None,
        arrangements=arrangements, problem=problem,
    ), status  # fmt: skip


@provider_bp.get("/invoices/<int:invoice_id>", endpoint="show")
@login_required
def provider_show(invoice_id: int):
    return _show(_invoice(invoice_id, "invoice.manage"), "provider")


@provider_bp.route("/invoices/<int:invoice_id>/amend", methods=["GET", "POST"])
@login_required
def amend(invoice_id: int):
    invoice = _invoice(invoice_id, "invoice.manage")
    if invoice.status != "queried":
        return _show(invoice, "provider", 409,
                     problem="Only a queried invoice can be changed.")  # fmt: skip
    form = AmendForm()
    form.category.choices = services.category_choices(invoice.budget)
    if request.method == "GET":
        form.description.data = invoice.description
        form.category.data = invoice.category
        form.basis.data = "fixed" if invoice.minutes is None else "time"
        if invoice.minutes is not None:
            hours, minutes = divmod(invoice.minutes, 60)
            form.hours.data, form.minutes.data = str(hours), str(minutes)
            form.rate.data = format_pence(invoice.rate_pence, for_input=True)
        else:
            form.amount.data = format_pence(invoice.amount_pence, for_input=True)
    form.reference.data = invoice.reference  # the reference stays
    problem = None
    if form.validate_on_submit():
        try:
            services.amend(invoice, form.invoice_input(), form.change_reason.data, _user())
        except (services.InvoiceError, MoveError, ValueError) as error:
            db.session.rollback()
            problem = str(error)
        else:
            return _done(invoice, "provider", "The changed invoice is sent again.")
    status = 400 if (form.errors or problem) else 200
    return render_template(
        "invoices/form.html", provider=invoice.provider, form=form, invoice=invoice,
        arrangements=[], problem=problem,
    ), status  # fmt: skip


@provider_bp.post("/invoices/<int:invoice_id>/reply")
@login_required
def reply(invoice_id: int):
    return _move(invoice_id, "provider", "reply", "reply",
                 "Your answer is sent. The invoice waits for approval again.")  # fmt: skip


@provider_bp.post("/invoices/<int:invoice_id>/withdraw")
@login_required
def withdraw(invoice_id: int):
    return _move(invoice_id, "provider", "withdraw", "withdraw", "The invoice is withdrawn.")
