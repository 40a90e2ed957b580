"""Demo data: Amira has an open introduction to Ana S. and one at the meeting stage with a
Headingley team, so `make run` shows both inboxes, a meeting and a message thread.

Made through the services (events, audit rows and notifications as in real use), with
dates counted from the day the demo is seeded, so the open request is still open.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.extensions import db
from marketplace.introductions import services
from marketplace.models import Carer, Person, Provider, Team, User


def seed_introductions(amira: Person, headingley: Provider, grace: User) -> None:
    """The caller flushes and commits."""
    ana = db.session.scalar(
        sa.select(Carer).where(Carer.provider_id == headingley.id).order_by(Carer.id).limit(1)
    )
    team = db.session.scalar(
        sa.select(Team).where(Team.provider_id == headingley.id).order_by(Team.id).limit(1)
    )
    if ana is None or team is None:
        return
    services.request_introduction(
        amira.user,
        amira,
        services.Target(provider=headingley, carer=ana),
        "Hello Ana. I would like help getting up and washed on weekday mornings, and I "
        "would love someone to talk gardening with. Could we meet for a cup of tea?",
        ["mon-am", "wed-am", "fri-am"],
    )
    meeting = services.request_introduction(
        amira.user,
        amira,
        services.Target(provider=headingley, team=team),
        "I am looking for a small team who can help with shopping and cooking, and who "
        "will be the same faces each week.",
        ["tue-pm", "thu-pm"],
    )
    day = clock.today() + timedelta(days=7)
    options = [
        datetime.combine(day, time(10, 0)).strftime("%Y-%m-%dT%H:%M"),
        datetime.combine(day + timedelta(days=1), time(14, 30)).strftime("%Y-%m-%dT%H:%M"),
    ]
    services.move(meeting, "accept", grace, meeting_options=options, meeting_place="Amira's home")
    services.post_message(
        meeting,
        grace,
        "Thank you, Amira. Two of the team would come: our coach and one other. Would you "
        "like a family member there too?",
    )
    services.move(meeting, "arrange_meeting", amira.user, meeting_time=options[0])
    services.post_message(meeting, amira.user, "Yes please, my brother Joe will join us.")
    db.session.flush()
