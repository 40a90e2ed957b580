"""Notifications: a row in the service for each user, and a durable e-mail outbox.

:func:`notify` writes both rows (``notifications`` and ``outbox_emails``) in the caller's
transaction, so a rolled-back change tells nobody and a committed one cannot lose its
e-mail. After the commit each new e-mail is handed to the job queue (RQ on Redis, see
``marketplace.jobs``), or, with no queue configured, delivered in this process.
:func:`deliver` claims a message (compare-and-set pending -> sending), sends it and marks
it sent; a failure puts it back with a later ``next_attempt_at`` (the queue retries on
the same schedule) until ``OUTBOX_RETRY_SECONDS`` is used up. :func:`deliver_due` picks
up whatever a crash, a Redis outage or a dead worker left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, render_template, url_for
from flask_mailman import EmailMessage

from marketplace import queue
from marketplace.extensions import db
from marketplace.links import absolute
from marketplace.models import Notification, OutboxEmail, User, utcnow

log = logging.getLogger(__name__)

_NEW = "coopcare_outbox_new"  # session.info key: outbox ids added in this transaction


def path(endpoint: str, **values: Any) -> str:
    """A site-relative link that works in requests and in CLI jobs alike."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind(current_app.config.get("SERVER_NAME") or "localhost")
    return adapter.build(endpoint, values)


def notify(
    users: Iterable[User], message: str, link: str | None, subject: str
) -> list[Notification]:
    """Add a notification and an outbox e-mail for each user, in the caller's transaction."""
    rows = []
    for user in users:
        row = Notification(user_id=user.id, message=message, link=link)
        db.session.add(row)
        db.session.flush()
        body = render_template(
            "providers/email/notification.txt",
            user=user,
            message=message,
            # Never the request's Host header: the sender of the request chooses it.
            link=absolute(link) if link else None,
        )
        email = OutboxEmail(
            notification_id=row.id,
            user_id=user.id,
            to_address=user.email,
            subject=f"CoopCare: {subject}"[:200],
            body=body,
        )
        db.session.add(email)
        db.session.flush()
        db.session().info.setdefault(_NEW, []).append(email.id)
        rows.append(row)
    return rows


def email(to_address: str, subject: str, body: str, user: User | None = None) -> OutboxEmail:
    """Put one e-mail in the outbox, in the caller's transaction, for an address that may
    have no account yet (an invitation). It is delivered after the commit like the rest."""
    message = OutboxEmail(
        user_id=user.id if user is not None else None,
        to_address=to_address,
        subject=f"CoopCare: {subject}"[:200],
        body=body,
    )
    db.session.add(message)
    db.session.flush()
    db.session().info.setdefault(_NEW, []).append(message.id)
    return message


# -- after the commit: hand the new e-mails on ----------------------------------------


def _after_commit(session: sa.orm.Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT was released: not committed yet
        return
    ids = session.info.pop(_NEW, [])
    if not ids:
        return
    if queue.queue_configured():
        queue.enqueue_deliveries(ids)
        return
    # No queue (a laptop, `make run`): deliver now, in a session of its own, because this
    # one may not run SQL inside its after_commit hook. A failure stays in the outbox.
    bind = session.get_bind(mapper=sa.inspect(OutboxEmail))
    with sa.orm.Session(bind=bind, join_transaction_mode="create_savepoint") as own:
        for message_id in ids:
            try:
                deliver(message_id, own)
            except Exception:  # noqa: BLE001 - recorded on the row; retried by deliver_due
                log.warning("e-mail %s not delivered yet; it stays in the outbox", message_id)


def _after_rollback(session: sa.orm.Session, previous_transaction: Any) -> None:
    # Ids from a rolled-back savepoint stay listed: their rows are gone, so delivery
    # simply finds nothing to send.
    if not previous_transaction.nested:
        session.info.pop(_NEW, None)


def init_app(app: Flask) -> None:
    """Register the after-commit hand-over once (from the app factory, not at import)."""
    for name, listener in (
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_rollback),
    ):
        if not sa.event.contains(sa.orm.Session, name, listener):
            sa.event.listen(sa.orm.Session, name, listener)


# -- delivery -------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """Sending failed; the message is back in the outbox for a later attempt."""


def _retry_schedule() -> list[int]:
    return list(current_app.config["OUTBOX_RETRY_SECONDS"])


def deliver(message_id: int, session: sa.orm.Session | None = None) -> str:
    """Send one outbox e-mail if it is still waiting. Returns what happened.

    "sent", or "skipped" when it is gone, already sent, failed for good or being sent
    by another worker. Raises DeliveryFailed when the mail server refused or was slow,
    after putting the message back for a later attempt.
    """
    session = session or db.session()
    now = utcnow()
    # Claim it: of two workers, only one moves it from pending to sending.
    claimed = session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == message_id, OutboxEmail.status == "pending")
        .values(status="sending", claimed_at=now, attempts=OutboxEmail.attempts + 1)
    ).rowcount
    session.commit()
    if claimed != 1:
        return "skipped"
    message = session.get(OutboxEmail, message_id)
    try:
        EmailMessage(message.subject, message.body, to=[message.to_address]).send()
    except Exception as error:
        schedule = _retry_schedule()
        attempts = message.attempts
        give_up = attempts > len(schedule)
        wait = schedule[min(attempts, len(schedule)) - 1] if schedule else 0
        session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == message_id)
            .values(
                status="failed" if give_up else "pending",
                next_attempt_at=now + timedelta(seconds=wait),
                last_error=f"{type(error).__name__}: {error}"[:2000],
                claimed_at=None,
            )
        )
        session.commit()
        raise DeliveryFailed(f"e-mail {message_id}: attempt {attempts} failed") from error
    session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == message_id)
        .values(status="sent", sent_at=utcnow(), last_error="")
    )
    session.commit()
    return "sent"


def due_ids(limit: int = 500) -> list[int]:
    """E-mails waiting past their time, and claims left by a worker that died."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["OUTBOX_STALE_CLAIM_SECONDS"])
    db.session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.status == "sending", OutboxEmail.claimed_at < stale)
        .values(status="pending", claimed_at=None)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(OutboxEmail.id)
            .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
        )
    )


def deliver_due() -> dict[str, int]:
    """Deliver every due e-mail now, in this process. Returns counts by outcome."""
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    for message_id in due_ids():
        try:
            counts[deliver(message_id)] += 1
        except DeliveryFailed:
            counts["failed"] += 1
    return counts


# -- what users see -------------------------------------------------------------------


def for_user(user: User, limit: int = 20) -> list[Notification]:
    """A user's notifications, unread first, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(
                Notification.read_at.is_not(None),
                Notification.created_at.desc(),
                Notification.id.desc(),
            )
            .limit(limit)
        )
    )


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
