"""A person's own pages: their profile (and, as they arrive, shortlist and supporters)."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("people", __name__)

add_nav_link("people.profile", "Your profile", "person")

from marketplace.people import views  # noqa: E402,F401
