"""Shared set-up for the teams and carers tests: two providers, their admins and carers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketplace.catalog_version import current_catalog_version
from marketplace.extensions import db
from marketplace.models import Carer, Provider, Team, User

SECRET_POSTCODE = "LS6 3HN"


@dataclass
class World:
    provider: Provider
    admin: User
    other_provider: Provider
    other_admin: User
    carer: Carer
    carer_user: User
    other_carer: Carer
    other_carer_user: User
    spare: Carer
    team: Team


def build_world(make) -> World:
    admin = make.user(roles=["provider_admin"])
    other_admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin, name="Headingley Test Co-op")
    other_provider = make.provider(admin=other_admin, name="Other Test Co-op")
    carer_user = make.user(roles=["carer"], email="ana@example.org")
    other_carer_user = make.user(roles=["carer"])
    carer = make.carer(
        provider,
        display_name="Ana S.",
        user_id=carer_user.id,
        postcode=SECRET_POSTCODE,
        district="LS6",
        lat=53.82035,
        lon=-1.5785,
    )
    other_carer = make.carer(other_provider, display_name="Bob T.", user_id=other_carer_user.id)
    spare = make.carer(provider, display_name="Cara D.")
    team = make.team(provider, members=0, name="Headingley North", patch=["LS6"])
    from marketplace.models import TeamMember

    db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=1, role="member"))
    db.session.flush()
    db.session.expire_all()
    return World(
        provider,
        admin,
        other_provider,
        other_admin,
        carer,
        carer_user,
        other_carer,
        other_carer_user,
        spare,
        team,
    )


ROLES = [
    "anonymous",
    "person",
    "carer_own",
    "carer_other",
    "provider_admin",
    "other_provider_admin",
    "reviewer",
    "admin",
]


def clients(world: World, make, login, client) -> dict:
    """A logged-in test client per role in the permission matrix."""
    return {
        "anonymous": client,
        "person": login(make.user(roles=["person"])),
        "carer_own": login(world.carer_user),
        "carer_other": login(world.other_carer_user),
        "provider_admin": login(world.admin),
        "other_provider_admin": login(world.other_admin),
        "reviewer": login(make.user(roles=["reviewer"])),
        "admin": login(make.user(roles=["admin"])),
    }


def has_error_summary(html: str) -> bool:
    return 'class="error-summary"' in html and "There is a problem" in html


def snapshot(carer: Carer) -> dict:
    """Every column of the carer, read fresh from the database."""
    db.session.expire(carer)
    return {c.key: getattr(carer, c.key) for c in Carer.__table__.columns}


def version() -> int:
    return current_catalog_version()


def text(response) -> str:
    return response.get_data(as_text=True)


def outbox(app) -> list:
    state = app.extensions["mailman"]
    if not hasattr(state, "outbox"):
        state.outbox = []
    return state.outbox


def link_in(message_body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/carer/invitation/\S+)", message_body)
    assert match, message_body
    return match.group(1)
