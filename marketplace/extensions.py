"""Flask extensions, created unbound and bound in create_app()."""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as BaseLoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from marketplace.models.base import Base


class LoginManager(BaseLoginManager):
    """Flask-Login, finding a visitor at once when the session is empty and there is no
    remember-me cookie (nothing else can name a user here: no request or header loader),
    instead of first hashing the address and browser for session protection, on every
    such request (an API call, say). The session is still read, so 'Vary: Cookie' stays."""

    def _load_user(self) -> None:
        if (
            self._request_callback is None
            and self._header_callback is None
            and not session
            and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            not in request.cookies
        ):
            self._update_request_context_with_user()
            return
        super()._load_user()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
mail = Mail()


def init_app(app: Flask) -> None:
    """Bind every extension to the app."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        os.makedirs(os.path.dirname(uri.removeprefix("sqlite:///")) or ".", exist_ok=True)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _make_sqlite_behave(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()),
        render_as_batch=True,
        compare_type=True,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)


def _migrations_dir() -> str:
    from marketplace.config import PROJECT_ROOT

    return str(PROJECT_ROOT / "migrations")


_configured_engines: set[int] = set()


# How long a writer waits for SQLite's single write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15_000
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_begin_statement() -> str:
    """BEGIN IMMEDIATE for a request that may write, plain BEGIN otherwise.

    SQLite's default (deferred) BEGIN takes the write lock only at the first write. Two
    transactions that both read and then write (a webhook: "seen this event?", then
    insert it) cannot both upgrade: in WAL mode the loser's snapshot is stale and it fails
    at once with "database is locked", which the busy timeout does not help. Taking the
    write lock at BEGIN makes writers queue (for up to the busy timeout) instead. That is
    done for requests with a method that writes (forms, Stripe's webhooks); page views
    (GET, HEAD, OPTIONS) keep the deferred BEGIN so readers never queue, and so does work
    outside a request (the CLI, the tests' own sessions), which runs one at a time."""
    if has_request_context() and request.method not in _READ_ONLY_METHODS:
        return "BEGIN IMMEDIATE"
    return "BEGIN"


def _make_sqlite_behave(engine: sa.Engine) -> None:
    """Foreign keys on, WAL, real transactions (so savepoints work in tests), and write
    transactions that take the write lock when they start (`_sqlite_begin_statement`)."""
    if id(engine) in _configured_engines:
        return
    _configured_engines.add(id(engine))

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let SQLAlchemy issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(_sqlite_begin_statement())
