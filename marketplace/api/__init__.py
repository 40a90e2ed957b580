from flask import Blueprint

bp = Blueprint("api", __name__)

from marketplace.api import geojson, match, providers, views  # noqa: E402,F401
