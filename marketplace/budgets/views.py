"""/budgets: a person's budget, its council statement (page and CSV), and the entries an
individual service fund's provider records. Access is decided by authz (budget.*)."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace import audit, authz, clock, geo
from marketplace.budgets import bp, services
from marketplace.budgets.forms import BudgetForm, EntryForm
from marketplace.extensions import db
from marketplace.models import Budget, Person
from payments.ledger import EntryKind, LedgerError


def _budget(budget_id: int, action: str) -> Budget:
    """The budget, or 404 when it does not exist or this user may not see it (not to say
    it does); 403 when they see it but may not do this."""
    return authz.get_or_abort(current_user, Budget, budget_id, action)


@bp.get("")
@login_required
def index():
    user = current_user._get_current_object()
    return render_template(
        "budgets/index.html",
        budgets=services.visible_budgets(user),
        services=services,
        new_for=services.people_user_sets_up_budgets_for(user),
    )


def _person_for_new_budget() -> Person:
    """Whose budget: ?person=<id>, else the user's own, else the one person this supporter
    acts for. 404 for a person the user has nothing to do with; 403 when they may see the
    person but not set up their budget."""
    user = current_user._get_current_object()
    wanted = request.args.get("person", "")
    if wanted:
        if not wanted.isdigit():
            abort(404)
        person = db.session.get(Person, int(wanted))
    else:
        person = user.person or authz.acting_for_or_ask(user)
    if person is None:
        abort(404)
    known = (
        person.user_id == user.id
        or authz.has_role(user, "admin")
        or any(grant.person_id == person.id for grant in authz.grants_in_force(user))
    )
    if not known:
        abort(404)
    authz.require(user, "budget.create", person)
    return person


def _details(form: BudgetForm) -> services.BudgetDetails:
    assert form.amount_pence is not None and form.start.data is not None
    chosen = form.allowed_categories.data or []
    return services.BudgetDetails(
        care_council_code=form.care_council_code.data,
        funding_route=form.funding_route.data,
        amount_pence=form.amount_pence,
        period=form.period.data,
        account_type=form.account_type.data,
        allowed_categories=tuple(c for c, _ in form.allowed_categories.choices if c in chosen),
        starts_on=form.start.data,
        holder_provider_id=form.holder_id
        if form.funding_route.data == "individual_service_fund"
        else None,
    )


def _put_errors(form: BudgetForm, fields: dict[str, str]) -> None:
    targets = {"starts_on": "start"}
    for name, message in fields.items():
        field = getattr(form, targets.get(name, name))
        field.errors = [*field.errors, message]


def _budget_form_page(form, person, budget, status=None):
    on = clock.today()
    review = None
    if form.start.data is not None:  # the start date typed, when it is a real date
        council_set = budget.review_on if budget is not None else None
        review = services.review_after(form.start.data, council_set, on)
    elif budget is not None:
        review = services.next_review_on(budget, on)
    return render_template(
        "budgets/budget_form.html",
        form=form,
        person=person,
        budget=budget,
        next_review=review,
        services=services,
    ), (status or (400 if form.errors else 200))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    person = _person_for_new_budget()
    user = current_user._get_current_object()
    form = BudgetForm(councils=geo.councils(), holders=services.holder_choices(person))
    if request.method == "GET":
        code = services.person_council_code(person)
        if code:
            form.care_council_code.data = code
            form.allowed_categories.data = list(services.council_defaults(code).categories)
    if form.validate_on_submit():
        try:
            budget = services.create_budget(person, _details(form), user)
        except services.BudgetChangeError as error:
            db.session.rollback()
            _put_errors(form, error.fields)
        else:
            db.session.commit()
            flash("The budget is set up.", "success")
            return redirect(url_for("budgets.show", budget_id=budget.id))
    return _budget_form_page(form, person, None)


@bp.route("/<int:budget_id>/edit", methods=["GET", "POST"])
@login_required
def edit(budget_id: int):
    budget = _budget(budget_id, "budget.edit")
    user = current_user._get_current_object()
    form = BudgetForm(
        councils=geo.councils(), holders=services.holder_choices(budget.person, budget)
    )
    if request.method == "GET":
        form.care_council_code.data = budget.care_council_code
        form.funding_route.data = budget.funding_route
        form.holder_provider_id.data = str(budget.holder_provider_id or "")
        form.amount.data = f"{budget.amount_pence // 100}.{budget.amount_pence % 100:02d}"
        form.period.data = budget.period
        form.start.data = budget.starts_on
        form.account_type.data = budget.account_type
        form.allowed_categories.data = list(budget.allowed_categories or [])
    if form.validate_on_submit():
        details = _details(form)
        choice = form.record_difference.data
        amount_changed = details.amount_pence != budget.amount_pence
        started = clock.today() >= budget.starts_on
        if amount_changed and started and details.period == budget.period and not choice:
            form.record_difference.errors = [
                "The amount changed: choose whether to record the difference for this period"
            ]
        else:
            try:
                services.update_budget(
                    budget, details, user, record_difference=amount_changed and choice == "yes"
                )
            except services.BudgetChangeError as error:
                db.session.rollback()
                _put_errors(form, error.fields)
            else:
                db.session.commit()
                flash("The budget is changed.", "success")
                return redirect(url_for("budgets.show", budget_id=budget.id))
    return _budget_form_page(form, budget.person, budget)


@bp.get("/<int:budget_id>")
@login_required
def show(budget_id: int):
    budget = _budget(budget_id, "budget.view")
    if budget.person is not None:  # a supporter's look is shown to the person
        from marketplace.supporters.services import record_for

        record_for(current_user, budget.person, "budget.viewed", target=budget)
        db.session.commit()
    if audit.record_staff_reading(current_user, budget):  # staff read the ledger: on record
        db.session.commit()
    return render_template(
        "budgets/show.html",
        view=services.overview(budget),
        services=services,
        can_record=authz.can(current_user, "budget.record", budget),
        can_edit=authz.can(current_user, "budget.edit", budget),
        months=services.monthly_periods(budget, clock.today()) if budget.is_isf else [],
    )


PARTS = ("day", "month", "year")


def _asked_date(name: str) -> services.DateText:
    """?from=2026-04-01 (our links), or ?from_day=1&from_month=4&from_year=2026 (the form:
    when any box of either date was sent, both dates are read from the boxes)."""
    if any(f"{n}_{part}" in request.args for n in ("from", "to") for part in PARTS):
        day, month, year = (request.args.get(f"{name}_{part}", "") for part in PARTS)
        return day, month, year
    return request.args.get(name)


def _requested() -> dict[str, tuple[str, str, str]]:
    """What to show in the form's boxes: what was typed, or the ISO date split up."""
    shown = {}
    for name in ("from", "to"):
        asked = _asked_date(name)
        if isinstance(asked, tuple):
            shown[name] = asked
        else:
            try:
                on = date.fromisoformat((asked or "").strip())
            except ValueError:
                shown[name] = ("", "", "")
            else:
                shown[name] = (str(on.day), str(on.month), str(on.year))
    return shown


def _statement_or_errors(budget: Budget):
    try:
        starts, ends = services.parse_period(budget, _asked_date("from"), _asked_date("to"))
    except services.StatementRequestError as error:
        return None, error.fields
    return services.statement(budget, starts, ends), {}


def _statement_page(budget: Budget, found, errors):
    return render_template(
        "budgets/statement.html",
        budget=budget,
        statement=found,
        errors=errors,
        requested=_requested(),
        months=services.monthly_periods(budget, clock.today()),
        services=services,
    ), (400 if errors else 200)


@bp.get("/<int:budget_id>/statement")
@login_required
def statement(budget_id: int):
    budget = _budget(budget_id, "budget.statement")
    found, errors = _statement_or_errors(budget)
    if found is not None:
        services.audit_statement(current_user, budget, found, "page")
        db.session.commit()
    return _statement_page(budget, found, errors)


@bp.get("/<int:budget_id>/statement.csv")
@login_required
def statement_csv(budget_id: int):
    budget = _budget(budget_id, "budget.statement")
    found, errors = _statement_or_errors(budget)
    if found is None:
        return _statement_page(budget, None, errors)
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
        form.occurred.data = clock.today()
    if form.validate_on_submit():
        assert form.occurred.data is not None
        entry_request = services.EntryRequest(
            kind=EntryKind(form.kind.data),
            occurred_on=form.occurred.data,
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
