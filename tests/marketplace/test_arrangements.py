"""Arrangements: proposals, agreement by the other side only, versions and history,
choose your team, the address once agreed, continuity in matching, and a race."""

from __future__ import annotations

from datetime import timedelta

import arrangements_helpers as ah
import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.arrangements import services
from marketplace.arrangements.lifecycle import ARRANGEMENT_WORKFLOW, CHANGE_WORKFLOW
from marketplace.extensions import db
from marketplace.models import AuditLog, Notification, WorkflowEvent
from marketplace.workflow import IllegalMove, NotAllowed


def _notified(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id))
    )


def test_workflows_are_declared_as_asked():
    assert ARRANGEMENT_WORKFLOW.table() == {
        "proposed": {"agree": "active", "not_agree": "not_agreed"},
        "active": {"pause": "paused", "end": "ended"},
        "paused": {"resume": "active", "end": "ended"},
    }
    assert set(CHANGE_WORKFLOW.table()["proposed"]) == {"accept", "reject", "withdraw", "supersede"}


def test_the_provider_proposes_and_only_the_person_side_agrees(make):
    s = ah.setup(make)
    arrangement = ah.propose(s)
    assert arrangement.status == "proposed" and arrangement.agreed_version == 0
    assert any("proposed an arrangement" in m for m in _notified(s.person_user))
    with pytest.raises(NotAllowed):
        services.decide(arrangement, 1, "accept", s.admin)  # its own proposal
    services.decide(arrangement, 1, "accept", s.person_user)
    assert arrangement.status == "active" and arrangement.agreed_version == 1
    assert arrangement.current.outcomes[0].text == "I get to the allotment on Tuesdays"
    assert any("is agreed" in m for m in _notified(s.admin))
    # The carer in it is told, and now sees it.
    assert any("is agreed" in m for m in _notified(s.carer_users[0]))
    events = db.session.scalars(
        sa.select(WorkflowEvent.move).where(WorkflowEvent.subject_id.in_([arrangement.id]))
    ).all()
    assert "agree" in events


def test_at_least_one_outcome_and_one_price(make):
    s = ah.setup(make)
    with pytest.raises(services.TermsInvalid) as caught:
        ah.propose(s, outcomes=(services.Outcome("   "),))
    assert "outcome_1" in caught.value.errors
    with pytest.raises(services.TermsInvalid) as caught:
        ah.propose(s, hourly_rate_pence=None)
    assert "price" in caught.value.errors
    with pytest.raises(services.TermsInvalid) as caught:
        ah.propose(s, carer_ids=(make.carer().id,))  # another provider's carer
    assert "carers" in caught.value.errors
    with pytest.raises(services.TermsInvalid) as caught:
        ah.propose(s, starts_on=clock.today() - timedelta(days=1))
    assert "starts_on" in caught.value.errors


def test_a_change_takes_effect_only_when_the_other_side_agrees_and_history_is_kept(make):
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    change = services.propose_change(
        arrangement, ah.terms(s, hourly_rate_pence=2300), s.admin, note="New rate from May"
    )
    assert change.number == 2 and change.based_on == 1
    assert arrangement.hourly_rate_pence == 2150  # not yet
    services.decide(arrangement, 2, "accept", s.person_user)
    assert arrangement.hourly_rate_pence == 2300 and arrangement.agreed_version == 2
    history = services.history(arrangement)
    assert [v.number for v, _ in history] == [2, 1]
    assert history[0][1] == ["Price: £21.50 an hour → £23.00 an hour"]
    assert [v.status for v in arrangement.versions] == ["accepted", "accepted"]


def test_a_newer_proposal_from_the_same_side_replaces_the_earlier(make):
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    services.propose_change(arrangement, ah.terms(s, hourly_rate_pence=2300), s.admin)
    services.propose_change(arrangement, ah.terms(s, hourly_rate_pence=2250), s.admin)
    assert [v.status for v in arrangement.versions] == ["accepted", "superseded", "proposed"]


def test_both_sides_agreeing_different_versions_only_one_wins(make):
    """The provider proposes v2, the person proposes v3, each agrees the other's: the
    first agreement takes effect; the second finds the terms changed (409)."""
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    v2 = services.propose_change(arrangement, ah.terms(s, hourly_rate_pence=2300), s.admin)
    v3 = services.propose_change(
        arrangement, ah.terms(s, carer_ids=(s.carers[1].id,)), s.person_user
    )
    assert v2.based_on == v3.based_on == 1
    services.decide(arrangement, 3, "accept", s.admin)
    assert arrangement.agreed_version == 3
    assert v2.status == "superseded"
    with pytest.raises(IllegalMove):
        services.decide(arrangement, 2, "accept", s.person_user)
    assert arrangement.hourly_rate_pence == 2150


def test_pause_resume_end_need_a_side_and_a_reason(make):
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    stranger = make.user(roles=["person"])
    with pytest.raises(NotAllowed):
        services.move(arrangement, "pause", stranger, reason="x")
    services.move(arrangement, "pause", s.person_user, reason="In hospital for two weeks")
    assert arrangement.status == "paused"
    services.move(arrangement, "resume", s.admin)
    services.move(arrangement, "end", s.admin, reason="Moving away")
    assert arrangement.status == "ended"
    assert arrangement.ends_on == arrangement.starts_on  # ended before it started


def test_choose_your_team_shows_shared_interests_and_records_the_choice(make):
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    choices = services.team_choices(s.team, s.person)
    by_name = {c.carer.display_name: c for c in choices}
    assert by_name["Ana S."].shared == ["gardening"]  # "garden" ~ "gardening"
    assert by_name["Bea T."].shared == ["music"]
    assert by_name["Cal U."].shared == []
    assert by_name["Ana S."].explanation == "you and Ana S. both enjoy gardening"
    version = services.choose_team(arrangement, [s.carers[0].id, s.carers[1].id], s.person_user)
    assert version.proposed_by_side == "person"
    services.decide(arrangement, version.number, "accept", s.admin)
    members = arrangement.current.members
    assert {m.carer_id for m in members} == {s.carers[0].id, s.carers[1].id}
    assert all(m.chosen_by_person for m in members)


def test_carers_in_running_arrangements_are_someone_you_already_know(make):
    s = ah.setup(make)
    proposed = ah.propose(s)
    assert services.known_carer_ids(s.person) == frozenset()
    services.decide(proposed, 1, "accept", s.person_user)
    assert services.known_carer_ids(s.person) == {s.carers[0].id}
    services.move(proposed, "end", s.admin, reason="Finished")
    assert services.known_carer_ids(s.person) == frozenset()


def test_a_supporter_with_scope_agrees_for_the_person_by_x_for_y(make):
    s = ah.setup(make)
    supporter = make.user(roles=["supporter"])
    make.consent(s.person, supporter, ["manage_introductions"])
    arrangement = ah.propose(s)
    services.decide(arrangement, 1, "accept", supporter)
    event = db.session.scalar(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.workflow == "arrangement_change", WorkflowEvent.move == "accept")
        .order_by(WorkflowEvent.id.desc())
    )
    assert event.actor_user_id == supporter.id and event.on_behalf_of_person_id == s.person.id
    row = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "arrangement_change.accept")
        .order_by(AuditLog.id.desc())
    )  # fmt: skip
    assert row.on_behalf_of_person_id == s.person.id
    view_only = make.user(roles=["supporter"])
    make.consent(s.person, view_only, ["view"])
    with pytest.raises(NotAllowed):
        services.propose_change(arrangement, ah.terms(s, hourly_rate_pence=9999), view_only)


@pytest.mark.own_database
def test_two_sessions_agreeing_different_versions_cannot_both_win(tmp_path):
    """Two requests, each with its own session and what it read: the person agrees the
    provider's version 2 while the provider agrees the person's version 3. Exactly one
    takes effect; the other is refused and changes nothing."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.config import TestConfig
    from marketplace.models import Arrangement, ArrangementVersion, User

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'race.sqlite3'}"

    app = create_app(Config)
    original = db.session
    with app.app_context():
        upgrade()
        from factories import Factories

        s = ah.setup(Factories())
        arrangement = ah.agreed(s)
        services.propose_change(arrangement, ah.terms(s, hourly_rate_pence=2300), s.admin)
        services.propose_change(
            arrangement, ah.terms(s, carer_ids=(s.carers[1].id,)), s.person_user
        )
        db.session.commit()
        ids = (arrangement.id, s.person_user.id, s.admin.id)
        db.session.remove()

        maker = sa.orm.sessionmaker(bind=db.engine, expire_on_commit=False)
        sessions = [sa.orm.scoped_session(maker) for _ in range(2)]
        try:
            seen = [sess.get(Arrangement, ids[0]) for sess in sessions]
            for arr in seen:
                assert [v.status for v in arr.versions] == ["accepted", "proposed", "proposed"]
            for sess in sessions:
                sess.commit()
            db.session = sessions[0]
            services.decide(seen[0], 2, "accept", sessions[0].get(User, ids[1]))
            sessions[0].commit()
            db.session = sessions[1]
            with pytest.raises(IllegalMove):
                services.decide(seen[1], 3, "accept", sessions[1].get(User, ids[2]))
            sessions[1].rollback()
        finally:
            for sess in sessions:
                sess.remove()
            db.session = original
        final = db.session.get(Arrangement, ids[0])
        assert final.agreed_version == 2 and final.hourly_rate_pence == 2300
        statuses = db.session.scalars(
            sa.select(ArrangementVersion.status)
            .where(ArrangementVersion.arrangement_id == ids[0])
            .order_by(ArrangementVersion.number)
        ).all()
        assert statuses == ["accepted", "accepted", "superseded"]
        db.session.remove()
        db.engine.dispose()
