"""Arrangement pages for both sides: /arrangements/... (the person, supporters, carers,
the provider's admins) and /provider/arrangements (the provider's list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace import audit, authz
from marketplace.arrangements import bp, easy_read, services
from marketplace.arrangements.forms import ChooseTeamForm, ReasonForm, TermsForm, terms_form_data
from marketplace.arrangements.lifecycle import ARRANGEMENT_WORKFLOW, CHANGE_WORKFLOW, side_of
from marketplace.choices import (
    ArrangementSide,
    ArrangementStatus,
    ChangeStatus,
    FundingRoute,
    LifeArea,
    TeamRole,
)
from marketplace.extensions import db
from marketplace.models import Arrangement
from marketplace.workflow import MoveError, ReasonRequired

PRIVATE = {"Cache-Control": "private, no-store"}


def _arrangement_or_404(arrangement_id: int, action: str = "arrangement.view"):
    # Someone else's arrangement is not found, not forbidden: we do not say it exists.
    return authz.get_or_abort(current_user, Arrangement, arrangement_id, action)


def _read(arrangement):
    """Platform staff reading a person's arrangement (none of its parties): on record."""
    if audit.record_staff_reading(current_user, arrangement):
        db.session.commit()
    return arrangement


_TOO_LONG = "Keep the reason to 1000 characters or fewer"


def _attempt(work: Callable[[], Any]):
    """Do a workflow move inside a savepoint. A move that cannot happen (the other side
    moved first) undoes only itself and is answered plainly; ReasonRequired is raised
    for the page to ask for the reason."""
    try:
        with db.session.begin_nested():
            work()
    except ReasonRequired:
        raise
    except MoveError as error:
        page = render_template("errors/409.html", message=str(error))
        return page, error.status_code, PRIVATE
    return None


def _acting_side(arrangement):
    side = side_of(current_user, arrangement)
    if side is None:
        abort(403)
    return side


@bp.get("/arrangements")
@authz.requires("account.use")
def index():
    provider_lists = []
    if current_user.has_role("provider_admin") or current_user.has_role("admin"):
        for provider in authz.own_providers(authz._user(current_user)):
            provider_lists.append(
                (provider, services.for_provider(provider), services.introductions_ready(provider))
            )
    return (
        render_template(
            "arrangements/index.html",
            arrangements=services.visible_to(authz._user(current_user)),
            provider_lists=provider_lists,
            statuses=ArrangementStatus,
        ),
        200,
        PRIVATE,
    )


def _show(arrangement, reason_form: ReasonForm | None = None, error: tuple[str, str] | None = None):
    user = authz._user(current_user)
    current = arrangement.current
    from marketplace.reviews import services as review_services

    context: dict[str, Any] = dict(
        arrangement=arrangement,
        current=current,
        plan=services.plan_of(arrangement),
        price=services.price_text(arrangement.hourly_rate_pence, services.plan_of(arrangement)),
        history=services.history(arrangement),
        names=services.user_names(
            [v.proposed_by_user_id for v in arrangement.versions]
            + [v.decided_by_user_id for v in arrangement.versions]
        ),
        side=side_of(user, arrangement),
        sides=ArrangementSide,
        change_states=ChangeStatus,
        statuses=ArrangementStatus,
        funding=FundingRoute,
        life_areas=LifeArea,
        can_move=lambda move: ARRANGEMENT_WORKFLOW.may(user, arrangement, move),
        can_decide=lambda version, move: CHANGE_WORKFLOW.may(user, version, move),
        see_address=authz.can(user, "arrangement.see_address", arrangement),
        can_set_up_budget=authz.can(user, "budget.create_for_someone_else", arrangement.person),
        review=review_services.review_of(arrangement),
        can_review=review_services.may_write(user, arrangement),
        reason_form=reason_form or ReasonForm(),
        error=error,
        describe=services.differences,
    )
    status = 400 if error else 200
    return render_template("arrangements/show.html", **context), status, PRIVATE


@bp.get("/arrangements/<int:arrangement_id>")
@authz.requires("account.use")
def show(arrangement_id: int):
    return _show(_read(_arrangement_or_404(arrangement_id)))


@bp.get("/arrangements/<int:arrangement_id>/easy-read")
@authz.requires("account.use")
def easy_read_view(arrangement_id: int):
    arrangement = _read(_arrangement_or_404(arrangement_id))
    return (
        render_template(
            "arrangements/easy_read.html",
            arrangement=arrangement,
            lines=easy_read.lines_for(arrangement, authz._user(current_user)),
        ),
        200,
        PRIVATE,
    )


@bp.post(
    "/arrangements/<int:arrangement_id>/versions/<int:number>/<any(accept, reject, withdraw):move>"
)  # noqa: E501
@authz.requires("account.use")
def decide(arrangement_id: int, number: int, move: str):
    arrangement = _arrangement_or_404(arrangement_id)
    _acting_side(arrangement)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _show(arrangement, form, (f"reason-{move}-{number}", _TOO_LONG))
    if arrangement.version(number) is None:
        abort(404)
    refused = _attempt(
        lambda: services.decide(
            arrangement, number, move, authz._user(current_user), reason=form.reason.data or ""
        )
    )
    if refused is not None:
        return refused
    db.session.commit()
    flash(
        {
            "accept": "You agreed. These are now the terms of the arrangement.",
            "reject": "You turned the proposal down. The other side has been told.",
            "withdraw": "You withdrew your proposal. The other side has been told.",
        }[move],
        "success",
    )
    return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))


@bp.post("/arrangements/<int:arrangement_id>/<any(pause, resume, end):move>")
@authz.requires("account.use")
def change_status(arrangement_id: int, move: str):
    arrangement = _arrangement_or_404(arrangement_id)
    _acting_side(arrangement)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _show(arrangement, form, (f"reason-{move}", _TOO_LONG))
    try:
        refused = _attempt(
            lambda: services.move(
                arrangement, move, authz._user(current_user), reason=form.reason.data or ""
            )
        )
    except ReasonRequired as error:
        return _show(arrangement, form, (f"reason-{move}", str(error)))
    if refused is not None:
        return refused
    db.session.commit()
    flash(f"The arrangement is {ARRANGEMENT_WORKFLOW.passive(move)}.", "success")
    return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))


def _terms_form(arrangement, provider, team, formdata: bool) -> TermsForm:
    form = TermsForm() if formdata else None
    if form is None:
        current = arrangement.current if arrangement is not None else None
        data = terms_form_data(services.terms_of(current)) if current is not None else {}
        form = TermsForm(data=data)
    form.carers.choices = [(c.id, c.display_name) for c in services.carers_offered(provider, team)]
    plans = services.plans_of(provider)
    form.membership_plan.choices = [("", "Choose a plan")] + [
        (str(p.id), f"{p.name} ({services.price_text(None, p)})") for p in plans
    ]
    form.has_plans = bool(plans)  # type: ignore[attr-defined]
    return form


@bp.route("/arrangements/<int:arrangement_id>/change", methods=["GET", "POST"])
@authz.requires("account.use")
def propose_change(arrangement_id: int):
    arrangement = _arrangement_or_404(arrangement_id)
    _acting_side(arrangement)
    if arrangement.status in (ArrangementStatus.ENDED, ArrangementStatus.NOT_AGREED):
        abort(409)
    form = _terms_form(
        arrangement, arrangement.provider, arrangement.team, request.method == "POST"
    )
    if request.method == "POST" and form.validate_on_submit():
        try:
            refused = _attempt(
                lambda: services.propose_change(
                    arrangement, form.terms(), authz._user(current_user), note=form.note.data or ""
                )
            )
        except services.TermsInvalid as error:
            form.show_errors(error.errors)
        else:
            if refused is not None:
                return refused
            db.session.commit()
            flash("Your proposal is sent. It takes effect when the other side agrees.", "success")
            return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "arrangements/terms.html",
            form=form,
            arrangement=arrangement,
            provider=arrangement.provider,
            heading="Propose a change",
            action=url_for("arrangements.propose_change", arrangement_id=arrangement.id),
        ),
        status,
        PRIVATE,
    )


@bp.route("/arrangements/<int:arrangement_id>/team", methods=["GET", "POST"])
@authz.requires("account.use")
def choose_team(arrangement_id: int):
    arrangement = _arrangement_or_404(arrangement_id, "arrangement.act_for_person")
    if arrangement.team is None:
        abort(404)
    if arrangement.status in (ArrangementStatus.ENDED, ArrangementStatus.NOT_AGREED):
        abort(409)
    choices = services.team_choices(arrangement.team, arrangement.person)
    current = arrangement.current
    chosen = [m.carer_id for m in current.members] if current is not None else []
    form = ChooseTeamForm() if request.method == "POST" else ChooseTeamForm(carers=chosen)
    form.carers.choices = [(c.carer.id, c.carer.display_name) for c in choices]
    if request.method == "POST" and form.validate_on_submit():
        try:
            refused = _attempt(
                lambda: services.choose_team(
                    arrangement, form.carers.data or [], authz._user(current_user)
                )
            )
        except services.TermsInvalid as error:
            form.carers.errors = list(error.errors.values())
        else:
            if refused is not None:
                return refused
            db.session.commit()
            flash("Your choice is sent to the provider. It takes effect when they agree.",
                  "success")  # fmt: skip
            return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))
    return (
        render_template(
            "arrangements/team.html",
            form=form,
            arrangement=arrangement,
            choices=choices,
            roles=TeamRole,
        ),
        400 if request.method == "POST" else 200,
        PRIVATE,
    )


# -- the provider proposes, from an introduction at its meeting stage ---------------------


def _introduction_or_404(introduction_id: int):
    from marketplace.models import Introduction

    # Another provider's introduction is not found: we do not say it exists.
    return authz.get_or_abort(
        current_user, Introduction, introduction_id, see="introduction.propose_arrangement"
    )


@bp.route("/provider/arrangements/new/<int:introduction_id>", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def propose(introduction_id: int):
    introduction = _introduction_or_404(introduction_id)
    existing = services.open_for_introduction(introduction.id)
    if existing is not None:
        flash("There is already an arrangement from this introduction.")
        return redirect(url_for("arrangements.show", arrangement_id=existing.id))
    if introduction.status not in services.PROPOSABLE_FROM:
        return (
            render_template(
                "errors/409.html",
                message="You can propose an arrangement after you have met the person: "
                "the introduction must be at its meeting stage.",
            ),
            409,
            PRIVATE,
        )
    provider, team = introduction.provider, introduction.team
    form = _terms_form(None, provider, team, request.method == "POST")
    # A first proposal has nothing "new" to explain: the note is a word to the person.
    form.note.label.text = f"A note for {introduction.person.display_name} (optional)"
    if request.method == "GET":
        form.carers.data = [introduction.carer_id] if introduction.carer_id else []
        form.funding_route.data = introduction.person.funding_route
        rate = introduction.carer.hourly_rate_pence if introduction.carer else None
        form.hourly_rate.data = services.format_pence(
            rate or provider.hourly_rate_pence, for_input=True
        )
    if request.method == "POST" and form.validate_on_submit():
        try:
            with db.session.begin_nested():
                arrangement = services.propose_arrangement(
                    person=introduction.person,
                    provider=provider,
                    team=team,
                    terms=form.terms(),
                    actor=authz._user(current_user),
                    introduction_id=introduction.id,
                    note=form.note.data or "",
                )
        except services.TermsInvalid as error:
            form.show_errors(error.errors)
        else:
            db.session.commit()
            flash("The arrangement is sent. It starts when the person agrees.", "success")
            return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))
    return (
        render_template(
            "arrangements/terms.html",
            form=form,
            arrangement=None,
            person=introduction.person,
            team=team,
            provider=provider,
            heading="Propose an arrangement",
            action=url_for("arrangements.propose", introduction_id=introduction.id),
        ),
        400 if request.method == "POST" else 200,
        PRIVATE,
    )
