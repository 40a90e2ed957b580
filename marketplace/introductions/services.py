"""Introductions: asking, answering, the meeting, the daily reminder and expiry job, and
the message thread. No ``request`` in here; the views parse and call these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date
from typing import Any

import sqlalchemy as sa

from marketplace import audit, authz, clock, notifications, regulators
from marketplace.choices import SLOT_LABELS, SLOTS, ArrangementStatus, IntroductionSide, Nation
from marketplace.extensions import db
from marketplace.introductions import workingdays
from marketplace.introductions.workflow import (
    AGREED,
    DECLINED,
    INTRODUCTION_WORKFLOW,
    OPEN,
    REQUESTED,
    TEXT_LIMIT,
    person_side_users,
    provider_side_users,
)
from marketplace.models import (
    Carer,
    Introduction,
    IntroductionBlock,
    IntroductionMessage,
    Person,
    Provider,
    Team,
    User,
    WorkflowEvent,
    utcnow,
)
from marketplace.workflow import MoveError, NotReady  # noqa: F401 - views catch NotReady

REMIND_AFTER_WORKING_DAYS = 5
EXPIRE_AFTER_WORKING_DAYS = 10


class IntroductionError(ValueError):
    """Something a person asked for that cannot be done; ``str()`` is safe to show."""


class Blocked(IntroductionError):
    """The other side stopped this side's messages on the thread (403)."""


@dataclass(frozen=True)
class Target:
    """Who an introduction is to: a carer, a team, or a provider (always set)."""

    provider: Provider
    carer: Carer | None = None
    team: Team | None = None

    @property
    def name(self) -> str:
        if self.carer is not None:
            return self.carer.display_name
        if self.team is not None:
            return self.team.name
        return self.provider.name


def find_target(kind: str, target_id: int) -> Target | None:
    """The listed carer, team or provider an introduction may be asked of; None if not."""
    if kind == "carer":
        carer = db.session.get(Carer, target_id)
        if carer is None or not carer.is_listed or carer.provider is None:
            return None
        return Target(provider=carer.provider, carer=carer)
    if kind == "team":
        team = db.session.get(Team, target_id)
        if team is None or not team.provider.is_listed:
            return None
        return Target(provider=team.provider, team=team)
    if kind == "provider":
        provider = db.session.get(Provider, target_id)
        if provider is None or not provider.is_listed:
            return None
        return Target(provider=provider)
    return None


def nation_of(person: Person) -> str | None:
    nation = regulators.nation_of(person.postcode, person.care_council_code)
    return nation.value if nation is not None else None


def deadlines(person: Person, requested_on: date) -> tuple[date, date]:
    """(remind_on, expires_on): 5 and 10 working days after the request, in the person's
    nation. The reminder goes, and the request closes, once that day is over."""
    nation = nation_of(person)
    return (
        workingdays.add_working_days(requested_on, REMIND_AFTER_WORKING_DAYS, nation),
        workingdays.add_working_days(requested_on, EXPIRE_AFTER_WORKING_DAYS, nation),
    )


def open_introduction(person: Person, target: Target) -> Introduction | None:
    """The person's introduction to this target still waiting or in progress, if any."""
    query = sa.select(Introduction).where(
        Introduction.person_id == person.id,
        Introduction.provider_id == target.provider.id,
        Introduction.status.in_(("requested", "accepted", "meeting")),
    )
    query = query.where(
        Introduction.carer_id == target.carer.id
        if target.carer
        else Introduction.carer_id.is_(None),
        Introduction.team_id == target.team.id if target.team else Introduction.team_id.is_(None),
    )
    return db.session.scalar(query.limit(1))


def request_introduction(
    actor: User,
    person: Person,
    target: Target,
    message: str,
    preferred_times: list[str],
) -> Introduction:
    """Ask for an introduction (the person, or a supporter for them). The caller commits."""
    if not authz.can(actor, "person.manage_introductions", person):
        raise PermissionError("not allowed to ask for this person")
    message = (message or "").strip()
    if not message:
        raise IntroductionError("Enter a message")
    if len(message) > TEXT_LIMIT:
        raise IntroductionError(f"Your message must be {TEXT_LIMIT} characters or fewer")
    unknown = [slot for slot in preferred_times if slot not in SLOTS]
    if unknown:
        raise IntroductionError("Choose times from the list")
    if open_introduction(person, target) is not None:
        raise IntroductionError(f"You have already asked to meet {target.name}")

    today = clock.today()
    remind_on, expires_on = deadlines(person, today)
    on_behalf = authz.on_behalf_of(actor, person)
    introduction = Introduction(
        person_id=person.id,
        supporter_user_id=actor.id if on_behalf is not None else None,
        provider_id=target.provider.id,
        carer_id=target.carer.id if target.carer else None,
        team_id=target.team.id if target.team else None,
        message=message,
        preferred_times=[slot for slot in SLOTS if slot in preferred_times],
        status=REQUESTED,
        requested_at=utcnow(),
        remind_on=remind_on,
        expires_on=expires_on,
    )
    db.session.add(introduction)
    db.session.flush()
    db.session.refresh(introduction)
    db.session.add(
        WorkflowEvent(
            workflow=INTRODUCTION_WORKFLOW.name,
            subject_type="Introduction",
            subject_id=introduction.id,
            move="request",
            from_state="",
            to_state=REQUESTED,
            actor_user_id=actor.id,
            on_behalf_of_person_id=on_behalf,
        )
    )
    audit.record(
        "introduction.request",
        actor_id=actor.id,
        target=introduction,
        on_behalf_of_person_id=on_behalf,
        to_status=REQUESTED,
    )
    notifications.notify(
        provider_side_users(introduction),
        f"{person.display_name} would like an introduction to {target.name}. Please answer "
        f"by {long_date(expires_on)}.",
        detail_link(introduction),
        "Someone asked for an introduction",
    )
    return introduction


def detail_link(introduction: Introduction) -> str:
    return notifications.path("introductions.detail", introduction_id=introduction.id)


def long_date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


# -- moves ------------------------------------------------------------------------------


def move(introduction: Introduction, name: str, actor: User | None, **context: Any) -> Any:
    """Make a workflow move; supporters' moves are recorded "by X for Y"."""
    if actor is not None:
        context.setdefault(
            "on_behalf_of_person_id",
            authz.on_behalf_of(actor, introduction.person)
            if authz.can(actor, "introduction.manage", introduction)
            else None,
        )
    reason = context.pop("reason", "")
    return INTRODUCTION_WORKFLOW.move(introduction, name, actor, reason=reason, **context)


def say_yes(introduction: Introduction, actor: User) -> bool:
    """One side says yes after the meeting; when both have, the introduction is agreed.

    Returns True when this made it agreed. Each side's "yes" is its own column, written
    with an UPDATE that locks the row (PostgreSQL), so of two sides saying yes at once the
    second sees the first and makes the move; the move itself is compare-and-set.
    """
    column = (
        "person_agreed_at"
        if authz.can(actor, "introduction.manage", introduction)
        else "provider_agreed_at"
        if authz.can(actor, "introduction.answer", introduction)
        else None
    )
    if column is None:
        raise PermissionError("not a side of this introduction")
    if introduction.status != "meeting":
        raise IntroductionError("You can say yes only after you have arranged to meet")
    if not met_yet(introduction):
        raise IntroductionError("You can say yes from the day of your meeting")
    db.session.execute(
        sa.update(Introduction)
        .where(Introduction.id == introduction.id, getattr(Introduction, column).is_(None))
        .values({column: utcnow()})
        .execution_options(synchronize_session=False)
    )
    audit.record(
        f"introduction.yes_{column.split('_')[0]}",
        actor_id=actor.id,
        target=introduction,
        on_behalf_of_person_id=authz.on_behalf_of(actor, introduction.person)
        if column == "person_agreed_at"
        else None,
    )
    db.session.refresh(introduction, with_for_update=_lock_supported())
    if introduction.person_agreed_at and introduction.provider_agreed_at:
        move(introduction, "agree", actor)
        return True
    other = (
        provider_side_users(introduction)
        if column == "person_agreed_at"
        else person_side_users(introduction)
    )
    notifications.notify(
        other,
        "The other side would like to go ahead after your meeting. Say whether you would too.",
        detail_link(introduction),
        "They would like to go ahead",
    )
    return False


def met_yet(introduction: Introduction) -> bool:
    """True from the (UK) day of the meeting: saying yes comes after meeting."""
    meeting_at = introduction.meeting_at
    if meeting_at is None:
        return False
    if meeting_at.tzinfo is None:  # SQLite drops the zone; we store UTC
        meeting_at = meeting_at.replace(tzinfo=UTC)
    return clock.today() >= meeting_at.astimezone(clock.LONDON).date()


def _lock_supported() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# -- the daily job: reminders and expiry -------------------------------------------------


@dataclass
class ExpiryReport:
    today: date
    reminded: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Introductions on {self.today.isoformat()}: {len(self.reminded)} reminded, "
            f"{len(self.expired)} closed with no answer."
        )


def run_expiry(today: date | None = None) -> ExpiryReport:
    """Remind providers once after 5 working days, close requests after 10 and tell the
    person. Safe to run again the same day, or twice at once: nothing happens twice."""
    today = today or clock.today()
    report = ExpiryReport(today=today)
    due = db.session.scalars(
        sa.select(Introduction)
        .where(Introduction.status == REQUESTED, Introduction.expires_on < today)
        .order_by(Introduction.id)
    ).all()
    for introduction in due:
        try:
            with db.session.begin_nested():
                move(introduction, "expire", None, today=today)
        except MoveError:
            continue  # answered (or expired by another run) meanwhile
        report.expired.append(introduction.id)

    to_remind = db.session.scalars(
        sa.select(Introduction)
        .where(
            Introduction.status == REQUESTED,
            Introduction.remind_on < today,
            Introduction.reminder_sent_at.is_(None),
        )
        .order_by(Introduction.id)
    ).all()
    for introduction in to_remind:
        # Compare-and-set, so two runs at once remind once.
        claimed = db.session.execute(
            sa.update(Introduction)
            .where(Introduction.id == introduction.id, Introduction.reminder_sent_at.is_(None))
            .where(Introduction.status == REQUESTED)
            .values(reminder_sent_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        db.session.refresh(introduction)
        notifications.notify(
            provider_side_users(introduction),
            f"{introduction.person.display_name} is still waiting for an answer to their "
            f"introduction to {introduction.target_name}. If nobody answers by "
            f"{long_date(introduction.expires_on)}, we will close it and tell them.",
            detail_link(introduction),
            "Reminder: an introduction is waiting for your answer",
        )
        audit.record("introduction.remind", actor_id=None, target=introduction)
        report.reminded.append(introduction.id)
    db.session.flush()
    return report


# -- the thread --------------------------------------------------------------------------


def side_of(user: User, introduction: Introduction) -> str | None:
    """Which side of the thread the user writes for, or None."""
    if authz.can(user, "introduction.answer", introduction):
        return IntroductionSide.PROVIDER.value
    if authz.can(user, "introduction.take_part", introduction):
        return IntroductionSide.PERSON.value
    return None


def other_side(side: str) -> str:
    return (
        IntroductionSide.PROVIDER.value
        if side == IntroductionSide.PERSON
        else IntroductionSide.PERSON.value
    )


def blocked_from_posting(introduction: Introduction, side: str) -> IntroductionBlock | None:
    """The block the other side put on this side, if any."""
    return introduction.block_by(other_side(side))


def post_message(introduction: Introduction, author: User, body: str) -> IntroductionMessage:
    """Add a plain-text message to the thread and tell the other side. The caller commits."""
    side = side_of(author, introduction)
    if side is None:
        raise PermissionError("not a side of this introduction")
    if introduction.status in authz.INTRODUCTION_THREAD_CLOSED:
        raise IntroductionError(authz.THREAD_CLOSED)
    if blocked_from_posting(introduction, side) is not None:
        raise Blocked("The other side has blocked messages from you on this thread")
    body = (body or "").strip()
    if not body:
        raise IntroductionError("Enter a message")
    if len(body) > TEXT_LIMIT:
        raise IntroductionError(f"Your message must be {TEXT_LIMIT} characters or fewer")
    on_behalf = (
        authz.on_behalf_of(author, introduction.person) if side == IntroductionSide.PERSON else None
    )
    message = IntroductionMessage(
        introduction_id=introduction.id,
        author_user_id=author.id,
        side=side,
        on_behalf_of_person_id=on_behalf,
        body=body,
    )
    db.session.add(message)
    db.session.flush()
    audit.record(
        "introduction.message", actor_id=author.id, target=message, on_behalf_of_person_id=on_behalf
    )
    recipients = (
        provider_side_users(introduction)
        if side == IntroductionSide.PERSON
        else person_side_users(introduction)
    )
    notifications.notify(
        [user for user in recipients if user.id != author.id],
        f"New message about the introduction to {introduction.target_name}.",
        detail_link(introduction),
        "New message",
    )
    return message


def record_staff_reading(introduction: Introduction, reader: User) -> None:
    """Audit a platform reviewer or admin opening a private thread (allowed only for a
    reported message on it: authz ``introduction.view``). The caller commits."""
    audit.record(
        "introduction.staff_read",
        actor_id=reader.id,
        target=introduction,
        reason="reported_message",
    )


def report_message(message: IntroductionMessage, reporter: User, reason: str) -> None:
    """Send a message to the reviewers' moderation list (once; the first report stands)."""
    introduction = message.introduction
    if side_of(reporter, introduction) is None:
        raise PermissionError("not a side of this introduction")
    if message.author_user_id == reporter.id:
        raise IntroductionError("You cannot report your own message")
    db.session.execute(
        sa.update(IntroductionMessage)
        .where(IntroductionMessage.id == message.id, IntroductionMessage.reported_at.is_(None))
        .values(
            reported_at=utcnow(),
            reported_by_user_id=reporter.id,
            report_reason=(reason or "").strip()[:TEXT_LIMIT],
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(message)
    audit.record("introduction.report_message", actor_id=reporter.id, target=message)


def block(introduction: Introduction, user: User, reason: str) -> IntroductionBlock:
    """The user's side stops the other side posting on this thread."""
    side = side_of(user, introduction)
    if side is None:
        raise PermissionError("not a side of this introduction")
    existing = introduction.block_by(side)
    if existing is not None:
        return existing
    row = IntroductionBlock(
        introduction_id=introduction.id,
        side=side,
        blocked_by_user_id=user.id,
        reason=(reason or "").strip()[:TEXT_LIMIT],
    )
    db.session.add(row)
    db.session.flush()
    db.session.refresh(introduction)
    audit.record("introduction.block", actor_id=user.id, target=introduction, side=side)
    return row


def unblock(introduction: Introduction, user: User) -> None:
    side = side_of(user, introduction)
    if side is None:
        raise PermissionError("not a side of this introduction")
    existing = introduction.block_by(side)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        db.session.refresh(introduction)
        audit.record("introduction.unblock", actor_id=user.id, target=introduction, side=side)


def moderate(message: IntroductionMessage, reviewer: User, *, hide: bool) -> None:
    """A reviewer hides a reported message (or keeps it); recorded in the audit log."""
    message.moderated_at = utcnow()
    if hide:
        message.hidden = True
        message.hidden_at = utcnow()
        message.hidden_by_user_id = reviewer.id
    audit.record("introduction.moderate", actor_id=reviewer.id, target=message, hidden=bool(hide))


# -- what pages show ----------------------------------------------------------------------


def introductions_for_people(people: list[Person]) -> list[Introduction]:
    if not people:
        return []
    return list(
        db.session.scalars(
            sa.select(Introduction)
            .where(Introduction.person_id.in_([person.id for person in people]))
            .order_by(Introduction.requested_at.desc(), Introduction.id.desc())
        )
    )


def provider_introductions(provider: Provider) -> list[Introduction]:
    return list(
        db.session.scalars(
            sa.select(Introduction)
            .where(Introduction.provider_id == provider.id)
            .order_by(Introduction.requested_at.desc(), Introduction.id.desc())
        )
    )


def carer_introductions(carer: Carer) -> list[Introduction]:
    return list(
        db.session.scalars(
            sa.select(Introduction)
            .where(Introduction.carer_id == carer.id)
            .order_by(Introduction.requested_at.desc(), Introduction.id.desc())
        )
    )


INBOX_GROUPS = (
    ("Waiting for your answer", ("requested",)),
    ("Meeting", ("accepted", "meeting")),
    ("Closed", ("declined", "expired", "withdrawn", "agreed", "not_going_ahead")),
)


def inbox_groups(introductions: list[Introduction]) -> list[tuple[str, list[Introduction]]]:
    return [
        (heading, [i for i in introductions if i.status in statuses])
        for heading, statuses in INBOX_GROUPS
    ]


@dataclass
class Contact:
    """What each side sees of the other once both agreed (and only then)."""

    name: str
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    district: str | None = None  # the person's area, until their full postcode is shared


@dataclass
class DetailPage:
    side: str | None  # "person", "provider", or None (platform admin looking)
    can_answer: bool
    can_manage: bool
    can_message: bool
    meeting_choices: list[tuple[str, str]]
    messages: list[IntroductionMessage]
    blocked_by_them: IntroductionBlock | None
    blocked_by_us: IntroductionBlock | None
    said_yes: bool
    other_said_yes: bool
    met_yet: bool
    contact: Contact | None
    similar: list[Any]
    events: list[WorkflowEvent]
    may: dict[str, bool]
    nation: str | None
    times: list[str] = field(default_factory=list)
    nation_label: str | None = None
    event_labels: dict[str, str] = field(default_factory=dict)
    # What comes after the meeting: the arrangement made from this introduction (when
    # this user may see it), or whether this user may propose one now.
    arrangement: Any = None
    arrangement_status: str = ""
    can_propose: bool = False
    thread_closed: bool = False


def meeting_label(value: str) -> str:
    from marketplace.introductions.workflow import parse_meeting_time

    moment = parse_meeting_time(value).astimezone(clock.LONDON)
    return moment.strftime("%A %-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


EVENT_LABELS = {
    "request": "asked for an introduction",
    "accept": "accepted and offered times to meet",
    "decline": "said no",
    "expire": "closed, because nobody answered in 10 working days",
    "withdraw": "withdrawn",
    "arrange_meeting": "a time to meet was chosen",
    "agree": "both sides agreed to go ahead",
    "not_go_ahead": "not going ahead",
}


def detail_page(introduction: Introduction, user: User) -> DetailPage:
    side = side_of(user, introduction)
    can_manage = authz.can(user, "introduction.manage", introduction)
    can_answer = authz.can(user, "introduction.answer", introduction)
    said_yes = other_said_yes = False
    if side == IntroductionSide.PERSON:
        said_yes = introduction.person_agreed_at is not None
        other_said_yes = introduction.provider_agreed_at is not None
    elif side == IntroductionSide.PROVIDER:
        said_yes = introduction.provider_agreed_at is not None
        other_said_yes = introduction.person_agreed_at is not None
    events = list(
        db.session.scalars(
            sa.select(WorkflowEvent)
            .where(
                WorkflowEvent.workflow == INTRODUCTION_WORKFLOW.name,
                WorkflowEvent.subject_id == introduction.id,
            )
            .order_by(WorkflowEvent.at, WorkflowEvent.id)
        )
    )
    arrangement, can_propose = _next_step(introduction, user, side)
    return DetailPage(
        side=side,
        arrangement=arrangement,
        arrangement_status=ArrangementStatus.label_for(arrangement.status) if arrangement else "",
        can_propose=can_propose,
        can_answer=can_answer,
        can_manage=can_manage,
        can_message=side is not None and authz.can(user, "introduction.message", introduction),
        thread_closed=introduction.status in authz.INTRODUCTION_THREAD_CLOSED,
        meeting_choices=[(o, meeting_label(o)) for o in introduction.meeting_options or []],
        messages=list(introduction.messages),
        blocked_by_them=blocked_from_posting(introduction, side) if side else None,
        blocked_by_us=introduction.block_by(side) if side else None,
        said_yes=said_yes,
        other_said_yes=other_said_yes,
        met_yet=met_yet(introduction),
        contact=contact_for(introduction, side, user),
        similar=similar_matches(introduction) if side == IntroductionSide.PERSON else [],
        events=events,
        may={
            name: INTRODUCTION_WORKFLOW.may(user, introduction, name)
            for name in ("accept", "decline", "withdraw", "arrange_meeting", "not_go_ahead")
        },
        nation=nation_of(introduction.person),
        times=[
            SLOT_LABELS[slot] for slot in introduction.preferred_times or [] if slot in SLOT_LABELS
        ],
        nation_label=Nation.label_for(nation_of(introduction.person)),
        event_labels=EVENT_LABELS,
    )


def _next_step(introduction: Introduction, user: User, side: str | None) -> tuple[Any, bool]:
    """(the arrangement from this introduction the user may see, may they propose one)."""
    from marketplace.arrangements import services as arrangements

    if introduction.status not in arrangements.PROPOSABLE_FROM:
        return None, False
    arrangement = arrangements.open_for_introduction(introduction.id)
    if arrangement is not None:
        return (arrangement if authz.can(user, "arrangement.view", arrangement) else None), False
    can_propose = side == IntroductionSide.PROVIDER and authz.can(
        user, "arrangement.propose", introduction.provider_id
    )
    return None, can_propose


def contact_for(introduction: Introduction, side: str | None, viewer: User) -> Contact | None:
    """The other side's contact details: only once both agreed (status agreed). The
    person's postcode in full only as authz ``person.see_postcode`` says (an arrangement
    agreed and running), else its district."""
    if not introduction.contact_shared or side is None:
        return None
    if side == IntroductionSide.PERSON:
        provider = introduction.provider
        carer = introduction.carer
        email = provider.contact_email
        if carer is not None and carer.user is not None:
            email = carer.user.email
        return Contact(name=introduction.target_name, email=email, phone=provider.contact_phone)
    person = introduction.person
    full = authz.can(viewer, "person.see_postcode", person)
    return Contact(
        name=person.display_name,
        email=person.user.email,
        postcode=person.postcode if full else None,
        district=None if full else person.district,
    )


SIMILAR_SHOWN = 5


def similar_matches(introduction: Introduction) -> list[Any]:
    """After a decline or expiry: other listed carers the matching engine ranks for the
    person's profile, without the one who did not answer."""
    if introduction.status not in ("declined", "expired"):
        return []
    from marketplace import geo
    from marketplace.people.services import wish_filters
    from marketplace.search.services import SearchFilters, search_carers

    person = introduction.person
    if not person.postcode:
        return []
    try:
        place = geo.lookup(person.postcode)
    except geo.GeoError:
        return []
    preferences = person.preferences or {}
    filters = SearchFilters(
        radius_km=max(1, min(50, round(person.max_distance_km or 10))),
        must_have=frozenset(person.must_have or ()),
        nice_to_have=frozenset(person.nice_to_have or ()),
        interests=tuple(person.interests or ()),
        languages=frozenset(person.languages or ()),
        gender=preferences.get("carer_gender") or None,
        limit=SIMILAR_SHOWN + 1,
        # Never suggest a carer whose answers clash with the person's home and wishes.
        **wish_filters(person),
    )
    # Not the carer who said no or did not answer, nor anyone the person is already
    # waiting for, meeting or agreed with, nor one who said no to them before: "others"
    # means people they could ask now.
    taken = {introduction.carer_id} | set(
        db.session.scalars(
            sa.select(Introduction.carer_id).where(
                Introduction.person_id == person.id,
                Introduction.carer_id.is_not(None),
                Introduction.status.in_((*OPEN, AGREED, DECLINED)),
            )
        )
    )
    filters = replace(filters, limit=SIMILAR_SHOWN + len(taken))
    results = search_carers(place, filters).results
    return [r for r in results if r.card.id not in taken][:SIMILAR_SHOWN]
