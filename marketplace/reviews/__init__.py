"""Reviews of arrangements, the provider's replies, reports and moderation."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("reviews", __name__)

authz.nav_link("reviews.provider_reviews", "Reviews", "provider_area.use")
authz.nav_link("reviews.moderation", "Review moderation", "review_area.use")

from marketplace.reviews import views  # noqa: E402,F401
