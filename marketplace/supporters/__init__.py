"""Supporters: a person's family members, friends and nominees acting for them with
consent (/supporters for the person, /supporting for the supporter)."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("supporters", __name__)

add_nav_link("supporters.index", "Your supporters", "person")
add_nav_link("supporters.supporting", "People you support", "supporter")

from marketplace.supporters import views  # noqa: E402,F401
