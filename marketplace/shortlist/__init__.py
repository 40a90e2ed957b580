"""A person's shortlist of carers and teams (compare side by side), and saved searches."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("shortlist", __name__)

add_nav_link("shortlist.index", "Your shortlist", "person")
add_nav_link("shortlist.saved_searches", "Saved searches", "person")

from marketplace.shortlist import views  # noqa: E402,F401
