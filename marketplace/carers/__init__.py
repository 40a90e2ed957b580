"""Carers: provider admins manage their carers; carers keep their own profile."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("carers", __name__)

authz.nav_link("carers.profile", "Your carer profile", "carer_profile.use")
authz.nav_link("carers.manage_list", "Carers", "provider_area.use")

from marketplace.carers import views  # noqa: E402,F401
