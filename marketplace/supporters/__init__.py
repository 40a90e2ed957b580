"""Supporters: a person's family members, friends and nominees acting for them with
consent (/supporters for the person, /supporting for the supporter)."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("supporters", __name__)

authz.nav_link("supporters.index", "Your supporters", "person_area.use")
authz.nav_link("supporters.supporting", "People you support", "supporting.use")

from marketplace.supporters import views  # noqa: E402,F401
