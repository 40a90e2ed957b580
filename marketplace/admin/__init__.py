"""Quality reviewers' pages (/review): the queue and a page per provider."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("admin", __name__, url_prefix="/review")
add_nav_link("admin.queue", "Quality reviews", "reviewer")

from marketplace.admin import views  # noqa: E402,F401
