"""Real races on PostgreSQL: two connections answer one request at the same moment (one
wins), and both sides say yes after meeting at the same moment (it ends agreed, once)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.extensions import db
from marketplace.introductions import services
from marketplace.models import (
    AuditLog,
    Carer,
    Introduction,
    Notification,
    OutboxEmail,
    Person,
    Provider,
    ProviderAdmin,
    User,
    WorkflowEvent,
)
from marketplace.workflow import IllegalMove

SOON = f"{clock.today() + timedelta(days=30):%Y-%m-%d}T10:00"  # a time to meet, next month


def _setup(app, status: str) -> dict[str, int]:
    tag = str(time.time_ns())
    with app.app_context():
        users = {}
        for name, role in (("person", "person"), ("admin", "provider_admin"), ("carer", "carer")):
            user = User(
                email=f"race-{name}-{tag}@example.org", password_hash="x", display_name=name
            )
            user.add_role(role)
            users[name] = user
        provider = Provider(name=f"Race Co-op {tag}", legal_form="worker_coop", qa_status="draft")
        db.session.add_all([*users.values(), provider])
        db.session.flush()
        person = Person(user_id=users["person"].id, display_name="Race", postcode="LS6 1AA",
                        district="LS6", care_council_code="E08000035")  # fmt: skip
        carer = Carer(provider_id=provider.id, display_name="Race C.", user_id=users["carer"].id)
        db.session.add_all(
            [person, carer, ProviderAdmin(provider_id=provider.id, user_id=users["admin"].id)]
        )
        db.session.flush()
        introduction = Introduction(
            person_id=person.id, provider_id=provider.id, carer_id=carer.id, message="Hello",
            status=status, remind_on=datetime(2026, 12, 8).date(),
            expires_on=datetime(2026, 12, 15).date(), meeting_options=["2026-12-03T10:00"],
            meeting_at=datetime(2026, 11, 30, 10, tzinfo=UTC) if status == "meeting" else None,
        )  # fmt: skip
        db.session.add(introduction)
        db.session.commit()
        ids = {name: user.id for name, user in users.items()}
        ids.update(provider=provider.id, person_id=person.id, introduction=introduction.id)
        db.session.remove()
    return ids


def _cleanup(app, ids: dict[str, int]) -> None:
    with app.app_context():
        user_ids = [ids["person"], ids["admin"], ids["carer"]]
        for statement in (
            sa.delete(OutboxEmail).where(OutboxEmail.user_id.in_(user_ids)),
            sa.delete(Notification).where(Notification.user_id.in_(user_ids)),
            sa.delete(WorkflowEvent).where(WorkflowEvent.subject_id == ids["introduction"]),
            sa.delete(AuditLog).where(AuditLog.actor_user_id.in_(user_ids)),
            sa.delete(Introduction).where(Introduction.id == ids["introduction"]),
            sa.delete(Carer).where(Carer.provider_id == ids["provider"]),
            sa.delete(ProviderAdmin).where(ProviderAdmin.provider_id == ids["provider"]),
            sa.delete(Person).where(Person.id == ids["person_id"]),
            sa.delete(User).where(User.id.in_(user_ids)),
            sa.delete(Provider).where(Provider.id == ids["provider"]),
        ):
            db.session.execute(statement)
        db.session.commit()
        db.session.remove()


def _race(app, work) -> list[str]:
    barrier = threading.Barrier(2)
    results: list[str] = []

    def run(who: str) -> None:
        with app.app_context():
            try:
                results.append(work(who, barrier))
                db.session.commit()
            except IllegalMove:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(who,)) for who in ("admin", "carer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _skip_unless_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent connections: PostgreSQL (SQLite queues writers)")


@pytest.mark.own_database
def test_two_answers_at_once_one_wins(app, database_url):
    _skip_unless_postgres(database_url)
    ids = _setup(app, "requested")
    try:

        def answer(who: str, barrier: threading.Barrier) -> str:
            introduction = db.session.get(Introduction, ids["introduction"])
            actor = db.session.get(User, ids[who])
            _ = introduction.status, introduction.person.user  # both see it waiting
            barrier.wait()
            if who == "admin":
                services.move(introduction, "accept", actor, meeting_options=[SOON])
                return "accepted"
            services.move(introduction, "decline", actor, decline_reason="not_a_good_match")
            return "declined"

        results = _race(app, answer)
        assert len(results) == 2 and results.count("refused") == 1
        winner = next(result for result in results if result != "refused")
        with app.app_context():
            introduction = db.session.get(Introduction, ids["introduction"])
            assert introduction.status == winner
            moves = db.session.scalars(
                sa.select(WorkflowEvent.move).where(WorkflowEvent.subject_id == ids["introduction"])
            ).all()
            assert moves == [{"accepted": "accept", "declined": "decline"}[winner]]
            db.session.remove()
    finally:
        _cleanup(app, ids)


@pytest.mark.own_database
def test_both_sides_say_yes_at_once_and_it_is_agreed(app, database_url):
    _skip_unless_postgres(database_url)
    ids = _setup(app, "meeting")
    try:

        def yes(who: str, barrier: threading.Barrier) -> str:
            introduction = db.session.get(Introduction, ids["introduction"])
            actor = db.session.get(User, ids["person" if who == "carer" else "admin"])
            _ = introduction.status, introduction.person.user
            barrier.wait()
            return "agreed" if services.say_yes(introduction, actor) else "waiting"

        results = _race(app, yes)
        assert sorted(results) == ["agreed", "waiting"]
        with app.app_context():
            introduction = db.session.get(Introduction, ids["introduction"])
            assert introduction.status == "agreed" and introduction.contact_shared_at
            db.session.remove()
    finally:
        _cleanup(app, ids)
