from flask import Blueprint

bp = Blueprint("pages", __name__)

from marketplace.pages import views  # noqa: E402,F401
