"""Carer profiles, pausing, and invitations to link a carer's own account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mailman import EmailMessage

from marketplace import audit, geo, link_tokens
from marketplace.carers import checks
from marketplace.choices import Day, DayPart, PersonGroup, Pet, SupportKind
from marketplace.extensions import db
from marketplace.links import public_url
from marketplace.models import Carer, CarerInvitation, Provider, User, utcnow
from marketplace.security import hash_password
from matching.vocabulary import DEFAULT_VOCABULARY, normalise_interest

DAYS = Day.choices()
PARTS = DayPart.choices()

# The sections of the profile, each its own page with its own save.
SECTIONS = {
    "about": "About you",
    "skills": "Skills and interests",
    "availability": "Availability",
    "preferences": "Homes and people you like to support",
    "checks": "Checks",
}
SECTION_FIELDS = {
    "about": {
        "display_name",
        "postcode",
        "district",
        "lat",
        "lon",
        "bio",
        "gender",
        "travel_radius_km",
        "hourly_rate_pence",
    },
    "skills": {"skills", "interests", "languages"},
    "availability": {"availability"},
    "preferences": {"pets_ok", "smoking_ok", "enjoys_support", "would_support"},
    # Each check is declared through marketplace.carers.checks (None withdraws it).
    "checks": {"care_certificate", "criminal_record", "right_to_work", "insurance"},
}
CHECK_KINDS_IN_SECTION = ("criminal_record", "right_to_work", "insurance")

INVITE_MAX_AGE_DEFAULT = 7 * 24 * 3600


class CarerNeedsLocation(ValueError):
    """A carer cannot be listed without a postcode to place them."""


class InvitationProblem(Exception):
    """The invitation link cannot be used. ``reason`` is invalid, expired, used,
    superseded (the carer was invited again since), taken or wrong_email."""

    def __init__(self, reason: str, carer: Carer | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.carer = carer


# --- profile ------------------------------------------------------------------


def needs_insurance(carer: Carer) -> bool:
    """Self-employed personal assistants hold their own public liability insurance."""
    return carer.needs_insurance


def location_changes(location: geo.PostcodeLocation) -> dict[str, Any]:
    """Fields to store for a postcode: the full postcode stays private."""
    return {
        "postcode": location.postcode,
        "district": location.outcode,
        "lat": location.lat,
        "lon": location.lon,
    }


def interests_for_form(stored: list[str] | None) -> tuple[list[str], str]:
    """Split stored interests into vocabulary slugs (checkboxes) and other free text."""
    known = DEFAULT_VOCABULARY.interests
    checked: list[str] = []
    other: list[str] = []
    for item in stored or []:
        slug = item if item in known else normalise_interest(item)
        if slug is not None and slug not in checked:
            checked.append(slug)
        elif slug is None:
            other.append(item)
    return checked, ", ".join(other)


def interests_from_form(checked: list[str], other_text: str | None) -> list[str]:
    """Checked slugs plus the other interests, each normalised to a slug where we can."""
    result = list(dict.fromkeys(checked))
    for part in re.split(r"[,;\n]+", other_text or ""):
        text = " ".join(part.split())
        if not text:
            continue
        slug = normalise_interest(text)
        value = slug if slug is not None else text.lower()[:60]
        if value not in result:
            result.append(value)
    return result


def preference_rows(carer: Carer) -> list[tuple[str, str, str]]:
    """The preferences section on the profile summary: (label, answer, what to change)."""

    def said(values: list[str] | None, labels: dict[str, str], empty: str) -> str:
        return ", ".join(labels.get(v, v) for v in values or ()) or empty

    if carer.pets_ok is None:
        pets = "Not said (people are told to ask)"
    else:
        pets = said(carer.pets_ok, Pet.labels(), "None: homes without pets")
    smoking = {True: "Yes", False: "No"}.get(carer.smoking_ok, "Not said (people are told to ask)")  # type: ignore[arg-type]
    return [
        ("Pets you are happy with", pets, "pets"),
        ("Happy in a home where someone smokes", smoking, "smoking"),
        (
            "Support you enjoy giving",
            said(carer.enjoys_support, SupportKind.labels(), "Not said (all kinds)"),
            "kinds of support",
        ),
        (
            "Would like to support",
            said(carer.would_support, PersonGroup.labels(), "Not said (anyone)"),
            "who you would like to support",
        ),
    ]


def update_profile(carer: Carer, section: str, changes: dict[str, Any], actor_id: int) -> None:
    """Apply one section's changes, record who made them and mark the catalog changed."""
    allowed = SECTION_FIELDS[section]
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"fields not in the {section} section: {', '.join(sorted(unknown))}")
    changed = []
    for kind in CHECK_KINDS_IN_SECTION:
        if kind in changes and checks.declare(carer, kind, changes.pop(kind), actor_id):
            changed.append(kind)
    changed += [name for name, value in changes.items() if getattr(carer, name) != value]
    changed.sort()
    for name, value in changes.items():
        setattr(carer, name, value)
    # The audit trail names the fields, never their values (postcodes are private).
    audit.record(
        "carer.profile_updated", actor_id=actor_id, target=carer, section=section, fields=changed
    )


def add_carer(
    provider: Provider, display_name: str, location: geo.PostcodeLocation, actor_id: int
) -> Carer:
    """Create an active carer profile for the provider: unlisted until its checks are
    entered and verified (``checks.listing_gaps`` says what is missing)."""
    carer = Carer(
        provider_id=provider.id,
        display_name=display_name,
        active=True,
        skills=[],
        interests=[],
        languages=["en"],
        **location_changes(location),
    )
    db.session.add(carer)
    db.session.flush()
    audit.record("carer.added", actor_id=actor_id, target=carer, provider_id=provider.id)
    return carer


def set_active(carer: Carer, active: bool, actor_id: int) -> None:
    """Pause or reactivate a carer. A carer needs a location before being listed."""
    if active and (carer.lat is None or carer.lon is None or not carer.district):
        raise CarerNeedsLocation(
            f"Add a postcode to {carer.display_name}'s profile before reactivating it"
        )
    carer.active = active
    audit.record("carer.reactivated" if active else "carer.paused", actor_id=actor_id, target=carer)


def pa_carers_waiting_for_checks(reviewer: User) -> list[Carer]:
    """Self-employed personal assistants with checks that are not all verified, which
    this reviewer may verify (not their own, nor one they run)."""
    rows = db.session.scalars(
        sa.select(Carer)
        .join(Provider, Provider.id == Carer.provider_id)
        .where(Provider.legal_form == "self_employed_pa", Carer.active.is_(True))
        .order_by(Carer.display_name, Carer.id)
    ).all()
    return [
        c
        for c in rows
        if not c.checks_verified and checks.verifier_organisation(reviewer, c) is not None
    ]


# --- invitations --------------------------------------------------------------


def invite_max_age() -> int:
    return int(current_app.config.get("CARER_INVITE_MAX_AGE", INVITE_MAX_AGE_DEFAULT))


def invite_carer(
    provider: Provider, carer: Carer | None, display_name: str | None, email: str, actor_id: int
) -> Carer:
    """Email an invitation link; create a paused profile first for a new carer.

    The link carries only a random secret (its hash is stored with the address); an
    earlier invitation to the same carer that is still open stops working.
    """
    if carer is None:
        # Paused until the carer adds a postcode: an unplaced carer cannot be matched.
        carer = Carer(
            provider_id=provider.id,
            display_name=display_name or "New carer",
            active=False,
            skills=[],
            interests=[],
            languages=["en"],
        )
        db.session.add(carer)
        db.session.flush()
    now = utcnow()
    superseded = db.session.execute(
        sa.update(CarerInvitation)
        .where(
            CarerInvitation.carer_id == carer.id,
            CarerInvitation.used_at.is_(None),
            CarerInvitation.superseded_at.is_(None),
        )
        .values(superseded_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    token = link_tokens.new_secret()
    invitation = CarerInvitation(
        provider_id=provider.id,
        carer_id=carer.id,
        email=email.strip().lower(),
        token_hash=link_tokens.secret_hash(token),
        expires_at=now + timedelta(seconds=invite_max_age()),
    )
    db.session.add(invitation)
    db.session.flush()
    link = public_url("carers.invitation", token=token)
    days = max(1, invite_max_age() // 86400)
    body = render_template(
        "carers/email/invitation.txt", provider=provider, carer=carer, link=link, days=days
    )
    EmailMessage(f"{provider.name} invites you to CoopCare", body, to=[email]).send()
    audit.record(
        "carer.invited",
        actor_id=actor_id,
        target=carer,
        provider_id=provider.id,
        superseded=superseded or 0,
    )
    return carer


def read_invitation(token: str) -> CarerInvitation:
    """The invitation a link stands for, while it can still be used. Raises
    InvitationProblem: invalid (unknown, forged or old-style), used, superseded,
    expired."""
    if not isinstance(token, str) or not link_tokens.looks_like_secret(token):
        raise InvitationProblem("invalid")
    invitation = db.session.scalar(
        sa.select(CarerInvitation).where(
            CarerInvitation.token_hash == link_tokens.secret_hash(token)
        )
    )
    if invitation is None:
        raise InvitationProblem("invalid")
    carer = invitation.carer
    if carer.provider_id != invitation.provider_id or carer.provider is None:
        raise InvitationProblem("invalid")
    if invitation.used_at is not None:
        raise InvitationProblem("used", carer)
    if invitation.superseded_at is not None:
        raise InvitationProblem("superseded", carer)
    if carer.user_id is not None:
        raise InvitationProblem("used", carer)
    if utcnow() >= _aware(invitation.expires_at):
        raise InvitationProblem("expired", carer)
    return invitation


def _use(invitation: CarerInvitation) -> None:
    """Mark the link used, once: a compare-and-set, so two tabs cannot both use it."""
    now = utcnow()
    done = db.session.execute(
        sa.update(CarerInvitation)
        .where(
            CarerInvitation.id == invitation.id,
            CarerInvitation.used_at.is_(None),
            CarerInvitation.superseded_at.is_(None),
            CarerInvitation.expires_at > now,
        )
        .values(used_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.refresh(invitation)
        if invitation.superseded_at is not None and invitation.used_at is None:
            raise InvitationProblem("superseded", invitation.carer)
        if invitation.used_at is None:
            raise InvitationProblem("expired", invitation.carer)
        raise InvitationProblem("used", invitation.carer)
    db.session.refresh(invitation)


def _aware(value: datetime) -> datetime:
    # SQLite drops tzinfo; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def accept_invitation(invitation: CarerInvitation, user: User) -> Carer:
    """Use the link: link the account to the carer profile and give it the carer role."""
    if user.email != invitation.email:
        raise InvitationProblem("wrong_email")
    taken = db.session.scalar(sa.select(Carer).where(Carer.user_id == user.id))
    if taken is not None:
        raise InvitationProblem("taken", taken)
    _use(invitation)
    carer = invitation.carer
    carer.user_id = user.id
    user.add_role("carer")
    audit.record(
        "carer.invitation_accepted",
        actor_id=user.id,
        target=carer,
        provider_id=invitation.provider.id,
    )
    return carer


def register_from_invitation(invitation: CarerInvitation, display_name: str, password: str) -> User:
    """Create the invited carer's account (role carer) and link it."""
    # The invitation reached this address, so it is confirmed.
    user = User(
        email=invitation.email,
        password_hash=hash_password(password),
        display_name=display_name,
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.registered", actor_id=user.id, target=user, roles=["carer"])
    accept_invitation(invitation, user)
    return user


def mask_email(email: str) -> str:
    """s***@example.org: enough to recognise, not enough to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
