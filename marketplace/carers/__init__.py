"""Carers: provider admins manage their carers; carers keep their own profile."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("carers", __name__)

add_nav_link("carers.profile", "Your carer profile", "carer")
add_nav_link("carers.manage_list", "Carers", "provider_admin")

from marketplace.carers import views  # noqa: E402,F401
