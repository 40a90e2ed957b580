"""The Open Referral UK (HSDS UK profile 3.0) feed of listed providers, for council
directories: /api/openreferral/v3/."""

from flask import Blueprint

bp = Blueprint("openreferral", __name__)

from marketplace.openreferral import views  # noqa: E402,F401
