"""Shared fixtures: the app on a migrated database, a rolled-back session per test,
clients logged in as each role, and factories."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import factories
import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db

PURE_TEST_DIRS = {"matching", "payments", "e2e"}
TESTS_ROOT = Path(__file__).resolve().parent


def is_pure_test(path: Path) -> bool:
    """Is the test under tests/matching, tests/payments or tests/e2e? Only the part of the
    path below tests/ counts: a checkout in a folder named `payments` is not one."""
    return bool(PURE_TEST_DIRS.intersection(path.resolve().relative_to(TESTS_ROOT).parts[:1]))


def reset_database(url: str) -> None:
    """Drop everything so migrations start from an empty database."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        reset_database(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)

    @app.before_request
    def _forget_cached_user() -> None:
        # db_session keeps one app context open for the whole test, and requests reuse
        # it, so Flask-Login's cached user in `g` would leak from one client to the next.
        g.pop("_login_user", None)

    with app.app_context():
        upgrade()
        from marketplace.vocabulary import sync_vocabulary

        sync_vocabulary()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session(request: pytest.FixtureRequest) -> Iterator[sa.orm.scoped_session | None]:
    """Each test runs inside a transaction that is rolled back at the end."""
    if is_pure_test(request.path) or request.node.get_closest_marker("own_database"):
        # The pure cores and the browser tests (which use a live server) need no session.
        yield None
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain session bound to the connection: Flask-SQLAlchemy's own session would
        # pick the engine by table and step outside the test's transaction.
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(app: Flask) -> Callable[..., FlaskClient]:
    """login(user) -> a test client with that user logged in."""

    def _login(user) -> FlaskClient:
        test_client = app.test_client()
        with test_client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return test_client

    return _login


@pytest.fixture
def make(app: Flask) -> factories.Factories:
    """Factories for every model: make.user(...), make.provider(...), ..."""
    return factories.Factories()


@pytest.fixture(params=factories.ROLE_NAMES)
def role_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def as_role(make: factories.Factories, login: Callable[..., FlaskClient]):
    """as_role("reviewer") -> a client logged in as a new user with that role."""

    def _as(role: str) -> FlaskClient:
        return login(make.user(roles=[role]))

    return _as
