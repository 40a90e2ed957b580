"""Arrangements: agreed terms and outcomes between a person and a provider, changed only
when both sides agree; choosing the team; the Easy Read view."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("arrangements", __name__)

authz.nav_link(
    "arrangements.index",
    "Arrangements",
    "person_area.use",
    "supporting.use",
    "carer_profile.use",
    "provider_area.use",
)

from marketplace.arrangements import views  # noqa: E402,F401
