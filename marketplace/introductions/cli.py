"""``flask introductions expire``: the daily reminder and expiry run (cron, README)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from marketplace.extensions import db

introductions_cli = AppGroup("introductions", help="Introductions: reminders and expiry.")


def run(today: date | None = None) -> str:
    """Remind and expire, commit, and say what happened (shared with the RQ job)."""
    from marketplace.introductions.services import run_expiry

    report = run_expiry(today)
    db.session.commit()
    return report.summary()


@introductions_cli.command("expire")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD); default: today in the UK.",
)
def expire_command(today) -> None:  # noqa: ANN001 - click passes a datetime or None
    """Remind providers after 5 working days; close requests after 10 and tell the person.
    Safe to run again: nothing is sent twice."""
    click.echo(run(today.date() if today else None))
