"""Supporters: invitations by e-mail, accepting once, scopes, revoking at once, switching
between people, and every supporter action shown to the person."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import clock
from marketplace.config import TestConfig
from marketplace.date_input import parts_of
from marketplace.extensions import db, limiter
from marketplace.models import AuditLog, ConsentGrant, OutboxEmail, SupporterInvitation, utcnow

LINK = re.compile(r"https://coopcare\.example/supporter-invitation/([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _no_rate_limits(monkeypatch):
    # Flask-Limiter keeps one `enabled` flag per process: switched off here, on in the
    # test that checks it.
    monkeypatch.setattr(limiter, "enabled", False)


@pytest.fixture
def amira(make):
    return make.user(roles=["person"], display_name="Amira Khan", email="amira@example.org").person


def _invite(client, email="joe@example.org", scopes=("view",), **extra):
    data = {
        "display_name": "Joe",
        "email": email,
        "relationship": "family",
        "scopes": list(scopes),
        **extra,
    }
    return client.post("/supporters/invite", data=data)


def _last_day(day: str, month: str, year: str) -> dict[str, str]:
    """The last day they can support you: Day, Month and Year boxes."""
    return {"ends_on_day": day, "ends_on_month": month, "ends_on_year": year}


def _token(email="joe@example.org") -> str:
    message = db.session.scalars(
        sa.select(OutboxEmail)
        .where(OutboxEmail.to_address == email)
        .order_by(OutboxEmail.id.desc())
    ).first()
    assert message is not None, "no invitation e-mail in the outbox"
    return LINK.search(message.body).group(1)


def test_a_person_invites_and_a_signed_in_supporter_accepts_once(make, login, amira):
    person_client = login(amira.user)
    response = _invite(person_client, scopes=["view", "manage_introductions"])
    assert response.status_code == 302
    [message] = db.session.scalars(sa.select(OutboxEmail)).all()
    assert message.to_address == "joe@example.org"
    assert "Amira Khan" in message.subject
    assert "https://coopcare.example/supporter-invitation/" in message.body  # PUBLIC_BASE_URL
    token = _token()
    invitation = db.session.scalar(sa.select(SupporterInvitation))
    assert token not in invitation.token_hash and len(token) >= 40  # only the hash is kept

    joe = make.user(roles=["supporter"], email="joe@example.org", display_name="Joe Khan")
    joe_client = login(joe)
    page = joe_client.get(f"/supporter-invitation/{token}").get_data(as_text=True)
    assert "Support Amira Khan" in page and "Ask for introductions" in page
    assert joe_client.post(f"/supporter-invitation/{token}").status_code == 302
    grant = db.session.scalar(
        sa.select(ConsentGrant).where(ConsentGrant.supporter_user_id == joe.id)
    )
    assert grant.scopes == ["view", "manage_introductions"] and grant.status == "active"
    # Single use: the same link again, by the same supporter or anyone, does nothing.
    again = joe_client.post(f"/supporter-invitation/{token}")
    assert again.status_code == 400 and "already been accepted" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentGrant)) == 1
    # The person is told, and sees it on their list and their activity page.
    assert "Joe Khan" in person_client.get("/supporters").get_data(as_text=True)
    activity = person_client.get("/supporters/activity").get_data(as_text=True)
    assert "Accepted your invitation" in activity and "Joe Khan" in activity


def test_a_new_supporter_registers_from_the_link_and_the_address_is_confirmed(client, login, amira):
    _invite(login(amira.user), email="new@example.org")
    token = _token("new@example.org")
    page = client.get(f"/supporter-invitation/{token}").get_data(as_text=True)
    assert "Sign in to accept" in page and "Create my account and accept" in page
    response = client.post(
        f"/supporter-invitation/{token}",
        data={
            "display_name": "Nia",
            "password": "plum lantern orbit seven",
            "confirm": "plum lantern orbit seven",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/supporting")
    grant = db.session.scalar(sa.select(ConsentGrant))
    assert grant.supporter.email == "new@example.org" and grant.supporter.email_confirmed
    assert grant.supporter.roles == {"supporter"}
    assert "Amira Khan" in client.get("/supporting").get_data(as_text=True)


def test_the_signed_out_page_is_the_same_whether_or_not_the_address_has_an_account(
    client, make, login, amira
):
    make.user(roles=["supporter"], email="has@example.org")
    person_client = login(amira.user)
    _invite(person_client, email="has@example.org")
    _invite(person_client, email="hasnot@example.org")
    pages = [
        client.get(f"/supporter-invitation/{_token(email)}").get_data(as_text=True)
        for email in ("has@example.org", "hasnot@example.org")
    ]

    def strip(page: str) -> str:
        return re.sub(
            r"has(not)?@example\.org|csrf_token[^>]*>|/supporter-invitation/[^\"&]+", "", page
        )

    assert strip(pages[0]) == strip(pages[1])
    # And the person inviting is told the same for both.
    one = _invite(person_client, email="has@example.org", display_name="X")
    two = _invite(person_client, email="hasnot@example.org", display_name="X")
    assert one.status_code == two.status_code == 302


def test_the_person_cannot_accept_their_own_invitation_nor_invite_themself(login, amira):
    person_client = login(amira.user)
    own = _invite(person_client, email="Amira@Example.org")
    assert own.status_code == 400 and "your own email address" in own.get_data(as_text=True)
    _invite(person_client, email="joe@example.org")
    token = _token()
    assert person_client.get(f"/supporter-invitation/{token}").status_code == 403
    assert person_client.post(f"/supporter-invitation/{token}").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentGrant)) == 0


def test_someone_signed_in_with_another_address_cannot_use_a_forwarded_link(make, login, amira):
    _invite(login(amira.user))
    other = login(make.user(roles=["supporter"], email="eve@example.org"))
    token = _token()
    page = other.get(f"/supporter-invitation/{token}")
    assert page.status_code == 403 and "j***@example.org" in page.get_data(as_text=True)
    assert other.post(f"/supporter-invitation/{token}").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentGrant)) == 0


def test_an_expired_or_withdrawn_or_made_up_link_does_not_work(make, login, amira):
    person_client = login(amira.user)
    joe = login(make.user(roles=["supporter"], email="joe@example.org"))
    _invite(person_client)
    token = _token()
    with clock.frozen(utcnow() + timedelta(days=8)):
        page = joe.post(f"/supporter-invitation/{token}")
        assert page.status_code == 400 and "expired" in page.get_data(as_text=True)
    invitation = db.session.scalar(sa.select(SupporterInvitation))
    assert (
        person_client.post(f"/supporters/invitations/{invitation.id}/withdraw").status_code == 302
    )
    page = joe.post(f"/supporter-invitation/{token}")
    assert page.status_code == 400 and "withdrawn" in page.get_data(as_text=True)
    assert joe.get("/supporter-invitation/" + "A" * 43).status_code == 400
    assert joe.get("/supporter-invitation/" + "A" * 500).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentGrant)) == 0


def test_revoking_stops_a_supporter_at_once_and_changing_scopes_works_at_once(make, login, amira):
    joe_user = make.user(roles=["supporter"])
    grant = make.consent(amira, joe_user, ["view"])
    budget = make.budget(amira)
    joe, person_client = login(joe_user), login(amira.user)
    assert joe.get("/supporting/profile").status_code == 200
    assert joe.get(f"/budgets/{budget.id}").status_code == 200
    # Take "view" away, give "message": the profile and budget close at once.
    assert (
        person_client.post(f"/supporters/{grant.id}", data={"scopes": ["message"]}).status_code
        == 302
    )
    assert joe.get("/supporting/profile").status_code == 403
    assert joe.get(f"/budgets/{budget.id}").status_code == 404
    person_client.post(f"/supporters/{grant.id}", data={"scopes": ["view"]})
    assert joe.get("/supporting/profile").status_code == 200
    assert person_client.post(f"/supporters/{grant.id}/revoke").status_code == 302
    for url in ("/supporting/profile", f"/budgets/{budget.id}"):
        response = joe.get(url)
        assert response.status_code in (403, 404)
        assert "Amira" not in response.get_data(as_text=True)  # no names leak
    assert "Amira" not in joe.get("/supporting").get_data(as_text=True)
    # Revoked is final: it cannot be changed or revoked again.
    assert person_client.post(f"/supporters/{grant.id}/revoke").status_code == 409
    assert (
        person_client.post(f"/supporters/{grant.id}", data={"scopes": ["view"]}).status_code == 409
    )
    assert not grant.allows("view")


def test_a_supporter_of_two_people_switches_and_each_action_is_recorded_for_the_right_one(
    make, login, amira
):
    derek = make.user(roles=["person"], display_name="Derek Shaw").person
    joe_user = make.user(roles=["supporter"], display_name="Joe Khan")
    make.consent(amira, joe_user, ["view"])
    make.consent(derek, joe_user, ["pay"])
    joe = login(joe_user)
    assert joe.get("/supporting/profile").status_code == 302  # two people: choose first
    assert joe.post("/supporting/choose", data={"person_id": str(amira.id)}).status_code == 302
    page = joe.get("/supporting/profile").get_data(as_text=True)
    assert "Amira Khan’s profile" in page and "LS6 1AA" in page
    assert joe.post("/supporting/choose", data={"person_id": str(derek.id)}).status_code == 302
    assert joe.get("/supporting/profile").status_code == 403  # Derek gave "pay" only
    stranger = make.user(roles=["person"]).person
    for person_id in (str(stranger.id), "999999", "nonsense", ""):
        assert joe.post("/supporting/choose", data={"person_id": person_id}).status_code == 403
    rows = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.actor_user_id == joe_user.id).order_by(AuditLog.id)
    ).all()
    assert [(r.action, r.on_behalf_of_person_id) for r in rows] == [
        ("supporting.chose", amira.id),
        ("person.profile_viewed", amira.id),
        ("supporting.chose", derek.id),
    ]
    amira_activity = login(amira.user).get("/supporters/activity").get_data(as_text=True)
    assert "Looked at your profile" in amira_activity
    derek_activity = login(derek.user).get("/supporters/activity").get_data(as_text=True)
    assert (
        "Looked at your profile" not in derek_activity
        and "Started acting for you" in derek_activity
    )


def test_another_persons_grant_and_invitation_are_not_found(make, login, amira):
    other = make.user(roles=["person"]).person
    grant = make.consent(other, make.user(roles=["supporter"]), ["view"])
    person_client = login(amira.user)
    assert person_client.get(f"/supporters/{grant.id}").status_code == 404
    assert person_client.post(f"/supporters/{grant.id}/revoke").status_code == 404
    assert grant.status == "active"
    _invite(login(other.user))
    invitation = db.session.scalar(sa.select(SupporterInvitation))
    assert (
        person_client.post(f"/supporters/invitations/{invitation.id}/withdraw").status_code == 404
    )
    assert invitation.status == "pending"


def test_the_invite_form_explains_what_is_wrong(login, amira):
    client = login(amira.user)
    response = client.post(
        "/supporters/invite", data={"email": "not an email", **_last_day("soon", "", "")}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page
    for message in ("Enter their name", "right format", "Choose who they are to you",
                    "Choose at least one thing", "The last day must include a month"):  # fmt: skip
        assert message in page
    yesterday = clock.today() - timedelta(days=1)
    response = _invite(client, **_last_day(*parts_of(yesterday)))
    assert response.status_code == 400 and "today or in the future" in response.get_data(
        as_text=True
    )
    assert _invite(client, scopes=["everything"]).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupporterInvitation)) == 0


def test_a_grant_with_a_last_day_ends_after_that_day(make, login, amira):
    client = login(amira.user)
    last = clock.today() + timedelta(days=3)
    _invite(client, **_last_day(*parts_of(last)))
    joe_user = make.user(roles=["supporter"], email="joe@example.org")
    joe = login(joe_user)
    joe.post(f"/supporter-invitation/{_token()}")
    assert joe.get("/supporting/profile").status_code == 200
    with clock.frozen(utcnow() + timedelta(days=5)):
        assert joe.get("/supporting/profile").status_code == 403


def test_one_address_cannot_be_flooded_with_invitations(login, make, amira):
    client = login(amira.user)
    statuses = [_invite(client, email="target@example.org").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 400]
    others = [login(make.user(roles=["person"]).person.user) for _ in range(3)]
    statuses = [_invite(other, email="target@example.org").status_code for other in others]
    assert statuses == [302, 302, 400]  # five a day to one address, whoever sends them
    sent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxEmail)
        .where(OutboxEmail.to_address == "target@example.org")
    )
    assert sent == 5


@pytest.mark.own_database
def test_sending_invitations_is_rate_limited(tmp_path):
    from flask_migrate import upgrade

    from marketplace import create_app

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
        RATELIMIT_ENABLED = True
        SUPPORTER_INVITE_RATE_LIMIT = "2 per minute"

    app = create_app(Limited)
    try:
        limiter.enabled = True  # switched on here, and off again below
        with app.app_context():
            upgrade()
            import factories

            user_id = factories.Factories().user(roles=["person"]).id
            db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
        statuses = [
            client.post("/supporters/invite", data={"email": "not valid"}).status_code
            for _ in range(3)
        ]
        assert statuses == [400, 400, 429]
        assert client.get("/supporters/invite").status_code == 200  # reading is not limited
    finally:
        limiter.enabled = False
        with app.app_context():
            db.engine.dispose()


def test_supporters_never_manage_the_persons_supporters(make, login, amira):
    joe_user = make.user(roles=["supporter"])
    make.consent(amira, joe_user, ["view", "message", "manage_introductions", "pay"])
    joe = login(joe_user)
    for url in ("/supporters", "/supporters/invite", "/supporters/activity"):
        assert joe.get(url).status_code == 403
    assert _invite(joe).status_code == 403


def test_a_second_invitation_changes_the_grant_in_force_instead_of_adding_one(make, login, amira):
    joe_user = make.user(roles=["supporter"], email="joe@example.org")
    grant = make.consent(amira, joe_user, ["view"])
    person_client, joe = login(amira.user), login(joe_user)
    _invite(person_client, scopes=["pay"])
    assert joe.post(f"/supporter-invitation/{_token()}").status_code == 302
    grants = db.session.scalars(sa.select(ConsentGrant)).all()
    assert grants == [grant] and grant.scopes == ["pay"]
