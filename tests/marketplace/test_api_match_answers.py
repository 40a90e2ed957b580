"""A visitor's match answer kept per worker and catalog version (marketplace/api/answers.py)."""

from __future__ import annotations

import pytest

from marketplace.api import answers
from marketplace.api.answers import AnswerCache
from marketplace.extensions import db
from marketplace.models import User
from marketplace.search import services
from tests.marketplace.test_catalog_index import (  # noqa: F401 - the fixture
    _add_carer,
    _eventually,
    shared_database,
)


@pytest.fixture
def apps(shared_database):  # noqa: F811 - two apps ('workers') on one database
    return shared_database


BODY = {"postcode": "LS6 1AA", "max_distance_km": 10, "must_have": ["personal_care"]}


def _post(client, body=BODY):
    response = client.post("/api/v1/match", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_a_kept_answer_is_the_fresh_one_and_asked_again_is_not_ranked(apps, monkeypatch):
    first, second = apps
    _add_carer(second, "Ana")
    client = first.test_client()
    fresh = _post(client)
    assert "Ana" in fresh.get_data(as_text=True)
    assert len(answers.answer_cache(first)) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("a kept answer is not ranked again")

    monkeypatch.setattr(services, "search_carers", refuse)
    again = _post(first.test_client())
    assert again.get_data() == fresh.get_data()
    assert dict(again.headers) == dict(fresh.headers)
    # The same question written differently (the postcode in lower case, no space) too.
    assert _post(client, {**BODY, "postcode": "ls61aa"}).get_data() == fresh.get_data()
    monkeypatch.undo()

    # And what is kept is what the answer is with no cache at all.
    first.config["MATCH_ANSWER_CACHE"] = False
    try:
        assert _post(client).get_data() == fresh.get_data()
    finally:
        first.config["MATCH_ANSWER_CACHE"] = True
    # A different question is answered on its own.
    other = _post(client, {**BODY, "must_have": ["cooking"]})
    assert other.get_data() != fresh.get_data() and len(answers.answer_cache(first)) == 2


def test_a_catalog_change_is_answered_at_once(apps):
    first, second = apps
    _add_carer(second, "Ana")
    client = first.test_client()
    assert "Ben" not in _post(client).get_data(as_text=True)
    _add_carer(second, "Ben")
    assert _eventually(lambda: "Ben" in _post(client).get_data(as_text=True))
    # Only the new version's answer is kept.
    assert len(answers.answer_cache(first)) == 1


def test_a_logged_in_persons_answer_is_never_kept_nor_served_from_the_cache(apps, monkeypatch):
    first, second = apps
    _add_carer(second, "Ana")
    visitor = first.test_client()
    kept = _post(visitor).get_data()
    with first.app_context():
        user = User(email="p@example.org", password_hash="x", display_name="P")
        user.add_role("person")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    person = first.test_client()
    with person.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True

    served = []
    real_get = AnswerCache.get
    monkeypatch.setattr(AnswerCache, "get", lambda self, *a: served.append(a) or real_get(self, *a))
    ranked = []
    real_search = services.search_carers
    monkeypatch.setattr(
        services, "search_carers", lambda *a, **k: ranked.append(a) or real_search(*a, **k)
    )
    before = len(answers.answer_cache(first))
    _post(person)  # logged in (an account with no person profile yet)
    assert ranked and not served  # ranked for them, the cache not even asked
    assert len(answers.answer_cache(first)) == before
    assert _post(visitor).get_data() == kept and len(ranked) == 1  # the visitor's is kept


def test_the_cache_holds_its_bounds_in_entries_and_bytes():
    cache = AnswerCache(max_entries=3, max_bytes=800)
    for n in range(10):
        cache.put(1, n, b"x" * 90)
        assert len(cache) <= 3 and cache.bytes <= 800
    assert [k for k in cache.answers] == [7, 8, 9]
    assert cache.get(1, 7) == b"x" * 90  # used: now the most recent
    cache.put(1, 10, b"y" * 90)
    assert list(cache.answers) == [9, 7, 10]
    # Bytes: three of 100 bytes fit in 800 only so far as each is at most an eighth.
    assert cache.put(1, 11, b"z" * 101) is None and 11 not in cache.answers
    big = AnswerCache(max_entries=100, max_bytes=800)
    for n in range(20):
        big.put(1, n, b"w" * 100)
        assert big.bytes <= 800
    assert len(big) == 8 and big.bytes == sum(len(v) for v in big.answers.values())


def test_a_new_catalog_version_empties_the_cache():
    cache = AnswerCache(max_entries=10, max_bytes=10_000)
    cache.put((1, None), "q", b"old")
    assert cache.get((1, None), "q") == b"old"
    assert cache.get((2, None), "q") is None
    assert len(cache) == 0 and cache.bytes == 0
    cache.put((2, None), "q", b"new")
    assert cache.get((2, None), "q") == b"new"


@pytest.mark.parametrize("body", [{"postcode": "LS6 1AA", "limit": "x"}, {"postcode": "ZZ9 9ZZ"}])
def test_errors_are_never_kept(apps, body):
    first, second = apps
    _add_carer(second, "Ana")
    client = first.test_client()
    for _ in range(2):
        assert client.post("/api/v1/match", json=body).status_code in {404, 422}
    assert len(answers.answer_cache(first)) == 0
