"""Admins' pages for each care council's own links (/admin/councils)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from marketplace import authz, geo
from marketplace.admin import councils_bp, services
from marketplace.admin.forms import CouncilLinksForm
from marketplace.extensions import db


@councils_bp.get("")
@authz.requires("councils.edit")
def index():
    return render_template(
        "admin/councils.html", councils=geo.councils(), links=services.all_council_links()
    )


@councils_bp.route("/<code>", methods=["GET", "POST"])
@authz.requires("councils.edit")
def edit(code: str):
    try:
        council = geo.care_council(code)
    except KeyError:
        abort(404)
    if council.code != code:
        return redirect(url_for("council_admin.edit", code=council.code))
    form = CouncilLinksForm(obj=services.council_links(council.code))
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.COUNCIL_LINK_FIELDS}
        if services.save_council_links(council.code, values, current_user._get_current_object()):
            db.session.commit()
            flash(f"The links for {council.name} are saved.", "success")
        else:
            flash(f"Nothing changed for {council.name}.", "success")
        return redirect(url_for("council_admin.edit", code=council.code))
    return render_template("admin/council_links.html", council=council, form=form)
