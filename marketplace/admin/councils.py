"""Admins' pages for each care council's own links and budget defaults (/admin/councils)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace import authz, geo
from marketplace.admin import councils_bp, services
from marketplace.admin.forms import CouncilBudgetDefaultsForm, CouncilLinksForm
from marketplace.budgets import services as budget_services
from marketplace.extensions import db


@councils_bp.get("")
@authz.requires("councils.edit")
def index():
    return render_template(
        "admin/councils.html", councils=geo.councils(), links=services.all_council_links()
    )


def _council(code: str, endpoint: str):
    """The council, or a redirect to its canonical code, or 404."""
    try:
        council = geo.care_council(code)
    except KeyError:
        abort(404)
    if council.code != code:
        return None, redirect(url_for(endpoint, code=council.code))
    return council, None


@councils_bp.route("/<code>", methods=["GET", "POST"])
@authz.requires("councils.edit")
def edit(code: str):
    council, moved = _council(code, "council_admin.edit")
    if moved is not None:
        return moved
    form = CouncilLinksForm(obj=services.council_links(council.code))
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.COUNCIL_LINK_FIELDS}
        if services.save_council_links(council.code, values, current_user._get_current_object()):
            db.session.commit()
            flash(f"The links for {council.name} are saved.", "success")
        else:
            flash(f"Nothing changed for {council.name}.", "success")
        return redirect(url_for("council_admin.edit", code=council.code))
    return render_template(
        "admin/council_links.html",
        council=council,
        form=form,
        defaults=budget_services.council_defaults(council.code),
    )


@councils_bp.route("/<code>/budgets", methods=["GET", "POST"])
@authz.requires("councils.edit")
def budget_defaults(code: str):
    council, moved = _council(code, "council_admin.budget_defaults")
    if moved is not None:
        return moved
    current = budget_services.council_defaults(council.code)
    form = CouncilBudgetDefaultsForm()
    if request.method == "GET":
        form.spending_categories.data = list(current.categories)
        form.surplus_limit_weeks.data = current.surplus_limit_weeks
    if form.validate_on_submit():
        chosen = [
            c for c, _ in form.spending_categories.choices if c in form.spending_categories.data
        ]
        if services.save_council_budget_defaults(
            council.code, chosen, form.surplus_limit_weeks.data, current_user._get_current_object()
        ):
            db.session.commit()
            flash(f"The budget defaults for {council.name} are saved.", "success")
        else:
            flash(f"Nothing changed for {council.name}.", "success")
        return redirect(url_for("council_admin.budget_defaults", code=council.code))
    return render_template("admin/council_budget_defaults.html", council=council, form=form), (
        400 if form.errors else 200
    )
