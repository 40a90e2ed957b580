"""Teams: at most 12 members (seats 1..12 in the database), one coach, one connector."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace import audit, geo
from marketplace.choices import TeamRole
from marketplace.extensions import db
from marketplace.models import Carer, Provider, Team, TeamMember
from marketplace.models.providers import TEAM_MAX_MEMBERS

MAX_PATCH_DISTRICTS = 30
ROLE_LABELS = TeamRole.labels()
FULL_TEAM_MESSAGE = (
    f"This team already has {TEAM_MAX_MEMBERS} members, the most a team can have. "
    "Remove someone before adding another carer, or start a new team."
)


class TeamFull(Exception):
    """The team has no free seat."""


class TeamChanged(Exception):
    """Someone else changed the team at the same moment; try again."""


class AlreadyMember(Exception):
    """The carer is already in the team."""


class PatchError(ValueError):
    """The patch text has districts we cannot accept. ``problems`` lists each in plain English."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def parse_patch(text: str | None) -> list[str]:
    """Postcode districts ("ls6, LS7 ls16") as a list ["LS6", "LS7", "LS16"].

    Each must be an outcode that exists. Raises PatchError.
    """
    districts: list[str] = []
    problems: list[str] = []
    for chunk in re.split(r"[,;\n]+", text or ""):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            geo.normalise_postcode(chunk)
            tokens = [chunk]
        except geo.InvalidPostcode:
            tokens = chunk.split()
        for token in tokens:
            try:
                normal = geo.normalise_postcode(token)
            except geo.InvalidPostcode:
                problems.append(
                    f"{token} is not a postcode district. A district is the first "
                    "half of a postcode, like LS6."
                )
                continue
            if " " in normal:
                problems.append(
                    f"{normal} is a full postcode. Enter only its district, {normal.split()[0]}."
                )
                continue
            try:
                geo.lookup(normal)
            except geo.PostcodeNotFound:
                problems.append(f"We could not find the postcode district {normal}.")
                continue
            if normal not in districts:
                districts.append(normal)
    if problems:
        raise PatchError(problems)
    if not districts:
        raise PatchError(["Enter at least one postcode district, like LS6."])
    if len(districts) > MAX_PATCH_DISTRICTS:
        raise PatchError(
            [
                f"Enter {MAX_PATCH_DISTRICTS} postcode districts or fewer. "
                "A neighbourhood team covers a small area."
            ]
        )
    return districts


def name_taken(provider_id: int, name: str, except_team_id: int | None = None) -> bool:
    query = sa.select(Team.id).where(
        Team.provider_id == provider_id, sa.func.lower(Team.name) == name.strip().lower()
    )
    if except_team_id is not None:
        query = query.where(Team.id != except_team_id)
    return db.session.scalar(query) is not None


def create_team(
    provider: Provider, name: str, description: str, patch: list[str], actor_id: int
) -> Team:
    team = Team(
        provider_id=provider.id, name=name.strip(), description=description.strip(), patch=patch
    )
    db.session.add(team)
    db.session.flush()
    audit.record("team.created", actor_id=actor_id, target=team, provider_id=provider.id)
    return team


def update_team(team: Team, name: str, description: str, patch: list[str], actor_id: int) -> None:
    team.name, team.description, team.patch = name.strip(), description.strip(), patch
    audit.record("team.updated", actor_id=actor_id, target=team)


def delete_team(team: Team, actor_id: int) -> None:
    audit.record("team.deleted", actor_id=actor_id, target=team, name=team.name)
    db.session.delete(team)


def member_count(team_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(TeamMember).where(TeamMember.team_id == team_id)
        )
        or 0
    )


def lowest_free_seat(team_id: int) -> int | None:
    """The lowest seat from 1 to 12 nobody holds, or None when the team is full."""
    taken = set(db.session.scalars(sa.select(TeamMember.seat).where(TeamMember.team_id == team_id)))
    return next((seat for seat in range(1, TEAM_MAX_MEMBERS + 1) if seat not in taken), None)


def is_member(team_id: int, carer_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(TeamMember.id).where(
                TeamMember.team_id == team_id, TeamMember.carer_id == carer_id
            )
        )
        is not None
    )


def eligible_carers(team: Team) -> list[Carer]:
    """The provider's carers who are not yet in this team."""
    in_team = sa.select(TeamMember.carer_id).where(TeamMember.team_id == team.id)
    return list(
        db.session.scalars(
            sa.select(Carer)
            .where(Carer.provider_id == team.provider_id, Carer.id.not_in(in_team))
            .order_by(Carer.display_name, Carer.id)
        )
    )


def add_member(team: Team, carer: Carer, actor_id: int, attempts: int = 3) -> TeamMember:
    """Give the carer the lowest free seat. Raises TeamFull, AlreadyMember or TeamChanged.

    The database is the final judge: two admins adding at once may pick the same seat,
    and the loser's insert fails on the unique (team, seat) rule; we look again.
    """
    if carer.provider_id != team.provider_id:
        raise ValueError("a team's members must be its provider's carers")
    for _ in range(attempts):
        if is_member(team.id, carer.id):
            raise AlreadyMember(carer.display_name)
        seat = lowest_free_seat(team.id)
        if seat is None:
            raise TeamFull(FULL_TEAM_MESSAGE)
        member = TeamMember(team_id=team.id, carer_id=carer.id, seat=seat, role="member")
        try:
            with db.session.begin_nested():
                db.session.add(member)
                db.session.flush()
        except sa.exc.IntegrityError:
            continue
        db.session.expire(team, ["memberships"])
        audit.record(
            "team.member_added", actor_id=actor_id, target=team, carer_id=carer.id, seat=seat
        )
        return member
    db.session.expire(team, ["memberships"])
    if member_count(team.id) >= TEAM_MAX_MEMBERS:
        raise TeamFull(FULL_TEAM_MESSAGE)
    raise TeamChanged("Someone else changed this team at the same time. Please try again.")


def remove_member(team: Team, member: TeamMember, actor_id: int) -> None:
    audit.record("team.member_removed", actor_id=actor_id, target=team, carer_id=member.carer_id)
    db.session.delete(member)
    db.session.flush()
    db.session.expire(team, ["memberships"])


def set_roles(
    team: Team, coach_carer_id: int | None, connector_carer_id: int | None, actor_id: int
) -> None:
    """One coach and one community circles connector at most; everyone else is a member."""
    if coach_carer_id is not None and coach_carer_id == connector_carer_id:
        raise ValueError("one person cannot be both coach and connector")
    for member in team.memberships:
        if member.carer_id == coach_carer_id:
            member.role = "coach"
        elif member.carer_id == connector_carer_id:
            member.role = "circles_connector"
        else:
            member.role = "member"
    audit.record(
        "team.roles_set",
        actor_id=actor_id,
        target=team,
        coach=coach_carer_id,
        circles_connector=connector_carer_id,
    )
