"""Introductions in the test client: ask, answer, meet, agree; decline; expiry on working
days; the message thread; who may see what; nothing private leaks before both agree."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from marketplace import clock, workflow
from marketplace.extensions import db
from marketplace.introductions import services
from marketplace.introductions.workflow import INTRODUCTION_WORKFLOW
from marketplace.models import (
    AuditLog,
    Introduction,
    IntroductionMessage,
    Notification,
    OutboxEmail,
    WorkflowEvent,
)


@pytest.fixture(autouse=True)
def _tuesday_1_december_2026():
    """Meeting times must be in the coming year: the clock stands still for these tests."""
    with clock.frozen(datetime(2026, 12, 1, 12, tzinfo=UTC)):
        yield


FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")


@pytest.fixture
def cast(make):
    """A person in Leeds, a listed provider with an admin and a carer with an account,
    and another provider's admin."""
    admin = make.user(roles=["provider_admin"], email="admin@coop.example.org")
    provider = make.provider(
        admin=admin,
        name="Headingley Care Co-op",
        contact_email="hello@coop.example.org",
        contact_phone="0113 496 0000",
    )
    carer_user = make.user(roles=["carer"], email="ana@coop.example.org")
    carer = make.carer(provider, display_name="Ana S.", user_id=carer_user.id)
    person_user = make.user(roles=["person"], email="amira@people.example.org")
    person = person_user.person
    person.display_name = "Amira"
    person.postcode = "LS6 2AB"
    other_admin = make.user(roles=["provider_admin"])
    make.provider(admin=other_admin, name="Other Co-op")
    db.session.flush()
    return {
        "admin": admin,
        "provider": provider,
        "carer_user": carer_user,
        "carer": carer,
        "person_user": person_user,
        "person": person,
        "other_admin": other_admin,
    }


def _ask(login, who, carer, message="Hello Ana, I love gardening.", **extra):
    client = login(who)
    data = {"person": str(who.person.id) if who.person else "", "message": message}
    data.update(extra)
    return client, client.post(f"/introductions/ask/carer/{carer.id}", data=data)


def _only_introduction() -> Introduction:
    return db.session.scalars(sa.select(Introduction)).one()


def _notified(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id))
    )


def _assert_nothing_private(html: str, *secrets: str):
    for secret in secrets:
        assert secret not in html, f"{secret!r} leaked"
    assert not FULL_POSTCODE.search(html), FULL_POSTCODE.search(html).group(0)


def _both_say_yes(admin, person, introduction):
    """Both sides say yes; only then are contact details (and the postcode) shared."""
    assert admin.post(f"/introductions/{introduction.id}/yes").status_code == 302
    db.session.refresh(introduction)
    assert introduction.status == "meeting" and introduction.provider_agreed_at
    page = admin.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    _assert_nothing_private(page, "amira@people.example.org", "LS6 2AB")
    assert person.post(f"/introductions/{introduction.id}/yes").status_code == 302
    db.session.refresh(introduction)
    assert introduction.status == "agreed" and introduction.contact_shared_at


def test_the_whole_journey_request_accept_meeting_agreed(cast, login):
    person_user, carer = cast["person_user"], cast["carer"]
    with clock.frozen(date(2026, 12, 1)):
        person, response = _ask(login, person_user, carer, preferred_times=["mon-am", "tue-pm"])
    assert response.status_code == 302
    introduction = _only_introduction()
    assert introduction.status == "requested"
    assert introduction.preferred_times == ["mon-am", "tue-pm"]
    # Tuesday 1 December 2026 in England: 5 and 10 working days later.
    assert (introduction.remind_on, introduction.expires_on) == (
        date(2026, 12, 8),
        date(2026, 12, 15),
    )
    # Told: the provider's admins and the carer, in the service and by e-mail.
    for user in (cast["admin"], cast["carer_user"]):
        assert any("Amira would like an introduction" in m for m in _notified(user))
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxEmail)
        .where(OutboxEmail.to_address == "admin@coop.example.org")
    )

    admin = login(cast["admin"])
    inbox = admin.get("/provider/introductions")
    assert inbox.status_code == 200 and "Amira, LS6" in inbox.get_data(as_text=True)
    page = admin.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "Accept and offer times to meet" in page
    _assert_nothing_private(page, "amira@people.example.org", "LS6 2AB")
    # The person's side sees no contact details of the provider or carer yet.
    mine = person.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    _assert_nothing_private(mine, "hello@coop.example.org", "0113 496 0000", "ana@coop")

    # The carer accepts with two times; the person is told.
    carer_client = login(cast["carer_user"])
    assert carer_client.get("/carer/introductions").status_code == 200
    response = carer_client.post(
        f"/introductions/{introduction.id}/accept",
        data={"time_1": "2027-03-01T10:00", "time_2": "2027-03-02T14:30", "place": "A café"},
    )
    assert response.status_code == 302
    db.session.refresh(introduction)
    assert introduction.status == "accepted"
    assert introduction.meeting_options == ["2027-03-01T10:00", "2027-03-02T14:30"]
    assert any("would like to meet you" in m for m in _notified(person_user))

    page = person.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "Tuesday 2 March 2027 at 2:30pm" in page
    # A time that was not offered is refused and nothing changes.
    response = person.post(
        f"/introductions/{introduction.id}/meeting", data={"meeting_time": "2027-04-01T09:00"}
    )
    assert response.status_code == 400
    db.session.refresh(introduction)
    assert introduction.status == "accepted"
    response = person.post(
        f"/introductions/{introduction.id}/meeting", data={"meeting_time": "2027-03-02T14:30"}
    )
    assert response.status_code == 302
    db.session.refresh(introduction)
    assert introduction.status == "meeting"

    # Saying yes comes after meeting (from the day of the meeting).
    assert admin.post(f"/introductions/{introduction.id}/yes").status_code == 409
    db.session.refresh(introduction)
    assert introduction.provider_agreed_at is None
    with clock.frozen(datetime(2027, 3, 2, 16, tzinfo=UTC)):
        _both_say_yes(admin, person, introduction)
    page = admin.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "amira@people.example.org" in page
    # The full postcode waits for an agreed arrangement (authz person.see_postcode): the
    # provider sees the district until then, as on the arrangement page.
    assert "LS6 2AB" not in page and "LS6 (the full postcode is shared" in page
    page = person.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "ana@coop.example.org" in page and "0113 496 0000" in page

    moves = list(
        db.session.scalars(
            sa.select(WorkflowEvent.move)
            .where(WorkflowEvent.subject_id == introduction.id)
            .order_by(WorkflowEvent.id)
        )
    )
    assert moves == ["request", "accept", "arrange_meeting", "agree"]
    assert any("agreed to go ahead" in m for m in _notified(cast["carer_user"]))


def test_decline_needs_a_reason_and_the_person_sees_other_matches(cast, login, make):
    make.carer(cast["provider"], display_name="Bea K.")
    _, _ = _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    admin = login(cast["admin"])
    response = admin.post(f"/introductions/{introduction.id}/decline", data={})
    assert response.status_code == 400
    assert "Choose why you are saying no" in response.get_data(as_text=True)
    response = admin.post(f"/introductions/{introduction.id}/decline", data={"reason": "other"})
    assert response.status_code == 400 and "Say what the other reason is" in response.get_data(
        as_text=True
    )
    db.session.refresh(introduction)
    assert introduction.status == "requested"
    response = admin.post(
        f"/introductions/{introduction.id}/decline",
        data={"reason": "no_capacity", "text": "Try again in spring."},
    )
    assert response.status_code == 302
    db.session.refresh(introduction)
    assert (introduction.status, introduction.decline_reason) == ("declined", "no_capacity")
    assert any("cannot help this time" in m for m in _notified(cast["person_user"]))
    page = login(cast["person_user"]).get(f"/introductions/{introduction.id}")
    html = page.get_data(as_text=True)
    assert "We cannot take on anyone new at the moment" in html
    assert "Others who may suit you" in html and "Bea K." in html
    # Answering again is refused plainly.
    again = admin.post(
        f"/introductions/{introduction.id}/accept", data={"time_1": "2027-03-01T10:00"}
    )
    assert again.status_code == 409


def test_two_racing_answers_only_one_wins(cast, login):
    _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    services.move(introduction, "accept", cast["admin"], meeting_options=["2027-03-01T10:00"])
    # The carer's copy still says "requested" (they opened it before the admin answered).
    set_committed_value(introduction, "status", "requested")
    with pytest.raises(workflow.IllegalMove) as refused:
        services.move(introduction, "decline", cast["carer_user"], decline_reason="no_capacity")
    assert refused.value.from_status == "accepted"
    db.session.refresh(introduction)
    assert introduction.status == "accepted" and introduction.decline_reason is None


def test_only_the_right_people_make_each_move(cast, login, make):
    _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    with pytest.raises(workflow.NotAllowed):
        services.move(introduction, "accept", cast["person_user"], meeting_options=["2030-1-1"])
    with pytest.raises(workflow.NotAllowed):
        services.move(introduction, "decline", cast["other_admin"], decline_reason="no_capacity")
    with pytest.raises(workflow.NotAllowed):
        services.move(introduction, "withdraw", cast["admin"])
    with pytest.raises(workflow.NotAllowed):  # people never expire a request
        services.move(introduction, "expire", cast["person_user"], today=date(2031, 1, 1))
    with pytest.raises(workflow.NotReady):  # a time in the past
        services.move(introduction, "accept", cast["admin"], meeting_options=["2020-01-01T10:00"])


def test_other_people_and_other_providers_get_404(cast, login, make):
    _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    stranger = make.user(roles=["person"])
    for user in (stranger, cast["other_admin"], make.user(roles=["carer"])):
        client = login(user)
        assert client.get(f"/introductions/{introduction.id}").status_code == 404
        assert (
            client.post(
                f"/introductions/{introduction.id}/messages", data={"body": "hi"}
            ).status_code
            == 404
        )
    other_inbox = login(cast["other_admin"]).get("/provider/introductions").get_data(as_text=True)
    assert "Amira" not in other_inbox


def test_a_supporter_with_the_scope_asks_by_x_for_y(cast, login, make):
    supporter = make.user(roles=["supporter"], display_name="Sam")
    make.consent(cast["person"], supporter, ["manage_introductions"])
    client = login(supporter)
    response = client.post(
        f"/introductions/ask/carer/{cast['carer'].id}",
        data={"person": str(cast["person"].id), "message": "For my mum."},
    )
    assert response.status_code == 302
    introduction = _only_introduction()
    assert introduction.supporter_user_id == supporter.id
    event = db.session.scalars(sa.select(WorkflowEvent)).one()
    assert event.on_behalf_of_person_id == cast["person"].id
    page = login(cast["admin"]).get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "by Sam for Amira" in page
    # Without the scope: no asking, no page.
    viewer = make.user(roles=["supporter"])
    make.consent(cast["person"], viewer, ["view"])
    assert (
        login(viewer)
        .post(
            f"/introductions/ask/carer/{cast['carer'].id}",
            data={"person": str(cast["person"].id), "message": "x"},
        )
        .status_code
        == 403
    )
    assert login(viewer).get(f"/introductions/{introduction.id}").status_code == 404


def test_asking_twice_and_bad_input_change_nothing(cast, login):
    _ask(login, cast["person_user"], cast["carer"])
    _, again = _ask(login, cast["person_user"], cast["carer"])
    assert again.status_code == 400 and "already asked" in again.get_data(as_text=True)
    _, empty = _ask(login, cast["person_user"], cast["carer"], message="   ")
    assert empty.status_code == 400 and "error-summary" in empty.get_data(as_text=True)
    _, odd = _ask(login, cast["person_user"], cast["carer"], preferred_times=["someday"])
    assert odd.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Introduction)) == 1
    # A carer who is not listed, or a made-up kind, is not found.
    client = login(cast["person_user"])
    assert client.get("/introductions/ask/wizard/1").status_code == 404
    assert client.get("/introductions/ask/carer/999999").status_code == 404


# -- working days, reminders and expiry -----------------------------------------------


def _request_on(day: date, person, carer, actor) -> Introduction:
    with clock.frozen(day):
        introduction = services.request_introduction(
            actor, person, services.Target(provider=carer.provider, carer=carer), "Hello", []
        )
    db.session.flush()
    return introduction


def test_expiry_over_christmas_in_england_and_scotland(cast, make):
    england = _request_on(date(2026, 12, 18), cast["person"], cast["carer"], cast["person_user"])
    scot_user = make.user(roles=["person"])
    scot = scot_user.person
    scot.postcode, scot.district, scot.care_council_code = "EH1 1BB", "EH1", "S12000036"
    scotland = _request_on(date(2026, 12, 18), scot, cast["carer"], scot_user)
    assert (england.remind_on, england.expires_on) == (date(2026, 12, 29), date(2027, 1, 6))
    # Scotland also has 2 January off (moved to Monday 4 January in 2027).
    assert (scotland.remind_on, scotland.expires_on) == (date(2026, 12, 29), date(2027, 1, 7))

    assert services.run_expiry(date(2026, 12, 29)).reminded == []
    assert services.run_expiry(date(2026, 12, 30)).reminded == [england.id, scotland.id]
    assert services.run_expiry(date(2026, 12, 31)).reminded == []  # once only
    assert services.run_expiry(date(2027, 1, 6)).expired == []
    report = services.run_expiry(date(2027, 1, 7))
    assert report.expired == [england.id]
    report = services.run_expiry(date(2027, 1, 8))
    assert report.expired == [scotland.id]
    db.session.refresh(england)
    assert england.status == "expired"
    told = _notified(cast["person_user"])
    assert sum("did not answer in 10 working days" in m for m in told) == 1
    reminders = _notified(cast["admin"])
    assert sum("still waiting" in m for m in reminders) == 2


def test_st_andrews_day_counts_in_scotland_only(cast, make):
    england = _request_on(date(2026, 11, 23), cast["person"], cast["carer"], cast["person_user"])
    scot_user = make.user(roles=["person"])
    scot = scot_user.person
    scot.postcode, scot.district, scot.care_council_code = "EH1 1BB", "EH1", "S12000036"
    scotland = _request_on(date(2026, 11, 23), scot, cast["carer"], scot_user)
    assert england.remind_on == date(2026, 11, 30)
    assert scotland.remind_on == date(2026, 12, 1)


def test_the_cli_is_idempotent_and_takes_today(app, cast):
    introduction = _request_on(
        date(2026, 12, 1), cast["person"], cast["carer"], cast["person_user"]
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["introductions", "expire", "--today", "2026-12-16"])
    assert first.exit_code == 0, first.output
    assert "1 closed with no answer" in first.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    second = runner.invoke(args=["introductions", "expire", "--today", "2026-12-16"])
    assert "0 reminded, 0 closed" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == count
    db.session.refresh(introduction)
    assert introduction.status == "expired"
    bad = runner.invoke(args=["introductions", "expire", "--today", "16/12/2026"])
    assert bad.exit_code != 0


def test_the_periodic_job_is_registered():
    from marketplace.jobs import PERIODIC

    assert "introductions-expire" in PERIODIC


def test_an_answered_request_is_never_expired(cast, login):
    introduction = _request_on(
        date(2026, 12, 1), cast["person"], cast["carer"], cast["person_user"]
    )
    with clock.frozen(date(2026, 12, 2)):
        services.move(introduction, "accept", cast["admin"], meeting_options=["2027-03-01T10:00"])
    report = services.run_expiry(date(2027, 2, 1))
    assert report.expired == [] and report.reminded == []


def test_the_system_cannot_expire_a_request_before_its_time(cast):
    introduction = _request_on(
        date(2026, 12, 1), cast["person"], cast["carer"], cast["person_user"]
    )
    with pytest.raises(workflow.NotReady):
        INTRODUCTION_WORKFLOW.move(introduction, "expire", None, today=date(2026, 12, 15))
    INTRODUCTION_WORKFLOW.move(introduction, "expire", None, today=date(2026, 12, 16))
    assert introduction.status == "expired"


# -- the thread -------------------------------------------------------------------------


def test_messages_are_escaped_reported_and_blocked(cast, login, make):
    person, _ = _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    attack = '<script>alert("x")</script>'
    response = person.post(f"/introductions/{introduction.id}/messages", data={"body": attack})
    assert response.status_code == 302
    admin = login(cast["admin"])
    page = admin.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert attack not in page and "&lt;script&gt;" in page
    assert any("New message about the introduction" in m for m in _notified(cast["admin"]))

    message = db.session.scalars(sa.select(IntroductionMessage)).one()
    # Nobody reports their own message; the other side can, once.
    own = person.post(f"/introductions/{introduction.id}/messages/{message.id}/report", data={})
    assert own.status_code == 400
    response = admin.post(
        f"/introductions/{introduction.id}/messages/{message.id}/report",
        data={"reason": "A script"},
    )
    assert response.status_code == 302
    reviewer = login(make.user(roles=["reviewer"]))
    moderation = reviewer.get("/review/reported-messages").get_data(as_text=True)
    assert "&lt;script&gt;" in moderation and "A script" in moderation
    assert reviewer.post(f"/review/reported-messages/{message.id}/hide").status_code == 302
    db.session.refresh(message)
    assert message.hidden
    page = admin.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "A CoopCare reviewer hid this message" in page and "&lt;script&gt;" not in page

    # The provider blocks the person's side: they cannot post, and see why.
    assert (
        admin.post(
            f"/introductions/{introduction.id}/block", data={"block-reason": "Rude messages"}
        ).status_code
        == 302
    )
    refused = person.post(f"/introductions/{introduction.id}/messages", data={"body": "Hello?"})
    assert refused.status_code == 403
    assert "blocked messages from you" in refused.get_data(as_text=True)
    page = person.get(f"/introductions/{introduction.id}").get_data(as_text=True)
    assert "The other side has stopped messages from you" in page and "Rude messages" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntroductionMessage)) == 1
    # The blocking side can still write, and can lift the block.
    assert (
        admin.post(f"/introductions/{introduction.id}/messages", data={"body": "Bye"}).status_code
        == 302
    )
    assert admin.post(f"/introductions/{introduction.id}/unblock").status_code == 302
    assert (
        person.post(f"/introductions/{introduction.id}/messages", data={"body": "Hi"}).status_code
        == 302
    )
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "introduction.block")
    )


def test_an_empty_message_is_refused_with_an_error_summary(cast, login):
    person, _ = _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    response = person.post(f"/introductions/{introduction.id}/messages", data={"body": "  "})
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)


@pytest.mark.own_database
def test_messages_are_rate_limited_per_account(tmp_path):
    import factories
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.config import TestConfig
    from marketplace.extensions import limiter

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
        RATELIMIT_ENABLED = True  # tests switch limits on explicitly
        MESSAGE_RATE_LIMIT = "2 per minute"

    app = create_app(Limited)
    try:
        with app.app_context():
            upgrade()
            make = factories.Factories()
            admin = make.user(roles=["provider_admin"])
            carer = make.carer(make.provider(admin=admin))
            person_user = make.user(roles=["person"])
            introduction = make.introduction(person=person_user.person, carer=carer)
            db.session.commit()
            ids = introduction.id, person_user.id, admin.id
        introduction_id, person_id, admin_id = ids

        def client_for(user_id):
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = str(user_id)
            return client

        url = f"/introductions/{introduction_id}/messages"
        person = client_for(person_id)
        statuses = [person.post(url, data={"body": f"Hello {n}"}).status_code for n in range(3)]
        assert statuses == [302, 302, 429]
        # Counted per account: the provider's admin can still answer.
        assert client_for(admin_id).post(url, data={"body": "Hi"}).status_code == 302
        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count()).select_from(IntroductionMessage))
            assert count == 3
            db.engine.dispose()
    finally:
        # Flask-Limiter keeps one `enabled` flag for every app in the process.
        limiter.enabled = False


def test_long_input_is_refused_not_a_500(cast, login):
    person, _ = _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    response = person.post(f"/introductions/{introduction.id}/messages", data={"body": "x" * 5000})
    assert response.status_code == 400
    admin = login(cast["admin"])
    response = admin.post(f"/introductions/{introduction.id}/accept", data={"time_1": "soon"})
    assert response.status_code == 400
    response = admin.post(
        f"/introductions/{introduction.id}/accept", data={"time_1": "31/12/9999 23:59"}
    )
    assert response.status_code == 400
    assert "within the next year" in response.get_data(as_text=True)
    response = admin.post(
        f"/introductions/{introduction.id}/accept",
        data={"time_1": "1/3/2027 10:30am", "time_2": "2 March 2027 2:30pm"},
    )
    assert response.status_code == 302
    db.session.refresh(introduction)
    assert introduction.meeting_options == ["2027-03-01T10:30", "2027-03-02T14:30"]


def test_withdraw_tells_the_provider(cast, login):
    person, _ = _ask(login, cast["person_user"], cast["carer"])
    introduction = _only_introduction()
    response = person.post(
        f"/introductions/{introduction.id}/withdraw", data={"reason": "Found help nearer"}
    )
    assert response.status_code == 302
    db.session.refresh(introduction)
    assert introduction.status == "withdrawn" and introduction.closed_reason
    assert any("no longer needs" in m for m in _notified(cast["admin"]))
    assert person.post(f"/introductions/{introduction.id}/withdraw").status_code == 409


def test_the_person_list_and_the_public_pages_link_to_asking(cast, login, client):
    _ask(login, cast["person_user"], cast["carer"])
    page = login(cast["person_user"]).get("/introductions").get_data(as_text=True)
    assert "Ana S." in page and "Waiting for an answer" in page
    carer_page = client.get(f"/carers/{cast['carer'].id}").get_data(as_text=True)
    assert f"/introductions/ask/carer/{cast['carer'].id}" in carer_page
    provider_page = client.get(f"/providers/{cast['provider'].id}").get_data(as_text=True)
    assert f"/introductions/ask/provider/{cast['provider'].id}" in provider_page
    anonymous = client.get(f"/introductions/ask/carer/{cast['carer'].id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.location


def test_meeting_time_check_uses_the_uk_clock():
    assert services.meeting_label("2030-07-01T09:00") == "Monday 1 July 2030 at 9:00am"
    assert services.meeting_label("2030-01-07T09:00") == "Monday 7 January 2030 at 9:00am"


def test_nobody_asks_for_a_person_who_did_not_allow_them(cast, login, make):
    stranger = make.user(roles=["person"])
    response = login(stranger).post(
        f"/introductions/ask/carer/{cast['carer'].id}",
        data={"person": str(cast["person"].id), "message": "Pretending to be Amira"},
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Introduction)) == 0
