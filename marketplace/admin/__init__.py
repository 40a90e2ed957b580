"""Quality reviewers' pages (/review): the queue and a page per provider; and admins'
council settings (/admin/councils)."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("admin", __name__, url_prefix="/review")
authz.nav_link("admin.queue", "Quality reviews", "review_area.use")
councils_bp = Blueprint("council_admin", __name__, url_prefix="/admin/councils")
authz.nav_link("council_admin.index", "Council links", "councils.edit")

from marketplace.admin import councils, views  # noqa: E402,F401
