"""Flask commands: demo data, users, vocabulary."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from marketplace.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
vocabulary_cli = AppGroup("vocabulary", help="Manage skills, interests and languages.")


@click.command("seed-demo")
@click.option("--carers", default=300, show_default=True, help="How many carers to create.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same data).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def seed_demo_command(carers: int, seed: int, if_empty: bool) -> None:
    """Fill the database with demo co-ops, teams, carers and users on real UK places."""
    from marketplace.demo import DEMO_LOGINS, DEMO_PASSWORD, database_is_empty, seed_demo
    from marketplace.vocabulary import sync_vocabulary

    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data; not adding demo data.")
            _print_logins(DEMO_LOGINS, DEMO_PASSWORD)
            return
        raise click.ClickException("The database is not empty. Use a fresh database for demo data.")
    if carers < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--carers")
    sync_vocabulary()
    with tqdm(total=carers, unit="carer", desc="Creating carers", disable=carers < 1000) as bar:
        report = seed_demo(carers=carers, seed=seed, progress=bar.update)
    db.session.commit()
    click.echo(
        f"Created {report.providers} providers, {report.teams} teams, "
        f"{report.carers} carers and {report.users} demo users."
    )
    _print_logins(DEMO_LOGINS, DEMO_PASSWORD)


def _print_logins(logins: list[tuple[str, str, list[str], str]], password: str) -> None:
    click.echo(f"\nDemo logins (password for all: {password}):")
    for email, name, _roles, what in logins:
        click.echo(f"  {email:<32} {name} – {what}")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="The password (asked for when not given).")
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account."""
    from marketplace.auth.services import EmailTaken, create_user
    from marketplace.security import password_problem

    problem = password_problem(password, [email, name])
    if problem:
        raise click.BadParameter(problem, param_hint="password")
    try:
        create_user(email, password, name, ["admin"])
    except EmailTaken as error:
        raise click.ClickException(f"An account already uses {email}.") from error
    db.session.commit()
    click.echo(f"Created administrator {email.strip().lower()}.")


@vocabulary_cli.command("sync")
def vocabulary_sync_command() -> None:
    """Copy the default skills, interests and languages into the database."""
    from marketplace.vocabulary import sync_vocabulary

    changed = sync_vocabulary()
    db.session.commit()
    click.echo(f"Vocabulary up to date ({changed} terms added or changed).")


def init_app(app: Flask) -> None:
    from marketplace.budgets.cli import billing_cli

    app.cli.add_command(billing_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(vocabulary_cli)
    from marketplace.catalog_io import catalog_cli

    app.cli.add_command(catalog_cli)
    from marketplace.introductions.cli import introductions_cli

    app.cli.add_command(introductions_cli)
    from marketplace.shortlist.cli import searches_cli

    app.cli.add_command(searches_cli)
