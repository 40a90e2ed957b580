"""Demo data: Amira's shortlist (with private notes) and her saved search."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import g

from marketplace.extensions import db
from marketplace.models import Carer, Person, Provider, ShortlistEntry, Team
from marketplace.shortlist import saved_searches

NOTES = (
    "Shares my love of gardening. Ask about Tuesday mornings.",
    "Speaks Urdu, like my mum. Check the evening times.",
    "",
)


def seed_shortlist(person: Person, providers: list[Provider], when: datetime) -> None:
    """Three listed carers near Leeds, one team, and "tell me about new carers in LS6".

    Chosen by id from the providers seeded first, so every seed with the same numbers
    gives the same shortlist. The caller flushes and commits.
    """
    leeds = [p for p in providers[:2] if p.is_listed]
    carers = [
        carer
        for provider in leeds
        for carer in db.session.scalars(
            sa.select(Carer).where(Carer.provider_id == provider.id).order_by(Carer.id)
        )
        if carer.is_listed and "personal_care" in (carer.skills or [])
    ]
    picked = carers[:2] + [c for c in carers[2:] if c.provider_id != carers[0].provider_id][:1]
    for carer, note in zip(picked, NOTES, strict=False):
        db.session.add(
            ShortlistEntry(
                person_id=person.id, carer_id=carer.id, note=note, created_at=when, updated_at=when
            )
        )
    team = (
        db.session.scalar(sa.select(Team).where(Team.provider_id == leeds[0].id).order_by(Team.id))
        if leeds
        else None
    )
    if team is not None:
        db.session.add(
            ShortlistEntry(person_id=person.id, team_id=team.id, created_at=when, updated_at=when)
        )
    db.session.flush()
    # The search runs on the catalog; build it from what is seeded now, and drop it after,
    # so nothing later in this app context uses a catalog from before the commit.
    g.pop("coopcare_catalog", None)
    criteria = saved_searches.Criteria.of(
        person.district or "LS6", 10, skill=["personal_care"], language=["ur"]
    )
    saved, _ = saved_searches.save(person, criteria, actor_id=person.user_id)
    saved.created_at = saved.last_checked_at = when
    g.pop("coopcare_catalog", None)
