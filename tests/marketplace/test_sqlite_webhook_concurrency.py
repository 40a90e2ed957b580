"""Concurrent Stripe webhook deliveries on SQLite (what `make run` uses): each one reads
(has this event been seen?) and then writes. With SQLite's default deferred BEGIN two such
transactions cannot both upgrade to writing, and the loser fails at once with "database
is locked" whatever the busy timeout; a request that may write (not GET/HEAD/OPTIONS)
starts with BEGIN IMMEDIATE, so writers queue for the busy timeout instead."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from stripe_helpers import signed

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import WebhookEvent

DELIVERIES = 20


def _file_app(path: Path):
    class FileConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///" + str(path)
        RATELIMIT_ENABLED = False

    app = create_app(FileConfig)
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def _deliver_at_once(app, events: list[dict]) -> list[int]:
    start = threading.Barrier(len(events))
    statuses: list[int] = []
    guard = threading.Lock()

    def deliver(event: dict) -> None:
        body, header = signed(event)
        client = app.test_client()
        start.wait()
        response = client.post(
            "/payments/stripe/webhook",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        with guard:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def _event(n: int) -> dict:
    return {
        "id": f"evt_sqlite_race_{n}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": 1_700_000_000 + n,
        "data": {"object": {"id": f"pi_unknown_{n}", "object": "payment_intent",
                            "status": "succeeded", "amount": 100, "metadata": {}}},
    }  # fmt: skip


@pytest.mark.own_database
def test_twenty_webhooks_delivered_at_once_on_sqlite_are_all_stored(tmp_path: Path) -> None:
    """Twenty different events at the same moment, each on its own connection to one
    SQLite file: every delivery answers 200 and every event id is stored once."""
    app = _file_app(tmp_path / "race.sqlite3")
    events = [_event(n) for n in range(DELIVERIES)]
    statuses = _deliver_at_once(app, events)
    assert statuses == [200] * DELIVERIES
    with app.app_context():
        stored = db.session.scalars(sa.select(WebhookEvent.stripe_event_id)).all()
        db.engine.dispose()
    assert sorted(stored) == sorted(e["id"] for e in events)


@pytest.mark.own_database
def test_the_same_webhook_delivered_twenty_times_at_once_on_sqlite_is_stored_once(
    tmp_path: Path,
) -> None:
    """Stripe retrying while the first delivery is still running: all 200, one row."""
    app = _file_app(tmp_path / "replay.sqlite3")
    statuses = _deliver_at_once(app, [_event(7)] * DELIVERIES)
    assert statuses == [200] * DELIVERIES
    with app.app_context():
        stored = db.session.scalars(sa.select(WebhookEvent.stripe_event_id)).all()
        db.engine.dispose()
    assert stored == ["evt_sqlite_race_7"]


@pytest.mark.own_database
def test_only_requests_that_write_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """Only writers queue: a GET's transaction (and work outside a request) starts with a
    plain, deferred BEGIN, so readers never wait for the write lock."""
    app = _file_app(tmp_path / "read.sqlite3")
    seen: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        with app.test_request_context("/", method="GET"):
            db.session.execute(sa.text("select 1"))
            db.session.rollback()
        with app.test_request_context("/", method="POST"):
            db.session.execute(sa.text("select 1"))
            db.session.rollback()
        db.session.execute(sa.text("select 1"))
        db.session.rollback()
        db.engine.dispose()
    begins = [s for s in seen if s.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN"]
