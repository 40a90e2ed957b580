"""Provider onboarding, evidence and the provider admin's dashboard (/provider)."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from marketplace import authz

bp = Blueprint("providers", __name__, url_prefix="/provider")
authz.nav_link("providers.dashboard", "Your organisation", "provider_area.use")


@bp.record_once
def _register_commands(state: BlueprintSetupState) -> None:
    from marketplace.providers.qa import qa_cli

    state.app.cli.add_command(qa_cli)  # flask qa expire


from marketplace.providers import views  # noqa: E402,F401
