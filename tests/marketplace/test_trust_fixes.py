"""Trust fixes from the people/families user test (issue 11): staff read a private
introduction thread only with a recorded reason, and on the record; a closed introduction
takes no new messages; reviews only once the arrangement started; one rule for the
person's full postcode; one way to load and authorise (404 for other people's things)."""

from __future__ import annotations

from datetime import timedelta

import arrangements_helpers as ah
import pytest
import sqlalchemy as sa

from marketplace import authz, clock
from marketplace.extensions import db
from marketplace.models import AuditLog, IntroductionMessage, Team, utcnow


@pytest.fixture
def thread(make):
    person_user = make.user(roles=["person"])
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    carer = make.carer(provider)
    introduction = make.introduction(person=person_user.person, carer=carer, status="accepted")
    db.session.add(
        IntroductionMessage(
            introduction_id=introduction.id,
            author_user_id=person_user.id,
            side="person",
            body="A private hello",
        )
    )
    db.session.flush()
    return person_user, admin, introduction


def _staff_reads(introduction) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AuditLog.id)).where(
            AuditLog.action == "introduction.staff_read", AuditLog.target_id == introduction.id
        )
    )


def test_platform_staff_do_not_read_a_thread_without_a_reported_message(make, login, thread):
    _, _, introduction = thread
    for role in ("admin", "reviewer"):
        staff = login(make.user(roles=[role]))
        # Not found, as for an id that does not exist: the thread is not theirs to read.
        assert staff.get(f"/introductions/{introduction.id}").status_code == 404
    assert _staff_reads(introduction) == 0


def test_a_reported_message_lets_staff_read_the_thread_on_the_record(make, login, thread):
    person_user, _, introduction = thread
    message = introduction.messages[0]
    message.reported_at = utcnow()
    db.session.flush()
    admin_user = make.user(roles=["admin"])
    page = login(admin_user).get(f"/introductions/{introduction.id}")
    assert page.status_code == 200 and "A private hello" in page.get_data(as_text=True)
    reviewer = login(make.user(roles=["reviewer"]))
    assert reviewer.get(f"/introductions/{introduction.id}").status_code == 200
    assert _staff_reads(introduction) == 2
    row = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "introduction.staff_read")
    ).first()
    assert row.actor_user_id == admin_user.id and row.detail == {"reason": "reported_message"}
    # Staff read; they never write on the thread or answer for a side.
    response = login(admin_user).post(
        f"/introductions/{introduction.id}/messages", data={"body": "Hi"}
    )
    assert response.status_code == 403
    # The sides' own readings are not audited as staff readings.
    login(person_user).get(f"/introductions/{introduction.id}")
    assert _staff_reads(introduction) == 2


@pytest.mark.parametrize("status", ["declined", "expired", "withdrawn", "not_going_ahead"])
def test_a_closed_introduction_shows_no_message_box_and_refuses_a_post(make, login, thread, status):
    person_user, admin, introduction = thread
    introduction.status = status
    db.session.flush()
    for user in (person_user, admin):
        client = login(user)
        page = client.get(f"/introductions/{introduction.id}").get_data(as_text=True)
        assert "Send message" not in page
        assert "This introduction is closed, so no new messages can be sent" in page
        response = client.post(f"/introductions/{introduction.id}/messages", data={"body": "Hi"})
        assert response.status_code == 403
        assert "This introduction is closed" in response.get_data(as_text=True)
    assert [m.body for m in introduction.messages] == ["A private hello"]


def test_an_open_or_agreed_introduction_still_takes_messages(make, login, thread):
    person_user, _, introduction = thread
    for status in ("accepted", "agreed"):
        introduction.status = status
        db.session.flush()
        client = login(person_user)
        assert "Send message" in client.get(f"/introductions/{introduction.id}").get_data(
            as_text=True
        )
        response = client.post(f"/introductions/{introduction.id}/messages", data={"body": "Hi"})
        assert response.status_code == 302


def test_a_review_waits_for_the_arrangement_to_start(make, login):
    s = ah.setup(make)
    arrangement = ah.agreed(s)  # starts in a week
    person = login(s.person_user)
    page = person.get(f"/arrangements/{arrangement.id}")
    assert "Write a review" not in page.get_data(as_text=True)
    response = person.get(f"/arrangements/{arrangement.id}/review")
    assert response.status_code == 403
    assert "once it has started" in response.get_data(as_text=True)
    assert person.post(f"/arrangements/{arrangement.id}/review", data={}).status_code == 403
    with clock.frozen(clock.now() + timedelta(days=8)):
        assert authz.can(s.person_user, "review.write", arrangement)
        assert person.get(f"/arrangements/{arrangement.id}/review").status_code == 200


def test_the_full_postcode_is_shown_to_the_provider_by_one_rule(make, login):
    """Introduction agreed, arrangement proposed: the district on both pages. Arrangement
    agreed: the full postcode on both pages."""
    s = ah.setup(make)
    person = s.person
    person.postcode, person.district = "LS6 2AB", "LS6"
    introduction = make.introduction(person=person, carer=s.carers[0], status="agreed")
    introduction.provider_id = s.provider.id
    db.session.flush()
    admin = login(s.admin)
    arrangement = ah.propose(s)
    for url in (f"/introductions/{introduction.id}", f"/arrangements/{arrangement.id}"):
        page = admin.get(url).get_data(as_text=True)
        assert "LS6 2AB" not in page and "LS6" in page, url
    assert not authz.can(s.admin, "person.see_postcode", person)
    from marketplace.arrangements import services

    services.decide(arrangement, 1, "accept", s.person_user)
    db.session.flush()
    assert authz.can(s.admin, "person.see_postcode", person)
    for url in (f"/introductions/{introduction.id}", f"/arrangements/{arrangement.id}"):
        assert "LS6 2AB" in admin.get(url).get_data(as_text=True), url
    # The person's own side always sees it; another provider never does.
    assert authz.can(s.person_user, "person.see_postcode", person)
    assert not authz.can(make.user(roles=["provider_admin"]), "person.see_postcode", person)


def test_get_or_abort_hides_what_the_user_may_not_see(app, make):
    admin = make.user(roles=["provider_admin"])
    other_admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    make.provider(admin=other_admin, name="Other Co-op")
    team = make.team(provider, name="North")
    from werkzeug.exceptions import Forbidden, NotFound

    with app.test_request_context():
        assert authz.get_or_abort(admin, Team, team.id, "team.manage") is team
        for user, object_id in ((other_admin, team.id), (admin, 999_999), (admin, None)):
            with pytest.raises(NotFound):
                authz.get_or_abort(user, Team, object_id, "team.manage")
        # Someone who may see it but not do this is told 403.
        person_user = make.user(roles=["person"])
        introduction = make.introduction(person=person_user.person)
        from marketplace.models import Introduction

        with pytest.raises(Forbidden):
            authz.get_or_abort(person_user, Introduction, introduction.id, "introduction.answer")
