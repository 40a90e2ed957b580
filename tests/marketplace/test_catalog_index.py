"""The matching index built from the database, and its per-worker cache."""

from __future__ import annotations

import re
import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import catalog as catalog_module
from marketplace import create_app, geo
from marketplace.catalog import (
    build_catalog,
    cache_builds,
    get_catalog,
    refresh_catalog,
    stop_refresher,
)
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import Carer, CarerCheck, Provider, TeamMember, utcnow
from marketplace.shortlist import services as shortlist_services


def test_index_holds_only_listed_located_carers(make):
    provider = make.provider()
    listed = make.carer(provider, display_name="Listed")
    make.carer(provider, display_name="Paused", active=False)
    make.carer(provider, display_name="Nowhere", lat=None, lon=None)
    make.carer(make.provider(qa_status="submitted"), display_name="Unapproved")
    team = make.team(provider)
    db.session.add(TeamMember(team_id=team.id, carer_id=listed.id, seat=1))
    db.session.flush()

    catalog = build_catalog()
    assert set(catalog.carers) == {listed.id}
    assert catalog.size == 1
    card = catalog.carers[listed.id]
    assert card.display_name == "Listed" and card.district == "LS6"
    assert card.provider_name == provider.name and card.team_id == team.id
    candidate = catalog.index.candidates[catalog.index.position_of[listed.id]]
    assert candidate.skills == frozenset({"personal_care", "cooking"})
    assert candidate.availability == frozenset({"mon-am", "tue-pm"})


def test_catalog_is_built_once_per_request(app, make):
    make.carer()
    with app.test_request_context("/"):
        first = get_catalog()
        assert get_catalog() is first


@pytest.fixture
def shared_database(tmp_path, monkeypatch):
    """Two apps (two 'workers') on one file database, outside the test transaction."""
    url = "sqlite:///" + str(tmp_path / "shared.sqlite3")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        CATALOG_CACHE = True
        CATALOG_REFRESH_SECONDS = 0.05

    # The suite swaps db.session for a rolled-back one; these apps need a real session.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    first, second = create_app(Config), create_app(Config)
    with first.app_context():
        upgrade()
        db.session.remove()
    yield first, second
    for app in (first, second):
        stop_refresher(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _add_carer(app, name: str, bump: bool = True) -> None:
    """Add a listed carer. Through the session the catalog version is bumped by itself;
    ``bump=False`` writes on a bare connection, as a process outside the app would."""
    with app.app_context():
        provider_id = db.session.scalar(sa.select(Provider.id))
        if provider_id is None:
            provider = Provider(
                name="Shared Co-op",
                legal_form="worker_coop",
                qa_status="approved",
                approved_at=utcnow(),
            )
            db.session.add(provider)
            db.session.commit()
            provider_id = provider.id
        carer = {
            "provider_id": provider_id,
            "display_name": name,
            "district": "LS6",
            "lat": 53.82,
            "lon": -1.57,
            "public_lat": geo.public_point("LS6").lat,
            "public_lon": geo.public_point("LS6").lon,
            "skills": ["personal_care"],
            "interests": [],
            "languages": [],
            "travel_radius_km": 8.0,
            "care_certificate": False,
            "active": True,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        checks = [
            {
                "kind": kind,
                "status": "verified",
                "scheme": "dbs" if kind == "criminal_record" else None,
                "level": "enhanced" if kind == "criminal_record" else None,
                "certificate_number": "001234567890" if kind == "criminal_record" else None,
                "issued_on": date(2025, 1, 2) if kind == "criminal_record" else None,
                "update_service": True,
                "verified_at": utcnow(),
                "declared_at": utcnow(),
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for kind in ("criminal_record", "right_to_work")
        ]

        def write(execute) -> None:
            carer_id = execute(sa.insert(Carer.__table__).values(carer)).inserted_primary_key[0]
            execute(sa.insert(CarerCheck.__table__), [{**c, "carer_id": carer_id} for c in checks])

        if bump:
            write(db.session.execute)
            db.session.commit()
        else:
            with db.engine.begin() as connection:
                write(connection.execute)
        db.session.remove()


def _names(app) -> set[str]:
    with app.test_request_context("/"):
        names = {card.display_name for card in get_catalog().carers.values()}
    with app.app_context():
        db.session.remove()
    return names


def _eventually(check, seconds: float = 5.0) -> bool:
    """True as soon as check() is; False if it still is not after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_cache_is_invalidated_across_app_instances(shared_database):
    first, second = shared_database
    _add_carer(second, "Ana")
    assert _names(first) == {"Ana"} and cache_builds(first) == 1
    time.sleep(0.3)  # several refresh checks: nothing changed, nothing rebuilt
    assert _names(first) == {"Ana"} and cache_builds(first) == 1  # cached

    # Another worker changes a row without bumping the version: still cached here.
    _add_carer(second, "Unbumped", bump=False)
    time.sleep(0.3)
    assert _names(first) == {"Ana"} and cache_builds(first) == 1

    # A bump from the other worker: this one rebuilds in the background within moments.
    _add_carer(second, "Ben")
    assert _eventually(lambda: _names(first) == {"Ana", "Unbumped", "Ben"})
    assert cache_builds(first) == 2
    assert _names(second) == {"Ana", "Unbumped", "Ben"} and cache_builds(second) == 1


def test_no_request_waits_for_a_rebuild(shared_database, monkeypatch):
    first, second = shared_database
    _add_carer(second, "Ana")
    assert _names(first) == {"Ana"}

    # Hold the next build until the test says so: requests meanwhile get the old catalog.
    building, release = threading.Event(), threading.Event()
    real_build = catalog_module.build_catalog

    def slow_build(key=None):
        building.set()
        assert release.wait(10)
        return real_build(key)

    monkeypatch.setattr(catalog_module, "build_catalog", slow_build)
    _add_carer(second, "Zebedee")
    try:
        assert building.wait(5), "the refresher did not notice the new catalog version"
        started = time.monotonic()
        assert _names(first) == {"Ana"}  # the previous catalog, at once
        client = first.test_client()
        page = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
        assert "Ana" in page and "Zebedee" not in page
        assert time.monotonic() - started < 2
    finally:
        release.set()
    assert _eventually(lambda: _names(first) == {"Ana", "Zebedee"})


def test_refresh_rebuilds_only_when_the_version_changed(shared_database):
    first, second = shared_database
    stop_refresher(first)
    _add_carer(second, "Ana")
    assert refresh_catalog(first) is True
    assert refresh_catalog(first) is False
    _add_carer(second, "Ben")
    assert refresh_catalog(first) is True and cache_builds(first) == 2


def test_a_failed_refresh_keeps_the_previous_catalog(shared_database, monkeypatch):
    first, second = shared_database
    _add_carer(second, "Ana")
    assert _names(first) == {"Ana"}
    failures = []
    real_build = catalog_module.build_catalog

    def broken(key=None):
        failures.append(key)
        raise RuntimeError("database went away")

    monkeypatch.setattr(catalog_module, "build_catalog", broken)
    monkeypatch.setattr(first.logger, "exception", lambda *args, **kwargs: None)
    _add_carer(second, "Ben")
    assert _eventually(lambda: len(failures) >= 2)  # logged, and tried again
    assert _names(first) == {"Ana"}
    monkeypatch.setattr(catalog_module, "build_catalog", real_build)
    assert _eventually(lambda: _names(first) == {"Ana", "Ben"})


def test_home_page_counts_follow_the_catalog(shared_database):
    first, second = shared_database
    _add_carer(second, "Ana")
    client = first.test_client()
    assert "1 carers are listed" in client.get("/").get_data(as_text=True)

    # Not a catalog change: the page keeps its counts (no COUNT per visit).
    _add_carer(second, "Unbumped", bump=False)
    time.sleep(0.3)
    assert "1 carers are listed" in client.get("/").get_data(as_text=True)

    _add_carer(second, "Ben")
    assert _eventually(lambda: "3 carers are listed" in client.get("/").get_data(as_text=True))


def test_search_uses_the_rebuilt_catalog(shared_database):
    first, second = shared_database
    _add_carer(second, "Cara")
    client = first.test_client()
    assert "Cara" in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    _add_carer(second, "Dev")
    assert _eventually(
        lambda: "Dev" in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    )


def test_gunicorn_master_builds_the_catalog_before_forking(shared_database):
    import gc
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    first, second = shared_database
    _add_carer(second, "Ana")
    settings = runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
    assert settings["preload_app"] is True
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: first))
    try:
        settings["when_ready"](server)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert cache_builds(first) == 1
    with first.app_context():
        # The master keeps no connection a forked worker could share.
        assert db.engine.pool.checkedin() == 0
    assert _names(first) == {"Ana"} and cache_builds(first) == 1  # no build at request


def test_one_process_publishes_and_every_worker_maps_it(shared_database):
    """The default builder: a separate low-priority process writes the new version to
    the store; each app maps it read-only (no Python object per carer)."""
    from pathlib import Path

    import numpy as np

    first, second = shared_database
    for app in (first, second):
        stop_refresher(app)
        app.config["CATALOG_BUILDER"] = "process"
        app.config["CATALOG_BUILD_NICE"] = 0
    _add_carer(second, "Ana")
    assert refresh_catalog(first) is True
    assert refresh_catalog(second) is True  # published already: mapped, not rebuilt
    root = catalog_module.store_root(first)
    assert root == catalog_module.store_root(second)
    assert len(list(root.glob("v*-*"))) == 1
    with first.test_request_context("/"):
        catalog = get_catalog()
        assert isinstance(catalog.path, Path) and catalog.path.parent == root
        assert not catalog.index.keys.flags.writeable
        assert isinstance(catalog.index.keys, np.ndarray)
        (card,) = catalog.carers.values()
        assert card.display_name == "Ana" and card.district == "LS6"
    with first.app_context():
        db.session.remove()
    stop_refresher(first)  # (the request started it again: refresh by hand below)
    _add_carer(second, "Ben")
    assert refresh_catalog(second) is True and _names(second) == {"Ana", "Ben"}
    assert refresh_catalog(first) is True and _names(first) == {"Ana", "Ben"}
    assert len(list(root.glob("v*-*"))) == 2


def test_home_page_for_everyone_is_shared_but_never_a_message(shared_database):
    first, second = shared_database
    _add_carer(second, "Ana")
    client = first.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "1 carers are listed" in page and client.get("/").get_data(as_text=True) == page
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your message was sent")]
    assert "Your message was sent" in client.get("/").get_data(as_text=True)
    assert "Your message was sent" not in client.get("/").get_data(as_text=True)
    other = first.test_client()
    assert "Your message was sent" not in other.get("/").get_data(as_text=True)
    assert "csrf_token" not in page


def _carer_id(app, name: str) -> int:
    with app.test_request_context("/"):
        found = [c.id for c in get_catalog().carers.values() if c.display_name == name]
    with app.app_context():
        db.session.remove()
    return found[0]


def test_carer_page_profile_is_kept_per_catalog_version_and_never_a_visitors_own(
    shared_database,
):
    first, second = shared_database
    _add_carer(second, "Ana")
    ana = _carer_id(first, "Ana")
    statements: list[str] = []
    with first.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client = first.test_client()
        page = client.get(f"/carers/{ana}").get_data(as_text=True)
        assert '<h1 class="heading-xl">Ana</h1>' in page and "Travels up to" in page
        statements.clear()
        assert client.get(f"/carers/{ana}").status_code == 200
        # Kept: no carer, check, provider or team query (the reviews are asked each time).
        assert not [s for s in statements if "FROM carers" in s or "carer_checks" in s]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    # Each visitor's own shortlist state and CSRF token, never another's.
    with client.session_transaction() as session:
        session["shortlist"] = [f"carer-{ana}"]
    mine = client.get(f"/carers/{ana}").get_data(as_text=True)
    other = first.test_client()
    theirs = other.get(f"/carers/{ana}").get_data(as_text=True)
    assert "On your shortlist" in mine and "Remove<span" in mine
    assert "On your shortlist" not in theirs and "Add<span" in theirs

    def token(html: str) -> str:
        return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    assert token(mine) != token(theirs)

    # A change to the carer that is not a catalog change: still the kept profile.
    with first.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.update(Carer.__table__).where(Carer.id == ana).values(bio="Unbumped bio")
        )
    assert "Unbumped bio" not in other.get(f"/carers/{ana}").get_data(as_text=True)
    # A catalog change (any carer edit through the app bumps it): the new profile.
    with second.app_context():
        db.session.get(Carer, ana).bio = "Loves long walks"
        db.session.commit()
        db.session.remove()
    assert _eventually(
        lambda: "Loves long walks" in other.get(f"/carers/{ana}").get_data(as_text=True)
    )
    # No longer listed: gone with the next catalog.
    with second.app_context():
        db.session.get(Carer, ana).active = False
        db.session.commit()
        db.session.remove()
    assert _eventually(lambda: other.get(f"/carers/{ana}").status_code == 404)


def test_a_shared_fragment_never_holds_a_csrf_token(app, monkeypatch):
    from marketplace.search import views

    template = app.jinja_env.from_string(
        '{% block facts %}<input name="csrf_token" value="{{ csrf_token() }}">{% endblock %}'
    )
    monkeypatch.setattr(app.jinja_env, "get_template", lambda name: template)
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="CSRF"):
        views._public_blocks("search/_carer_public.html")


def test_search_page_providers_and_badges_follow_the_catalog(shared_database):
    first, second = shared_database
    _add_carer(second, "Ana")
    client = first.test_client()
    page = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert "Shared Co-op" in page and "Checks confirmed" in page
    # Kept with the catalog: a change that bumps nothing is not seen ...
    with first.app_context(), db.engine.begin() as connection:
        connection.execute(sa.update(Provider.__table__).values(name="Unbumped Co-op"))
    time.sleep(0.3)
    assert "Unbumped Co-op" not in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    # ... a provider edit through the app is a catalog change: seen within moments.
    with second.app_context():
        db.session.scalar(sa.select(Provider)).name = "Renamed Co-op"
        db.session.commit()
        db.session.remove()
    assert _eventually(
        lambda: "Renamed Co-op" in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    )


def test_refresh_backs_off_while_it_fails_and_recovers(shared_database, monkeypatch):
    """A database that is down (or a build that fails) is not asked every second by
    every worker: the wait doubles after each failure, up to a ceiling, and is back to
    normal after the first success."""
    assert catalog_module.refresh_delay(1.0, 0, 60.0) == 1.0
    assert [catalog_module.refresh_delay(1.0, n, 60.0) for n in (1, 2, 3, 6, 7, 500)] == [
        2.0,
        4.0,
        8.0,
        60.0,
        60.0,
        60.0,
    ]
    first, second = shared_database
    _add_carer(second, "Ana")
    assert _names(first) == {"Ana"}
    stop_refresher(first)
    attempts: list[float] = []
    real_key = catalog_module.catalog_key

    def database_down():
        attempts.append(time.monotonic())
        raise sa.exc.OperationalError("SELECT version", {}, Exception("connection refused"))

    monkeypatch.setattr(catalog_module, "catalog_key", database_down)
    monkeypatch.setattr(first.logger, "exception", lambda *args, **kwargs: None)
    first.config["CATALOG_REFRESH_MAX_BACKOFF_SECONDS"] = 0.4
    _names(first)  # a request starts the refresher (every 0.05 s)
    time.sleep(1.5)
    # Without back-off: about 30 tries. With it: 0.05, 0.1, 0.2, 0.4, 0.4, 0.4 ... s apart.
    assert 3 <= len(attempts) <= 8
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[-1] >= 0.3 and max(gaps) < 1.0  # capped
    monkeypatch.setattr(catalog_module, "catalog_key", real_key)
    _add_carer(second, "Ben")
    assert _eventually(lambda: _names(first) == {"Ana", "Ben"})


def test_a_version_published_by_another_builder_is_kept(tmp_path, app, make):
    """Two builders of one version (one whose parent died holding the lock): the
    second finds the folder complete and keeps it instead of failing."""
    make.carer()
    with app.test_request_context("/"):
        catalog = build_catalog()
    target = tmp_path / "v1"
    catalog_module.save_catalog(catalog, target)
    catalog_module.save_catalog(catalog, target)  # no error
    assert catalog_module.load_catalog(target).size == catalog.size
    assert [p.name for p in tmp_path.iterdir()] == ["v1"]  # no .writing- folder left


def _reviewed(app) -> dict[str, int]:
    """A listed carer, their team and provider with one published review: the ids of
    each ("carer", "team", "provider"), of the review, a moderator, the reviewer's user
    and the provider's admin."""
    import arrangements_helpers as ah
    import factories

    from marketplace.reviews import services as review_services

    with app.app_context():
        make = factories.Factories()
        s = ah.setup(make)
        arrangement = ah.started(s)
        review = review_services.write(
            arrangement, {"respect": 5, "listening": 4}, "Ana is lovely.", s.person_user
        )
        moderator = make.user(roles=["reviewer"])
        db.session.commit()
        found = {
            "carer": s.carers[0].id,
            "team": s.team.id,
            "provider": s.provider.id,
            "review": review.id,
            "moderator": moderator.id,
            "author": s.person_user.id,
            "admin": s.admin.id,
        }
        db.session.remove()
    return found


def _reviewed_carer(app) -> tuple[int, int, int, int]:
    """A listed carer with one published review: (carer id, review id, moderator id,
    reviewer's user id)."""
    found = _reviewed(app)
    return found["carer"], found["review"], found["moderator"], found["author"]


def _another_review(app, ids: dict[str, int], text: str) -> None:
    """Another person's arrangement with the same team (and carer) started and reviewed."""
    import arrangements_helpers as ah
    import factories

    from marketplace.models import Carer, Provider, Team, User
    from marketplace.reviews import services as review_services

    with app.app_context():
        make = factories.Factories()
        carer = db.session.get(Carer, ids["carer"])
        person_user = make.user(roles=["person"], display_name="Bo Lee")
        s = ah.Setup(
            db.session.get(Provider, ids["provider"]),
            db.session.get(User, ids["admin"]),
            db.session.get(Team, ids["team"]),
            [carer],
            [],
            person_user.person,
            person_user,
        )
        review_services.write(ah.started(s), {"respect": 3}, text, person_user)
        db.session.commit()
        db.session.remove()


def _moderate(app, review_id: int, moderator_id: int, move: str) -> None:
    """What the moderation page does (REVIEW_WORKFLOW, then commit), in ``app``."""
    from marketplace.models import Review, User
    from marketplace.reviews.services import REVIEW_WORKFLOW

    with app.app_context():
        review = db.session.get(Review, review_id)
        REVIEW_WORKFLOW.move(review, move, db.session.get(User, moderator_id), reason="Test")
        db.session.commit()
        db.session.remove()


def test_carer_page_reviews_are_kept_until_a_review_changes(shared_database):
    """The reviews on a carer's page are kept (no query on a warm page) until the reviews
    version moves: a hidden review is gone at once from the worker that hid it, and from
    every other worker within moments; never kept for someone logged in."""
    first, second = shared_database
    carer_id, review_id, moderator_id, author_id = _reviewed_carer(first)
    url = f"/carers/{carer_id}"
    visitor, other = first.test_client(), second.test_client()
    page = visitor.get(url).get_data(as_text=True)
    assert "Ana is lovely." in page and "4.5 out of 5, from 1 review." in page
    assert "Ana is lovely." in other.get(url).get_data(as_text=True)

    statements: list[str] = []
    with first.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert "Ana is lovely." in visitor.get(url).get_data(as_text=True)
        # (The refresher thread may read the reviews version meanwhile.)
        assert not [s for s in statements if re.search(r"\bFROM reviews\b", s)], statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    # Hidden by a moderator on the first worker: gone there at once, and soon everywhere.
    _moderate(first, review_id, moderator_id, "hide")
    page = visitor.get(url).get_data(as_text=True)
    assert "Ana is lovely." not in page and "No reviews yet." in page
    assert _eventually(lambda: "Ana is lovely." not in other.get(url).get_data(as_text=True))
    # Shown again on the second worker: there at once, and soon on the first.
    _moderate(second, review_id, moderator_id, "restore")
    assert "Ana is lovely." in other.get(url).get_data(as_text=True)
    assert _eventually(lambda: "Ana is lovely." in visitor.get(url).get_data(as_text=True))

    # Someone logged in gets their own section (a link to report it), never the kept one;
    # and the kept one never holds what they saw.
    someone = first.test_client()
    with someone.session_transaction() as session:
        session["_user_id"] = str(moderator_id)
        session["_fresh"] = True
    assert "Report this review" in someone.get(url).get_data(as_text=True)
    assert "Report this review" not in first.test_client().get(url).get_data(as_text=True)
    # The author does not get a link to report their own review.
    author = first.test_client()
    with author.session_transaction() as session:
        session["_user_id"] = str(author_id)
        session["_fresh"] = True
    mine = author.get(url).get_data(as_text=True)
    assert "Ana is lovely." in mine and "Report this review" not in mine


@pytest.mark.parametrize("kind", ["team", "provider"])
def test_team_and_provider_page_reviews_are_kept_until_a_review_changes(shared_database, kind):
    """As on a carer's page: a warm visitor's team or provider page asks no query of
    reviews; a hidden review is gone and a new one there at once on the worker that
    wrote it and within moments on the others; someone logged in gets their own."""
    first, second = shared_database
    ids = _reviewed(first)
    url = f"/{kind}s/{ids[kind]}"
    visitor, other = first.test_client(), second.test_client()
    page = visitor.get(url).get_data(as_text=True)
    assert "Ana is lovely." in page and "4.5 out of 5, from 1 review." in page
    assert "Ana is lovely." in other.get(url).get_data(as_text=True)

    statements: list[str] = []
    with first.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert "Ana is lovely." in visitor.get(url).get_data(as_text=True)
        # (The refresher thread may read the reviews version meanwhile.)
        asked = [s for s in statements if re.search(r"\b(FROM|JOIN) review(s|_ratings)\b", s)]
        assert not asked, asked
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    _moderate(first, ids["review"], ids["moderator"], "hide")
    page = visitor.get(url).get_data(as_text=True)
    assert "Ana is lovely." not in page and "No reviews yet." in page
    assert "aggregateRating" not in page
    assert _eventually(lambda: "Ana is lovely." not in other.get(url).get_data(as_text=True))

    _another_review(second, ids, "Bo says the team is kind.")
    assert "Bo says the team is kind." in other.get(url).get_data(as_text=True)
    assert _eventually(
        lambda: "Bo says the team is kind." in visitor.get(url).get_data(as_text=True)
    )
    assert "3.0 out of 5, from 1 review." in visitor.get(url).get_data(as_text=True)
    if kind == "provider":  # schema.org's rating moves with the reviews too
        rating = re.search(
            r'"aggregateRating":\s*(\{[^}]*\})', visitor.get(url).get_data(as_text=True)
        )
        assert rating is not None and re.search(r'"ratingValue":\s*3(\.0)?\b', rating.group(1))

    someone = first.test_client()
    with someone.session_transaction() as session:
        session["_user_id"] = str(ids["moderator"])
        session["_fresh"] = True
    assert "Report this review" in someone.get(url).get_data(as_text=True)
    assert "Report this review" not in first.test_client().get(url).get_data(as_text=True)


def test_team_and_provider_pages_keep_their_carers_per_catalog_version(shared_database):
    """The team's members and the provider's carers are read once per catalog version (no
    carer, member or check query on a warm page), and a carer who stops being listed
    is gone from both pages within moments on every worker."""
    from marketplace.models import Carer

    first, second = shared_database
    ids = _reviewed(first)
    team_url, provider_url = f"/teams/{ids['team']}", f"/providers/{ids['provider']}"
    visitor, other = first.test_client(), second.test_client()
    for client in (visitor, other):
        team_page = client.get(team_url).get_data(as_text=True)
        assert "Bea T.</a>" in team_page and "3 of at most 12 people" in team_page
        assert "Bea T.</a>" in client.get(provider_url).get_data(as_text=True)

    statements: list[str] = []
    with first.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert "Bea T.</a>" in visitor.get(team_url).get_data(as_text=True)
        assert "Bea T.</a>" in visitor.get(provider_url).get_data(as_text=True)
        asked = [
            s for s in statements if re.search(r"\bFROM (carers|team_members|carer_checks)\b", s)
        ]
        assert not asked, asked
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    with second.app_context():
        bea = db.session.scalar(sa.select(Carer).where(Carer.display_name == "Bea T."))
        bea.active = False
        db.session.commit()
        db.session.remove()
    for client in (other, visitor):
        assert _eventually(lambda c=client: "Bea T." not in c.get(team_url).get_data(as_text=True))
        assert "2 of at most 12 people" in client.get(team_url).get_data(as_text=True)
        assert _eventually(
            lambda c=client: "Bea T." not in c.get(provider_url).get_data(as_text=True)
        )
        assert "Ana S.</a>" in client.get(provider_url).get_data(as_text=True)


def test_reviews_version_moves_with_every_review_change(app, make):
    """Written, answered, reported, hidden, shown again, a new version agreed: each moves
    the reviews version (in the same transaction); a carer edit does not."""
    import arrangements_helpers as ah

    from marketplace.arrangements import services as arrangement_services
    from marketplace.reviews import services as review_services
    from marketplace.reviews_version import current_reviews_version

    s = ah.setup(make)
    arrangement = ah.started(s)
    seen = [current_reviews_version()]

    def moved() -> bool:
        db.session.flush()
        seen.append(current_reviews_version())
        return seen[-1] > seen[-2]

    review = review_services.write(arrangement, {"respect": 5}, "Lovely.", s.person_user)
    assert moved()
    review_services.reply(review, "Thank you", s.admin)
    assert moved()
    assert review_services.report(review, "It names someone", make.user(roles=["person"]))
    assert moved()
    moderator = make.user(roles=["reviewer"])
    review_services.REVIEW_WORKFLOW.move(review, "hide", moderator, reason="Names a family")
    assert moved()
    review_services.REVIEW_WORKFLOW.move(review, "restore", moderator, reason="Agreed")
    assert moved()
    # A new version of the terms with another carer: the review is now about them.
    version = arrangement_services.propose_change(
        arrangement, ah.terms(s, carer_ids=(s.carers[1].id,)), s.admin
    )
    moved()
    arrangement_services.decide(arrangement, version.number, "accept", s.person_user)
    assert moved()
    assert arrangement.agreed_version == version.number
    s.carers[2].bio = "Not about reviews"
    db.session.flush()
    seen.append(current_reviews_version())
    assert seen[-1] == seen[-2]


def test_search_form_sections_are_shared_only_as_on_an_empty_form(shared_database):
    # The form's long lists are kept per catalog version while nothing in them is chosen
    # (search_form_section); a chosen, wrong or changed choice is never served from there.
    from marketplace.models import VocabularyTerm

    first, second = shared_database
    _add_carer(second, "Ana")
    client = first.test_client()

    def page(query: str = "") -> str:
        return client.get("/search?postcode=LS6+1AA" + query).get_data(as_text=True)

    def care_box(html: str) -> str:
        return re.search(r'<input [^>]*name="skill"[^>]*value="personal_care"[^>]*>', html)[0]

    plain = page()
    assert "checked" not in care_box(plain) and "Help you must have (1 chosen)" not in plain
    with first.test_request_context("/"):
        kept = get_catalog().fragments["search_form_section"]
        assert any(key[0] == "skill" for key in kept)
    chosen = page("&skill=personal_care")
    assert "checked" in care_box(chosen) and "Help you must have (1 chosen)" in chosen
    wrong = page("&skill=nonsense")
    assert "Choose help from the list" in wrong
    assert '<details class="filter-group" open>\n    <summary>Help you must have' in wrong
    again = page()
    assert "checked" not in care_box(again) and "Choose help from the list" not in again
    # A label changed in the vocabulary shows with the next catalog version.
    with second.app_context():
        db.session.add(
            VocabularyTerm(kind="skill", slug="personal_care", label="Washing and dressing")
        )
        db.session.commit()
        db.session.remove()
    _add_carer(second, "Ben")
    assert _eventually(lambda: 'for="skill">Washing and dressing</label>' in page())


def _csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]*)"', html))


def test_a_visitors_search_page_is_shared_but_the_csrf_token_is_their_own(shared_database):
    # Visitors asking the same address share one rendered page per catalog version;
    # each gets the CSRF token of their own session, which their shortlist button posts.
    first, second = shared_database
    _add_carer(second, "Ana")
    first.config["WTF_CSRF_ENABLED"] = True
    path = "/search?postcode=LS6+1AA&interest=music"
    one, two = first.test_client(), first.test_client()
    page_one = one.get(path).get_data(as_text=True)
    page_two = two.get(path).get_data(as_text=True)
    with first.test_request_context("/"):
        kept = get_catalog().fragments["search_page"]
        assert [key for key in kept if key.endswith(path)]
        assert all("<coopcare-csrf-token>" in entry[1] for entry in kept.values())
    (token_one,), (token_two,) = _csrf_tokens(page_one), _csrf_tokens(page_two)
    assert token_one != token_two and "<coopcare-csrf-token>" not in page_two
    assert page_two.replace(token_two, token_one) == page_one
    ana = _carer_id(first, "Ana")
    add = {"item": f"carer-{ana}", "next": path}
    assert two.post("/shortlist/add", data={**add, "csrf_token": token_one}).status_code == 400
    assert two.post("/shortlist/add", data={**add, "csrf_token": token_two}).status_code == 302
    # Now the visitor has a shortlist: their page is their own ("Remove", the count).
    own = two.get(path).get_data(as_text=True)
    assert "Remove<span" in own and 'Your shortlist <span class="tag tag-blue">1' in own
    assert "Remove<span" not in one.get(path).get_data(as_text=True)
    # A message waiting is shown, not a kept page without it.
    with two.session_transaction() as session:
        session["_flashes"] = [("success", "A message for you")]
    assert "A message for you" in two.get(path).get_data(as_text=True)


def test_a_shared_search_page_follows_the_catalog_and_not_other_addresses(shared_database):
    first, second = shared_database
    _add_carer(second, "Ana")
    client = first.test_client()
    music = client.get("/search?postcode=LS6+1AA&interest=music").get_data(as_text=True)
    assert "Ana" in music and "Enjoys: music" in music.replace("Music", "music")
    other = client.get("/search?postcode=LS6+1AA&interest=gardening").get_data(as_text=True)
    assert "Enjoys: gardening" in other.replace("Gardening", "gardening")
    assert "Enjoys: music" not in other.replace("Music", "music")
    _add_carer(second, "Dev")
    assert _eventually(
        lambda: "Dev" in client.get("/search?postcode=LS6+1AA&interest=music").get_data(True)
    )


def test_only_a_visitor_with_nothing_of_their_own_shares_search_pages(shared_database):
    from flask import session

    from marketplace.search import views

    first, _ = shared_database
    with first.test_request_context("/search?postcode=LS6+1AA"):
        assert views._shared_page_key() is not None
    with first.test_request_context("/search?postcode=LS6+1AA"):
        session["shortlist"] = ["carer-1"]
        assert views._shared_page_key() is None
    # A page with a CSRF token not this request's, or its own headers, is not kept.
    with first.test_request_context("/search"):
        assert views._shareable(("page", 200, {})) is None
        assert views._shareable('<input name="csrf_token" value="someone-elses">') is None
        assert views._shareable("<p>&lt;coopcare-csrf-token&gt;</p>") is not None


def test_shared_search_pages_kept_are_bounded(shared_database, monkeypatch):
    from marketplace.search import views

    first, second = shared_database
    _add_carer(second, "Ana")
    monkeypatch.setattr(views, "SHARED_SEARCH_PAGES", 2)
    client = first.test_client()
    for radius in (5, 6, 7):
        assert client.get(f"/search?postcode=LS6+1AA&radius_km={radius}").status_code == 200
    with first.test_request_context("/"):
        kept = get_catalog().fragments["search_page"]
        assert [key.rsplit("=", 1)[1] for key in kept] == ["6", "7"]


def test_home_page_for_everyone_never_shows_one_visitors_shortlist(shared_database):
    """The header's "Your shortlist (n)" belongs to one visitor: a visitor with a
    shortlist gets their own page, and the page kept for everyone never carries it (it
    did: the first visitor's count was shown to the next)."""
    first, second = shared_database
    _add_carer(second, "Ana")
    keeper = first.test_client()
    with keeper.session_transaction() as session:
        session[shortlist_services.SESSION_KEY] = [f"carer-{_carer_id(first, 'Ana')}"]
    assert "Your shortlist" in keeper.get("/").get_data(as_text=True)
    other = first.test_client()
    assert "Your shortlist" not in other.get("/").get_data(as_text=True)
    assert "Your shortlist" in keeper.get("/").get_data(as_text=True)
