"""``flask searches notify``: tell people about new carers matching their saved searches."""

from __future__ import annotations

import click
from flask.cli import AppGroup

searches_cli = AppGroup("searches", help="Saved searches.")


@searches_cli.command("notify")
def notify_command() -> None:
    """Run every saved search; tell each person about carers new to it (idempotent)."""
    from marketplace.jobs import searches_notify

    click.echo(searches_notify())
