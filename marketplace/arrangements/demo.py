"""Demo arrangement: Amira and Headingley Care Co-op's team, agreed with her outcomes, a
second version where she chose a team member herself, and her review with a reply.
Deterministic: fixed dates and the first team members by seat."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.arrangements import services
from marketplace.extensions import db
from marketplace.models import Carer, Person, Provider, Team, TeamMember, User


def seed_arrangement(
    amira: Person, headingley: Provider, grace: User, epoch: datetime, *, introduction_id=None
):
    """Amira's agreed arrangement with Headingley's team that has Ana S. in it."""
    from marketplace.reviews import services as review_services

    team = db.session.scalar(
        sa.select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(Carer, Carer.id == TeamMember.carer_id)
        .where(Team.provider_id == headingley.id, Carer.user_id.is_not(None))
        .order_by(Team.id)
    )
    if team is None:
        return None
    members = services.team_choices(team, amira)
    ana = next(c.carer for c in members if c.carer.user_id is not None)
    liked = next((c.carer for c in members if c.shared and c.carer.id != ana.id), None)
    # A small demo (seed-demo --carers 30) may give the team one member: then no second.
    second = liked or next((c.carer for c in members if c.carer.id != ana.id), None)
    amira_user = db.session.get(User, amira.user_id)
    starts = date(2026, 1, 19)
    with clock.frozen(epoch + timedelta(days=3)):
        arrangement = services.propose_arrangement(
            person=amira,
            provider=headingley,
            team=team,
            introduction_id=introduction_id,
            terms=services.Terms(
                starts_on=starts,
                ends_on=None,
                funding_route="direct_payment",
                hourly_rate_pence=headingley.hourly_rate_pence or 2400,
                membership_plan_id=None,
                carer_ids=(ana.id,),
                outcomes=(
                    services.Outcome("I get to the allotment on Tuesdays", "out_and_about"),
                    services.Outcome(
                        "I cook a proper meal with help twice a week", "food_and_drink"
                    ),  # fmt: skip
                    services.Outcome(
                        "I phone my sister in Lahore every Sunday", "keeping_in_touch"
                    ),  # fmt: skip
                ),
            ),
            actor=grace,
            note="As we talked about at our meeting.",
        )
    with clock.frozen(epoch + timedelta(days=4)):
        services.decide(arrangement, 1, "accept", amira_user)
    if second is not None:
        with clock.frozen(epoch + timedelta(days=5)):
            services.choose_team(arrangement, [ana.id, second.id], amira_user)
        with clock.frozen(epoch + timedelta(days=6)):
            services.decide(arrangement, 2, "accept", grace)
    with clock.frozen(epoch + timedelta(days=40)):
        review = review_services.write(
            arrangement,
            {"respect": 5, "reliability": 4, "listening": 5, "outcomes": 4},
            "Ana and the team always ask me first. I have been to the allotment every "
            "Tuesday since January. Once they were late because of snow, and they rang.",
            amira_user,
        )
    with clock.frozen(epoch + timedelta(days=41)):
        review_services.reply(review, "Thank you, Amira. The leeks look great!", grace)
    return arrangement
