"""Provider onboarding, evidence and the provider admin's dashboard (/provider)."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from marketplace.web import add_nav_link

bp = Blueprint("providers", __name__, url_prefix="/provider")
add_nav_link("providers.dashboard", "Your organisation", "provider_admin")


@bp.record_once
def _register_commands(state: BlueprintSetupState) -> None:
    from marketplace.providers.qa import qa_cli

    state.app.cli.add_command(qa_cli)  # flask qa expire


from marketplace.providers import views  # noqa: E402,F401
