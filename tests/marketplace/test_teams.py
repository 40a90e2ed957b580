"""Teams: permissions, patch validation, the 12-member limit (form and database), roles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from carers_teams_helpers import (
    ROLES,
    build_world,
    clients,
    has_error_summary,
    text,
    version,
)

from marketplace.extensions import db
from marketplace.models import Carer, Team, TeamMember
from marketplace.teams import services

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
TEAM_FORM = {"name": "Meanwood", "description": "Five of us.", "patch": "LS6, ls7"}

ROUTES = [
    ("GET", "/provider/teams/?provider={provider}", None, 200),
    ("GET", "/provider/teams/new?provider={provider}", None, 200),
    ("POST", "/provider/teams/new?provider={provider}", TEAM_FORM, 302),
    ("GET", "/provider/teams/{team}", None, 200),
    ("GET", "/provider/teams/{team}/edit", None, 200),
    ("POST", "/provider/teams/{team}/edit", TEAM_FORM, 302),
    ("GET", "/provider/teams/{team}/delete", None, 200),
    ("POST", "/provider/teams/{team}/delete", {}, 302),
    ("POST", "/provider/teams/{team}/members", {"add-carer": "{spare}"}, 302),
    ("POST", "/provider/teams/{team}/members/{carer}/remove", {}, 302),
    ("POST", "/provider/teams/{team}/roles", {"roles-coach": "{carer}"}, 302),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, url, data, ok", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_permission_matrix(make, login, client, role, method, url, data, ok):
    world = build_world(make)
    ids = {
        "provider": world.provider.id,
        "team": world.team.id,
        "carer": world.carer.id,
        "spare": world.spare.id,
    }
    target = url.format(**ids)
    by_role = clients(world, make, login, client)
    if method == "GET":
        response = by_role[role].get(target)
    else:
        form = {k: v.format(**ids) for k, v in (data or {}).items()}
        response = by_role[role].post(target, data=form)
    expected = ok if OK_ADMIN[role] == "ok" else OK_ADMIN[role]
    if role == "other_provider_admin" and "{team}" in url:
        expected = 404  # another provider's team is not found (authz.get_or_abort)
    assert response.status_code == expected, text(response)[:600]


def test_unknown_team_is_404(make, login):
    world = build_world(make)
    admin = login(world.admin)
    assert admin.get("/provider/teams/999999").status_code == 404
    assert (
        admin.post(f"/provider/teams/{world.team.id}/members/{world.spare.id}/remove").status_code
        == 404
    )


def test_list_and_create_team(make, login):
    world = build_world(make)
    admin = login(world.admin)
    assert "Headingley North" in text(admin.get("/provider/teams/"))
    before = version()
    response = admin.post(
        "/provider/teams/new",
        data={"name": " Meanwood ", "description": "Five of us.", "patch": "ls6, LS7 ls16; LS6"},
    )
    assert response.status_code == 302
    team = db.session.scalar(sa.select(Team).where(Team.name == "Meanwood"))
    assert team.provider_id == world.provider.id
    assert team.patch == ["LS6", "LS7", "LS16"]
    assert version() == before + 1


@pytest.mark.parametrize(
    "patch, message",
    [
        ("", "Enter at least one postcode district"),
        ("LS6 1AA", "LS6 1AA is a full postcode. Enter only its district, LS6."),
        ("LS6, hello", "hello is not a postcode district"),
        ("QQ1", "We could not find the postcode district QQ1."),
        ("LS6, ZZ9 XX1", "We could not find the postcode district ZZ9."),
        (
            ", ".join(f"BD{n}" for n in range(1, 25)) + ", LS1, LS2, LS3, LS4, LS5, LS6, LS7",
            "30 postcode districts or fewer",
        ),
    ],
)
def test_patch_validation(make, login, patch, message):
    world = build_world(make)
    before = version()
    response = login(world.admin).post("/provider/teams/new", data={"name": "New", "patch": patch})
    assert response.status_code == 400
    page = text(response)
    assert has_error_summary(page) and message in page
    assert db.session.scalar(sa.select(Team).where(Team.name == "New")) is None
    assert version() == before


def test_edit_rejects_bad_patch_and_changes_nothing(make, login):
    world = build_world(make)
    response = login(world.admin).post(
        f"/provider/teams/{world.team.id}/edit", data={"name": "Renamed", "patch": "LS6 3HN"}
    )
    assert response.status_code == 400 and has_error_summary(text(response))
    db.session.refresh(world.team)
    assert (world.team.name, world.team.patch) == ("Headingley North", ["LS6"])


def test_team_names_are_unique_per_provider(make, login):
    world = build_world(make)
    make.team(world.other_provider, name="Meanwood")
    admin = login(world.admin)
    assert (
        admin.post("/provider/teams/new", data={"name": "Meanwood", "patch": "LS6"}).status_code
        == 302
    )
    response = admin.post("/provider/teams/new", data={"name": "meanwood", "patch": "LS6"})
    assert response.status_code == 400 and "You already have a team called" in text(response)


def test_edit_team(make, login):
    world = build_world(make)
    before = version()
    assert (
        login(world.admin)
        .post(
            f"/provider/teams/{world.team.id}/edit",
            data={"name": "Headingley North", "description": "Changed.", "patch": "LS6, LS16"},
        )
        .status_code
        == 302
    )
    db.session.refresh(world.team)
    assert world.team.patch == ["LS6", "LS16"] and world.team.description == "Changed."
    assert version() == before + 1


def test_delete_team_keeps_carers(make, login):
    world = build_world(make)
    team_id = world.team.id
    assert login(world.admin).post(f"/provider/teams/{team_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, team_id) is None
    assert db.session.get(Carer, world.carer.id) is not None
    assert db.session.scalar(sa.select(TeamMember).where(TeamMember.team_id == team_id)) is None


def seats(team: Team) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(TeamMember.carer_id, TeamMember.seat).where(TeamMember.team_id == team.id)
    )
    return {carer_id: seat for carer_id, seat in rows}


def test_add_member_takes_the_lowest_free_seat(make, login):
    world = build_world(make)
    team = make.team(world.provider, members=3)
    second = next(c for c, s in seats(team).items() if s == 2)
    admin = login(world.admin)
    assert admin.post(f"/provider/teams/{team.id}/members/{second}/remove").status_code == 302
    before = version()
    assert (
        admin.post(
            f"/provider/teams/{team.id}/members", data={"add-carer": str(world.spare.id)}
        ).status_code
        == 302
    )
    assert seats(team)[world.spare.id] == 2
    assert version() == before + 1


def test_only_the_providers_own_carers_can_join(make, login):
    world = build_world(make)
    response = login(world.admin).post(
        f"/provider/teams/{world.team.id}/members", data={"add-carer": str(world.other_carer.id)}
    )
    assert response.status_code == 400 and has_error_summary(text(response))
    assert world.other_carer.id not in seats(world.team)


def test_form_refuses_a_thirteenth_member_before_the_database(make, login, app):
    world = build_world(make)
    team = make.team(world.provider, members=12)
    inserts: list[str] = []

    def spy(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO TEAM_MEMBERS"):
            inserts.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", spy)
    try:
        response = login(world.admin).post(
            f"/provider/teams/{team.id}/members", data={"add-carer": str(world.spare.id)}
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", spy)
    assert response.status_code == 400
    page = text(response)
    assert has_error_summary(page) and "already has 12 members" in page
    assert inserts == []
    assert len(seats(team)) == 12


def test_database_refuses_a_thirteenth_seat_and_a_shared_seat(make):
    world = build_world(make)
    team = make.team(world.provider, members=12)
    for seat in (13, 0, 12):
        with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
            db.session.add(TeamMember(team_id=team.id, carer_id=world.spare.id, seat=seat))
            db.session.flush()
    assert len(seats(team)) == 12


def test_race_that_hits_the_database_gives_the_clear_message(make, login, monkeypatch):
    world = build_world(make)
    team = make.team(world.provider, members=12)
    # Another admin filled the last seat after this request looked: it still thinks seat 12
    # is free, so the insert hits the database's unique (team, seat) rule.
    monkeypatch.setattr(services, "lowest_free_seat", lambda team_id: 12)
    monkeypatch.setattr(
        "marketplace.teams.forms.AddMemberForm.validate_carer", lambda self, field: None
    )
    response = login(world.admin).post(
        f"/provider/teams/{team.id}/members", data={"add-carer": str(world.spare.id)}
    )
    assert response.status_code == 409
    page = text(response)
    assert has_error_summary(page) and "already has 12 members" in page
    assert len(seats(team)) == 12


def test_race_on_a_seat_in_a_team_with_room_asks_to_try_again(make, login, monkeypatch):
    world = build_world(make)
    monkeypatch.setattr(services, "lowest_free_seat", lambda team_id: 1)  # seat 1 is Ana's
    response = login(world.admin).post(
        f"/provider/teams/{world.team.id}/members", data={"add-carer": str(world.spare.id)}
    )
    assert response.status_code == 409 and "Someone else changed this team" in text(response)


def test_service_refuses_a_member_twice_and_a_full_team(make):
    world = build_world(make)
    with pytest.raises(services.AlreadyMember):
        services.add_member(world.team, world.carer, world.admin.id)
    full = make.team(world.provider, members=12)
    with pytest.raises(services.TeamFull):
        services.add_member(full, world.spare, world.admin.id)
    with pytest.raises(ValueError):
        services.add_member(world.team, world.other_carer, world.admin.id)


def test_set_roles_one_coach_one_connector(make, login):
    world = build_world(make)
    admin = login(world.admin)
    admin.post(f"/provider/teams/{world.team.id}/members", data={"add-carer": str(world.spare.id)})
    before = version()
    assert (
        admin.post(
            f"/provider/teams/{world.team.id}/roles",
            data={
                "roles-coach": str(world.carer.id),
                "roles-circles_connector": str(world.spare.id),
            },
        ).status_code
        == 302
    )
    roles = dict(
        db.session.execute(
            sa.select(TeamMember.carer_id, TeamMember.role).where(
                TeamMember.team_id == world.team.id
            )
        ).all()
    )
    assert roles == {world.carer.id: "coach", world.spare.id: "circles_connector"}
    assert version() == before + 1
    # Moving the coach role leaves exactly one coach.
    admin.post(f"/provider/teams/{world.team.id}/roles", data={"roles-coach": str(world.spare.id)})
    roles = dict(
        db.session.execute(
            sa.select(TeamMember.carer_id, TeamMember.role).where(
                TeamMember.team_id == world.team.id
            )
        ).all()
    )
    assert roles == {world.carer.id: "member", world.spare.id: "coach"}


def test_one_person_cannot_be_coach_and_connector(make, login):
    world = build_world(make)
    response = login(world.admin).post(
        f"/provider/teams/{world.team.id}/roles",
        data={"roles-coach": str(world.carer.id), "roles-circles_connector": str(world.carer.id)},
    )
    assert response.status_code == 400
    assert has_error_summary(text(response)) and "one person cannot hold both" in text(response)
    assert (
        db.session.scalar(sa.select(TeamMember.role).where(TeamMember.team_id == world.team.id))
        == "member"
    )


def test_roles_only_for_members(make, login):
    world = build_world(make)
    response = login(world.admin).post(
        f"/provider/teams/{world.team.id}/roles", data={"roles-coach": str(world.spare.id)}
    )
    assert response.status_code == 400


def test_team_page_shows_members_and_hides_add_form_when_full(make, login):
    world = build_world(make)
    team = make.team(world.provider, members=12)
    page = text(login(world.admin).get(f"/provider/teams/{team.id}"))
    assert "12 of 12" in page and "already has 12 members" in page
    assert 'name="add-carer"' not in page
