"""What emailed links may carry.

A link ends up in server access logs, browser history and proxies, and a signed
itsdangerous token is only signed, not encrypted (its payload is base64 JSON anyone can
read). So a link carries no personal data: either a random secret whose SHA-256 alone
is stored (invitations), or a signed payload of ids and keyed digests (confirmation and
password-reset links), never an address or anything it can be read back from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

# 32 random bytes: 43 URL-safe characters. Anything longer than this is not one of ours.
SECRET_BYTES = 32
MOST_SECRET_CHARS = 100


def new_secret() -> str:
    """A random secret for a single-use link."""
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    """What is stored for a link's secret: a copy of the table gives no working links."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def looks_like_secret(secret: str | None) -> bool:
    """A cheap first check before looking a secret up."""
    return bool(secret) and len(secret) <= MOST_SECRET_CHARS


def digest(purpose: str, value: str, length: int = 16) -> str:
    """A short keyed digest of ``value`` to put in a signed link instead of the value.

    Keyed (HMAC with the app's secret key and the purpose) because a plain SHA-256 of an
    email address is read back by hashing guessed addresses; the link only needs to
    tell "the same value" from "a different one".
    """
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:length]


def same_digest(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected, given)
