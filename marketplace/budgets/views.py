"""/budgets: a person's budget, its council statement (page and CSV), and the entries an
individual service fund's provider records. Access is decided by authz (budget.*)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace import authz, clock
from marketplace.budgets import bp, services
from marketplace.budgets.forms import EntryForm
from marketplace.extensions import db
from marketplace.models import Budget
from payments.ledger import EntryKind, LedgerError


def _budget(budget_id: int, action: str) -> Budget:
    """The budget, or 404 when it does not exist or this user may not see it (not to say
    it does); 403 when they see it but may not do this."""
    budget = db.session.get(Budget, budget_id)
    if budget is None:
        abort(404)
    authz.require(current_user, "budget.view", budget, hide=True)
    authz.require(current_user, action, budget)
    return budget


@bp.get("")
@login_required
def index():
    return render_template(
        "budgets/index.html",
        budgets=services.visible_budgets(current_user._get_current_object()),
        services=services,
    )


@bp.get("/<int:budget_id>")
@login_required
def show(budget_id: int):
    budget = _budget(budget_id, "budget.view")
    if budget.person is not None:  # a supporter's look is shown to the person
        from marketplace.supporters.services import record_for

        record_for(current_user, budget.person, "budget.viewed", target=budget)
        db.session.commit()
    return render_template(
        "budgets/show.html",
        view=services.overview(budget),
        services=services,
        can_record=authz.can(current_user, "budget.record", budget),
    )


def _statement_or_errors(budget: Budget):
    try:
        starts, ends = services.parse_period(
            budget, request.args.get("from"), request.args.get("to")
        )
    except services.StatementRequestError as error:
        return None, error.fields
    return services.statement(budget, starts, ends), {}


@bp.get("/<int:budget_id>/statement")
@login_required
def statement(budget_id: int):
    budget = _budget(budget_id, "budget.statement")
    found, errors = _statement_or_errors(budget)
    if found is not None:
        services.audit_statement(current_user, budget, found, "page")
        db.session.commit()
    return render_template(
        "budgets/statement.html",
        budget=budget,
        statement=found,
        errors=errors,
        requested={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        months=services.monthly_periods(budget, clock.today()),
        services=services,
    ), (400 if errors else 200)


@bp.get("/<int:budget_id>/statement.csv")
@login_required
def statement_csv(budget_id: int):
    budget = _budget(budget_id, "budget.statement")
    found, errors = _statement_or_errors(budget)
    if found is None:
        return render_template(
            "budgets/statement.html",
            budget=budget,
            statement=None,
            errors=errors,
            requested={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
            months=services.monthly_periods(budget, clock.today()),
            services=services,
        ), 400
    services.audit_statement(current_user, budget, found, "csv")
    db.session.commit()
    filename = services.statement_filename(budget, found)
    return Response(
        found.to_csv(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:budget_id>/entries/new", methods=["GET", "POST"])
@login_required
def new_entry(budget_id: int):
    budget = _budget(budget_id, "budget.record")
    form = EntryForm()
    if request.method == "GET":
        form.occurred_on.data = clock.today()
    if form.validate_on_submit():
        entry_request = services.EntryRequest(
            kind=EntryKind(form.kind.data),
            occurred_on=form.occurred_on.data,
            description=form.description.data.strip(),
            amount_pence=form.amount_pence,
            money_in=form.direction.data != "out",
            category=form.category.data or None,
            reverses_sequence=form.reverses.data,
        )
        try:
            services.record_isf_entry(budget, entry_request, current_user._get_current_object())
        except LedgerError as error:
            db.session.rollback()
            field = form.reverses if entry_request.kind is EntryKind.REVERSAL else form.amount
            field.errors = [*field.errors, str(error)]
        else:
            db.session.commit()
            flash("The entry is in the ledger.", "success")
            return redirect(url_for("budgets.show", budget_id=budget.id))
    status = 400 if form.errors else 200
    return render_template("budgets/entry_form.html", budget=budget, form=form), status
