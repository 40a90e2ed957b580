"""Shared fixtures: the app on a migrated database, a rolled-back session per test,
clients logged in as each role, and factories."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import factories
import parallel
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


# Under pytest-xdist each worker (gw0, gw1, ...) has its own PostgreSQL database
# (test_gw0 for TEST_DATABASE_URL=.../test): TestConfig, and the processes tests start
# (which inherit TEST_DATABASE_URL), use the worker's database.
parallel.use_worker_database(TestConfig)


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
        parallel.create_database_if_missing(url)
        reset_database(url)
        return url
    # tmp_path_factory's folders are per xdist worker, so each worker has its own file.
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
    _SHARED.drop()
    with app.app_context():
        db.engine.dispose()


class _SharedRows:
    """Rows that tests in a row share: built once in a savepoint of one connection, each
    test in its own savepoint above it, rolled back when a test that does not ask for
    them (or for other rows) comes, so no other test ever sees them.

    The permission matrix asks for the same world of users and records thousands of times
    (tests/marketplace/test_permission_matrix.py, `world`); building it once per run of
    tests, not once per test, is most of the suite's time."""

    def __init__(self) -> None:
        self.connection: sa.Connection | None = None
        self.outer: sa.RootTransaction | None = None
        self.rows: sa.NestedTransaction | None = None
        self.test: sa.NestedTransaction | None = None
        self.key: object = None
        self.value: object = None
        self.folder: Path | None = None

    def begin_test(self, engine: sa.Engine) -> sa.Connection:
        if self.connection is None or self.outer is None or not self.outer.is_active:
            self.drop()
            self.connection = engine.connect()
            self.outer = self.connection.begin()
        self.test = self.connection.begin_nested()
        return self.connection

    def end_test(self) -> None:
        try:
            if self.test is not None and self.test.is_active:
                self.test.rollback()
        except Exception:
            self.drop()  # a broken connection: start again with the next test
            raise
        finally:
            self.test = None

    def drop(self) -> None:
        """Roll every shared row back and give the connection back."""
        connection, self.connection = self.connection, None
        self.outer = self.rows = self.test = None
        self.key = self.value = self.folder = None
        if connection is not None:
            try:
                connection.rollback()
            finally:
                connection.close()


_SHARED = _SharedRows()


class SharedRows:
    """shared_rows.get(key, build) -> (value, folder): build(folder) runs once for tests in
    a row that give the same key, beneath each test's own savepoint. build must write
    through db.session only, and return plain values (ids), not ORM objects."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory

    def get(self, key: object, build: Callable[[Path], object]) -> tuple[object, Path]:
        shared = _SHARED
        assert shared.connection is not None, "shared_rows needs a db_session"
        if shared.key == key and shared.folder is not None:
            return shared.value, shared.folder
        # Built beneath this test's savepoint, which has nothing in it yet: shared_rows
        # is set up right after db_session, before anything of the test's own.
        db.session.remove()
        shared.end_test()
        if shared.rows is not None and shared.rows.is_active:
            shared.rows.rollback()
        shared.key = shared.value = shared.folder = None
        shared.rows = shared.connection.begin_nested()
        folder = self._tmp_path_factory.mktemp("shared-rows")
        try:
            value = build(folder)
            db.session.commit()  # into the shared savepoint, which stays open
        except BaseException:
            db.session.remove()
            shared.rows.rollback()
            shared.rows = None
            shared.test = shared.connection.begin_nested()
            raise
        db.session.remove()
        shared.key, shared.value, shared.folder = key, value, folder
        shared.test = shared.connection.begin_nested()
        return value, folder


@pytest.fixture(autouse=True)
def db_session(request: pytest.FixtureRequest) -> Iterator[sa.orm.scoped_session | None]:
    """Each test runs inside a transaction that is rolled back at the end."""
    wants_shared_rows = "shared_rows" in request.fixturenames
    if not wants_shared_rows:
        _SHARED.drop()
    if is_pure_test(request.path) or request.node.get_closest_marker("own_database"):
        # The pure cores and the browser tests (which use a live server) need no session.
        yield None
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        if wants_shared_rows:
            connection = _SHARED.begin_test(db.engine)
        else:
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
            if wants_shared_rows:
                _SHARED.end_test()
            else:
                if transaction.is_active:
                    transaction.rollback()
                connection.close()


@pytest.fixture
def shared_rows(
    db_session: sa.orm.scoped_session | None, tmp_path_factory: pytest.TempPathFactory
) -> SharedRows:
    """Rows built once for tests in a row that ask for the same key (see SharedRows)."""
    return SharedRows(tmp_path_factory)


def copy_client(app: Flask, client: FlaskClient) -> FlaskClient:
    """A new test client with `client`'s session cookie (who is logged in), so what one
    test's requests do to a client's cookies never reaches the next test."""
    fresh = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    if cookie is not None:
        fresh.set_cookie(name, cookie.value)
    return fresh


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
