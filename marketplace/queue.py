"""The RQ queue on Redis (``JOBS_REDIS_URL``), for handing work to ``marketplace.jobs``.

Kept apart from the jobs themselves so that what enqueues (the notification outbox) does
not import what runs (the jobs import the outbox): jobs are named by their import path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)

DELIVER_EMAIL = "marketplace.jobs.deliver_email"


def queue_configured() -> bool:
    return bool(current_app.config.get("JOBS_REDIS_URL"))


def get_queue() -> Any:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(current_app.config["JOBS_REDIS_URL"])
    return Queue(current_app.config["JOBS_QUEUE"], connection=connection)


def _retry() -> Any:
    from rq import Retry

    schedule = list(current_app.config["OUTBOX_RETRY_SECONDS"])
    return Retry(max=len(schedule), interval=schedule) if schedule else None


def enqueue_deliveries(message_ids: Iterable[int]) -> None:
    """Queue one delivery job per outbox e-mail. If Redis is down, the rows wait for
    ``deliver-due``: nothing is lost, only later."""
    try:
        queue = get_queue()
        for message_id in message_ids:
            queue.enqueue(DELIVER_EMAIL, message_id, retry=_retry(), job_timeout=120)
    except Exception:  # noqa: BLE001 - the outbox row is the record; the sweep resends
        log.exception("could not queue e-mails %s; deliver-due will pick them up", message_ids)
