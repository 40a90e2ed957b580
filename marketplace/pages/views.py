from flask import render_template

from marketplace.catalog import catalog_memo
from marketplace.pages import bp, services
from marketplace.web import sees_shared_page


@bp.route("/")
def home():
    if not sees_shared_page():
        return _render_home()
    # Everyone not logged in, with nothing of their own in the session (no shortlist, no
    # message waiting), sees the same page, which changes only with the catalog: rendered
    # once per catalog version (and minute) per worker.
    page = catalog_memo("home_page_html", _shared_home)
    return page if page is not None else _render_home()


def _render_home() -> str:
    return render_template(
        "pages/home.html",
        summary=services.directory_summary(),
        featured=services.featured_providers(),
    )


def _shared_home() -> str | None:
    """The page for everyone, or None if it holds anything of one visitor's own (a
    CSRF token belongs to one session and must never be shown to another)."""
    page = _render_home()
    return None if "csrf_token" in page else page


@bp.route("/about")
def about():
    return render_template("pages/about.html")


@bp.route("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")
