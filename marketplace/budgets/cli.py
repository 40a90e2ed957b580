"""`flask billing run`: the periodic budget checks (reviews due, surplus and overspend
warnings) and provider invoices (auto-approval when configured, reminders, overdue
notices), safe to run again: each notice goes once per occasion."""

from __future__ import annotations

import re
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


# Stripe's connected account ids: "acct_" and letters and digits.
STRIPE_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,250}")


@billing_cli.command("connect-account")
@click.argument("provider_id", type=int)
@click.argument("account_id", required=False)
@click.option("--clear", is_flag=True, help="Stop paying this provider out through Connect.")
def connect_account_command(provider_id: int, account_id: str | None, clear: bool) -> None:
    """Set the Stripe Connect account (acct_…) that card payments of PROVIDER_ID's invoices
    are paid out to (destination charges, with STRIPE_CONNECT_FEE_BASIS_POINTS set), or
    --clear it. Audited."""
    from marketplace import audit
    from marketplace.models import Provider

    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise click.ClickException(f"There is no provider with id {provider_id}.")
    if clear == bool(account_id):
        raise click.UsageError("Give an account id (acct_…) or --clear, not both or neither.")
    if account_id is not None and not STRIPE_ACCOUNT_ID.fullmatch(account_id.strip()):
        raise click.BadParameter(
            "a Stripe account id starts acct_ followed by letters and digits",
            param_hint="ACCOUNT_ID",
        )
    new = account_id.strip() if account_id else None
    previous = provider.stripe_account_id
    provider.stripe_account_id = new
    audit.record(
        "provider.stripe_account", actor_id=None, target=provider, account=new, previous=previous
    )
    db.session.commit()
    if new:
        click.echo(f"{provider.name}: card payments of its invoices are paid out to {new}.")
    else:
        click.echo(f"{provider.name}: card payments of its invoices stay with the platform.")
