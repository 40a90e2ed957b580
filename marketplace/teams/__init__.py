"""Self-managed teams: provider admins create teams, choose members and roles."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("teams", __name__, url_prefix="/provider/teams")

authz.nav_link("teams.index", "Teams", "provider_area.use")

from marketplace.teams import views  # noqa: E402,F401
