"""A person's shortlist of carers and teams (compare side by side), and saved searches."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("shortlist", __name__)

authz.nav_link("shortlist.index", "Your shortlist", "person_area.use")
authz.nav_link("shortlist.saved_searches", "Saved searches", "person_area.use")

from marketplace.shortlist import views  # noqa: E402,F401
