"""/memberships (families and supporters) and /provider/plans, /provider/memberships
(provider admins). Access is decided by authz (plan.manage, person.pay, membership.*)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import inspect as sa_inspect

from marketplace import audit, authz
from marketplace.extensions import db
from marketplace.memberships import bp, provider_bp, services
from marketplace.memberships.forms import (
    RATING_CHOICES,
    RATING_VALUES,
    ConfirmForm,
    PlanForm,
    ReviewForm,
    StartForm,
)
from marketplace.models import (
    Arrangement,
    Membership,
    MembershipPlan,
    MembershipStart,
    OutcomeReview,
    Person,
)
from marketplace.money import format_pence
from marketplace.search.services import public_provider
from marketplace.web import choose_provider_page
from marketplace.workflow import MoveError
from payments.gateway import BillingError


def _user() -> Any:
    return current_user._get_current_object()


def _problem(message: str, status: int, membership: Membership | None = None):
    """A page saying what could not be done. Nothing the request changed is committed
    (the session is discarded at the end of the request)."""
    return (
        render_template(
            "memberships/problem.html",
            message=message,
            membership_id=membership_id_of(membership),
        ),
        status,
    )


def membership_id_of(membership: Membership | None) -> int | None:
    if membership is None:
        return None
    return sa_inspect(membership).identity[0]


# -- provider admins: plans ---------------------------------------------------------------


def _plan_or_abort(plan_id: int) -> MembershipPlan:
    return authz.get_or_abort(current_user, MembershipPlan, plan_id, "plan.manage")


@provider_bp.get("/plans")
@authz.requires("provider_area.use")
def plans():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page(
            "provider_memberships.plans", "Choose whose membership plans to manage"
        )
    return render_template(
        "memberships/plans.html",
        provider=provider,
        plans=services.provider_plans(provider),
        payments_configured=services.payments_configured(),
        form=ConfirmForm(),
        services=services,
    )


def _sync(plan: MembershipPlan) -> None:
    """Put the saved plan on Stripe, and say plainly how that went."""
    billing = services.gateway()
    if billing is None:
        flash(
            "The plan is saved. Payments are not set up on this site yet, so families "
            "cannot start it until they are.",
            "warning",
        )
        return
    try:
        services.sync_plan_to_stripe(plan, billing)
    except BillingError as error:
        flash(f"The plan is saved, but it is not on Stripe yet: {error}", "warning")
        return
    db.session.commit()
    flash("The plan is saved and ready for families to start.", "success")


def _plan_form(provider, plan: MembershipPlan | None):
    form = PlanForm(obj=None)
    if request.method == "GET" and plan is not None:
        form.name.data = plan.name
        form.monthly_price.data = format_pence(plan.monthly_price_pence, for_input=True)
        form.included.data = plan.included
        form.outcomes.data = "\n".join(plan.outcomes or [])
        form.guarantee_percent.data = str(plan.guarantee_percent or "")
        form.guarantee_rule.data = plan.guarantee_rule
        form.active.data = plan.active
    if form.validate_on_submit():
        saved = services.save_plan(
            provider, plan, form.plan_input(), _user(), active=bool(form.active.data)
        )
        db.session.commit()
        _sync(saved)
        return redirect(url_for("provider_memberships.plans", provider=provider.id))
    status = 400 if form.errors else 200
    return render_template(
        "memberships/plan_form.html", provider=provider, plan=plan, form=form
    ), status


@provider_bp.route("/plans/new", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def new_plan():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page(
            "provider_memberships.new_plan", "Choose who the new plan is for"
        )
    return _plan_form(provider, None)


@provider_bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit_plan(plan_id: int):
    plan = _plan_or_abort(plan_id)
    return _plan_form(plan.provider, plan)


@provider_bp.post("/plans/<int:plan_id>/stripe")
@login_required
def sync_plan(plan_id: int):
    plan = _plan_or_abort(plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _sync(plan)
    return redirect(url_for("provider_memberships.plans", provider=plan.provider_id))


@provider_bp.get("/memberships")
@authz.requires("provider_area.use")
def provider_memberships():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page(
            "provider_memberships.provider_memberships", "Choose whose memberships"
        )
    memberships = services.provider_memberships(provider)
    return render_template(
        "memberships/provider_memberships.html",
        provider=provider,
        memberships=memberships,
        waiting=services.waiting_for_team(memberships),
        trends=services.provider_trends(provider),
        services=services,
    )


# -- families: starting a membership ------------------------------------------------------


def _startable_plan(plan_id: int) -> MembershipPlan:
    """An active plan of a listed provider, or 404."""
    plan = db.session.get(MembershipPlan, plan_id)
    if plan is None or not plan.active or public_provider(plan.provider_id) is None:
        abort(404)
    return plan


@bp.route("/start/<int:plan_id>", methods=["GET", "POST"])
@login_required
def start(plan_id: int):
    plan = _startable_plan(plan_id)
    people = services.people_user_can_pay_for(_user())
    if not people:
        abort(403)
    form = StartForm()
    form.person.choices = [(p.id, p.display_name) for p in people]
    budgets = {p.id: services.budgets_to_pay_from(_user(), p) for p in people}
    form.paid_from.choices = [("card", "By card")] + [
        (str(b.id), services.budget_choice_label(b))
        for person_budgets in budgets.values()
        for b in person_budgets
    ]
    if request.method == "GET":
        form.token.data = services.new_start_token()
        # A supporter starts with the person they are acting for, if they chose one.
        acting = authz.acting_for(current_user) if people[0].user_id != _user().id else None
        form.person.data = acting.id if acting in people else people[0].id
    problem = None
    if form.validate_on_submit():
        person = db.session.get(Person, form.person.data)
        authz.require(current_user, "person.pay", person)
        existing = services.live_membership(person, plan)
        try:
            start_row = services.claim_start(form.token.data, plan, person, _user())
            if start_row.stripe_subscription_id is None and existing is not None:
                return redirect(url_for("memberships.show", membership_id=existing.id))
            budget = services.budget_to_pay_from(_user(), person, form.budget_id())
            started = services.start_membership(start_row, plan, person, _user(), budget)
        except services.MembershipError as error:
            problem, status = str(error), error.status_code
        except BillingError as error:
            problem, status = str(error), 503
        else:
            if started.checkout_url:
                return redirect(started.checkout_url, code=303)
            if started.membership is not None:
                flash("The membership has started.", "success")
                return redirect(url_for("memberships.show", membership_id=started.membership.id))
            return redirect(url_for("memberships.index"))
        form.token.data = services.new_start_token()
    elif request.method == "POST":
        status = 400
    else:
        status = 200
    return render_template(
        "memberships/start.html",
        plan=plan,
        provider=plan.provider,
        form=form,
        problem=problem,
        uses_test_card=services.uses_test_card(),
        arrangements={p.id: services.arrangement_for(p, plan) for p in people},
        budgets=budgets,
        payments_configured=services.payments_configured(),
        services=services,
    ), (status if (problem or form.errors) else 200)


@bp.get("/checkout/<int:start_id>/done")
@login_required
def checkout_done(start_id: int):
    start_row = db.session.get(MembershipStart, start_id)
    if start_row is None or start_row.user_id != _user().id:
        abort(404)
    person = db.session.get(Person, start_row.person_id) if start_row.person_id else None
    plan = db.session.get(MembershipPlan, start_row.plan_id)
    found = services.live_membership(person, plan) if person and plan else None
    if found is not None and authz.can(current_user, "membership.view", found):
        return redirect(url_for("memberships.show", membership_id=found.id))
    return render_template("memberships/checkout_done.html", plan=plan)


# -- families and providers: a membership -------------------------------------------------


def _membership(membership_id: int, action: str = "membership.view") -> Membership:
    """The membership, or 404 when it does not exist or this user may not see it (not to
    say it does); 403 when they see it but may not do this."""
    return authz.get_or_abort(current_user, Membership, membership_id, action)


@bp.get("")
@login_required
def index():
    return render_template(
        "memberships/index.html",
        memberships=services.visible_memberships(_user()),
        services=services,
    )


@bp.get("/<int:membership_id>")
@login_required
def show(membership_id: int):
    membership = _membership(membership_id)
    if audit.record_staff_reading(current_user, membership):  # staff read it: on record
        db.session.commit()
    reviews = services.reviews_of(membership)
    return render_template(
        "memberships/show.html",
        membership=membership,
        plan=membership.plan,
        invoices=services.invoices_of(membership),
        reviews=reviews,
        refunds={r.id: services.refund_for(r) for r in reviews},
        to_review=services.invoice_to_review(membership),
        arrangement=db.session.get(Arrangement, membership.arrangement_id)
        if membership.arrangement_id
        else None,
        can_pay=authz.can(current_user, "membership.pay", membership),
        can_set_up_budget=membership.person is not None
        and authz.can(current_user, "budget.create_for_someone_else", membership.person),
        can_see_budget=membership.budget is not None
        and authz.can(current_user, "budget.view", membership.budget),
        budget_warnings=services.membership_budget_warnings(membership),
        can_review=authz.can(current_user, "membership.rate_as_person", membership)
        or authz.can(current_user, "membership.rate_as_team", membership),
        form=ConfirmForm(),
        services=services,
    )


def _change(membership_id: int, cancel: bool):
    membership = _membership(membership_id, "membership.pay")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_cancel_at_period_end(membership, cancel, _user())
    except services.MembershipError as error:
        return _problem(str(error), error.status_code, membership)
    except BillingError as error:
        return _problem(str(error), 503, membership)
    db.session.commit()
    if cancel:
        flash(
            "The membership will end on "
            f"{services.long_date(membership.current_period_end)}. Nothing more will be taken.",
            "success",
        )
    else:
        flash("The membership carries on. The next payment is taken as usual.", "success")
    return redirect(url_for("memberships.show", membership_id=membership.id))


@bp.post("/<int:membership_id>/cancel")
@login_required
def cancel(membership_id: int):
    return _change(membership_id, True)


@bp.post("/<int:membership_id>/resume")
@login_required
def resume(membership_id: int):
    return _change(membership_id, False)


@bp.post("/<int:membership_id>/refresh")
@login_required
def refresh(membership_id: int):
    membership = _membership(membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.refresh_from_stripe(membership)
    except services.MembershipError as error:
        return _problem(str(error), error.status_code, membership)
    except BillingError as error:
        return _problem(str(error), 503, membership)
    db.session.commit()
    flash("Checked with Stripe: this page shows what Stripe says now.", "success")
    return redirect(url_for("memberships.show", membership_id=membership.id))


# -- the monthly outcome review -------------------------------------------------------------


def _may_review(membership: Membership) -> None:
    if not (
        authz.can(current_user, "membership.rate_as_person", membership)
        or authz.can(current_user, "membership.rate_as_team", membership)
    ):
        abort(403)


@bp.post("/<int:membership_id>/reviews")
@login_required
def open_review(membership_id: int):
    membership = _membership(membership_id)
    _may_review(membership)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        review = services.open_review(membership, _user())
    except services.MembershipError as error:
        return _problem(str(error), error.status_code, membership)
    db.session.commit()
    return redirect(url_for("memberships.review", membership_id=membership.id, review_id=review.id))


def _review(membership: Membership, review_id: int) -> OutcomeReview:
    review = db.session.get(OutcomeReview, review_id)
    if review is None or review.membership_id != membership.id:
        abort(404)
    return review


def _sides(membership: Membership, review: OutcomeReview) -> list[str]:
    """The sides this user may still rate in this review."""
    sides = []
    for side in ("person", "team"):
        move = f"rate_as_{side}"
        if services.REVIEW_WORKFLOW.may(_user(), review, move):
            sides.append(side)
    return sides


@bp.route("/<int:membership_id>/reviews/<int:review_id>", methods=["GET", "POST"])
@login_required
def review(membership_id: int, review_id: int):
    membership = _membership(membership_id)
    found = _review(membership, review_id)
    sides = _sides(membership, found)
    form = ReviewForm()
    errors: list[tuple[str, str]] = []
    values: dict[str, str] = {}
    status = 200
    message = None
    if request.method == "POST":
        if not form.validate_on_submit() or form.side.data not in ("person", "team"):
            abort(400)
        side = form.side.data
        if side not in sides:
            refusal = authz.refusal(current_user, f"membership.rate_as_{side}", membership)
            if refusal is not None:
                abort(403)
            return _problem(
                "These ratings have already been given. Each side rates a month once.",
                409,
                membership,
            )
        ratings: dict[int, services.Rating] = {}
        for line in found.lines:
            rating = request.form.get(f"rating_{line.position}", "")
            comment = request.form.get(f"comment_{line.position}", "").strip()
            values[f"rating_{line.position}"] = rating
            values[f"comment_{line.position}"] = comment
            if rating not in RATING_VALUES:
                errors.append((f"rating_{line.position}", f"Rate “{line.outcome}”"))
            elif len(comment) > 1000:
                errors.append(
                    (f"comment_{line.position}", "Keep each comment to 1,000 characters or fewer")
                )
            else:
                ratings[line.position] = services.Rating(rating, comment)
        if not errors:
            try:
                services.rate(found, side, ratings, _user())
            except MoveError as error:
                return _problem(str(error), error.status_code, membership)
            db.session.commit()
            refund = services.refund_for(found)
            if refund is not None and side == "person":
                message = services.issue_refund(refund)
            flash(
                "Thank you: the ratings are saved." + (f" {message}" if message else ""),
                "success",
            )
            return redirect(
                url_for("memberships.review", membership_id=membership.id, review_id=found.id)
            )
        status = 400
    return render_template(
        "memberships/review.html",
        membership=membership,
        review=found,
        sides=sides,
        side_choice=(form.side.data if form.side.data in sides else (sides[0] if sides else None)),
        refund=services.refund_for(found),
        form=form,
        errors=errors,
        values=values,
        rating_choices=RATING_CHOICES,
        can_retry=authz.can(current_user, "membership.rate_as_person", membership)
        or authz.can(current_user, "membership.rate_as_team", membership),
        services=services,
    ), status


@bp.post("/<int:membership_id>/reviews/<int:review_id>/refund")
@login_required
def retry_refund(membership_id: int, review_id: int):
    membership = _membership(membership_id)
    _may_review(membership)
    found = _review(membership, review_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refund = services.refund_for(found)
    if refund is None:
        return _problem("This month's review did not call for a refund.", 409, membership)
    flash(services.issue_refund(refund), "success")
    return redirect(url_for("memberships.review", membership_id=membership.id, review_id=found.id))
