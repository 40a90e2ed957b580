"""/supporters (the person), /supporter-invitation/<token> (the invitee) and /supporting
(the supporter). Who may do what is asked of marketplace.authz on every request."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from marketplace import authz
from marketplace.auth.forms import InvitationRegisterForm
from marketplace.choices import FundingRoute
from marketplace.extensions import db, limiter
from marketplace.links import safe_redirect_target
from marketplace.models import ConsentGrant, SupporterInvitation
from marketplace.people import services as people
from marketplace.supporters import bp, services
from marketplace.supporters.forms import (
    ChangeGrantForm,
    ChooseForm,
    InviteForm,
)

NO_STORE = {"Cache-Control": "private, no-store"}


def _me():
    """The signed-in person managing their own supporters (403 for anyone else)."""
    person = people.person_of(current_user)
    authz.require(current_user, "supporters.manage", person)
    return person


def _grant(grant_id: int) -> ConsentGrant:
    """One of this person's grants; 404 for another person's, as for none at all."""
    _me()
    return authz.get_or_abort(current_user, ConsentGrant, grant_id, "consent_grant.change")


def _invite_limit() -> str:
    return current_app.config["SUPPORTER_INVITE_RATE_LIMIT"]


def _account_key() -> str:
    # Counted per account as well as per address: a person on a shared connection (a
    # care home) is not held up by others, and one account cannot flood from many IPs.
    return f"account:{current_user.get_id()}"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# -- the person ---------------------------------------------------------------------------


@bp.get("/supporters")
@login_required
def index():
    person = _me()
    return (
        render_template(
            "supporters/index.html",
            supporters=services.supporters_of(person),
            invitations=services.waiting_invitations(person),
            services=services,
        ),
        200,
        NO_STORE,
    )


@bp.route("/supporters/invite", methods=["GET", "POST"])
@login_required
@limiter.limit(_invite_limit, methods=["POST"], key_func=_account_key)
@limiter.limit(_invite_limit, methods=["POST"])
def invite():
    person = _me()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(
                person,
                current_user._get_current_object(),
                services.InvitationRequest(
                    email=form.email.data,
                    display_name=form.display_name.data,
                    relationship=form.relationship.data,
                    scopes=form.scopes.data or [],
                    ends_on=form.ends_on.data,
                ),
            )
        except services.InvitationRefused as refused:  # raised before anything is written
            getattr(form, refused.field).errors = [str(refused)]
        else:
            db.session.commit()
            flash(
                f"We have emailed an invitation to {form.email.data.strip().lower()}. "
                "They can support you once they accept it.",
                "success",
            )
            return redirect(url_for("supporters.index"))
    return render_template("supporters/invite.html", form=form), (400 if form.errors else 200)


@bp.route("/supporters/<int:grant_id>", methods=["GET", "POST"])
@login_required
def grant(grant_id: int):
    grant = _grant(grant_id)
    if request.method == "GET":
        form = ChangeGrantForm(
            data={"scopes": grant.scopes, "ends_on": services.last_day(grant.ends_at)}
        )
    else:
        form = ChangeGrantForm()
    if form.validate_on_submit():
        try:
            services.change_grant(
                grant, current_user._get_current_object(), form.scopes.data, form.ends_on.data
            )
        except services.InvitationRefused as refused:
            getattr(form, refused.field).errors = [str(refused)]
        else:
            db.session.commit()
            flash(f"You have changed what {grant.supporter.display_name} can do.", "success")
            return redirect(url_for("supporters.index"))
    return (
        render_template(
            "supporters/grant.html",
            form=form,
            grant=grant,
            relationship=services.relationship_label(grant.relationship_to_person),
        ),
        (400 if form.errors else 200),
        NO_STORE,
    )


@bp.post("/supporters/<int:grant_id>/revoke")
@login_required
def revoke(grant_id: int):
    grant = _grant(grant_id)
    services.revoke(grant, current_user._get_current_object())
    db.session.commit()
    flash(f"{grant.supporter.display_name} can no longer act for you.", "success")
    return redirect(url_for("supporters.index"))


@bp.post("/supporters/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw(invitation_id: int):
    person = _me()
    invitation = db.session.get(SupporterInvitation, invitation_id)
    if invitation is None or invitation.person_id != person.id:
        abort(404)
    services.withdraw(invitation, current_user._get_current_object())
    db.session.commit()
    flash(f"The invitation to {invitation.email} no longer works.", "success")
    return redirect(url_for("supporters.index"))


@bp.get("/supporters/activity")
@login_required
def activity():
    person = _me()
    return (
        render_template("supporters/activity.html", rows=services.activity(person)),
        200,
        NO_STORE,
    )


# -- the invitee --------------------------------------------------------------------------


@bp.route("/supporter-invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def invitation(token: str):
    try:
        invite = services.find_invitation(token)
    except services.InvitationProblem as problem:
        return _problem(problem)
    page = {
        "invite": invite,
        "person_name": invite.person.display_name,
        "scopes": services.scope_labels(invite.scopes),
        "last_day": services.last_day(invite.grant_ends_at),
    }
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if request.method == "POST":  # CSRFProtect has checked the form's token
            try:
                services.accept(invite, user)
            except services.InvitationProblem as problem:  # before anything is written
                return _problem(problem)
            db.session.commit()
            flash(f"You can now support {invite.person.display_name}.", "success")
            return redirect(url_for("supporters.supporting"))
        if invite.person.user_id == user.id:
            return _problem(services.InvitationProblem("own", invite))
        if user.email != invite.email:
            return _problem(services.InvitationProblem("wrong_email", invite))
        return render_template("supporters/invitation_accept.html", **page), 200, NO_STORE
    # Signed out: both ways in, without saying whether the address has an account.
    form = InvitationRegisterForm()
    form.personal_details = [invite.email]
    if form.validate_on_submit():
        try:
            user = services.register_and_accept(invite, form.display_name.data, form.password.data)
        except services.InvitationProblem as problem:  # before anything is written
            if problem.reason != "has_account":
                return _problem(problem)
            form.display_name.errors = [
                "You already have a CoopCare account with this email address. "
                "Sign in to accept the invitation"
            ]
        else:
            db.session.commit()
            login_user(user)
            flash(f"Your account is ready. You can now support {invite.person.display_name}.")
            return redirect(url_for("supporters.supporting"))
    return (
        render_template(
            "supporters/invitation_signed_out.html",
            form=form,
            login_url=url_for("auth.login", next=request.path),
            **page,
        ),
        (400 if form.errors else 200),
        NO_STORE,
    )


PROBLEM_STATUS = {"own": 403, "wrong_email": 403}


def _problem(problem: services.InvitationProblem):
    invite = problem.invitation
    return (
        render_template(
            "supporters/invitation_problem.html",
            reason=problem.reason,
            sent_to=services.mask_email(invite.email) if invite is not None else None,
        ),
        PROBLEM_STATUS.get(problem.reason, 400),
        NO_STORE,
    )


# -- the supporter ------------------------------------------------------------------------


@bp.get("/supporting")
@authz.requires("supporting.use")
def supporting():
    grants = authz.grants_in_force(current_user)
    chosen = authz.acting_for(current_user)
    # Sent here from a page about one person (authz.ChoosePersonFirst): back there after.
    back = safe_redirect_target(request.args.get("next"), "")
    return (
        render_template(
            "supporters/supporting.html",
            grants=grants,
            chosen=chosen,
            form=ChooseForm(),
            services=services,
            back=back,
        ),
        200,
        NO_STORE,
    )


@bp.post("/supporting/choose")
@authz.requires("supporting.use")
def choose():
    form = ChooseForm()
    try:
        person_id = int(form.person_id.data or "")
    except ValueError:
        abort(403)  # the same answer as for a person who gave no grant
    if not form.validate_on_submit():
        abort(403)
    person = services.choose(current_user._get_current_object(), person_id)
    db.session.commit()
    flash(f"You are now acting for {person.display_name}.", "success")
    return redirect(
        safe_redirect_target(request.form.get("next"), url_for("supporters.supporting"))
    )


@bp.get("/supporting/profile")
@authz.requires("supporting.use")
def person_profile():
    person = authz.acting_for_or_ask(current_user)
    authz.require(current_user, "person.view", person)
    services.record_for(current_user, person, "person.profile_viewed")
    db.session.commit()
    return (
        render_template(
            "supporters/person_profile.html",
            person=person,
            council=people.council_of(person),
            funding_label=FundingRoute.label_for(person.funding_route),
            wish_rows=people.wish_rows(person),
        ),
        200,
        NO_STORE,
    )
