"""A person's budget: its page, council statements, and individual service fund entries."""

from flask import Blueprint

bp = Blueprint("budgets", __name__, url_prefix="/budgets")

from marketplace.budgets import views  # noqa: E402,F401
