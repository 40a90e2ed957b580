"""The introduction workflow, declared on ``marketplace.workflow``:

    requested -> accepted (meeting times offered) | declined (a reason) | expired | withdrawn
    accepted  -> meeting (the person picks a time) | withdrawn | not_going_ahead
    meeting   -> agreed (both sides said yes) | not_going_ahead

Who may: the person, or a supporter with the ``manage_introductions`` scope, asks,
picks the meeting time, withdraws and says yes or no after meeting; the provider's own
admins (and the carer, for an introduction to them) accept or decline and say yes or no
after meeting; only the system (the daily job) expires a request nobody answered.

Every move notifies through the outbox, in the move's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace import authz, clock, workflow
from marketplace.choices import ConsentScope, DeclineReason, IntroductionStatus
from marketplace.extensions import db
from marketplace.models import (
    ConsentGrant,
    Introduction,
    ProviderAdmin,
    User,
    utcnow,
)

REQUESTED = IntroductionStatus.REQUESTED.value
ACCEPTED = IntroductionStatus.ACCEPTED.value
DECLINED = IntroductionStatus.DECLINED.value
EXPIRED = IntroductionStatus.EXPIRED.value
WITHDRAWN = IntroductionStatus.WITHDRAWN.value
MEETING = IntroductionStatus.MEETING.value
AGREED = IntroductionStatus.AGREED.value
NOT_GOING_AHEAD = IntroductionStatus.NOT_GOING_AHEAD.value

OPEN = (REQUESTED, ACCEPTED, MEETING)  # still waiting for someone
CLOSED = (DECLINED, EXPIRED, WITHDRAWN, AGREED, NOT_GOING_AHEAD)

MAX_MEETING_OPTIONS = 3
MAX_DAYS_AHEAD = 366
TEXT_LIMIT = 2000


# -- who is on which side ------------------------------------------------------------


def person_side_users(introduction: Introduction) -> list[User]:
    """The person and the supporters who may act on their introductions now."""
    users = [introduction.person.user]
    now = clock.now()
    grants = db.session.scalars(
        sa.select(ConsentGrant).where(ConsentGrant.person_id == introduction.person_id)
    )
    scopes = (ConsentScope.MANAGE_INTRODUCTIONS, ConsentScope.MESSAGE)
    for grant in grants:
        allowed = any(grant.allows(scope, now) for scope in scopes)
        if allowed and grant.supporter not in users:
            users.append(grant.supporter)
    return users


def provider_side_users(introduction: Introduction) -> list[User]:
    """The provider's own admins, and the carer when the introduction is to them."""
    users = list(
        db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == introduction.provider_id)
            .order_by(User.id)
        )
    )
    carer = introduction.carer
    if carer is not None and carer.user is not None and carer.user not in users:
        users.append(carer.user)
    return users


def _person_side(actor: workflow.Actor, introduction: Introduction) -> str | None:
    if actor is None:
        return "Only the person or their supporter can do this."
    return authz.refusal(actor, "introduction.manage", introduction)


def _provider_side(actor: workflow.Actor, introduction: Introduction) -> str | None:
    if actor is None:
        return "Only the provider or the carer can answer."
    return authz.refusal(actor, "introduction.answer", introduction)


def _either_side(actor: workflow.Actor, introduction: Introduction) -> str | None:
    if _person_side(actor, introduction) is None or _provider_side(actor, introduction) is None:
        return None
    return "Only the person, their supporter, the provider or the carer can do this."


def _system(actor: workflow.Actor, introduction: Introduction) -> str | None:
    return None if actor is None else "Only CoopCare closes a request nobody answered."


# -- checks and values -----------------------------------------------------------------


def parse_meeting_time(value: str) -> datetime:
    """ "2026-12-03T10:00" (UK time) -> an aware datetime; ValueError when it is not one."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LONDON)
    return moment


def _meeting_options_given(introduction: Introduction, context: dict[str, Any]) -> None:
    options = context.get("meeting_options") or []
    missing = []
    if not options:
        missing.append("Offer at least one time to meet")
    elif len(options) > MAX_MEETING_OPTIONS:
        missing.append(f"Offer at most {MAX_MEETING_OPTIONS} times to meet")
    else:
        now = clock.now()
        for option in options:
            try:
                moment = parse_meeting_time(option)
                if moment <= now:
                    missing.append("Every time to meet must be in the future")
                    break
                if moment > now + timedelta(days=MAX_DAYS_AHEAD):
                    missing.append("Every time to meet must be within the next year")
                    break
            except (TypeError, ValueError):
                missing.append("Every time to meet must be a date and a time")
                break
    if missing:
        raise workflow.NotReady(missing)


def _accepted(moved: workflow.Moved) -> dict[str, Any]:
    return {
        "answered_at": utcnow(),
        "answered_by_user_id": moved.actor.id if moved.actor else None,
        "meeting_options": list(moved.context["meeting_options"]),
        "meeting_place": (moved.context.get("meeting_place") or "")[:200],
    }


def _decline_reason_given(introduction: Introduction, context: dict[str, Any]) -> None:
    code = context.get("decline_reason")
    if code not in DeclineReason.values():
        raise workflow.NotReady(["Choose why you are saying no"])
    if code == DeclineReason.OTHER and not (context.get("decline_text") or "").strip():
        raise workflow.NotReady(["Say what the other reason is"])


def _declined(moved: workflow.Moved) -> dict[str, Any]:
    return {
        "answered_at": utcnow(),
        "answered_by_user_id": moved.actor.id if moved.actor else None,
        "decline_reason": moved.context["decline_reason"],
        "decline_text": (moved.context.get("decline_text") or "").strip()[:TEXT_LIMIT],
    }


def _due_to_expire(introduction: Introduction, context: dict[str, Any]) -> None:
    today: date = context.get("today") or clock.today()
    if today <= introduction.expires_on:
        raise workflow.NotReady(["The provider still has time to answer"])


def _meeting_time_offered(introduction: Introduction, context: dict[str, Any]) -> None:
    if context.get("meeting_time") not in (introduction.meeting_options or []):
        raise workflow.NotReady(["Choose one of the times offered"])


def _meeting_chosen(moved: workflow.Moved) -> dict[str, Any]:
    return {"meeting_at": parse_meeting_time(moved.context["meeting_time"])}


def _both_agreed(introduction: Introduction, context: dict[str, Any]) -> None:
    missing = []
    if introduction.person_agreed_at is None:
        missing.append("The person has not said yes yet")
    if introduction.provider_agreed_at is None:
        missing.append("The provider has not said yes yet")
    if missing:
        raise workflow.NotReady(missing)


def _agreed(moved: workflow.Moved) -> dict[str, Any]:
    return {"contact_shared_at": utcnow()}


def _closed(moved: workflow.Moved) -> dict[str, Any]:
    return {"closed_reason": moved.reason[:TEXT_LIMIT]}


# -- notices -----------------------------------------------------------------------------


def _link(introduction: Introduction) -> str:
    from marketplace.notifications import path

    return path("introductions.detail", introduction_id=introduction.id)


def _who(introduction: Introduction) -> str:
    return introduction.person.display_name


def _to_person(subject: str, message: str):  # noqa: ANN202 - a notices callable
    def notices(moved: workflow.Moved) -> Iterable[workflow.Notice]:
        introduction = moved.subject
        text = message.format(
            target=introduction.target_name,
            reason=moved.reason,
            decline=introduction.decline_reason_label or "",
        )
        yield workflow.Notice(person_side_users(introduction), subject, text, _link(introduction))

    return notices


def _to_provider(subject: str, message: str):  # noqa: ANN202
    def notices(moved: workflow.Moved) -> Iterable[workflow.Notice]:
        introduction = moved.subject
        text = message.format(person=_who(introduction), reason=moved.reason)
        yield workflow.Notice(provider_side_users(introduction), subject, text, _link(introduction))

    return notices


def _to_other_side(moved: workflow.Moved) -> Iterable[workflow.Notice]:
    introduction = moved.subject
    reason = f" They said: {moved.reason}" if moved.reason else ""
    if _person_side(moved.actor, introduction) is None:
        users = provider_side_users(introduction)
        text = f"{_who(introduction)} has decided not to go ahead.{reason}"
    else:
        users = person_side_users(introduction)
        text = f"{introduction.target_name} has decided not to go ahead.{reason}"
    yield workflow.Notice(users, "An introduction is not going ahead", text, _link(introduction))


def _to_both(moved: workflow.Moved) -> Iterable[workflow.Notice]:
    introduction = moved.subject
    link = _link(introduction)
    yield workflow.Notice(
        person_side_users(introduction),
        "You both agreed to go ahead",
        f"You and {introduction.target_name} agreed to go ahead. You can now see each "
        "other's contact details.",
        link,
    )
    yield workflow.Notice(
        provider_side_users(introduction),
        "You both agreed to go ahead",
        f"You and {_who(introduction)} agreed to go ahead. You can now see each other's "
        "contact details and their address.",
        link,
    )


INTRODUCTION_WORKFLOW = workflow.Workflow(
    name="introduction",
    audit_prefix="introduction",
    column=Introduction.status,
    states=IntroductionStatus,
    noun="This introduction",
    moves=[
        workflow.Move(
            "accept",
            (REQUESTED,),
            ACCEPTED,
            passive="accepted",
            may=_provider_side,
            check=_meeting_options_given,
            values=_accepted,
            notices=_to_person(
                "Your introduction was accepted",
                "{target} would like to meet you and has offered times. Choose one.",
            ),
        ),
        workflow.Move(
            "decline",
            (REQUESTED,),
            DECLINED,
            passive="declined",
            may=_provider_side,
            check=_decline_reason_given,
            values=_declined,
            notices=_to_person(
                "Your introduction was declined",
                "{target} cannot help this time: {decline}. You can see other matches.",
            ),
        ),
        workflow.Move(
            "expire",
            (REQUESTED,),
            EXPIRED,
            passive="closed",
            may=_system,
            check=_due_to_expire,
            notices=_to_person(
                "No answer to your introduction",
                "{target} did not answer in 10 working days, so we closed your request. "
                "We have found others who may suit you.",
            ),
        ),
        workflow.Move(
            "withdraw",
            (REQUESTED, ACCEPTED),
            WITHDRAWN,
            passive="withdrawn",
            may=_person_side,
            values=_closed,
            notices=_to_provider(
                "An introduction was withdrawn",
                "{person} no longer needs this introduction.",
            ),
        ),
        workflow.Move(
            "arrange_meeting",
            (ACCEPTED,),
            MEETING,
            passive="given a meeting time",
            may=_person_side,
            check=_meeting_time_offered,
            values=_meeting_chosen,
            notices=_to_provider(
                "A meeting time was chosen",
                "{person} chose a time to meet. See the introduction for the time.",
            ),
        ),
        workflow.Move(
            "agree",
            (MEETING,),
            AGREED,
            passive="agreed",
            may=_either_side,
            check=_both_agreed,
            values=_agreed,
            notices=_to_both,
        ),
        workflow.Move(
            "not_go_ahead",
            (ACCEPTED, MEETING),
            NOT_GOING_AHEAD,
            passive="closed",
            may=_either_side,
            values=_closed,
            notices=_to_other_side,
        ),
    ],
)

# status -> {move: next status}: the whole machine.
TRANSITIONS: dict[str, dict[str, str]] = INTRODUCTION_WORKFLOW.table()
