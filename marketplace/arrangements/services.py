"""Arrangements: proposing terms, changing them with both sides' agreement, choosing the
team, and what each user may see. Status changes go through ``lifecycle`` only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace import audit, authz, clock, notifications
from marketplace.arrangements.lifecycle import (
    ARRANGEMENT_WORKFLOW,
    CHANGE_WORKFLOW,
    TermsChanged,
    other_side,
    side_of,
    users_of,
)
from marketplace.choices import ArrangementSide, ArrangementStatus, FundingRoute, LifeArea
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    ArrangementMember,
    ArrangementOutcome,
    ArrangementVersion,
    Carer,
    ConsentGrant,
    MembershipPlan,
    Person,
    Provider,
    Team,
    TeamMember,
    User,
)
from marketplace.money import format_pence
from marketplace.workflow import NotAllowed

MAX_OUTCOMES = 5
OUTCOME_MAX_LENGTH = 300
RUNNING = (ArrangementStatus.ACTIVE, ArrangementStatus.PAUSED)


@dataclass(frozen=True)
class Outcome:
    text: str
    life_area: str | None = None


@dataclass(frozen=True)
class Terms:
    """What both sides agree: dates, carers, funding route, price and outcomes."""

    starts_on: date
    ends_on: date | None
    funding_route: str
    hourly_rate_pence: int | None
    membership_plan_id: int | None
    carer_ids: tuple[int, ...]
    outcomes: tuple[Outcome, ...]
    # The carers the person chose themselves (choose your team).
    chosen_by_person: frozenset[int] = field(default_factory=frozenset)


class TermsInvalid(ValueError):
    """``errors`` maps a form field to what is wrong with it, in plain English."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


# -- reading ------------------------------------------------------------------------------


def get(arrangement_id: int) -> Arrangement | None:
    return db.session.get(Arrangement, arrangement_id)


def carers_offered(provider: Provider, team: Team | None) -> list[Carer]:
    """The carers who can be in an arrangement: the team's members, else the provider's."""
    if team is not None:
        query = (
            sa.select(Carer)
            .join(TeamMember, TeamMember.carer_id == Carer.id)
            .where(TeamMember.team_id == team.id)
            .order_by(TeamMember.seat)
        )
    else:
        query = sa.select(Carer).where(Carer.provider_id == provider.id).order_by(Carer.id)
    return [c for c in db.session.scalars(query) if c.provider_id == provider.id]


def plans_of(provider: Provider) -> list[MembershipPlan]:
    return list(
        db.session.scalars(
            sa.select(MembershipPlan)
            .where(MembershipPlan.provider_id == provider.id, MembershipPlan.active.is_(True))
            .order_by(MembershipPlan.name, MembershipPlan.id)
        )
    )


def for_person(person: Person) -> list[Arrangement]:
    return list(
        db.session.scalars(
            sa.select(Arrangement)
            .where(Arrangement.person_id == person.id)
            .order_by(Arrangement.created_at.desc(), Arrangement.id.desc())
        )
    )


def for_provider(provider: Provider) -> list[Arrangement]:
    return list(
        db.session.scalars(
            sa.select(Arrangement)
            .where(Arrangement.provider_id == provider.id)
            .order_by(Arrangement.created_at.desc(), Arrangement.id.desc())
        )
    )


def for_carer(carer: Carer) -> list[Arrangement]:
    """Agreed, running arrangements this carer is in."""
    query = (
        sa.select(Arrangement)
        .join(ArrangementVersion, ArrangementVersion.arrangement_id == Arrangement.id)
        .join(ArrangementMember, ArrangementMember.version_id == ArrangementVersion.id)
        .where(
            ArrangementMember.carer_id == carer.id,
            ArrangementVersion.number == Arrangement.agreed_version,
            Arrangement.status.in_(RUNNING),
        )
        .order_by(Arrangement.starts_on, Arrangement.id)
    )
    return list(db.session.scalars(query))


def visible_to(user: User) -> list[Arrangement]:
    """Every arrangement this user is part of: their own, the people they support (with a
    grant that covers it), and, for carers, the running ones they are in."""
    found: dict[int, Arrangement] = {}
    person_ids = [user.person.id] if user.person is not None else []
    person_ids += list(
        db.session.scalars(
            sa.select(ConsentGrant.person_id).where(ConsentGrant.supporter_user_id == user.id)
        )
    )
    if person_ids:
        rows = db.session.scalars(
            sa.select(Arrangement)
            .where(Arrangement.person_id.in_(person_ids))
            .order_by(Arrangement.created_at.desc(), Arrangement.id.desc())
        )
        for row in rows:
            if authz.can(user, "arrangement.view", row):
                found[row.id] = row
    carer = authz.own_carer(user)
    if carer is not None:
        for row in for_carer(carer):
            found.setdefault(row.id, row)
    return list(found.values())


# An arrangement is proposed from an introduction at its meeting stage, or once both sides
# said they would like to go ahead: the proposal page, the provider's "ready" list and the
# introduction's own page all ask this.
PROPOSABLE_FROM = ("meeting", "agreed")


def introductions_ready(provider: Provider) -> list[Any]:
    """This provider's introductions at the meeting stage (or agreed) with no arrangement
    yet: the people it can propose an arrangement to."""
    from marketplace.models import Introduction

    taken = sa.select(Arrangement.introduction_id).where(
        Arrangement.introduction_id.is_not(None),
        Arrangement.status != ArrangementStatus.NOT_AGREED,
    )
    return list(
        db.session.scalars(
            sa.select(Introduction)
            .where(
                Introduction.provider_id == provider.id,
                Introduction.status.in_(PROPOSABLE_FROM),
                Introduction.id.not_in(taken),
            )
            .order_by(Introduction.id)
        )
    )


def open_for_introduction(introduction_id: int) -> Arrangement | None:
    """The arrangement already made from this introduction, unless it was not agreed."""
    return db.session.scalar(
        sa.select(Arrangement)
        .where(
            Arrangement.introduction_id == introduction_id,
            Arrangement.status != ArrangementStatus.NOT_AGREED,
        )
        .order_by(Arrangement.id.desc())
        .limit(1)
    )


def known_carer_ids(person: Person | None) -> frozenset[int]:
    """Carers in the person's agreed, running arrangements: "someone you already know"."""
    if person is None:
        return frozenset()
    query = (
        sa.select(ArrangementMember.carer_id)
        .join(ArrangementVersion, ArrangementMember.version_id == ArrangementVersion.id)
        .join(Arrangement, ArrangementVersion.arrangement_id == Arrangement.id)
        .where(
            Arrangement.person_id == person.id,
            ArrangementVersion.number == Arrangement.agreed_version,
            Arrangement.status.in_(RUNNING),
        )
    )
    return frozenset(db.session.scalars(query))


def export_rows(person: Person) -> dict[str, Any]:
    """The person's arrangements (every version) and reviews, for their data export."""
    from marketplace.reviews.services import review_of

    rows = []
    for arrangement in for_person(person):
        review = review_of(arrangement)
        rows.append(
            {
                "provider": arrangement.provider.name,
                "team": arrangement.team.name if arrangement.team else None,
                "status": arrangement.status,
                "agreed_version": arrangement.agreed_version,
                "versions": [
                    {
                        "number": v.number,
                        "status": v.status,
                        "proposed_by": v.proposed_by_side,
                        "proposed_at": v.proposed_at.isoformat(),
                        "starts_on": v.starts_on.isoformat(),
                        "ends_on": v.ends_on.isoformat() if v.ends_on else None,
                        "funding_route": v.funding_route,
                        "hourly_rate_pence": v.hourly_rate_pence,
                        "membership_plan_id": v.membership_plan_id,
                        "carers": [m.carer.display_name for m in v.members],
                        "outcomes": [
                            {"text": o.text, "life_area": o.life_area} for o in v.outcomes
                        ],
                    }
                    for v in arrangement.versions
                ],
                "review": None
                if review is None
                else {
                    "text": review.text,
                    "ratings": {r.aspect: r.stars for r in review.ratings},
                    "status": review.status,
                    "reply": review.reply_text,
                },
            }
        )
    return {"arrangements": rows}


# -- checking terms ----------------------------------------------------------------------


def check_terms(
    provider: Provider, team: Team | None, terms: Terms, *, first: bool
) -> dict[str, str]:
    """Field -> what is wrong; empty when the terms can be proposed."""
    errors: dict[str, str] = {}
    if first and terms.starts_on < clock.today():  # a change may keep a past start date
        errors["starts_on"] = "The start date must be today or in the future"
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        errors["ends_on"] = "The end date must be the same as or after the start date"
    if terms.funding_route not in FundingRoute.values():
        errors["funding_route"] = "Choose how the care is paid for"
    has_rate = terms.hourly_rate_pence is not None
    has_plan = terms.membership_plan_id is not None
    if has_rate == has_plan:
        errors["price"] = "Give an hourly price or choose a membership plan, not both"
    if has_plan and terms.membership_plan_id not in {p.id for p in plans_of(provider)}:
        errors["price"] = "Choose one of this provider's membership plans"
    offered = {c.id for c in carers_offered(provider, team)}
    if not terms.carer_ids:
        errors["carers"] = "Choose at least one carer"
    elif not set(terms.carer_ids) <= offered:
        errors["carers"] = "Choose carers from this provider" + (" and team" if team else "")
    outcomes = [o for o in terms.outcomes if o.text.strip()]
    if not outcomes:
        errors["outcome_1"] = "Write at least one outcome: what good looks like for the person"
    elif len(outcomes) > MAX_OUTCOMES:
        errors["outcome_1"] = f"Agree at most {MAX_OUTCOMES} outcomes"
    for number, outcome in enumerate(terms.outcomes, start=1):
        if len(outcome.text.strip()) > OUTCOME_MAX_LENGTH:
            errors[f"outcome_{number}"] = (
                f"Keep outcome {number} to {OUTCOME_MAX_LENGTH} characters or fewer"
            )
        if outcome.life_area is not None and outcome.life_area not in LifeArea.values():
            errors[f"outcome_{number}"] = f"Choose a life area from the list for outcome {number}"
    return errors


def terms_of(version: ArrangementVersion) -> Terms:
    return Terms(
        starts_on=version.starts_on,
        ends_on=version.ends_on,
        funding_route=version.funding_route,
        hourly_rate_pence=version.hourly_rate_pence,
        membership_plan_id=version.membership_plan_id,
        carer_ids=tuple(m.carer_id for m in version.members),
        outcomes=tuple(Outcome(o.text, o.life_area) for o in version.outcomes),
        chosen_by_person=frozenset(m.carer_id for m in version.members if m.chosen_by_person),
    )


def _new_version(
    arrangement: Arrangement, number: int, based_on: int, side: str, terms: Terms, actor: User,
    note: str,
) -> ArrangementVersion:  # fmt: skip
    version = ArrangementVersion(
        arrangement_id=arrangement.id,
        number=number,
        based_on=based_on,
        proposed_by_side=side,
        proposed_by_user_id=actor.id,
        on_behalf_of_person_id=_on_behalf(actor, arrangement, side),
        note=note.strip(),
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        funding_route=terms.funding_route,
        hourly_rate_pence=terms.hourly_rate_pence,
        membership_plan_id=terms.membership_plan_id,
    )
    version.members = [
        ArrangementMember(carer_id=carer_id, chosen_by_person=carer_id in terms.chosen_by_person)
        for carer_id in dict.fromkeys(terms.carer_ids)
    ]
    version.outcomes = [
        ArrangementOutcome(position=i, text=o.text.strip(), life_area=o.life_area or None)
        for i, o in enumerate([o for o in terms.outcomes if o.text.strip()], start=1)
    ]
    db.session.add(version)
    return version


def _on_behalf(actor: User, arrangement: Arrangement, side: str) -> int | None:
    if side != ArrangementSide.PERSON:
        return None
    return authz.on_behalf_of(actor, arrangement.person)


# -- proposing ------------------------------------------------------------------------------


def propose_arrangement(
    *,
    person: Person,
    provider: Provider,
    team: Team | None,
    terms: Terms,
    actor: User,
    introduction_id: int | None = None,
    note: str = "",
) -> Arrangement:
    """The provider proposes the first terms; the person's side agrees. The caller commits."""
    refused = authz.refusal(actor, "arrangement.propose", provider)
    if refused is not None:
        raise NotAllowed(refused)
    if team is not None and team.provider_id != provider.id:
        raise TermsInvalid({"team": "Choose one of this provider's teams"})
    errors = check_terms(provider, team, terms, first=True)
    if errors:
        raise TermsInvalid(errors)
    arrangement = Arrangement(
        person_id=person.id,
        provider_id=provider.id,
        team_id=team.id if team is not None else None,
        introduction_id=introduction_id,
        status=ArrangementStatus.PROPOSED,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        funding_route=terms.funding_route,
        hourly_rate_pence=terms.hourly_rate_pence,
        membership_plan_id=terms.membership_plan_id,
    )
    db.session.add(arrangement)
    db.session.flush()
    _new_version(arrangement, 1, 0, ArrangementSide.PROVIDER, terms, actor, note)
    db.session.flush()
    db.session.refresh(arrangement)
    audit.record(
        "arrangement.proposed",
        actor_id=actor.id,
        target=arrangement,
        provider_id=provider.id,
        introduction_id=introduction_id,
    )
    _tell(
        arrangement,
        ArrangementSide.PERSON,
        "new arrangement to agree",
        f"{provider.name} has proposed an arrangement for {person.display_name}. "
        "Read it, then agree it or say what you would change.",
    )
    return arrangement


def propose_change(
    arrangement: Arrangement, terms: Terms, actor: User, *, note: str = ""
) -> ArrangementVersion:
    """A new version of the terms from the actor's side; it takes effect when the other
    side agrees. The same side's earlier proposal is replaced. The caller commits."""
    side = side_of(actor, arrangement)
    if side is None:
        raise NotAllowed(authz.refusal(actor, "arrangement.act_for_person", arrangement) or "")
    if arrangement.status in (ArrangementStatus.ENDED, ArrangementStatus.NOT_AGREED):
        raise TermsChanged("This arrangement is closed, so it cannot be changed.")
    # One writer at a time per arrangement (PostgreSQL; SQLite writes one at a time).
    db.session.execute(
        sa.select(Arrangement.id).where(Arrangement.id == arrangement.id).with_for_update()
    )
    db.session.refresh(arrangement)
    errors = check_terms(arrangement.provider, arrangement.team, terms, first=False)
    if errors:
        raise TermsInvalid(errors)
    current = arrangement.current
    if current is not None and terms_of(current) == terms and arrangement.agreed_version:
        raise TermsInvalid({"note": "Nothing has changed: change something before sending it"})
    for earlier in arrangement.pending:
        if earlier.proposed_by_side == side:
            CHANGE_WORKFLOW.move(earlier, "supersede", actor, reason="a newer proposal")
    number = max((v.number for v in arrangement.versions), default=0) + 1
    try:
        with db.session.begin_nested():
            version = _new_version(
                arrangement, number, arrangement.agreed_version, side, terms, actor, note
            )
            db.session.flush()
    except IntegrityError as error:
        raise TermsChanged(
            "The other side changed this arrangement at the same moment. Look at it again."
        ) from error
    db.session.refresh(arrangement)
    audit.record(
        "arrangement.change_proposed",
        actor_id=actor.id,
        target=arrangement,
        on_behalf_of_person_id=version.on_behalf_of_person_id,
        version=number,
        side=side,
    )
    who = "the person's side" if side == ArrangementSide.PERSON else arrangement.provider.name
    _tell(
        arrangement,
        other_side(side),
        "arrangement change to agree",
        f"A change to the arrangement for {arrangement.person.display_name} was proposed "
        f"by {who}. It takes effect when you agree it.",
    )
    return version


def _tell(arrangement: Arrangement, side: str, subject: str, message: str) -> None:
    link = notifications.path("arrangements.show", arrangement_id=arrangement.id)
    notifications.notify(users_of(side, arrangement), message, link, subject)


def decide(
    arrangement: Arrangement, number: int, move: str, actor: User, *, reason: str = ""
) -> ArrangementVersion:
    """Accept, turn down or withdraw version ``number``. The caller commits."""
    version = arrangement.version(number)
    if version is None:
        raise LookupError(number)
    side = side_of(actor, arrangement)
    context: dict[str, Any] = {}
    if side == ArrangementSide.PERSON:
        context["on_behalf_of_person_id"] = authz.on_behalf_of(actor, arrangement.person)
    CHANGE_WORKFLOW.move(version, move, actor, reason=reason, **context)
    db.session.refresh(arrangement)
    return version


def move(arrangement: Arrangement, name: str, actor: User, *, reason: str = "") -> None:
    """Pause, resume or end an arrangement (either side). The caller commits."""
    context: dict[str, Any] = {}
    if side_of(actor, arrangement) == ArrangementSide.PERSON:
        context["on_behalf_of_person_id"] = authz.on_behalf_of(actor, arrangement.person)
    ARRANGEMENT_WORKFLOW.move(arrangement, name, actor, reason=reason, **context)
    db.session.refresh(arrangement)


# -- choosing the team ---------------------------------------------------------------------


@dataclass(frozen=True)
class TeamChoice:
    carer: Carer
    role: str
    shared: list[str]  # interest labels both enjoy
    explanation: str  # the matching engine's interests sentence


def team_choices(team: Team, person: Person) -> list[TeamChoice]:
    """The team's members with the interests they share with the person, worded by the
    matching engine's interest signal (vocabulary synonyms count: "garden" ~ "gardening")."""
    from matching.signals.interests import explain_interests
    from matching.vocabulary import DEFAULT_VOCABULARY, stem_phrase
    from matching.wording import join_and

    # The vocabulary the matching catalog is built with: the same synonyms, the same slugs.
    vocabulary = DEFAULT_VOCABULARY

    def keyed(texts: Iterable[str]) -> dict[str, str]:
        found = {}
        for text in texts:
            key = vocabulary.normalise(text, "interests") or stem_phrase(text)
            found.setdefault(key, text)
        return found

    def label(key: str, text: str) -> str:
        return vocabulary.label("interests", key) if key in vocabulary.interests else text

    wanted = keyed(person.interests or ())
    rows = db.session.execute(
        sa.select(Carer, TeamMember.role)
        .join(TeamMember, TeamMember.carer_id == Carer.id)
        .where(TeamMember.team_id == team.id, Carer.provider_id == team.provider_id)
        .order_by(TeamMember.seat)
    ).all()
    choices = []
    for carer, role in rows:
        theirs = keyed(carer.interests or ())
        shared = [label(key, text) for key, text in wanted.items() if key in theirs]
        labels = [label(key, text) for key, text in theirs.items()]
        text = explain_interests(shared, labels, len(wanted), carer.display_name)
        if shared:
            text = f"you and {carer.display_name} both enjoy {join_and(shared)}"
        choices.append(TeamChoice(carer, role, shared, text))
    return choices


def choose_team(arrangement: Arrangement, carer_ids: Sequence[int], actor: User) -> Any:
    """The person's side chooses who from the team supports them: a new version with
    those members (the rest of the terms unchanged), for the provider to agree."""
    current = arrangement.current
    if current is None or arrangement.team is None:
        raise TermsInvalid({"carers": "This arrangement is not with a team"})
    base = terms_of(current)
    chosen = tuple(dict.fromkeys(int(c) for c in carer_ids))
    terms = Terms(
        starts_on=base.starts_on,
        ends_on=base.ends_on,
        funding_route=base.funding_route,
        hourly_rate_pence=base.hourly_rate_pence,
        membership_plan_id=base.membership_plan_id,
        carer_ids=chosen,
        outcomes=base.outcomes,
        chosen_by_person=frozenset(chosen),
    )
    if not chosen:
        raise TermsInvalid({"carers": "Choose at least one person from the team"})
    if set(chosen) == set(base.carer_ids) and base.chosen_by_person == frozenset(chosen):
        raise TermsInvalid({"carers": "These are already the people in your arrangement"})
    names = ", ".join(c.display_name for c in carers_offered(arrangement.provider, arrangement.team)
                      if c.id in set(chosen))  # fmt: skip
    return propose_change(arrangement, terms, actor, note=f"Chosen from the team: {names}")


# -- showing the history ------------------------------------------------------------------


def price_text(hourly_rate_pence: int | None, plan: MembershipPlan | None) -> str:
    if hourly_rate_pence is not None:
        return f"{format_pence(hourly_rate_pence)} an hour"
    if plan is not None:
        return f"{plan.name}: {format_pence(plan.monthly_price_pence)} a month"
    return "not agreed yet"


def plan_of(version: ArrangementVersion | Arrangement) -> MembershipPlan | None:
    if version.membership_plan_id is None:
        return None
    return db.session.get(MembershipPlan, version.membership_plan_id)


def long_date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "no end date"


def differences(before: ArrangementVersion | None, after: ArrangementVersion) -> list[str]:
    """What a version changes, one sentence each ("Start date: 1 May 2026 → 8 May 2026")."""
    if before is None:
        return ["The first terms proposed."]
    lines = []

    def changed(label: str, old: str, new: str) -> None:
        if old != new:
            lines.append(f"{label}: {old} → {new}")

    changed("Start date", long_date(before.starts_on), long_date(after.starts_on))
    changed("End date", long_date(before.ends_on), long_date(after.ends_on))
    changed(
        "Paid for by",
        FundingRoute.label_for(before.funding_route) or "",
        FundingRoute.label_for(after.funding_route) or "",
    )
    changed(
        "Price",
        price_text(before.hourly_rate_pence, plan_of(before)),
        price_text(after.hourly_rate_pence, plan_of(after)),
    )
    old_carers = [m.carer.display_name for m in before.members]
    new_carers = [m.carer.display_name for m in after.members]
    changed("Carers", ", ".join(old_carers), ", ".join(new_carers))
    old = [o.text for o in before.outcomes]
    new = [o.text for o in after.outcomes]
    for text in new:
        if text not in old:
            lines.append(f"New outcome: “{text}”")
    for text in old:
        if text not in new:
            lines.append(f"Outcome taken out: “{text}”")
    return lines or ["No change to the terms."]


def history(arrangement: Arrangement) -> list[tuple[ArrangementVersion, list[str]]]:
    """Every version, newest first, with what it changed from the version it was based on."""
    rows = []
    for version in arrangement.versions:
        base = arrangement.version(version.based_on) if version.based_on else None
        rows.append((version, differences(base, version)))
    return list(reversed(rows))


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}
