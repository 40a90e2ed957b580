"""Background jobs on RQ (Redis Queue): e-mail delivery and the periodic jobs.

Why RQ and not Celery: Redis is already in the stack (shared rate limits), RQ is one small
library whose jobs are plain functions, retries with back-off are built in
(``Retry(max, interval)``), and one command runs a worker. Celery's broker abstraction,
result backends and separate beat process are more machinery than a handful of jobs need.

Set ``JOBS_REDIS_URL`` to use the queue; ``flask jobs worker`` runs a worker (with RQ's
scheduler, which re-queues retries when their back-off is over). With no URL configured,
e-mails are delivered in-process after each commit and ``flask jobs enqueue NAME`` runs
the job at once, so a bare laptop needs nothing else. Periodic jobs come from cron
(README): ``flask jobs enqueue qa-expire`` daily, ``flask jobs enqueue deliver-due``
every few minutes to pick up anything a crash left in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, has_app_context
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.queue import get_queue, queue_configured

log = logging.getLogger(__name__)


# -- the jobs: plain functions, importable by the worker -------------------------------

_worker_app: Flask | None = None


@contextmanager
def _app_context() -> Iterator[None]:
    """The app context a job runs in: the worker's own (``flask jobs worker``), or one
    made once per process when run by plain ``rq worker``."""
    global _worker_app
    if has_app_context():
        try:
            yield
        finally:
            db.session.remove()
        return
    if _worker_app is None:
        from marketplace import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        try:
            yield
        finally:
            db.session.remove()


def deliver_email(message_id: int) -> str:
    """Deliver one outbox e-mail; raising makes RQ retry it on the back-off schedule."""
    from marketplace import notifications

    with _app_context():
        return notifications.deliver(message_id)


def deliver_due() -> dict[str, int]:
    """Deliver every e-mail that is due (the sweep after a crash or an outage)."""
    from marketplace import notifications

    with _app_context():
        return notifications.deliver_due()


def qa_expire() -> str:
    """The daily evidence expiry check (warn, then suspend)."""
    from marketplace.providers import qa

    with _app_context():
        report = qa.run_expiry_check()
        db.session.commit()
        return report.summary()


def billing_run() -> str:
    """The daily budget checks: reviews due, surplus and overspend warnings."""
    from marketplace.budgets.cli import run

    with _app_context():
        return run()


def searches_notify() -> str:
    """Tell people about new listed carers matching their saved searches (idempotent)."""
    from marketplace.shortlist.saved_searches import notify_new_matches

    with _app_context():
        return notify_new_matches().summary()


def introductions_expire() -> str:
    """The daily introductions run: reminders after 5 working days, expiry after 10."""
    from marketplace.introductions.cli import run

    with _app_context():
        return run()


PERIODIC: dict[str, Callable[[], Any]] = {
    "qa-expire": qa_expire,
    "deliver-due": deliver_due,
    "billing-run": billing_run,
    "introductions-expire": introductions_expire,
    "searches-notify": searches_notify,
}


# -- commands -------------------------------------------------------------------------

jobs_cli = AppGroup("jobs", help="Background jobs: the worker and the periodic jobs.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and CI).")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for CoopCare's queue, with the scheduler for retries."""
    from rq import SimpleWorker

    if not queue_configured():
        raise click.ClickException("Set JOBS_REDIS_URL to run a worker (redis://host:6379/0).")
    queue = get_queue()
    # SimpleWorker runs each job in this process, inside this command's app context.
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@jobs_cli.command("enqueue")
@click.argument("name", type=click.Choice(sorted(PERIODIC)))
def enqueue_command(name: str) -> None:
    """Queue a periodic job (from cron); without a queue, run it now."""
    job = PERIODIC[name]
    if queue_configured():
        queued = get_queue().enqueue(job, job_timeout=1800)
        click.echo(f"Queued {name} as job {queued.id}.")
        return
    click.echo(str(job()))


def init_app(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
