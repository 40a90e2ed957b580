"""Team pages for provider admins, under /provider/teams."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace import authz
from marketplace.extensions import db
from marketplace.models import Carer, Team, TeamMember
from marketplace.teams import bp, services
from marketplace.teams.forms import AddMemberForm, RolesForm, TeamForm
from marketplace.web import choose_provider_page


def _team_or_abort(team_id: int) -> Team:
    return authz.get_or_abort(current_user, Team, team_id, "team.manage")


@bp.route("/")
@authz.requires("provider_area.use")
def index():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page("teams.index", "Choose whose teams to manage")
    teams = db.session.scalars(
        sa.select(Team).where(Team.provider_id == provider.id).order_by(Team.name)
    ).all()
    return render_template(
        "teams/index.html", provider=provider, teams=teams, max_members=services.TEAM_MAX_MEMBERS
    )


@bp.route("/new", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def create():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page("teams.create", "Choose which provider the team belongs to")
    form = TeamForm(provider_id=provider.id)
    if form.validate_on_submit():
        team = services.create_team(
            provider, form.name.data, form.description.data or "", form.districts, current_user.id
        )
        db.session.commit()
        flash(f"Team {team.name} has been created. Now add its members.", "success")
        return redirect(url_for("teams.show", team_id=team.id))
    return render_template("teams/form.html", form=form, provider=provider, team=None), (
        400 if form.errors else 200
    )


def _member_forms(team: Team) -> tuple[AddMemberForm, RolesForm]:
    eligible = services.eligible_carers(team)
    add_form = AddMemberForm(
        prefix="add",
        choices=[(str(c.id), _carer_choice(c)) for c in eligible],
        team_size=len(team.memberships),
    )
    roles_form = RolesForm(
        prefix="roles", members=[(str(m.carer_id), m.carer.display_name) for m in team.memberships]
    )
    if request.method == "GET" or request.endpoint != "teams.set_roles":
        roles_form.coach.data = next(
            (str(m.carer_id) for m in team.memberships if m.role == "coach"), ""
        )
        roles_form.circles_connector.data = next(
            (str(m.carer_id) for m in team.memberships if m.role == "circles_connector"), ""
        )
    return add_form, roles_form


def _carer_choice(carer: Carer) -> str:
    status = "" if carer.active else " (paused)"
    return f"{carer.display_name}, {carer.district or 'no postcode yet'}{status}"


def _show(
    team: Team,
    add_form: AddMemberForm,
    roles_form: RolesForm,
    status: int = 200,
    extra_errors: list[tuple[str, str]] | None = None,
):
    errored = add_form if add_form.errors else roles_form if roles_form.errors else None
    return render_template(
        "teams/show.html",
        team=team,
        add_form=add_form,
        roles_form=roles_form,
        form=errored,
        extra_errors=extra_errors or [],
        role_labels=services.ROLE_LABELS,
        max_members=services.TEAM_MAX_MEMBERS,
    ), status


@bp.route("/<int:team_id>")
@authz.requires("provider_area.use")
def show(team_id: int):
    team = _team_or_abort(team_id)
    return _show(team, *_member_forms(team))


@bp.route("/<int:team_id>/edit", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def edit(team_id: int):
    team = _team_or_abort(team_id)
    form = TeamForm(
        provider_id=team.provider_id,
        team_id=team.id,
        data=None
        if request.method == "POST"
        else {
            "name": team.name,
            "description": team.description,
            "patch": ", ".join(team.patch or []),
        },
    )
    if form.validate_on_submit():
        services.update_team(
            team, form.name.data, form.description.data or "", form.districts, current_user.id
        )
        db.session.commit()
        flash(f"Team {team.name} has been saved.", "success")
        return redirect(url_for("teams.show", team_id=team.id))
    return render_template("teams/form.html", form=form, provider=team.provider, team=team), (
        400 if form.errors else 200
    )


@bp.route("/<int:team_id>/delete", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def delete(team_id: int):
    team = _team_or_abort(team_id)
    if request.method == "POST":  # CSRFProtect has checked the token
        provider_id, name = team.provider_id, team.name
        services.delete_team(team, current_user.id)
        db.session.commit()
        flash(f"Team {name} has been deleted. Its carers are still on your carers list.", "success")
        return redirect(url_for("teams.index", provider=provider_id))
    return render_template("teams/delete.html", team=team)


@bp.route("/<int:team_id>/members", methods=["POST"])
@authz.requires("provider_area.use")
def add_member(team_id: int):
    team = _team_or_abort(team_id)
    add_form, roles_form = _member_forms(team)
    if not add_form.validate_on_submit():
        return _show(team, add_form, roles_form, status=400)
    carer = db.session.get(Carer, int(add_form.carer.data))
    try:
        services.add_member(team, carer, current_user.id)
    except (services.TeamFull, services.TeamChanged, services.AlreadyMember) as problem:
        db.session.expire(team)
        add_form, roles_form = _member_forms(team)
        message = (
            f"{problem} is already in this team"
            if isinstance(problem, services.AlreadyMember)
            else str(problem)
        )
        return _show(team, add_form, roles_form, status=409, extra_errors=[("add-carer", message)])
    db.session.commit()
    flash(f"{carer.display_name} has joined {team.name}.", "success")
    return redirect(url_for("teams.show", team_id=team.id))


@bp.route("/<int:team_id>/members/<int:carer_id>/remove", methods=["POST"])
@authz.requires("provider_area.use")
def remove_member(team_id: int, carer_id: int):
    team = _team_or_abort(team_id)
    member = db.session.scalar(
        sa.select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.carer_id == carer_id)
    )
    if member is None:
        abort(404)
    name = member.carer.display_name
    services.remove_member(team, member, current_user.id)
    db.session.commit()
    flash(f"{name} has left {team.name}.", "success")
    return redirect(url_for("teams.show", team_id=team.id))


@bp.route("/<int:team_id>/roles", methods=["POST"])
@authz.requires("provider_area.use")
def set_roles(team_id: int):
    team = _team_or_abort(team_id)
    add_form, roles_form = _member_forms(team)
    if not roles_form.validate_on_submit():
        return _show(team, add_form, roles_form, status=400)
    services.set_roles(
        team,
        int(roles_form.coach.data) if roles_form.coach.data else None,
        int(roles_form.circles_connector.data) if roles_form.circles_connector.data else None,
        current_user.id,
    )
    db.session.commit()
    flash(f"The roles in {team.name} have been saved.", "success")
    return redirect(url_for("teams.show", team_id=team.id))
