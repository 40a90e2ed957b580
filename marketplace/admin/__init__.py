"""Quality reviewers' pages (/review): the queue and a page per provider; and admins'
council settings (/admin/councils)."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("admin", __name__, url_prefix="/review")
add_nav_link("admin.queue", "Quality reviews", "reviewer")
councils_bp = Blueprint("council_admin", __name__, url_prefix="/admin/councils")
add_nav_link("council_admin.index", "Council links", "admin")

from marketplace.admin import councils, views  # noqa: E402,F401
