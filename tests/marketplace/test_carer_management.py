"""Provider admins manage carers: permissions, list, add, pause, invitations."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from carers_teams_helpers import (
    ROLES,
    build_world,
    clients,
    has_error_summary,
    link_in,
    outbox,
    text,
    version,
)
from factories import PASSWORD
from itsdangerous import URLSafeTimedSerializer

from marketplace import clock
from marketplace.carers import services
from marketplace.extensions import db
from marketplace.models import AuditLog, Carer, CarerInvitation, User, utcnow

OK_ADMIN = {
    "anonymous": 302,
    "person": 403,
    "carer_own": 403,
    "carer_other": 403,
    "provider_admin": "ok",
    "other_provider_admin": 403,
    "reviewer": 403,
    "admin": "ok",
}
OK_CARER = {
    "anonymous": 302,
    "person": 403,
    "carer_own": "ok",
    "carer_other": "ok",
    "provider_admin": 403,
    "other_provider_admin": 403,
    "reviewer": 403,
    # Admins pass every role check, but have no carer profile of their own.
    "admin": 404,
}

# (method, url, form data, expected status when allowed, who may)
ROUTES = [
    ("GET", "/provider/carers/?provider={provider}", None, 200, OK_ADMIN),
    ("GET", "/provider/carers/new?provider={provider}", None, 200, OK_ADMIN),
    (
        "POST",
        "/provider/carers/new?provider={provider}",
        {"display_name": "Dee E.", "postcode": "LS6 2AB"},
        302,
        OK_ADMIN,
    ),
    ("GET", "/provider/carers/invite?provider={provider}", None, 200, OK_ADMIN),
    (
        "POST",
        "/provider/carers/invite?provider={provider}",
        {"carer": "new", "display_name": "Eve F.", "email": "eve@example.org"},
        302,
        OK_ADMIN,
    ),
    ("GET", "/provider/carers/{carer}", None, 200, OK_ADMIN),
    ("POST", "/provider/carers/{carer}/pause", {}, 302, OK_ADMIN),
    ("POST", "/provider/carers/{carer}/reactivate", {}, 302, OK_ADMIN),
    ("GET", "/provider/carers/{carer}/profile/about", None, 200, OK_ADMIN),
    ("GET", "/provider/carers/{carer}/profile/skills", None, 200, OK_ADMIN),
    ("GET", "/provider/carers/{carer}/profile/availability", None, 200, OK_ADMIN),
    ("GET", "/provider/carers/{carer}/profile/checks", None, 200, OK_ADMIN),
    (
        "POST",
        "/provider/carers/{carer}/profile/availability",
        {"availability": ["mon-am", "sun-eve"]},
        302,
        OK_ADMIN,
    ),
    ("GET", "/carer/profile", None, 200, OK_CARER),
    ("GET", "/carer/profile/about", None, 200, OK_CARER),
    ("GET", "/carer/profile/skills", None, 200, OK_CARER),
    ("GET", "/carer/profile/availability", None, 200, OK_CARER),
    ("GET", "/carer/profile/checks", None, 200, OK_CARER),
    ("POST", "/carer/profile/availability", {"availability": ["tue-pm"]}, 302, OK_CARER),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method, url, data, ok, who", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_permission_matrix(make, login, client, role, method, url, data, ok, who):
    world = build_world(make)
    by_role = clients(world, make, login, client)
    target = url.format(provider=world.provider.id, carer=world.carer.id)
    if method == "GET":
        response = by_role[role].get(target)
    else:
        response = by_role[role].post(target, data=data)
    expected = ok if who[role] == "ok" else who[role]
    if role == "other_provider_admin" and who is OK_ADMIN and "{carer}" in url:
        expected = 404  # another provider's carer is not found (authz.get_or_abort)
    assert response.status_code == expected, text(response)[:500]
    if expected == 302 and who[role] != "ok":
        assert "/login" in response.headers["Location"]


def test_unknown_carer_and_section_are_404(make, login):
    world = build_world(make)
    admin = login(world.admin)
    assert admin.get("/provider/carers/999999").status_code == 404
    assert admin.get(f"/provider/carers/{world.carer.id}/profile/nonsense").status_code == 404
    assert login(world.carer_user).get("/carer/profile/nonsense").status_code == 404


def test_admin_of_two_providers_picks_one(make, login):
    world = build_world(make)
    second = make.provider(admin=world.admin, name="Second Co-op")
    admin = login(world.admin)
    page = text(admin.get("/provider/carers/"))
    assert "Choose whose carers to manage" in page
    assert f"/provider/carers/?provider={second.id}" in page
    assert "Headingley Test Co-op" in page and "Other Test Co-op" not in page
    assert "Cara D." in text(admin.get(f"/provider/carers/?provider={world.provider.id}"))


def test_list_shows_active_and_paused(make, login):
    world = build_world(make)
    world.spare.active = False
    db.session.flush()
    page = text(login(world.admin).get("/provider/carers/"))
    assert "Ana S." in page and "Cara D." in page and "Bob T." not in page
    assert "Paused" in page and "Active" in page


def test_pause_and_reactivate_bump_catalog(make, login):
    world = build_world(make)
    admin = login(world.admin)
    before = version()
    assert admin.post(f"/provider/carers/{world.carer.id}/pause").status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.active is False and version() == before + 1
    assert admin.post(f"/provider/carers/{world.carer.id}/reactivate").status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.active is True and version() == before + 2


def test_reactivate_needs_a_location(make, login):
    world = build_world(make)
    carer = make.carer(
        world.provider, display_name="No Place", district=None, lat=None, lon=None, active=False
    )
    admin = login(world.admin)
    response = admin.post(f"/provider/carers/{carer.id}/reactivate", follow_redirects=True)
    assert "Add a postcode" in text(response)
    db.session.refresh(carer)
    assert carer.active is False


def test_add_carer_directly(make, login):
    world = build_world(make)
    before = version()
    response = login(world.admin).post(
        "/provider/carers/new", data={"display_name": " Dee E. ", "postcode": "ls62ab"}
    )
    assert response.status_code == 302
    carer = db.session.scalar(sa.select(Carer).where(Carer.display_name == "Dee E."))
    assert carer.provider_id == world.provider.id and carer.active
    assert (carer.postcode, carer.district) == ("LS6 2AB", "LS6")
    assert carer.lat == pytest.approx(53.82222) and carer.lon == pytest.approx(-1.57226)
    assert version() == before + 1


@pytest.mark.parametrize(
    "postcode, message",
    [
        ("", "Enter the carer&#39;s home postcode"),
        ("LS6", "Enter the full postcode"),
        ("not a postcode", "is not a UK postcode"),
        ("QQ1 1AA", "We could not find the postcode"),
    ],
)
def test_add_carer_errors_change_nothing(make, login, postcode, message):
    world = build_world(make)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Carer))
    response = login(world.admin).post(
        "/provider/carers/new", data={"display_name": "Dee E.", "postcode": postcode}
    )
    assert response.status_code == 400
    assert has_error_summary(text(response)) and message in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Carer)) == count


# --- invitations ------------------------------------------------------------------------


def decodes_to_text_with(token: str, needle: str) -> bool:
    """True when some piece of the token, read as base64 (as itsdangerous payloads are),
    holds ``needle``."""
    for piece in token.split("."):
        for start in range(4):
            chunk = piece[start:]
            try:
                raw = base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4))
            except (binascii.Error, ValueError):
                continue
            if needle.encode() in raw:
                return True
    return False


def invite(app, login, world, email="newcarer@example.org", carer="new", name="Dee E."):
    outbox(app).clear()
    response = login(world.admin).post(
        "/provider/carers/invite", data={"carer": carer, "display_name": name, "email": email}
    )
    assert response.status_code == 302, text(response)
    assert len(outbox(app)) == 1
    message = outbox(app)[0]
    assert message.to == [email]
    return link_in(message.body)


def test_invitation_happy_path_registers_a_new_carer(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world)
    carer = db.session.scalar(sa.select(Carer).where(Carer.display_name == "Dee E."))
    assert carer.provider_id == world.provider.id and carer.user_id is None
    assert carer.active is False  # paused until it has a postcode
    page = client.get(link)
    assert page.status_code == 200 and "Create your carer account" in text(page)
    response = client.post(
        link,
        data={
            "display_name": "Dee Evans",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/carer/profile")
    user = db.session.scalar(sa.select(User).where(User.email == "newcarer@example.org"))
    db.session.refresh(carer)
    assert carer.user_id == user.id and user.roles == {"carer"}
    assert client.get("/carer/profile").status_code == 200  # logged in as the carer
    assert db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "carer.invitation_accepted", AuditLog.target_id == carer.id
        )
    )


def test_invitation_register_form_errors(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world)
    response = client.post(link, data={"display_name": "", "password": "short", "confirm": "other"})
    assert response.status_code == 400 and has_error_summary(text(response))
    assert db.session.scalar(sa.select(User).where(User.email == "newcarer@example.org")) is None


def test_invitation_for_existing_account_logged_in(app, make, login):
    world = build_world(make)
    existing = make.user(roles=["person"], email="sam@example.org")
    link = invite(app, login, world, email="sam@example.org", carer=str(world.spare.id))
    sam = login(existing)
    page = sam.get(link)
    assert page.status_code == 200 and "Accept invitation" in text(page)
    assert sam.post(link).status_code == 302
    db.session.refresh(world.spare)
    db.session.refresh(existing)
    assert world.spare.user_id == existing.id
    assert existing.roles == {"person", "carer"}


def test_invitation_for_existing_account_logged_out_asks_to_log_in(app, make, login, client):
    world = build_world(make)
    make.user(roles=["person"], email="sam@example.org")
    link = invite(app, login, world, email="sam@example.org", carer=str(world.spare.id))
    page = client.get(link)
    assert page.status_code == 200 and "Log in to accept" in text(page)
    assert (
        client.post(
            link,
            data={
                "display_name": "X",
                "password": "a long enough password",
                "confirm": "a long enough password",
            },
        ).status_code
        == 200
    )
    db.session.refresh(world.spare)
    assert world.spare.user_id is None


def test_invitation_wrong_email_is_refused(app, make, login):
    world = build_world(make)
    link = invite(app, login, world, email="sam@example.org", carer=str(world.spare.id))
    stranger = login(make.user(roles=["person"], email="someone@example.org"))
    page = stranger.get(link)
    assert page.status_code == 403 and "different email address" in text(page)
    assert "sam@example.org" not in text(page)  # masked
    assert stranger.post(link).status_code == 403
    db.session.refresh(world.spare)
    assert world.spare.user_id is None


def test_invitation_cannot_be_reused(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world)
    form = {
        "display_name": "Dee",
        "password": "a long enough password",
        "confirm": "a long enough password",
    }
    assert client.post(link, data=form).status_code == 302
    again = login(make.user(roles=["person"])).get(link)
    assert again.status_code == 400 and "already been used" in text(again)
    anonymous = app.test_client()
    assert anonymous.post(link, data=form).status_code == 400


def test_expired_invitation(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world, email="late@example.org", carer=str(world.spare.id))
    with clock.frozen(utcnow() + timedelta(days=7, seconds=1)):
        page = client.get(link)
        assert page.status_code == 400 and "The link has expired" in text(page)
        form = {"display_name": "Late", "password": PASSWORD, "confirm": PASSWORD}
        assert client.post(link, data=form).status_code == 400
    assert db.session.scalar(sa.select(User).where(User.email == "late@example.org")) is None
    db.session.refresh(world.spare)
    assert world.spare.user_id is None


@pytest.mark.parametrize(
    "token", ["nonsense", "a.b.c", "x" * 101, "%00", "%ff%fe", "..", "é" * 40, "%2F"]
)
def test_tampered_invitation(client, token):
    for page in (
        client.get(f"/carer/invitation/{token}"),
        client.post(f"/carer/invitation/{token}"),
    ):
        assert page.status_code in (400, 404) and "Internal" not in text(page)
    page = client.get(f"/carer/invitation/{token}")
    if page.status_code == 400:
        assert "The link is not complete or not right" in text(page)


def test_a_forged_token_is_refused(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world)
    real = link.rsplit("/", 1)[1]
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    page = client.get(f"/carer/invitation/{forged}")
    assert page.status_code == 400 and "The link is not complete or not right" in text(page)


def test_an_old_style_signed_invitation_no_longer_works(app, make, client):
    # Links sent before carer invitations were stored carried the address, signed.
    world = build_world(make)
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="carer-invite").dumps(
        {"p": world.provider.id, "c": world.spare.id, "e": "x@example.org"}
    )
    assert decodes_to_text_with(token, "x@example.org")  # what the old links gave away
    page = client.get(f"/carer/invitation/{token}")
    assert page.status_code == 400 and "The link is not complete or not right" in text(page)


def test_invitation_for_a_carer_now_at_another_provider_is_refused(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world, carer=str(world.spare.id))
    world.spare.provider_id = world.other_provider.id
    db.session.commit()
    assert client.get(link).status_code == 400


def test_the_link_carries_only_a_random_secret_and_only_its_hash_is_stored(app, make, login):
    world = build_world(make)
    link = invite(app, login, world, email="dee.private@example.org")
    token = link.rsplit("/", 1)[1]
    assert "@" not in link and "dee" not in link.lower()
    assert not decodes_to_text_with(token, "example.org")
    (stored,) = db.session.scalars(sa.select(CarerInvitation)).all()
    assert stored.email == "dee.private@example.org"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(sa.select(CarerInvitation.__table__)).one()
    assert token not in [str(value) for value in row]
    assert stored.used_at is None and stored.superseded_at is None


def test_inviting_again_supersedes_the_older_link(app, make, login, client):
    world = build_world(make)
    first = invite(app, login, world, email="sam@example.org", carer=str(world.spare.id))
    second = invite(app, login, world, email="sam@example.org", carer=str(world.spare.id))
    assert first != second
    page = client.get(first)
    assert page.status_code == 400 and "A newer invitation has been sent" in text(page)
    form = {"display_name": "Sam", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post(first, data=form).status_code == 400
    assert db.session.scalar(sa.select(User).where(User.email == "sam@example.org")) is None
    assert client.post(second, data=form).status_code == 302
    db.session.refresh(world.spare)
    assert world.spare.user_id is not None
    entries = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "carer.invited").order_by(AuditLog.id)
    ).all()
    assert [e.detail.get("superseded") for e in entries][-2:] == [0, 1]


def test_a_used_link_is_marked_used_and_refused_even_if_the_account_goes(app, make, login, client):
    world = build_world(make)
    link = invite(app, login, world)
    form = {"display_name": "Dee", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post(link, data=form).status_code == 302
    stored = db.session.scalar(sa.select(CarerInvitation))
    assert stored.used_at is not None
    carer = stored.carer
    carer.user_id = None  # e.g. the account was deleted
    db.session.commit()
    page = app.test_client().get(link)
    assert page.status_code == 400 and "already been used" in text(page)


def test_an_existing_account_accepting_uses_the_link(app, make, login):
    world = build_world(make)
    existing = make.user(roles=["person"], email="sam@example.org")
    link = invite(app, login, world, email="sam@example.org", carer=str(world.spare.id))
    sam = login(existing)
    assert sam.post(link).status_code == 302
    assert db.session.scalar(sa.select(CarerInvitation)).used_at is not None
    again = sam.post(link)
    assert again.status_code == 400 and "already been used" in text(again)


def test_a_link_used_meanwhile_in_another_tab_is_refused_without_a_second_account(
    app, make, login, client
):
    world = build_world(make)
    link = invite(app, login, world, carer=str(world.spare.id))
    invitation = services.read_invitation(link.rsplit("/", 1)[1])
    # Another tab uses the link between this one reading it and registering.
    db.session.execute(sa.update(CarerInvitation).values(used_at=utcnow()))
    with pytest.raises(services.InvitationProblem) as problem:
        services.register_from_invitation(invitation, "Dee", PASSWORD)
    assert problem.value.reason == "used"
    db.session.rollback()


def test_account_with_a_carer_profile_cannot_take_another(app, make, login):
    world = build_world(make)
    link = invite(app, login, world, email="ana@example.org", carer=str(world.spare.id))
    ana = login(world.carer_user)
    response = ana.post(link)
    assert response.status_code == 400 and "already linked" in text(response)
    db.session.refresh(world.spare)
    assert world.spare.user_id is None


def test_invite_form_errors(make, login, app):
    world = build_world(make)
    outbox(app).clear()
    response = login(world.admin).post(
        "/provider/carers/invite", data={"carer": "new", "display_name": "", "email": "nope"}
    )
    assert response.status_code == 400 and has_error_summary(text(response))
    assert "Enter the new carer&#39;s name" in text(response)
    assert outbox(app) == []


def test_invite_cannot_pick_another_providers_carer(make, login, app):
    world = build_world(make)
    response = login(world.admin).post(
        "/provider/carers/invite",
        data={"carer": str(world.other_carer.id), "email": "x@example.org"},
    )
    assert response.status_code == 400
