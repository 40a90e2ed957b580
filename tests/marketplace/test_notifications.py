"""The durable notification outbox, its delivery (in-process and by a real RQ worker),
and /notifications."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_mailman import EmailMessage
from qa_helpers import outbox, ready_provider

from marketplace import clock, notifications
from marketplace.extensions import db
from marketplace.models import Notification, OutboxEmail, utcnow
from marketplace.providers import qa
from marketplace.queue import get_queue

ROOT = Path(__file__).resolve().parents[2]


def _emails(user):
    return db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()


def _sent_to(app, user):
    return [m for m in outbox(app) if user.email in m.to]


class FailsOnce(EmailMessage):
    """The mail server refuses the first message, then recovers."""

    calls = 0

    def send(self, fail_silently=False):
        type(self).calls += 1
        if type(self).calls == 1:
            raise TimeoutError("the mail server took too long")
        return super().send(fail_silently)


@pytest.fixture
def fails_once(monkeypatch):
    FailsOnce.calls = 0
    monkeypatch.setattr(notifications, "EmailMessage", FailsOnce)
    return FailsOnce


def test_notification_and_email_are_written_with_the_change(app, make):
    user = make.user(roles=["provider_admin"])
    notifications.notify([user], "Your listing is back.", "/provider", "Your listing is back")
    (email,) = _emails(user)
    assert (email.status, email.to_address, email.subject) == (
        "pending",
        user.email,
        "CoopCare: Your listing is back",
    )
    assert "Your listing is back." in email.body and "/provider" in email.body
    assert email.notification_id == db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == user.id)
    )
    assert _sent_to(app, user) == []  # nothing leaves before the commit
    db.session.commit()
    # No queue configured: delivered in this process after the commit.
    assert len(_sent_to(app, user)) == 1
    db.session.refresh(email)
    assert (email.status, email.attempts) == ("sent", 1) and email.sent_at is not None


def test_a_rolled_back_change_leaves_no_notification_and_no_email(app, make):
    user = make.user(roles=["provider_admin"])
    with db.session.begin_nested() as savepoint:
        notifications.notify([user], "Never happened.", None, "Never")
        savepoint.rollback()
    db.session.commit()
    assert _emails(user) == [] and _sent_to(app, user) == []


def test_delivery_fails_once_is_retried_after_the_back_off_and_arrives_once(app, make, fails_once):
    user = make.user(roles=["provider_admin"])
    notifications.notify([user], "Hello.", None, "Hello")
    db.session.commit()  # the first attempt, after the commit, fails
    (email,) = _emails(user)
    db.session.refresh(email)
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.last_error == "TimeoutError: the mail server took too long"
    waited = email.next_attempt_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
    assert timedelta(seconds=25) < waited <= timedelta(seconds=30)
    assert _sent_to(app, user) == []
    assert notifications.deliver_due() == {"sent": 0, "skipped": 0, "failed": 0}  # not yet
    with clock.frozen(utcnow() + timedelta(seconds=31)):
        assert notifications.deliver_due() == {"sent": 1, "skipped": 0, "failed": 0}
    db.session.refresh(email)
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, "")
    assert len(_sent_to(app, user)) == 1 and fails_once.calls == 2
    # Delivering it again (a duplicate job, a second worker) sends nothing more.
    assert notifications.deliver(email.id) == "skipped"
    assert len(_sent_to(app, user)) == 1


def test_it_gives_up_after_the_retry_schedule(app, make, monkeypatch):
    class Down(EmailMessage):
        def send(self, fail_silently=False):
            raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(notifications, "EmailMessage", Down)
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", [0, 0])
    user = make.user(roles=["provider_admin"])
    notifications.notify([user], "Hello.", None, "Hello")
    db.session.commit()  # attempt 1
    assert notifications.deliver_due()["failed"] == 1  # attempt 2
    assert notifications.deliver_due()["failed"] == 1  # attempt 3: the last
    (email,) = _emails(user)
    db.session.refresh(email)
    assert (email.status, email.attempts) == ("failed", 3)
    assert notifications.deliver_due() == {"sent": 0, "skipped": 0, "failed": 0}


def test_a_claim_left_by_a_dead_worker_is_taken_again(app, make):
    user = make.user(roles=["provider_admin"])
    notifications.notify([user], "Hello.", None, "Hello")
    (email,) = _emails(user)
    email.status, email.claimed_at = "sending", utcnow()  # a worker claimed it, then died
    db.session.commit()
    assert notifications.deliver_due()["sent"] == 0  # it may still be sending
    with clock.frozen(utcnow() + timedelta(minutes=11)):
        assert notifications.deliver_due()["sent"] == 1
    assert len(_sent_to(app, user)) == 1


def test_qa_moves_write_to_the_outbox(app, make):
    admin, reviewer = make.user(roles=["provider_admin"]), make.user(roles=["reviewer"])
    provider = ready_provider(make, status="submitted", admin=admin)
    qa.transition(provider, "approve", reviewer)
    (email,) = _emails(admin)
    assert email.subject == "CoopCare: You are quality assured"
    db.session.commit()
    assert [m.subject for m in _sent_to(app, admin)] == ["CoopCare: You are quality assured"]


def test_enqueue_runs_a_periodic_job_at_once_without_a_queue(app, make):
    user = make.user(roles=["provider_admin"])
    address = user.email
    notifications.notify([user], "Hello.", None, "Hello")
    (email,) = _emails(user)
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    # Stand in for a crash between the commit and the hand-over.
    db.session().info.pop("coopcare_outbox_new")
    db.session.commit()
    assert _sent_to(app, user) == []
    result = app.test_cli_runner().invoke(args=["jobs", "enqueue", "deliver-due"])
    assert result.exit_code == 0 and "'sent': 1" in result.output
    assert len([m for m in outbox(app) if address in m.to]) == 1


# -- /notifications --------------------------------------------------------------------


def test_notifications_page_needs_a_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_people_see_their_own_notifications_and_mark_them_read(make, login):
    me, other = make.user(roles=["person"]), make.user(roles=["person"])
    notifications.notify([me], "Your introduction was accepted.", "/account", "Accepted")
    notifications.notify([other], "Someone else's news.", None, "Other")
    db.session.commit()
    client = login(me)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Your introduction was accepted." in page and "Someone else" not in page
    assert "You have 1 new notification." in page and 'href="/account"' in page
    assert "Mark all as read" in page
    assert '>1<span class="visually-hidden"> new</span>' in page  # the count in the header
    response = client.post("/notifications/read")
    assert response.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "You have read all your notifications." in page and "Mark all as read" not in page
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == other.id))
    db.session.refresh(note)
    assert note.read_at is None  # only mine were marked


def test_no_notifications_says_so(make, login):
    page = login(make.user(roles=["carer"])).get("/notifications").get_data(as_text=True)
    assert "You have no notifications." in page


# -- the Redis path: a real RQ worker process ------------------------------------------


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/4")
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisDown:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.mark.own_database
def test_a_real_worker_retries_a_failed_email_and_delivers_it_once(tmp_path):
    from flaky_mail import sent_messages
    from flask_migrate import upgrade
    from redis import Redis

    from marketplace import create_app
    from marketplace.config import TestConfig

    redis_url, queue = _redis_url(), f"coopcare-test-{uuid.uuid4().hex[:8]}"
    database, mail = tmp_path / "jobs.sqlite3", tmp_path / "mail"
    settings = {
        "DATABASE_URL": f"sqlite:///{database}",
        "JOBS_REDIS_URL": redis_url,
        "JOBS_QUEUE": queue,
        "MAIL_BACKEND": "flaky_mail.EmailBackend",
        "MAIL_FILE_PATH": str(mail),
    }

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = settings["DATABASE_URL"]
        JOBS_REDIS_URL = redis_url
        JOBS_QUEUE = queue
        OUTBOX_RETRY_SECONDS = [1, 1]

    app = create_app(Config)
    try:
        with app.app_context():
            upgrade()
            from factories import Factories

            user = Factories().user(roles=["provider_admin"], email="worker-test@example.org")
            notifications.notify([user], "Delivered by the worker.", "/provider", "Hello")
            db.session.commit()  # queued on Redis; nothing is sent in this process
            message_id = db.session.scalar(sa.select(OutboxEmail.id))
            assert not mail.exists()
            assert get_queue().count == 1

        env = {
            **os.environ,
            **settings,
            "FLASK_APP": "wsgi.py",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
        }

        def burst() -> None:
            subprocess.run(
                [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
                cwd=ROOT, env=env, check=True, timeout=120, capture_output=True,
            )  # fmt: skip

        burst()  # attempt 1 fails; RQ schedules the retry one second later
        assert (mail / "failed-once.marker").exists() and sent_messages(mail) == []
        with app.app_context():
            row = db.session.get(OutboxEmail, message_id)
            assert (row.status, row.attempts) == ("pending", 1)
            assert "mail server is not answering" in row.last_error
            db.session.remove()
        # The retry's back-off is RQ's scheduler: a worker starting after it moves it on.
        import time

        time.sleep(1.5)
        burst()
        messages = sent_messages(mail)
        assert len(messages) == 1 and "Delivered by the worker." in messages[0]
        assert "worker-test@example.org" in messages[0]
        with app.app_context():
            row = db.session.get(OutboxEmail, message_id)
            assert (row.status, row.attempts) == ("sent", 2)
            db.session.remove()
        burst()  # nothing left: still exactly one message
        assert len(sent_messages(mail)) == 1
    finally:
        connection = Redis.from_url(redis_url)
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)
        with app.app_context():
            db.engine.dispose()
