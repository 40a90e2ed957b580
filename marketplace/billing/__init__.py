"""Money in the web app: the Stripe webhook, and the database side of `payments`
(a repository over marketplace/models/payments.py)."""

from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/payments")

from marketplace.billing import views  # noqa: E402,F401
