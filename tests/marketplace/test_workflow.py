"""The workflow engine: declared moves, who may make them, compare-and-set, events, audit,
notifications, and a plain 409 for a move that cannot happen.

The introduction workflow below is declared only here, over a table the test creates,
to show the shape the real introductions, arrangements, memberships and invoices take.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from qa_helpers import outbox, ready_provider
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from marketplace import create_app, workflow
from marketplace.choices import Choice
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    ConsentGrant,
    Notification,
    Person,
    Provider,
    QAEvent,
    User,
    WorkflowEvent,
)
from marketplace.providers import qa


class IntroductionStatus(Choice):
    REQUESTED = "requested", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    MEETING = "meeting", "Meeting arranged"
    AGREED = "agreed", "Agreed"
    NOT_GOING_AHEAD = "not_going_ahead", "Not going ahead"


class ExampleBase(DeclarativeBase):
    pass


class ExampleIntroduction(ExampleBase):
    __tablename__ = "example_introductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="requested")
    person_user_id: Mapped[int]
    carer_user_id: Mapped[int]


def _the_carer(actor, intro):
    if actor is None or actor.id != intro.carer_user_id:
        return "Only the carer it was sent to can answer it."
    return None


def _either_side(actor, intro):
    if actor is not None and actor.id in {intro.person_user_id, intro.carer_user_id}:
        return None
    # A supporter may act for the person inside a "message" consent grant.
    grants = db.session.scalars(
        sa.select(ConsentGrant)
        .join(Person, Person.id == ConsentGrant.person_id)
        .where(Person.user_id == intro.person_user_id)
    )
    if actor is not None and any(
        g.supporter_user_id == actor.id and g.allows("message") for g in grants
    ):
        return None
    return "Only the person, their supporters and the carer can do this."


def _the_system(actor, intro):
    return None if actor is None else "Introductions expire by themselves."


def _tell_the_person(subject):
    def notices(moved):
        person = db.session.get(User, moved.subject.person_user_id)
        return [workflow.Notice([person], subject, f"{subject}.", "/notifications")]

    return notices


R, A, D, E, M, G, N = IntroductionStatus
INTRODUCTIONS = workflow.Workflow(
    name="introduction",
    column=ExampleIntroduction.status,
    states=IntroductionStatus,
    noun="This introduction",
    moves=[
        workflow.Move("accept", (R,), A, "accepted", _the_carer,
                      notices=_tell_the_person("Your introduction was accepted")),
        workflow.Move("decline", (R,), D, "declined", _the_carer,
                      reason_prompt="Say why, kindly: the person will see it.",
                      notices=_tell_the_person("Your introduction was declined")),
        workflow.Move("expire", (R,), E, "expired", _the_system,
                      notices=_tell_the_person("Nobody answered your introduction")),
        workflow.Move("meet", (A,), M, "arranged as a meeting", _either_side),
        workflow.Move("agree", (M,), G, "agreed", _either_side),
        workflow.Move("stop", (A, M), N, "stopped", _either_side, reason_prompt="Say why."),
    ],
)  # fmt: skip


@pytest.fixture
def intro(make):
    db.session.flush()
    ExampleBase.metadata.create_all(db.session.connection())
    person, carer = make.user(roles=["person"]), make.user(roles=["carer"])
    row = ExampleIntroduction(person_user_id=person.id, carer_user_id=carer.id)
    db.session.add(row)
    db.session.flush()
    return row, person, carer


def _events(intro_row):
    return db.session.scalars(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.workflow == "introduction", WorkflowEvent.subject_id == intro_row.id)
        .order_by(WorkflowEvent.id)
    ).all()


def test_the_declared_table(intro):
    assert INTRODUCTIONS.table() == {
        "requested": {"accept": "accepted", "decline": "declined", "expire": "expired"},
        "accepted": {"meet": "meeting", "stop": "not_going_ahead"},
        "meeting": {"agree": "agreed", "stop": "not_going_ahead"},
    }
    assert INTRODUCTIONS.allowed("agreed") == []


def test_a_declared_workflow_from_request_to_agreement(app, intro):
    row, person, carer = intro
    INTRODUCTIONS.move(row, "accept", carer)
    INTRODUCTIONS.move(row, "meet", person)
    INTRODUCTIONS.move(row, "agree", carer)
    db.session.commit()
    assert row.status == "agreed"
    moves = [(e.move, e.from_state, e.to_state, e.actor_user_id) for e in _events(row)]
    assert moves == [
        ("accept", "requested", "accepted", carer.id),
        ("meet", "accepted", "meeting", person.id),
        ("agree", "meeting", "agreed", carer.id),
    ]
    audits = db.session.scalars(
        sa.select(AuditLog.action).where(
            AuditLog.target_type == "ExampleIntroduction", AuditLog.target_id == row.id
        )
    ).all()
    assert audits == ["introduction.accept", "introduction.meet", "introduction.agree"]
    # The accept move tells the person, in the service and by e-mail; the others say nothing.
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == person.id))
    assert [n.message for n in notes] == ["Your introduction was accepted."]
    assert any(person.email in m.to and "accepted" in m.subject for m in outbox(app))


def test_who_may_move_and_why_not(intro):
    row, person, carer = intro
    with pytest.raises(workflow.NotAllowed, match="Only the carer it was sent to"):
        INTRODUCTIONS.move(row, "accept", person)
    with pytest.raises(workflow.NotAllowed, match="expire by themselves"):
        INTRODUCTIONS.move(row, "expire", carer)
    with pytest.raises(workflow.ReasonRequired, match="Say why, kindly"):
        INTRODUCTIONS.move(row, "decline", carer, reason="   ")
    assert row.status == "requested" and _events(row) == []
    INTRODUCTIONS.move(row, "expire", None)  # the system: a scheduled job
    assert row.status == "expired" and _events(row)[0].actor_user_id is None


def test_an_illegal_move_says_what_is_allowed(intro):
    row, person, carer = intro
    with pytest.raises(workflow.IllegalMove) as caught:
        INTRODUCTIONS.move(row, "agree", person)
    assert caught.value.status_code == 409
    assert caught.value.allowed == ["accept", "decline", "expire"]
    assert str(caught.value) == (
        "This introduction cannot be agreed now: its status is “waiting for an answer”. "
        "It can only be accepted or declined or expired."
    )


def test_a_supporter_move_is_recorded_by_them_for_the_person(intro, make):
    row, person, carer = intro
    supporter, stranger = make.user(roles=["supporter"]), make.user(roles=["supporter"])
    make.consent(person.person, supporter, ["message"])
    INTRODUCTIONS.move(row, "accept", carer)
    with pytest.raises(workflow.NotAllowed):
        INTRODUCTIONS.move(row, "stop", stranger, reason="No.")
    INTRODUCTIONS.move(row, "stop", supporter, reason="We found someone nearer.",
                       on_behalf_of_person_id=person.person.id)  # fmt: skip
    event = _events(row)[-1]
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "introduction.stop"))
    assert (event.actor_user_id, event.on_behalf_of_person_id) == (supporter.id, person.person.id)
    assert (audit.actor_user_id, audit.on_behalf_of_person_id) == (supporter.id, person.person.id)
    assert event.reason == "We found someone nearer." == audit.detail["reason"]


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown state 'lost'"):
        lose = [workflow.Move("lose", ("requested",), "lost", "lost")]
        workflow.Workflow("broken", ExampleIntroduction.status, IntroductionStatus, lose, "It")
    twice = [workflow.Move("go", ("requested",), "accepted", "gone")] * 2
    with pytest.raises(ValueError, match="declared twice"):
        workflow.Workflow("broken", ExampleIntroduction.status, IntroductionStatus, twice, "It")


def test_a_rolled_back_move_leaves_no_event_audit_or_notification(app, intro):
    row, person, carer = intro
    before = len(outbox(app))
    with db.session.begin_nested() as savepoint:
        INTRODUCTIONS.move(row, "accept", carer)
        savepoint.rollback()
    db.session.commit()
    assert _events(row) == [] and len(outbox(app)) == before
    assert (
        db.session.scalar(sa.select(Notification).where(Notification.user_id == person.id)) is None
    )


# -- two sessions race: compare-and-set lets exactly one win --------------------------


@pytest.mark.own_database
def test_two_sessions_racing_on_one_provider_cannot_both_win(app, database_url):
    # `app` migrates the database (this test builds a second app on the same one).
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    original = db.session
    with app.app_context():
        from factories import Factories

        make = Factories()
        admin = make.user(roles=["provider_admin"])
        first, second = make.user(roles=["reviewer"]), make.user(roles=["reviewer"])
        provider = ready_provider(make, status="submitted", admin=admin, name="Raced Co-op")
        db.session.commit()
        ids = {"provider": provider.id, "users": [admin.id, first.id, second.id]}
        db.session.remove()

        maker = sa.orm.sessionmaker(bind=db.engine, expire_on_commit=False)
        sessions = [sa.orm.scoped_session(maker) for _ in range(2)]
        try:
            # Both reviewers open the provider while it is waiting for review (one request
            # each: the reads end, and each keeps what it saw).
            seen = [s.get(Provider, ids["provider"]) for s in sessions]
            for s in sessions:
                s.commit()
            assert [p.qa_status for p in seen] == ["submitted", "submitted"]
            db.session = sessions[0]
            qa.transition(seen[0], "approve", sessions[0].get(User, ids["users"][1]))
            sessions[0].commit()
            # The second still sees "submitted" in memory; the database says otherwise.
            db.session = sessions[1]
            with pytest.raises(qa.IllegalTransition) as caught:
                qa.transition(seen[1], "request_changes", sessions[1].get(User, ids["users"][2]),
                              reason="Please add your DBS policy.")  # fmt: skip
            sessions[1].rollback()
            assert "its status is “quality assured”" in str(caught.value)
            assert seen[1].qa_status == "approved"
        finally:
            for s in sessions:
                s.remove()
            db.session = original

        events = db.session.scalars(
            sa.select(QAEvent).where(QAEvent.provider_id == ids["provider"])
        ).all()
        assert [(e.to_status, e.actor_user_id) for e in events] == [("approved", ids["users"][1])]
        assert db.session.get(Provider, ids["provider"]).qa_status == "approved"
        # Leave the shared test database as it was.
        db.session.execute(sa.delete(AuditLog).where(AuditLog.actor_user_id.in_(ids["users"])))
        db.session.execute(
            sa.delete(AuditLog).where(
                AuditLog.target_type == "Provider", AuditLog.target_id == ids["provider"]
            )
        )
        db.session.execute(sa.delete(Provider).where(Provider.id == ids["provider"]))
        db.session.execute(sa.delete(User).where(User.id.in_(ids["users"])))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# -- a move that cannot happen is a plain answer, in HTML and JSON --------------------


@pytest.mark.own_database
def test_an_unhandled_move_error_is_a_plain_409_page_and_json(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    error = workflow.IllegalMove(INTRODUCTIONS, "agreed", "accept")

    @app.get("/example/move")
    @app.get("/api/v1/example/move")
    def refused():
        raise error

    html = app.test_client().get("/example/move")
    assert html.status_code == 409
    assert "cannot be accepted now" in html.get_data(as_text=True)
    body = app.test_client().get("/api/v1/example/move")
    assert body.status_code == 409
    assert body.get_json() == {
        "error": {"code": "illegal_move", "message": str(error), "fields": {}}
    }
