"""`flask billing run`: the periodic budget checks (reviews due, surplus and overspend
warnings) and provider invoices (auto-approval when configured, reminders, overdue
notices), safe to run again: each notice goes once per occasion."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from marketplace import clock
from marketplace.extensions import db

billing_cli = AppGroup("billing", help="Budgets and payments: the periodic checks.")


def run(on: date | None = None, echo=None) -> str:
    """Run the checks for `on` (today in the UK by default) and commit; the summary."""
    from marketplace.budgets import services
    from marketplace.invoices.services import run_card_payments, run_invoices
    from marketplace.memberships.services import remind_reviews_due

    on = on or clock.today()
    # Card payments first (each committed on its own): an invoice Stripe paid is then not
    # reminded about as unpaid.
    cards = run_card_payments(progress=echo)
    report = services.run_billing(on, progress=echo)
    invoices = run_invoices(on, progress=echo)
    reviews = remind_reviews_due(progress=echo)
    db.session.commit()
    return f"{report.summary()} {invoices.summary()} {reviews.summary()} {cards.summary()}"


@billing_cli.command("run")
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD); default: today in the UK.",
)
def run_command(today) -> None:
    """Send budget reviews due, surplus and overspend warnings, invoice reminders and
    overdue notices, monthly outcome reviews due, approve invoices automatically when
    configured, and settle or release card payments Stripe left waiting (idempotent)."""
    click.echo(run(today.date() if today else None, echo=click.echo))
