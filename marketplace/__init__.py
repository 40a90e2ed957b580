"""CoopCare: find, choose and pay quality-assured co-operative carers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import IntegerConverter

from marketplace.config import DEV_PUBLIC_BASE_URL, DEV_SECRET_KEY, PROJECT_ROOT, Config

DATABASE_ID_MAX = 2**31 - 1  # ids are PostgreSQL integers: anything larger is a 500 there


class DatabaseIdConverter(IntegerConverter):
    """<int:…> in routes, capped at the largest 32-bit signed integer."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", DATABASE_ID_MAX)
        super().__init__(map, *args, **kwargs)


def database_id(text: str) -> int:
    """An id typed into a query string or form (``request.args.get("x", type=database_id)``):
    a whole number from 1 to DATABASE_ID_MAX, else ValueError, so Flask gives the default
    (None) instead of asking the database for a number it cannot hold."""
    value = int(text)
    if not 1 <= value <= DATABASE_ID_MAX:
        raise ValueError(f"not a database id: {text!r}")
    return value


def _check_production_config(app: Flask) -> None:
    """Refuse to start in production with settings that are only safe on a laptop."""
    if app.config["SECRET_KEY"] in {DEV_SECRET_KEY, "", None}:
        raise RuntimeError(
            "Refusing to start in production with the development SECRET_KEY. "
            "Set SECRET_KEY to a long random value."
        )
    public = urlsplit(app.config.get("PUBLIC_BASE_URL") or "")
    if (
        app.config.get("PUBLIC_BASE_URL") == DEV_PUBLIC_BASE_URL
        or public.scheme != "https"
        or (not public.hostname)
    ):
        raise RuntimeError(
            "Refusing to start in production without PUBLIC_BASE_URL: set it to the site's "
            "https address (links in emails are built from it)."
        )
    if app.config.get("RATELIMIT_ENABLED", True) and str(
        app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    ).startswith("memory://"):
        raise RuntimeError(
            "Refusing to start in production with rate limits counted in each worker's "
            "memory: set RATELIMIT_STORAGE_URI to Redis (redis://host:6379/0) so every "
            "worker shares the login limits."
        )
    if not app.config.get("TRUSTED_HOSTS"):
        # Only the public host name is served; a request naming another Host gets 400.
        app.config["TRUSTED_HOSTS"] = [public.hostname]


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the Flask application: config, extensions, blueprints, commands."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(config_class)
    if app.config.get("PRODUCTION"):
        _check_production_config(app)

    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )

    # Ids in URLs are database integers: a bigger number is simply not found (404),
    # rather than an overflow in the database driver.
    app.url_map.converters["int"] = DatabaseIdConverter

    from marketplace import (  # noqa: F401
        catalog_version,
        extensions,
        jobs,
        notifications,
        reviews_version,
        web,
    )

    extensions.init_app(app)
    web.init_app(app)
    notifications.init_app(app)
    jobs.init_app(app)

    from marketplace.admin import bp as admin_bp
    from marketplace.admin import councils_bp
    from marketplace.api import bp as api_bp
    from marketplace.arrangements import bp as arrangements_bp
    from marketplace.auth import bp as auth_bp
    from marketplace.billing import bp as billing_bp
    from marketplace.budgets import bp as budgets_bp
    from marketplace.carers import bp as carers_bp
    from marketplace.inbox import bp as inbox_bp
    from marketplace.introductions import bp as introductions_bp
    from marketplace.invoices import bp as invoices_bp
    from marketplace.invoices import provider_bp as provider_invoices_bp
    from marketplace.memberships import bp as memberships_bp
    from marketplace.memberships import provider_bp as provider_memberships_bp
    from marketplace.openreferral import bp as openreferral_bp
    from marketplace.pages import bp as pages_bp
    from marketplace.people import bp as people_bp
    from marketplace.providers import bp as providers_bp
    from marketplace.reviews import bp as reviews_bp
    from marketplace.search import bp as search_bp
    from marketplace.seo import bp as seo_bp
    from marketplace.shortlist import bp as shortlist_bp
    from marketplace.supporters import bp as supporters_bp
    from marketplace.teams import bp as teams_bp

    for blueprint in (
        pages_bp,
        auth_bp,
        search_bp,
        providers_bp,
        admin_bp,
        councils_bp,
        teams_bp,
        carers_bp,
        inbox_bp,
        introductions_bp,
        billing_bp,
        budgets_bp,
        people_bp,
        arrangements_bp,
        reviews_bp,
        supporters_bp,
        seo_bp,
        shortlist_bp,
        memberships_bp,
        provider_memberships_bp,
        invoices_bp,
        provider_invoices_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(openreferral_bp, url_prefix="/api/openreferral/v3")

    from marketplace import cli

    cli.init_app(app)
    return app
