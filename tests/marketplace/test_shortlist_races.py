"""The shortlist's cap holds under real concurrency (PostgreSQL, two connections): two
adds at the same moment to a list with one place left add one, and the other is told the
list is full. The same lock keeps saved searches within their cap."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    Carer,
    Person,
    Provider,
    SavedSearch,
    ShortlistEntry,
    User,
)
from marketplace.models.shortlists import SAVED_SEARCHES_MAX, SHORTLIST_MAX
from marketplace.shortlist import saved_searches, services


def _skip_unless_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent connections: PostgreSQL (SQLite queues writers)")


def _setup(app, carers: int) -> dict[str, object]:
    tag = str(time.time_ns())
    with app.app_context():
        user = User(email=f"race-short-{tag}@example.org", password_hash="x", display_name="R")
        user.add_role("person")
        provider = Provider(name=f"Race List {tag}", legal_form="worker_coop", qa_status="draft")
        db.session.add_all([user, provider])
        db.session.flush()
        person = Person(user_id=user.id, display_name="Race", postcode="LS6 1AA",
                        district="LS6", care_council_code="E08000035")  # fmt: skip
        db.session.add(person)
        rows = [Carer(provider_id=provider.id, display_name=f"C{i}") for i in range(carers)]
        db.session.add_all(rows)
        db.session.flush()
        ids = {"user": user.id, "person": person.id, "provider": provider.id}
        ids["carers"] = [carer.id for carer in rows]
        db.session.commit()
        db.session.remove()
    return ids


def _cleanup(app, ids) -> None:
    with app.app_context():
        for statement in (
            sa.delete(AuditLog).where(AuditLog.actor_user_id == ids["user"]),
            sa.delete(ShortlistEntry).where(ShortlistEntry.person_id == ids["person"]),
            sa.delete(SavedSearch).where(SavedSearch.person_id == ids["person"]),
            sa.delete(Carer).where(Carer.provider_id == ids["provider"]),
            sa.delete(Person).where(Person.id == ids["person"]),
            sa.delete(User).where(User.id == ids["user"]),
            sa.delete(Provider).where(Provider.id == ids["provider"]),
        ):
            db.session.execute(statement)
        db.session.commit()
        db.session.remove()


def _race(app, work, runs: int = 2) -> list[str]:
    barrier = threading.Barrier(runs)
    results: list[str] = []

    def run(n: int) -> None:
        with app.app_context():
            try:
                results.append(work(n, barrier))
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.own_database
def test_two_adds_at_once_to_the_last_place_add_one(app, database_url):
    _skip_unless_postgres(database_url)
    ids = _setup(app, SHORTLIST_MAX + 1)
    try:
        with app.app_context():
            person = db.session.get(Person, ids["person"])
            shortlist = services.PersonShortlist(person)
            for carer_id in ids["carers"][: SHORTLIST_MAX - 1]:
                shortlist.add(services.Item("carer", carer_id), actor_id=ids["user"])
            db.session.commit()
            db.session.remove()
        last_two = ids["carers"][SHORTLIST_MAX - 1 :]

        def add(n: int, barrier: threading.Barrier) -> str:
            person = db.session.get(Person, ids["person"])
            shortlist = services.PersonShortlist(person)
            assert shortlist.count() == SHORTLIST_MAX - 1  # both see one place left
            barrier.wait()
            return shortlist.add(services.Item("carer", last_two[n]), actor_id=ids["user"])

        results = _race(app, add)
        assert sorted(results) == sorted([services.AddResult.ADDED, services.AddResult.FULL])
        with app.app_context():
            count = sa.select(sa.func.count()).where(ShortlistEntry.person_id == ids["person"])
            assert db.session.scalar(count) == SHORTLIST_MAX
            db.session.remove()
    finally:
        _cleanup(app, ids)


@pytest.mark.own_database
def test_two_saves_at_once_stay_within_the_saved_search_cap(app, database_url):
    _skip_unless_postgres(database_url)
    ids = _setup(app, 0)
    try:
        with app.app_context():
            person = db.session.get(Person, ids["person"])
            for km in range(1, SAVED_SEARCHES_MAX):
                saved_searches.save(
                    person, saved_searches.Criteria.of("LS6", km), actor_id=ids["user"]
                )
            db.session.commit()
            db.session.remove()

        def save(n: int, barrier: threading.Barrier) -> str:
            person = db.session.get(Person, ids["person"])
            _ = len(saved_searches.saved_searches(person))
            barrier.wait()
            criteria = saved_searches.Criteria.of("LS6", 20 + n)
            try:
                saved_searches.save(person, criteria, actor_id=ids["user"])
            except saved_searches.TooMany:
                db.session.rollback()
                return "too many"
            return "saved"

        assert sorted(_race(app, save)) == ["saved", "too many"]
        with app.app_context():
            count = sa.select(sa.func.count()).where(SavedSearch.person_id == ids["person"])
            assert db.session.scalar(count) == SAVED_SEARCHES_MAX
            db.session.remove()
    finally:
        _cleanup(app, ids)
