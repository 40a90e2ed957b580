"""What each pytest-xdist worker keeps to itself: its PostgreSQL database, its sockets.

`make test` runs the suite on several workers (``-n``); each is a separate process with its
own session fixtures, so each needs a database no other worker resets or writes, and
servers on loopback ports no other worker can take. Without xdist nothing changes.
"""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def worker_name() -> str | None:
    """The xdist worker running this process ("gw0", "gw1", ...); None without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def worker_database_url(url: str, worker: str | None) -> str:
    """The worker's own PostgreSQL database: .../test becomes .../test_gw0.
    SQLite URLs (and no worker) are left as they are."""
    parsed = make_url(url)
    if worker is None or not parsed.drivername.startswith("postgresql"):
        return url
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def use_worker_database(test_config: type) -> None:
    """Point TEST_DATABASE_URL (read by TestConfig, inherited by subprocesses) at this
    worker's database."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = worker_name()
    if not url or worker is None:
        return
    base = os.environ.setdefault("TEST_DATABASE_URL_BASE", url)
    mine = worker_database_url(base, worker)
    os.environ["TEST_DATABASE_URL"] = mine
    test_config.SQLALCHEMY_DATABASE_URI = mine


def create_database_if_missing(url: str) -> None:
    """CREATE DATABASE for a worker's database that is not there yet, through the
    server's `postgres` database (PostgreSQL only)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                # The name comes from TEST_DATABASE_URL and the worker id, quoted anyway.
                quoted = conn.dialect.identifier_preparer.quote(parsed.database)
                try:
                    conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
                except sa.exc.ProgrammingError as error:
                    if "already exists" not in str(error):  # another run made it first
                        raise
    finally:
        admin.dispose()


def listening_socket() -> socket.socket:
    """A TCP socket bound to a free loopback port and listening, to hand to a server
    process (its file descriptor): the port is held from the moment it is chosen, so
    another worker's server cannot take it between choosing and binding."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
