"""gunicorn settings, read from the working directory (``gunicorn wsgi:app``).

Workers come from ``--workers`` or ``WEB_CONCURRENCY`` (gunicorn's own default). The app
is loaded once in the master (``preload_app``), which also builds the matching catalog
before forking: the workers then share the imported code and the catalog's memory
instead of each building its own copy at its first request.
"""

from __future__ import annotations

import gc

preload_app = True


def when_ready(server):  # type: ignore[no-untyped-def]
    """Build the catalog in the master, then leave nothing the workers must not share."""
    app = server.app.wsgi()
    # benchmarks/hello.py runs under these settings too: it has no catalog.
    if "sqlalchemy" in getattr(app, "extensions", {}):
        from marketplace.catalog import warm_catalog
        from marketplace.extensions import db

        warm_catalog(app)
        with app.app_context():
            # A forked worker must never reuse the master's database connections.
            db.engine.dispose()
    # Objects made so far live as long as the process: keep the garbage collector from
    # writing to them (which would copy their pages into every worker). The catalog
    # itself is memory-mapped from its store, shared through the page cache.
    gc.collect()
    gc.freeze()
