"""Notifications: a row in the service for each user, and an e-mail sent after the commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, url_for
from flask_mailman import EmailMessage

from marketplace.extensions import db
from marketplace.links import absolute
from marketplace.models import Notification, User, utcnow

log = logging.getLogger(__name__)

_OUTBOX = "coopcare_outbox"


def path(endpoint: str, **values: Any) -> str:
    """A site-relative link that works in requests and in CLI jobs alike."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind(current_app.config.get("SERVER_NAME") or "localhost")
    return adapter.build(endpoint, values)


def notify(
    users: Iterable[User], message: str, link: str | None, subject: str
) -> list[Notification]:
    """Add a notification for each user and email them once the transaction commits."""
    rows = []
    for user in users:
        row = Notification(user_id=user.id, message=message, link=link)
        db.session.add(row)
        rows.append(row)
        body = render_template(
            "providers/email/notification.txt",
            user=user,
            message=message,
            # Never the request's Host header: the sender of the request chooses it.
            link=absolute(link) if link else None,
        )
        session = db.session()  # the real Session behind the scoped proxy
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_OUTBOX, []).append(
            (transaction, f"CoopCare: {subject}", body, user.email)
        )
    return rows


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _send_outbox(session: sa.orm.Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT was released: not committed yet
        return
    for _transaction, subject, body, to in session.info.pop(_OUTBOX, []):
        try:
            EmailMessage(subject, body, to=[to]).send()
        except Exception:  # noqa: BLE001 - email trouble must not undo a committed decision
            log.exception("could not send %r to user", subject)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _drop_outbox(session: sa.orm.Session, previous_transaction: Any) -> None:
    """Forget emails about work that was rolled back."""
    if not previous_transaction.nested:
        session.info.pop(_OUTBOX, None)
    elif _OUTBOX in session.info:
        session.info[_OUTBOX] = [
            item for item in session.info[_OUTBOX] if item[0] is not previous_transaction
        ]


def unread(user: User, limit: int = 20) -> list[Notification]:
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


def mark_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
