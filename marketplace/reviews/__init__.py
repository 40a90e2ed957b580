"""Reviews of arrangements, the provider's replies, reports and moderation."""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("reviews", __name__)

add_nav_link("reviews.provider_reviews", "Reviews", "provider_admin")
add_nav_link("reviews.moderation", "Review moderation", "reviewer")

from marketplace.reviews import views  # noqa: E402,F401
