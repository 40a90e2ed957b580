"""The arrangement workflows, declared on marketplace.workflow.

``ARRANGEMENT_WORKFLOW``: proposed → active (agreed) ⇄ paused → ended; proposed →
not_agreed when every proposal was turned down or withdrawn.

``CHANGE_WORKFLOW`` (one version of the terms): proposed → accepted | rejected |
withdrawn | superseded. Only the *other* side accepts or turns down a version; the side
that proposed it withdraws it. Accepting moves the arrangement's ``agreed_version`` with
a compare-and-set on the version it was based on, so when both sides agree different
versions at the same moment exactly one wins and the other is told what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from marketplace import authz
from marketplace.choices import ArrangementSide, ArrangementStatus, ChangeStatus
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    ArrangementVersion,
    Carer,
    ProviderAdmin,
    User,
    utcnow,
)
from marketplace.workflow import Actor, IllegalMove, Moved, MoveError, Notice, Workflow
from marketplace.workflow import Move as M


class TermsChanged(MoveError):
    """Another version was agreed first (409)."""

    status_code = 409


def side_of(actor: Actor, arrangement: Arrangement) -> str | None:
    """Which side ``actor`` acts on: the person's (first) or the provider's; None: neither."""
    if actor is None:
        return None
    if authz.can(actor, "arrangement.act_for_person", arrangement):
        return ArrangementSide.PERSON
    if authz.can(actor, "arrangement.act_for_provider", arrangement):
        return ArrangementSide.PROVIDER
    return None


def other_side(side: str) -> str:
    return ArrangementSide.PROVIDER if side == ArrangementSide.PERSON else ArrangementSide.PERSON


# -- who is told ------------------------------------------------------------------------


def person_side_users(arrangement: Arrangement) -> list[User]:
    """The person, and supporters whose grant lets them answer for the person."""
    person = arrangement.person
    users = [person.user]
    for grant in person.consent_grants:
        if grant.allows(authz.ARRANGEMENT_SCOPE) and grant.supporter not in users:
            users.append(grant.supporter)
    return users


def provider_side_users(arrangement: Arrangement) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == arrangement.provider_id)
            .order_by(User.id)
        )
    )


def carer_users(arrangement: Arrangement) -> list[User]:
    ids = authz.arrangement_carer_ids(arrangement)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(User).join(Carer, Carer.user_id == User.id).where(Carer.id.in_(ids))
        )
    )


def users_of(side: str, arrangement: Arrangement) -> list[User]:
    if side == ArrangementSide.PERSON:
        return person_side_users(arrangement)
    return provider_side_users(arrangement)


def _link(arrangement: Arrangement) -> str:
    from marketplace.notifications import path

    return path("arrangements.show", arrangement_id=arrangement.id)


# -- the arrangement ----------------------------------------------------------------------


def _either_side(actor: Actor, arrangement: Arrangement) -> str | None:
    if side_of(actor, arrangement) is None:
        return "Only the person's side or the provider can change this arrangement."
    return None


def _told_everyone(moved: Moved) -> Iterable[Notice]:
    arrangement: Arrangement = moved.subject
    words = {
        "pause": "was paused",
        "resume": "started again",
        "end": "has ended",
    }[moved.move.name]
    message = f"The arrangement between {arrangement.person.display_name} and "
    message += f"{arrangement.provider.name} {words}."
    if moved.reason:
        message += f" The reason given: {moved.reason}"
    users = person_side_users(arrangement) + provider_side_users(arrangement)
    users += carer_users(arrangement)
    told = [u for i, u in enumerate(users) if u not in users[:i] and u != moved.actor]
    yield Notice(told, f"arrangement {words}", message, _link(arrangement))


ARRANGEMENT_WORKFLOW = Workflow(
    name="arrangement",
    column=Arrangement.status,
    states=ArrangementStatus,
    noun="This arrangement",
    moves=[
        # Made only by accepting a version (CHANGE_WORKFLOW's accept), never on its own.
        M("agree", ("proposed",), "active", "agreed", may=_either_side),
        M("not_agree", ("proposed",), "not_agreed", "closed as not agreed"),
        M(
            "pause",
            ("active",),
            "paused",
            "paused",
            may=_either_side,
            reason_prompt="Say why the arrangement is paused, and until when if you know",
            notices=_told_everyone,
        ),
        M("resume", ("paused",), "active", "started again", may=_either_side,
          notices=_told_everyone),
        M(
            "end",
            ("active", "paused"),
            "ended",
            "ended",
            may=_either_side,
            reason_prompt="Say why the arrangement is ending",
            values=lambda moved: {"ends_on": _ended_on(moved.subject)},
            notices=_told_everyone,
        ),
    ],
)  # fmt: skip


def _ended_on(arrangement: Arrangement):
    """Today, or the agreed end if sooner; never before it started."""
    from marketplace import clock

    today = clock.today()
    end = min(today, arrangement.ends_on or today)
    return max(end, arrangement.starts_on)


# -- versions of the terms ------------------------------------------------------------------


def _other_side_decides(actor: Actor, version: ArrangementVersion) -> str | None:
    side = side_of(actor, version.arrangement)
    if side is None:
        return "Only the person's side or the provider can answer this."
    if side == version.proposed_by_side:
        return "The other side has to agree to this. You proposed it."
    return None


def _proposer_withdraws(actor: Actor, version: ArrangementVersion) -> str | None:
    side = side_of(actor, version.arrangement)
    if side is None or side != version.proposed_by_side:
        return "Only the side that proposed it can withdraw it."
    return None


def _decided(moved: Moved) -> dict[str, Any]:
    return {
        "decided_by_user_id": moved.actor.id if moved.actor is not None else None,
        "decided_at": utcnow(),
        "decision_reason": moved.reason,
    }


def _take_effect(moved: Moved) -> None:
    """The accepted version becomes the terms in effect (compare-and-set on its base)."""
    version: ArrangementVersion = moved.subject
    arrangement = version.arrangement
    result = db.session.execute(
        sa.update(Arrangement)
        .where(Arrangement.id == arrangement.id, Arrangement.agreed_version == version.based_on)
        .values(
            agreed_version=version.number,
            starts_on=version.starts_on,
            ends_on=version.ends_on,
            funding_route=version.funding_route,
            hourly_rate_pence=version.hourly_rate_pence,
            membership_plan_id=version.membership_plan_id,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="evaluate")
    )
    if result.rowcount != 1:
        db.session.refresh(arrangement)
        raise TermsChanged(
            f"Version {arrangement.agreed_version} of this arrangement was agreed a moment "
            f"ago, so version {version.number} can no longer be agreed. Look at the "
            "arrangement again."
        )
    db.session.refresh(arrangement)
    # Other proposals were based on terms that are no longer in effect.
    for other in list(arrangement.pending):
        if other.id != version.id:
            CHANGE_WORKFLOW.move(other, "supersede", moved.actor, reason=f"v{version.number}")
    if arrangement.status == ArrangementStatus.PROPOSED:
        ARRANGEMENT_WORKFLOW.move(arrangement, "agree", moved.actor, **moved.context)
        db.session.refresh(arrangement)


def _close_if_nothing_left(moved: Moved) -> None:
    version: ArrangementVersion = moved.subject
    arrangement = version.arrangement
    db.session.refresh(arrangement)
    if arrangement.status == ArrangementStatus.PROPOSED and not arrangement.pending:
        ARRANGEMENT_WORKFLOW.move(arrangement, "not_agree", None, reason=moved.reason)


def _answer_notices(moved: Moved) -> Iterable[Notice]:
    version: ArrangementVersion = moved.subject
    arrangement = version.arrangement
    name = moved.move.name
    what = "arrangement" if version.number == 1 else f"change (version {version.number})"
    who = arrangement.person.display_name
    if name == "accept":
        message = f"The {what} with {arrangement.provider.name} for {who} is agreed."
        subject = "arrangement agreed"
    elif name == "reject":
        message = f"The {what} for {who} was turned down."
        subject = "arrangement change turned down"
    else:
        message = f"The {what} for {who} was withdrawn."
        subject = "arrangement change withdrawn"
    if moved.reason:
        message += f" The reason given: {moved.reason}"
    users = users_of(version.proposed_by_side, arrangement)
    if name == "withdraw":
        users = users_of(other_side(version.proposed_by_side), arrangement)
    if name == "accept":
        users = users + [u for u in carer_users(arrangement) if u not in users]
    told = [u for u in users if u != moved.actor]
    yield Notice(told, subject, message, _link(arrangement))


CHANGE_WORKFLOW = Workflow(
    name="arrangement_change",
    column=ArrangementVersion.status,
    states=ChangeStatus,
    noun="This version of the arrangement",
    moves=[
        M(
            "accept",
            ("proposed",),
            "accepted",
            "agreed",
            may=_other_side_decides,
            values=_decided,
            after=_take_effect,
            notices=_answer_notices,
        ),
        M(
            "reject",
            ("proposed",),
            "rejected",
            "turned down",
            may=_other_side_decides,
            values=_decided,
            after=_close_if_nothing_left,
            notices=_answer_notices,
        ),
        M(
            "withdraw",
            ("proposed",),
            "withdrawn",
            "withdrawn",
            may=_proposer_withdraws,
            values=_decided,
            after=_close_if_nothing_left,
            notices=_answer_notices,
        ),
        # Made by the service: a later agreed version, or the same side proposing again.
        M("supersede", ("proposed",), "superseded", "replaced", values=_decided),
    ],
)


__all__ = [
    "ARRANGEMENT_WORKFLOW",
    "CHANGE_WORKFLOW",
    "IllegalMove",
    "TermsChanged",
    "other_side",
    "side_of",
]
