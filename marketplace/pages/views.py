from flask import render_template

from marketplace.pages import bp, services


@bp.route("/")
def home():
    return render_template(
        "pages/home.html",
        summary=services.directory_summary(),
        featured=services.featured_providers(),
    )


@bp.route("/about")
def about():
    return render_template("pages/about.html")


@bp.route("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")
