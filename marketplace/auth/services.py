"""Accounts: registration, log in, password reset, export and deletion."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mailman import EmailMessage
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace import audit
from marketplace.extensions import db
from marketplace.links import public_url
from marketplace.models import AuditLog, User, utcnow
from marketplace.security import hash_password, needs_rehash, verify_password


class EmailTaken(ValueError):
    """An account already uses this email address."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, display_name: str, roles: list[str]) -> User:
    """Create a user with the given roles. Raises EmailTaken."""
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=email, password_hash=hash_password(password), display_name=display_name)
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.flush()
    if "person" in roles:
        from marketplace.models import Person

        db.session.add(Person(user_id=user.id, display_name=display_name))
    audit.record("user.registered", actor_id=user.id, target=user, roles=sorted(roles))
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password these are, or None."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so timing does not reveal accounts.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


_DUMMY_HASH = hash_password("not a real password, only for timing")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The hash fragment makes a token single-use: it stops working once the password changes.
    return _serializer().dumps({"id": user.id, "h": user.password_hash[-16:]})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("id"))
    if user is None or user.password_hash[-16:] != data.get("h"):
        return None
    return user


def send_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None:
        return
    link = public_url("auth.reset_password_token", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = render_template("email/reset_password.txt", user=user, link=link, minutes=minutes)
    EmailMessage("Reset your CoopCare password", body, to=[user.email]).send()
    audit.record("user.password_reset_requested", actor_id=user.id, target=user)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    audit.record("user.password_changed", actor_id=user.id, target=user)


def export_user_data(user: User) -> dict[str, Any]:
    """Everything we hold about the user, as JSON-ready data."""
    person = user.person
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "roles": sorted(user.roles),
            "created_at": user.created_at.isoformat(),
        }
    }
    if person is not None:
        data["person"] = {
            "display_name": person.display_name,
            "postcode": person.postcode,
            "district": person.district,
            "care_council_code": person.care_council_code,
            "funding_route": person.funding_route,
            "max_distance_km": person.max_distance_km,
            "must_have": person.must_have,
            "nice_to_have": person.nice_to_have,
            "interests": person.interests,
            "languages": person.languages,
            "preferences": person.preferences,
            "budgets": [
                {
                    "care_council_code": budget.care_council_code,
                    "funding_route": budget.funding_route,
                    "amount_pence": budget.amount_pence,
                    "period": budget.period,
                    "account_type": budget.account_type,
                    "allowed_categories": budget.allowed_categories,
                    "starts_on": budget.starts_on.isoformat(),
                    "review_on": budget.review_on.isoformat() if budget.review_on else None,
                }
                for budget in person.budgets
            ],
            "consent_grants": [
                {
                    "supporter": grant.supporter.display_name,
                    "scopes": grant.scopes,
                    "starts_at": grant.starts_at.isoformat(),
                    "ends_at": grant.ends_at.isoformat() if grant.ends_at else None,
                    "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
                }
                for grant in person.consent_grants
            ],
        }
    rows = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.actor_user_id == user.id).order_by(AuditLog.id)
    )
    data["activity"] = [{"at": row.created_at.isoformat(), "action": row.action} for row in rows]
    return data


def budget_summaries(user: User) -> list[dict[str, Any]]:
    """The person's budgets in words, for their account page."""
    from marketplace import geo
    from marketplace.models.budgets import SPENDING_CATEGORIES
    from marketplace.models.people import FUNDING_ROUTES

    person = user.person
    if person is None:
        return []
    summaries = []
    for budget in person.budgets:
        try:
            council = geo.care_council(budget.care_council_code).name
        except KeyError:
            council = budget.care_council_code
        summaries.append(
            {
                "council": council,
                "route": FUNDING_ROUTES[budget.funding_route],
                "amount_pence": budget.amount_pence,
                "period": budget.period_label,
                "account": budget.account_type_label,
                "categories": [SPENDING_CATEGORIES.get(c, c) for c in budget.allowed_categories],
                "starts_on": budget.starts_on,
                "review_on": budget.review_on,
            }
        )
    return summaries


def delete_account(user: User) -> None:
    """Delete the account and the person's profile; the audit trail keeps no name."""
    audit.record("user.deleted", actor_id=None, target=user)
    db.session.delete(user)
