from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from marketplace import authz
from marketplace.auth import bp, services
from marketplace.auth.forms import (
    DeleteAccountForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from marketplace.extensions import db, limiter
from marketplace.links import safe_redirect_target
from marketplace.models.users import ROLE_LABELS


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account: the email says which.
        services.register(
            form.email.data,
            form.password.data,
            form.display_name.data.strip(),
            form.account_type.data,
        )
        db.session.commit()
        return render_template("auth/register_check_email.html", email=form.email.data.strip())
    return render_template("auth/register.html", form=form)


@bp.route("/register/confirm/<token>")
def confirm_email(token: str):
    user = services.user_for_confirmation_token(token)
    if user is None or not user.is_active:
        return render_template("auth/confirm_invalid.html"), 400
    if not services.confirm_email(user):
        # The link was used already: it is not a way to log in a second time.
        flash("Your email address is already confirmed. Log in to carry on.", "info")
        return redirect(url_for("auth.login"))
    db.session.commit()
    login_user(user)
    flash("Your email address is confirmed and your account is ready.", "success")
    return redirect(url_for(authz.home_endpoint(user, current_app.view_functions)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_redirect_target(request.args.get("next"), url_for("auth.account")))
        failed = True
    return render_template("auth/login.html", form=form, failed=failed)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST":
        logout_user()
        flash("You have logged out.", "success")
        return redirect(url_for("pages.home"))
    return render_template("auth/logout.html")


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password_token(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    form.personal_details = [user.email, user.display_name]
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        flash("Your password has been changed. You can now log in.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account")
@login_required
def account():
    from marketplace.people.services import person_of

    roles = [ROLE_LABELS[r] for r in sorted(current_user.roles)]
    person = person_of(current_user)
    return render_template(
        "auth/account.html",
        roles=roles,
        budgets=services.budget_summaries(current_user),
        # A new person's first step: searches, and introductions, start from the profile.
        profile_empty=person is not None and not person.postcode,
    )


@bp.route("/account/export")
@login_required
def account_export():
    data = services.export_user_data(current_user)
    return Response(
        json.dumps(data, indent=2),
        mimetype="application/json",
        # Everything we hold about the person (postcode included): kept by no cache, as
        # the budget statement downloads are.
        headers={
            "Content-Disposition": "attachment; filename=coopcare-my-data.json",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def account_delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if services.password_is_right(current_user, form.password.data):
            services.delete_account(current_user._get_current_object())
            db.session.commit()
            logout_user()
            flash("Your account and profile have been deleted.", "success")
            return redirect(url_for("pages.home"))
        form.password.errors.append("The password is not right. Your account has not been deleted.")
    status = 400 if form.errors else 200
    return render_template("auth/account_delete.html", form=form), status
