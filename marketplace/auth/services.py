"""Accounts: registration, log in, password reset, export and deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mailman import EmailMessage
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace import DATABASE_ID_MAX, audit, link_tokens
from marketplace.extensions import db
from marketplace.links import public_url
from marketplace.models import AuditLog, User, utcnow
from marketplace.security import hash_password, needs_rehash, verify_password


class EmailTaken(ValueError):
    """An account already uses this email address."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str,
    password: str,
    display_name: str,
    roles: list[str],
    confirmed: bool = True,
    password_hash: str | None = None,
) -> User:
    """Create a user with the given roles. Raises EmailTaken.

    ``confirmed=False`` for self-registration: the account logs in only after its owner
    opens the link in the confirmation email.
    """
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        email=email,
        password_hash=password_hash or hash_password(password),
        display_name=display_name,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.flush()
    if "person" in roles:
        from marketplace.models import Person

        db.session.add(Person(user_id=user.id, display_name=display_name))
    audit.record("user.registered", actor_id=user.id, target=user, roles=sorted(roles))
    return user


# Mail that someone else can make us send to an address (a "someone tried to register"
# note, a reset link) goes at most this often to one account, whatever the sender's IP:
# the per-IP rate limit alone lets many addresses flood one inbox.
UNASKED_MAIL_PER_HOUR = {
    "user.registration_attempt_existing": 1,
    "user.password_reset_requested": 3,
}


def _may_mail(user: User, action: str) -> bool:
    """False when ``user`` was already sent this kind of mail as often as an hour allows."""
    since = utcnow() - timedelta(hours=1)
    sent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == action,
            AuditLog.target_type == "User",
            AuditLog.target_id == user.id,
            AuditLog.created_at >= since,
            AuditLog.detail["mailed"].as_boolean().is_not(False),
        )
    )
    return (sent or 0) < UNASKED_MAIL_PER_HOUR[action]


def register(email: str, password: str, display_name: str, role: str) -> None:
    """Self-registration that does not reveal whether the address has an account.

    Either way the page says "check your email", one password is hashed and one email
    is sent: a new address gets a link to confirm it (the account logs in only after
    that), an address that has an account gets a note saying someone tried to register
    with it. The caller commits.
    """
    # Hash first, whichever way this goes, so both take the time of one Argon2 hash.
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is not None:
        action = "user.registration_attempt_existing"
        if not _may_mail(existing, action):
            audit.record(action, actor_id=None, target=existing, mailed=False)
            return
        body = render_template(
            "email/register_existing.txt",
            user=existing,
            reset_link=public_url("auth.reset_password"),
            login_link=public_url("auth.login"),
        )
        EmailMessage(
            "Someone tried to register with your email address", body, to=[existing.email]
        ).send()
        audit.record(action, actor_id=None, target=existing, mailed=True)
        return
    user = create_user(
        email, password, display_name, [role], confirmed=False, password_hash=password_hash
    )
    send_email_confirmation(user)


def _confirmation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def _user_named_in(data: Any) -> User | None:
    """The account whose id a signed link's payload holds, or None."""
    if not isinstance(data, dict):
        return None
    user_id = data.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    if not 0 < user_id <= DATABASE_ID_MAX:
        return None
    return db.session.get(User, user_id)


def _email_digest(email: str) -> str:
    # The link is signed, not encrypted: it carries a keyed digest, never the address.
    return link_tokens.digest("confirm-email", email.strip().lower())


def make_confirmation_token(user: User) -> str:
    """The confirmation link's token: the account id and a digest of its address (so a
    link for an old address stops working when the address changes)."""
    return _confirmation_serializer().dumps({"id": user.id, "d": _email_digest(user.email)})


def send_email_confirmation(user: User) -> None:
    """Email the link that confirms the address and logs the new account in."""
    token = make_confirmation_token(user)
    days = current_app.config["EMAIL_CONFIRMATION_MAX_AGE"] // 86400
    body = render_template(
        "email/confirm_email.txt",
        user=user,
        link=public_url("auth.confirm_email", token=token),
        days=days,
    )
    EmailMessage("Confirm your email address for CoopCare", body, to=[user.email]).send()


def user_for_confirmation_token(token: str) -> User | None:
    """The account a confirmation link is for, or None when the link does not work."""
    try:
        data = _confirmation_serializer().loads(
            token, max_age=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    user = _user_named_in(data)
    if user is None or not link_tokens.same_digest(_email_digest(user.email), data.get("d")):
        return None
    return user


def confirm_email(user: User) -> bool:
    """Mark the address confirmed; False when it already was (the link was used)."""
    if user.email_confirmed_at is not None:
        return False
    user.email_confirmed_at = utcnow()
    audit.record("user.email_confirmed", actor_id=user.id, target=user)
    return True


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password these are, or None.

    An account whose address is not confirmed yet cannot log in; the right password
    sends the confirmation link again (the page says the same as for a wrong one, so
    it reveals nothing about the account).
    """
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so timing does not reveal accounts.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if user.email_confirmed_at is None:
        send_email_confirmation(user)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


_DUMMY_HASH = hash_password("not a real password, only for timing")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_digest(user: User) -> str:
    # A keyed digest of the password hash, not a piece of it: the link is readable.
    return link_tokens.digest("password-reset", user.password_hash)


def make_reset_token(user: User) -> str:
    # The digest makes a token single-use: it stops working once the password changes.
    return _serializer().dumps({"id": user.id, "h": _password_digest(user)})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = _user_named_in(data)
    if user is None or not link_tokens.same_digest(_password_digest(user), data.get("h")):
        return None
    return user


def send_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None:
        return
    action = "user.password_reset_requested"
    if not _may_mail(user, action):
        audit.record(action, actor_id=user.id, target=user, mailed=False)
        return
    link = public_url("auth.reset_password_token", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = render_template("email/reset_password.txt", user=user, link=link, minutes=minutes)
    EmailMessage("Reset your CoopCare password", body, to=[user.email]).send()
    audit.record(action, actor_id=user.id, target=user, mailed=True)


def set_password(user: User, password: str) -> None:
    """Change the password; from a reset link this also proves the address is theirs."""
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record("user.password_changed", actor_id=user.id, target=user)


def password_is_right(user: User, password: str) -> bool:
    """Ask for the password again before something that cannot be undone."""
    return bool(password) and verify_password(user.password_hash, password)


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
        from marketplace.shortlist.services import export_rows

        data["person"].update(export_rows(person))
        from marketplace.arrangements.services import export_rows as arrangement_rows

        data["person"].update(arrangement_rows(person))
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
