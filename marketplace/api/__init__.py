from flask import Blueprint

bp = Blueprint("api", __name__)

from marketplace.api import match, providers, views  # noqa: E402,F401
