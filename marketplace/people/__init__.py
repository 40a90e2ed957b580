"""A person's own pages: their profile (and, as they arrive, shortlist and supporters)."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("people", __name__)

authz.nav_link("people.profile", "Your profile", "person_area.use")

from marketplace.people import views  # noqa: E402,F401
