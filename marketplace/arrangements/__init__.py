"""Arrangements: agreed terms and outcomes between a person and a provider, changed only
when both sides agree; choosing the team; the Easy Read view."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("arrangements", __name__)

add_nav_link("arrangements.index", "Arrangements", "person", "supporter", "carer", "provider_admin")

from marketplace.arrangements import views  # noqa: E402,F401
