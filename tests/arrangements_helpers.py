"""Building arrangements for tests: a provider with a team, a person, and terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from marketplace import clock
from marketplace.arrangements import services
from marketplace.extensions import db
from marketplace.models import Arrangement, Carer, Person, Provider, Team, TeamMember, User


@dataclass
class Setup:
    provider: Provider
    admin: User
    team: Team
    carers: list[Carer]
    carer_users: list[User]
    person: Person
    person_user: User


def setup(make: Any, *, person_user: User | None = None, provider: Provider | None = None,
          admin: User | None = None) -> Setup:  # fmt: skip
    admin = admin or make.user(roles=["provider_admin"])
    provider = provider or make.provider(admin=admin, name=f"Arr Co-op {make.user().id}")
    team = make.team(provider, name="Meanwood team")
    carer_users = [make.user(roles=["carer"]) for _ in range(3)]
    names = ["Ana S.", "Bea T.", "Cal U."]
    interests = [["gardening", "football"], ["music"], ["knitting"]]
    carers = []
    for seat, (user, name, liked) in enumerate(
        zip(carer_users, names, interests, strict=True), start=1
    ):
        carer = make.carer(provider, display_name=name, user_id=user.id, interests=liked)
        db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=seat))
        carers.append(carer)
    db.session.flush()
    person_user = person_user or make.user(roles=["person"], display_name="Amira Khan")
    person = person_user.person
    person.interests = ["garden", "music"]
    db.session.flush()
    return Setup(provider, admin, team, carers, carer_users, person, person_user)


def terms(s: Setup, **changes: Any) -> services.Terms:
    values: dict[str, Any] = dict(
        starts_on=clock.today() + timedelta(days=7),
        ends_on=None,
        funding_route="direct_payment",
        hourly_rate_pence=2150,
        membership_plan_id=None,
        carer_ids=(s.carers[0].id,),
        outcomes=(services.Outcome("I get to the allotment on Tuesdays", "out_and_about"),),
    )
    values.update(changes)
    return services.Terms(**values)


def propose(s: Setup, **changes: Any) -> Arrangement:
    arrangement = services.propose_arrangement(
        person=s.person, provider=s.provider, team=s.team, terms=terms(s, **changes), actor=s.admin
    )
    db.session.flush()
    return arrangement


def agreed(s: Setup, **changes: Any) -> Arrangement:
    arrangement = propose(s, **changes)
    services.decide(arrangement, 1, "accept", s.person_user)
    db.session.flush()
    return arrangement


def started(s: Setup, **changes: Any) -> Arrangement:
    """An agreed arrangement whose start date is today (reviews need one that started)."""
    return agreed(s, **{"starts_on": clock.today(), **changes})
