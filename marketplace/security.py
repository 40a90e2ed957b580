"""Role checks, password hashing and the password policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

F = TypeVar("F", bound=Callable[..., Any])

# Argon2id with the library's (RFC 9106 low-memory) defaults.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# OWASP ASVS 2.1.1 asks for at least 12 characters; 2.1.7 for a check against breached
# and common passwords. zxcvbn (Dropbox's estimator) ships frequency lists of leaked
# passwords, English words, names and keyboard patterns, and sees "Password1234!" and
# "qwertyuiop123" for what they are, which a plain list of whole passwords does not.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
# zxcvbn refuses longer input (its matching is slow on long strings); a password whose
# first 72 characters are hard to guess is hard to guess.
_ZXCVBN_MAX_LENGTH = 72
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline attack".
PASSWORD_MIN_SCORE = 3
PASSWORD_ADVICE = "Try 3 or 4 words that have nothing to do with each other."


def password_problem(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why this password is not allowed, in plain English, or None when it is fine.

    ``user_inputs`` are the person's own details (email, name): a password made of
    them is easy to guess for anyone who knows the person.
    """
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Your password must be at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Your password must be {PASSWORD_MAX_LENGTH} characters or fewer"
    inputs = [value.strip().lower() for value in user_inputs if value and value.strip()]
    # The parts too: "sam" and "jones" from "Sam Jones", "sam.jones" from the email.
    inputs += [value.split("@", 1)[0] for value in inputs if "@" in value]
    inputs += [part for value in inputs for part in re.split(r"[\s.@_+-]+", value) if part]
    if any(password.strip().lower() == value for value in inputs):
        return "Your password must not be your email address or your name"
    result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=inputs)
    if result["score"] >= PASSWORD_MIN_SCORE:
        return None
    warning = (result["feedback"].get("warning") or "").strip().rstrip(".")
    reason = {
        "This is a top-10 common password": "it is one of the most used passwords",
        "This is a top-100 common password": "it is one of the most used passwords",
        "This is a very common password": "it is a very common password",
        "This is similar to a commonly used password": "it is like a commonly used password",
    }.get(warning, warning[:1].lower() + warning[1:] if warning else "")
    if not reason and any(value and value in password.lower() for value in inputs):
        reason = "it contains your email address or your name"
    message = "Your password is too easy to guess"
    return f"{message}: {reason}. {PASSWORD_ADVICE}" if reason else f"{message}. {PASSWORD_ADVICE}"
