"""Supporters: a person invites someone by e-mail, grants scopes, changes and revokes
them; the invitee accepts the single-use link; a supporter's actions are recorded "by X
for Y" and shown to the person.

Status changes go through the two workflows declared here (``INVITATION_WORKFLOW``:
pending -> accepted | cancelled; ``GRANT_WORKFLOW``: active -> revoked). Who may do what
is decided in ``marketplace.authz`` (supporters.manage, consent_grant.change, person.*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template

from marketplace import audit, authz, clock, link_tokens, notifications, workflow
from marketplace.auth.services import create_user, find_user_by_email
from marketplace.choices import (
    ConsentScope,
    GrantStatus,
    InvitationStatus,
    SupporterAction,
    SupporterRelationship,
)
from marketplace.extensions import db
from marketplace.links import public_url
from marketplace.models import AuditLog, ConsentGrant, Person, SupporterInvitation, User, utcnow

# Invitations e-mail an address the sender chooses. Besides the per-account and per-IP
# rate limit on the form (SUPPORTER_INVITE_RATE_LIMIT), one address gets at most this many
# invitations a day from one person and from everyone together, and a person has at most
# this many waiting at once.
SAME_ADDRESS_PER_DAY_FROM_ONE_PERSON = 3
SAME_ADDRESS_PER_DAY_FROM_ANYONE = 5
MOST_PENDING_PER_PERSON = 20


class InvitationRefused(ValueError):
    """The person cannot send this invitation; ``field`` is the form field to mark."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvitationProblem(Exception):
    """The invitation link cannot be used by this visitor. ``reason``: invalid, expired,
    used, withdrawn, own (the person's own invitation), wrong_email, has_account."""

    def __init__(self, reason: str, invitation: SupporterInvitation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


@dataclass(frozen=True)
class InvitationRequest:
    email: str
    display_name: str
    relationship: str
    scopes: list[str]
    ends_on: date | None


# -- the workflows ------------------------------------------------------------------------


def _invitee_may_accept(actor: User | None, invitation: SupporterInvitation) -> str | None:
    if actor is None:
        return "Sign in to accept this invitation."
    if invitation.person.user_id == actor.id:
        return "You cannot accept your own invitation."
    if actor.email != invitation.email:
        return "This invitation was sent to a different email address."
    return None


def _not_expired(invitation: SupporterInvitation, context: dict[str, Any]) -> None:
    if not invitation.usable(clock.now()):
        raise workflow.NotReady(["the invitation has expired"])


def _the_person(actor: User | None, subject: Any) -> str | None:
    return authz.refusal(actor, "supporters.manage", subject.person)


def _accepted_values(moved: workflow.Moved) -> dict[str, Any]:
    return {"accepted_at": utcnow(), "accepted_by_user_id": moved.actor.id}


INVITATION_WORKFLOW = workflow.Workflow(
    name="supporter_invitation",
    column=SupporterInvitation.status,
    states=InvitationStatus,
    noun="This invitation",
    moves=[
        workflow.Move(
            "accept",
            (InvitationStatus.PENDING,),
            InvitationStatus.ACCEPTED,
            passive="accepted",
            may=_invitee_may_accept,
            check=_not_expired,
            values=_accepted_values,
        ),
        workflow.Move(
            "cancel",
            (InvitationStatus.PENDING,),
            InvitationStatus.CANCELLED,
            passive="withdrawn",
            may=_the_person,
        ),
    ],
)


def _may_change_grant(actor: User | None, grant: ConsentGrant) -> str | None:
    return authz.refusal(actor, "consent_grant.change", grant)


GRANT_WORKFLOW = workflow.Workflow(
    name="consent_grant",
    column=ConsentGrant.status,
    states=GrantStatus,
    noun="This permission",
    moves=[
        # Revoking works at once: every check (authz.consent_grant, acting_for) reads the
        # grant again on every request. The supporter is not told: a person may be
        # stepping away from someone they no longer trust.
        workflow.Move(
            "revoke",
            (GrantStatus.ACTIVE,),
            GrantStatus.REVOKED,
            passive="revoked",
            may=_may_change_grant,
            values=lambda moved: {"revoked_at": utcnow()},
        ),
    ],
)


# -- helpers ------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """Names go into e-mail subjects: no line breaks, no runs of spaces."""
    return " ".join(text.split())


def end_of_day(on: date) -> datetime:
    """The moment a grant "until <on>" ends: midnight after that day, UK time, in UTC."""
    return datetime.combine(on + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)


def last_day(ends_at: datetime | None) -> date | None:
    """The last whole day a grant covers (the day before its end, UK time)."""
    if ends_at is None:
        return None
    if ends_at.tzinfo is None:
        ends_at = ends_at.replace(tzinfo=UTC)
    return (ends_at.astimezone(clock.LONDON) - timedelta(microseconds=1)).date()


def scope_labels(scopes: list[str]) -> list[str]:
    return [ConsentScope(s).label for s in ConsentScope.values() if s in set(scopes or [])]


def relationship_label(value: str) -> str:
    return SupporterRelationship.label_for(value) or value


def _clean_scopes(scopes: list[str]) -> list[str]:
    chosen = [s for s in ConsentScope.values() if s in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise InvitationRefused("scopes", "Choose at least one thing they can do for you")
    return chosen


def _check_end(ends_on: date | None) -> None:
    if ends_on is not None and ends_on < clock.today():
        raise InvitationRefused("ends_on", "The last day must be today or in the future")


def mask_email(email: str) -> str:
    """j***@example.org: enough to recognise, not enough to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


# -- the person: invite, change, revoke ---------------------------------------------------


def _invitations_since(since: datetime, **where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(SupporterInvitation)
    query = query.where(SupporterInvitation.created_at >= since)
    for column, value in where.items():
        query = query.where(getattr(SupporterInvitation, column) == value)
    return db.session.scalar(query) or 0


def invite(person: Person, actor: User, request: InvitationRequest) -> SupporterInvitation:
    """Store the invitation and put its e-mail in the outbox. The caller commits.

    The answer is the same whether or not the address has an account: nothing here looks
    it up. Raises InvitationRefused.
    """
    email = request.email.strip().lower()
    if email == person.user.email:
        raise InvitationRefused(
            "email", "This is your own email address. Enter the address of the person you trust"
        )
    scopes = _clean_scopes(request.scopes)
    _check_end(request.ends_on)
    if request.relationship not in SupporterRelationship.values():
        raise InvitationRefused("relationship", "Choose who they are to you")
    day_ago = utcnow() - timedelta(days=1)
    if (
        _invitations_since(day_ago, person_id=person.id, email=email)
        >= SAME_ADDRESS_PER_DAY_FROM_ONE_PERSON
        or _invitations_since(day_ago, email=email) >= SAME_ADDRESS_PER_DAY_FROM_ANYONE
    ):
        raise InvitationRefused(
            "email",
            "This address has had as many invitations as we send in one day. Try again tomorrow",
        )
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SupporterInvitation)
        .where(
            SupporterInvitation.person_id == person.id,
            SupporterInvitation.status == InvitationStatus.PENDING,
            SupporterInvitation.expires_at > utcnow(),
        )
    )
    if (pending or 0) >= MOST_PENDING_PER_PERSON:
        raise InvitationRefused(
            "email", "You have many invitations waiting. Withdraw some before sending more"
        )
    token = link_tokens.new_secret()
    max_age = int(current_app.config["SUPPORTER_INVITE_MAX_AGE"])
    invitation = SupporterInvitation(
        person_id=person.id,
        invited_by_user_id=actor.id,
        email=email,
        display_name=_one_line(request.display_name)[:120],
        relationship_to_person=request.relationship,
        scopes=scopes,
        grant_ends_at=end_of_day(request.ends_on) if request.ends_on else None,
        token_hash=link_tokens.secret_hash(token),
        status=InvitationStatus.PENDING,
        expires_at=utcnow() + timedelta(seconds=max_age),
    )
    db.session.add(invitation)
    db.session.flush()
    body = render_template(
        "supporters/email/invitation.txt",
        invitation=invitation,
        person_name=_one_line(person.display_name),
        scopes=scope_labels(scopes),
        last_day=request.ends_on,
        link=public_url("supporters.invitation", token=token),
        days=max(1, max_age // 86400),
    )
    notifications.email(
        email, f"{_one_line(person.display_name)} asks you to be their supporter", body
    )
    audit.record(
        "supporter_invitation.sent",
        actor_id=actor.id,
        target=invitation,
        scopes=scopes,
        ends_on=request.ends_on.isoformat() if request.ends_on else None,
    )
    return invitation


def withdraw(invitation: SupporterInvitation, actor: User) -> None:
    INVITATION_WORKFLOW.move(invitation, "cancel", actor)


def change_grant(grant: ConsentGrant, actor: User, scopes: list[str], ends_on: date | None) -> None:
    """New scopes and last day for a grant in force. Raises InvitationRefused, or
    workflow.MoveError (409) when it was revoked meanwhile."""
    authz.require(actor, "consent_grant.change", grant)
    db.session.refresh(grant)
    if grant.status != GrantStatus.ACTIVE:
        raise workflow.MoveError("This permission was revoked, so it cannot be changed.")
    chosen = _clean_scopes(scopes)
    _check_end(ends_on)
    before = {"scopes": list(grant.scopes or []), "ends_on": _iso(last_day(grant.ends_at))}
    grant.scopes = chosen
    grant.ends_at = end_of_day(ends_on) if ends_on else None
    audit.record(
        "consent_grant.changed",
        actor_id=actor.id,
        target=grant,
        before=before,
        after={"scopes": chosen, "ends_on": _iso(ends_on)},
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def revoke(grant: ConsentGrant, actor: User) -> None:
    GRANT_WORKFLOW.move(grant, "revoke", actor)


@dataclass(frozen=True)
class SupporterRow:
    grant: ConsentGrant
    name: str
    email: str
    relationship: str
    scopes: list[str]
    last_day: date | None
    in_force: bool


def supporters_of(person: Person) -> list[SupporterRow]:
    """The person's supporters whose grant is not revoked (ended ones too, marked)."""
    grants = db.session.scalars(
        sa.select(ConsentGrant)
        .where(ConsentGrant.person_id == person.id, ConsentGrant.status == GrantStatus.ACTIVE)
        .order_by(ConsentGrant.created_at, ConsentGrant.id)
    )
    now = clock.now()
    return [
        SupporterRow(
            grant=grant,
            name=grant.supporter.display_name,
            email=grant.supporter.email,
            relationship=relationship_label(grant.relationship_to_person),
            scopes=scope_labels(grant.scopes),
            last_day=last_day(grant.ends_at),
            in_force=authz.grant_in_force(grant, now),
        )
        for grant in grants
    ]


def waiting_invitations(person: Person) -> list[SupporterInvitation]:
    """Invitations not yet accepted or withdrawn, expired ones included (marked)."""
    return list(
        db.session.scalars(
            sa.select(SupporterInvitation)
            .where(
                SupporterInvitation.person_id == person.id,
                SupporterInvitation.status == InvitationStatus.PENDING,
            )
            .order_by(SupporterInvitation.created_at.desc(), SupporterInvitation.id.desc())
        )
    )


# -- the invitee --------------------------------------------------------------------------


def find_invitation(token: str) -> SupporterInvitation:
    """The invitation a link stands for, while it can still be used. Raises
    InvitationProblem."""
    if not link_tokens.looks_like_secret(token):
        raise InvitationProblem("invalid")
    invitation = db.session.scalar(
        sa.select(SupporterInvitation).where(
            SupporterInvitation.token_hash == link_tokens.secret_hash(token)
        )
    )
    if invitation is None:
        raise InvitationProblem("invalid")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationProblem("used", invitation)
    if invitation.status == InvitationStatus.CANCELLED:
        raise InvitationProblem("withdrawn", invitation)
    if not invitation.usable(clock.now()):
        raise InvitationProblem("expired", invitation)
    return invitation


def accept(invitation: SupporterInvitation, user: User) -> ConsentGrant:
    """Use the invitation once: the account becomes the person's supporter with the
    invited scopes (a grant already in force from them is changed). The caller commits."""
    person = invitation.person
    if person.user_id == user.id:
        raise InvitationProblem("own", invitation)
    if user.email != invitation.email:
        raise InvitationProblem("wrong_email", invitation)
    try:
        INVITATION_WORKFLOW.move(invitation, "accept", user, on_behalf_of_person_id=person.id)
    except workflow.NotReady as error:
        raise InvitationProblem("expired", invitation) from error
    except workflow.IllegalMove as error:  # used or withdrawn a moment ago
        raise InvitationProblem(
            "used" if error.from_status == InvitationStatus.ACCEPTED else "withdrawn",
            invitation,
        ) from error
    grant = _active_grant(person, user)
    if grant is None:
        try:
            # Two invitations from one person accepted at the same moment: the database
            # keeps one grant in force per pair (a partial unique index); the loser
            # changes the winner's grant instead.
            with db.session.begin_nested():
                grant = ConsentGrant(
                    person_id=person.id, supporter_user_id=user.id, scopes=[], starts_at=utcnow()
                )
                db.session.add(grant)
                db.session.flush()
        except sa.exc.IntegrityError:
            grant = _active_grant(person, user)
            assert grant is not None
    grant.granted_by_user_id = invitation.invited_by_user_id
    grant.relationship_to_person = invitation.relationship_to_person
    grant.scopes = list(invitation.scopes)
    grant.starts_at = utcnow()
    grant.ends_at = invitation.grant_ends_at
    user.add_role("supporter")
    db.session.flush()
    invitation.grant_id = grant.id
    notifications.notify(
        [person.user],
        f"{_one_line(user.display_name)} accepted your invitation and can now support you.",
        notifications.path("supporters.index"),
        "your supporter accepted",
    )
    return grant


def _active_grant(person: Person, user: User) -> ConsentGrant | None:
    return db.session.scalar(
        sa.select(ConsentGrant).where(
            ConsentGrant.person_id == person.id,
            ConsentGrant.supporter_user_id == user.id,
            ConsentGrant.status == GrantStatus.ACTIVE,
        )
    )


def register_and_accept(invitation: SupporterInvitation, display_name: str, password: str) -> User:
    """Create the invitee's account (the link reached the address, so it is confirmed)
    and accept. Raises InvitationProblem("has_account") when the address has one."""
    if find_user_by_email(invitation.email) is not None:
        raise InvitationProblem("has_account", invitation)
    user = create_user(invitation.email, password, _one_line(display_name), ["supporter"])
    accept(invitation, user)
    return user


# -- the supporter ------------------------------------------------------------------------


def record_for(user: Any, person: Person, action: str, target: Any = None, **detail: Any) -> None:
    """Record what a supporter did for a person ("by X for Y"); nothing when it is the
    person themself, or someone with no grant from them (staff, a provider)."""
    user = authz._user(user)
    if user is None or person.user_id == user.id:
        return
    if not any(authz.consent_grant(user, person, scope) for scope in ConsentScope):
        return
    audit.record(
        action,
        actor_id=user.id,
        target=target if target is not None else person,
        on_behalf_of_person_id=authz.on_behalf_of(user, person),
        **detail,
    )


def choose(user: User, person_id: int) -> Person:
    """Act for this person from now on (checked by authz); recorded for them."""
    person = authz.choose_person(user, person_id)
    record_for(user, person, SupporterAction.CHOSE.value)
    return person


@dataclass(frozen=True)
class ActivityRow:
    at: datetime
    who: str
    what: str


def _describe(action: str) -> str:
    label = SupporterAction.label_for(action)
    if label is not None:
        return label
    # Another page's action (an introduction, a payment): its own words, readable.
    noun, _, verb = action.partition(".")
    words = " ".join(part.replace("_", " ") for part in (noun, verb) if part)
    return words[:1].upper() + words[1:]


def activity(person: Person, limit: int = 200) -> list[ActivityRow]:
    """What the person's supporters did for them, newest first."""
    supporter_ids = sa.select(ConsentGrant.supporter_user_id).where(
        ConsentGrant.person_id == person.id
    )
    rows = db.session.execute(
        sa.select(AuditLog, User.display_name)
        .join(User, User.id == AuditLog.actor_user_id)
        .where(
            AuditLog.on_behalf_of_person_id == person.id,
            AuditLog.actor_user_id != person.user_id,
            AuditLog.actor_user_id.in_(supporter_ids),
        )
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [
        ActivityRow(at=entry.created_at, who=name, what=_describe(entry.action))
        for entry, name in rows
    ]
