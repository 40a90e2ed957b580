"""Self-managed teams: provider admins create teams, choose members and roles."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("teams", __name__, url_prefix="/provider/teams")

add_nav_link("teams.index", "Teams", "provider_admin")

from marketplace.teams import views  # noqa: E402,F401
