"""Configuration read from the environment, with safe development defaults."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production, see create_app
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs name the old driver; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings for development and production, read from the environment."""

    PRODUCTION = _bool("COOPCARE_PRODUCTION") or os.environ.get("FLASK_ENV") == "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url(
        "sqlite:///" + str(PROJECT_ROOT / "instance" / "coopcare.sqlite3")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Sessions are signed cookies, so any worker can serve any request.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = PRODUCTION
    REMEMBER_COOKIE_SECURE = PRODUCTION
    WTF_CSRF_TIME_LIMIT = 3600 * 8

    # Counters must be shared by every gunicorn worker, or each worker allows the full
    # limit: Redis in production (refused otherwise); memory:// holds for one process.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    # If Redis goes away, count in each worker's memory rather than failing the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")
    # Council directories harvest the whole Open Referral feed (a list, then each service).
    OPENREFERRAL_RATE_LIMIT = os.environ.get("OPENREFERRAL_RATE_LIMIT", "600 per minute")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Messages on an introduction's thread, counted per account.
    MESSAGE_RATE_LIMIT = os.environ.get("MESSAGE_RATE_LIMIT", "10 per minute;100 per day")
    # Invitations send e-mail to an address the sender chooses: few per account (and per
    # IP address); services.py also caps how often one address is invited in a day.
    SUPPORTER_INVITE_RATE_LIMIT = os.environ.get(
        "SUPPORTER_INVITE_RATE_LIMIT", "5 per hour;20 per day"
    )
    # How long an invitation link to become a supporter works.
    SUPPORTER_INVITE_MAX_AGE = int(os.environ.get("SUPPORTER_INVITE_MAX_AGE", str(7 * 86400)))
    # Each request e-mails the provider's admins (and the carer): asking and withdrawing
    # in a loop must not flood their inboxes. Counted per account.
    INTRODUCTION_RATE_LIMIT = os.environ.get("INTRODUCTION_RATE_LIMIT", "5 per minute;30 per day")
    # Adding to a shortlist, per account (per address for a visitor): far more than anyone
    # choosing carers needs, far less than a script filling tables.
    SHORTLIST_RATE_LIMIT = os.environ.get("SHORTLIST_RATE_LIMIT", "30 per minute;300 per day")
    # Each report lands in the reviewers' moderation queue. Counted per account.
    REVIEW_REPORT_RATE_LIMIT = os.environ.get("REVIEW_REPORT_RATE_LIMIT", "5 per minute;20 per day")

    GEOCODER = os.environ.get("GEOCODER", "offline")
    # How often each worker checks the catalog version (and rebuilds in the background).
    CATALOG_REFRESH_SECONDS = float(os.environ.get("CATALOG_REFRESH_SECONDS", "1"))
    # After failed refreshes in a row (database down, build failing) the wait doubles,
    # up to this many seconds.
    CATALOG_REFRESH_MAX_BACKOFF_SECONDS = float(
        os.environ.get("CATALOG_REFRESH_MAX_BACKOFF_SECONDS", "60")
    )
    # How many proxies (nginx, a load balancer) sit in front of gunicorn; their
    # X-Forwarded-* headers are trusted so links and secure cookies use https.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    # Map tiles for the optional map on search results (the list is always the main view).
    # Empty turns the map off. Tiles are loaded by the visitor's browser.
    MAP_TILES_URL = os.environ.get(
        "MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )
    MAP_ATTRIBUTION = os.environ.get(
        "MAP_ATTRIBUTION",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    )
    # The site's public address. Every absolute link in an email is built from it, never
    # from the request's Host header (which whoever sends the request chooses).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", DEV_PUBLIC_BASE_URL)
    # Host names the site answers to; any other Host header gets 400 (Flask 3.1). In
    # production it defaults to the host of PUBLIC_BASE_URL; None allows any host.
    TRUSTED_HOSTS = _list("TRUSTED_HOSTS") or None
    # The quality team's address, published as assurer_email in the Open Referral feed
    # (never a reviewer's own address).
    QUALITY_TEAM_EMAIL = os.environ.get("QUALITY_TEAM_EMAIL", "quality@coopcare.invalid")

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    # The local test server's dialect (Plans, not Prices): set with STRIPE_API_BASE=localstripe.
    STRIPE_LOCALSTRIPE = _bool("STRIPE_LOCALSTRIPE")
    # Stripe Connect destination charges for card payments of provider invoices: the
    # platform's fee in basis points (250 = 2.5 %). Unset: off (the money stays with the
    # platform account); set (0 allowed): invoices of a provider with `stripe_account_id`
    # are paid to that account.
    STRIPE_CONNECT_FEE_BASIS_POINTS = (
        int(os.environ["STRIPE_CONNECT_FEE_BASIS_POINTS"])
        if os.environ.get("STRIPE_CONNECT_FEE_BASIS_POINTS")
        else None
    )
    # A card payment of an invoice Stripe has not settled after this long is asked about
    # by the billing run and, still unfinished, stopped at Stripe and released (its money
    # no longer held back from other payments). Stripe's Checkout page expires then too
    # (Stripe allows 30 minutes to 24 hours).
    CARD_PAYMENT_EXPIRY_MINUTES = int(os.environ.get("CARD_PAYMENT_EXPIRY_MINUTES", "60"))

    # Provider invoices (the billing run): approve a raised invoice nobody answered after
    # this many days (unset: never, the default); remind the person after
    # INVOICE_REMINDER_DAYS unanswered; tell both sides after INVOICE_DUNNING_DAYS
    # approved but unpaid.
    INVOICE_AUTO_APPROVE_DAYS = (
        int(os.environ["INVOICE_AUTO_APPROVE_DAYS"])
        if os.environ.get("INVOICE_AUTO_APPROVE_DAYS")
        else None
    )
    INVOICE_REMINDER_DAYS = int(os.environ.get("INVOICE_REMINDER_DAYS", "7"))
    INVOICE_DUNNING_DAYS = int(os.environ.get("INVOICE_DUNNING_DAYS", "14"))

    # Email: console in development (the message is printed), SMTP in production.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp" if PRODUCTION else "console")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "CoopCare <hello@coopcare.invalid>")
    MAIL_FILE_PATH = os.environ.get("MAIL_FILE_PATH")  # for MAIL_BACKEND=file
    # A slow mail server fails the attempt (and it is retried) instead of holding a worker.
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "20"))

    # Background jobs (marketplace/jobs.py): RQ on this Redis. Unset: e-mails are delivered
    # in-process after each commit and `flask jobs enqueue` runs jobs at once.
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL") or None
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "coopcare")
    # Seconds to wait before each retry of an e-mail that failed: 6 attempts over ~1.7 hours.
    OUTBOX_RETRY_SECONDS = [30, 120, 600, 1800, 3600]
    # A message claimed this long ago by a worker that never finished is tried again.
    OUTBOX_STALE_CLAIM_SECONDS = 600

    PASSWORD_RESET_MAX_AGE = 3600
    EMAIL_CONFIRMATION_MAX_AGE = 3 * 86400
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(PROJECT_ROOT / "instance" / "uploads"))
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    # Where each catalog version is written once and memory-mapped by every worker
    # (marketplace/catalog.py); default instance/catalog. A local disk or tmpfs.
    CATALOG_STORE_DIR = os.environ.get("CATALOG_STORE_DIR") or None


class TestConfig(Config):
    """Settings for the test suite: its own database, no CSRF, in-memory email."""

    TESTING = True
    PRODUCTION = False
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "locmem"
    JOBS_REDIS_URL = None
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    SERVER_NAME = None
    PUBLIC_BASE_URL = "https://coopcare.example"
    MAP_TILES_URL = ""  # no tiles from the internet in tests
    # Uploaded evidence goes to a throwaway folder, never the developer's instance/.
    UPLOAD_FOLDER = tempfile.mkdtemp(prefix="coopcare-test-uploads-")
    CATALOG_STORE_DIR = tempfile.mkdtemp(prefix="coopcare-test-catalog-")
