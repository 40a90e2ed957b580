"""Carer pages: provider admins manage carers; carers keep their own profile."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from marketplace import authz, geo, vocabulary
from marketplace.auth.forms import InvitationRegisterForm
from marketplace.auth.services import find_user_by_email
from marketplace.carers import bp, checks, services
from marketplace.carers.forms import (
    AboutForm,
    AddCarerForm,
    AvailabilityForm,
    ChecksForm,
    InviteForm,
    PreferencesForm,
    SkillsForm,
    VerifyChecksForm,
)
from marketplace.choices import SLOT_LABELS, SLOTS, Gender
from marketplace.extensions import db, limiter
from marketplace.models import Carer
from marketplace.money import format_pence
from marketplace.web import choose_provider_page

FORMS = {
    "about": AboutForm,
    "skills": SkillsForm,
    "availability": AvailabilityForm,
    "preferences": PreferencesForm,
    "checks": ChecksForm,
}


def _managed_carer(carer_id: int) -> Carer:
    return authz.get_or_abort(current_user, Carer, carer_id, "carer.manage")


# --- provider admin: list, add, invite, pause ---------------------------------------------


@bp.route("/provider/carers/")
@authz.requires("provider_area.use")
def manage_list():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page("carers.manage_list", "Choose whose carers to manage")
    carers = db.session.scalars(
        sa.select(Carer)
        .where(Carer.provider_id == provider.id)
        .order_by(Carer.active.desc(), Carer.display_name, Carer.id)
    ).all()
    return render_template("carers/manage_list.html", provider=provider, carers=carers)


@bp.route("/provider/carers/new", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def manage_add():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page(
            "carers.manage_add", "Choose which provider the carer works for"
        )
    form = AddCarerForm()
    if form.validate_on_submit():
        carer = services.add_carer(
            provider, form.display_name.data.strip(), form.location, current_user.id
        )
        db.session.commit()
        flash(f"{carer.display_name} has been added. Fill in the rest of their profile.", "success")
        return redirect(url_for("carers.manage_profile", carer_id=carer.id))
    return render_template("carers/manage_add.html", form=form, provider=provider), (
        400 if form.errors else 200
    )


@bp.route("/provider/carers/invite", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def manage_invite():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page(
            "carers.manage_invite", "Choose which provider is inviting the carer"
        )
    unlinked = db.session.scalars(
        sa.select(Carer)
        .where(Carer.provider_id == provider.id, Carer.user_id.is_(None))
        .order_by(Carer.display_name, Carer.id)
    ).all()
    form = InviteForm(carers=[(str(c.id), c.display_name) for c in unlinked])
    if form.validate_on_submit():
        existing = None if form.carer.data == "new" else db.session.get(Carer, int(form.carer.data))
        carer = services.invite_carer(
            provider,
            existing,
            (form.display_name.data or "").strip(),
            form.email.data.strip().lower(),
            current_user.id,
        )
        db.session.commit()
        flash(
            f"We have emailed an invitation to {form.email.data.strip().lower()}. "
            f"It links their account to {carer.display_name}'s profile.",
            "success",
        )
        return redirect(url_for("carers.manage_list", provider=provider.id))
    return render_template("carers/manage_invite.html", form=form, provider=provider), (
        400 if form.errors else 200
    )


def _set_active(carer_id: int, active: bool):
    carer = _managed_carer(carer_id)
    try:
        services.set_active(carer, active, current_user.id)
    except services.CarerNeedsLocation as problem:
        flash(str(problem), "error")
        return redirect(url_for("carers.manage_profile", carer_id=carer.id))
    db.session.commit()
    if not active:
        message = f"{carer.display_name} is paused and hidden from search and matching."
    elif carer.is_listed:
        message = f"{carer.display_name} is active and listed: people can find and match them."
    else:
        message = (
            f"{carer.display_name} is active, but not listed yet: see what is missing "
            "on their profile."
        )
    flash(message, "success")
    return redirect(url_for("carers.manage_list", provider=carer.provider_id))


@bp.route("/provider/carers/<int:carer_id>/pause", methods=["POST"])
@authz.requires("provider_area.use")
def manage_pause(carer_id: int):
    return _set_active(carer_id, False)


@bp.route("/provider/carers/<int:carer_id>/reactivate", methods=["POST"])
@authz.requires("provider_area.use")
def manage_reactivate(carer_id: int):
    return _set_active(carer_id, True)


# --- profile: summary and sections, for the carer and for their provider's admins -----------


@bp.route("/provider/carers/<int:carer_id>")
@authz.requires("provider_area.use")
def manage_profile(carer_id: int):
    carer = _managed_carer(carer_id)
    return _summary(carer, owner=False)


@bp.route("/provider/carers/<int:carer_id>/profile/<section>", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def manage_profile_edit(carer_id: int, section: str):
    carer = _managed_carer(carer_id)
    return _edit_section(carer, section, owner=False)


@bp.route("/provider/carers/<int:carer_id>/checks/verify", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def manage_verify_checks(carer_id: int):
    carer = _managed_carer(carer_id)
    return _verify_checks(carer, back=url_for("carers.manage_profile", carer_id=carer.id))


@bp.route("/review/carer-checks")
@authz.requires("review_area.use")
def review_checks_list():
    """Self-employed personal assistants whose checks wait for a reviewer."""
    waiting = services.pa_carers_waiting_for_checks(current_user)
    return render_template("carers/review_checks_list.html", carers=waiting)


@bp.route("/review/carers/<int:carer_id>/checks", methods=["GET", "POST"])
@authz.requires("review_area.use")
def review_verify_checks(carer_id: int):
    carer = db.session.get(Carer, carer_id)
    if carer is None:
        abort(404)
    return _verify_checks(carer, back=url_for("carers.review_checks_list"))


def _verify_checks(carer: Carer, back: str):
    """Show a carer's declared checks to someone who may vouch for them, and verify."""
    user = current_user._get_current_object()
    organisation = checks.verifier_organisation(user, carer)
    if organisation is None:
        abort(403)
    today = checks.today()
    form = VerifyChecksForm()
    problems = checks.verification_problems(carer, today)
    if not problems and form.validate_on_submit():
        checks.verify(carer, user, today)
        db.session.commit()
        listed = (
            "is now listed" if carer.is_listed else "will be listed once nothing else is missing"
        )
        flash(
            f"{carer.display_name}'s checks are verified by {organisation}. "
            f"{carer.display_name} {listed}.",
            "success",
        )
        return redirect(back)
    status = 400 if form.errors or (problems and request.method == "POST") else 200
    return render_template(
        "carers/verify_checks.html",
        carer=carer,
        form=form,
        problems=problems,
        organisation=organisation,
        back=back,
        rows=checks.check_rows(carer),
        problem_errors=[("problems", p) for p in problems] if request.method == "POST" else [],
    ), status


def _no_profile():
    return render_template("carers/no_profile.html"), 404


@bp.route("/carer/profile")
@authz.requires("carer_profile.use")
def profile():
    carer = authz.own_carer(current_user)
    return _summary(carer, owner=True) if carer else _no_profile()


@bp.route("/carer/profile/<section>", methods=["GET", "POST"])
@authz.requires("carer_profile.use")
def profile_edit(section: str):
    carer = authz.own_carer(current_user)
    return _edit_section(carer, section, owner=True) if carer else _no_profile()


def _section_url(carer: Carer, owner: bool, section: str) -> str:
    if owner:
        return url_for("carers.profile_edit", section=section)
    return url_for("carers.manage_profile_edit", carer_id=carer.id, section=section)


def _summary_url(carer: Carer, owner: bool) -> str:
    return (
        url_for("carers.profile") if owner else url_for("carers.manage_profile", carer_id=carer.id)
    )


def _summary(carer: Carer, owner: bool):
    teams = [m.team for m in carer.team_memberships]
    return render_template(
        "carers/profile_summary.html",
        carer=carer,
        owner=owner,
        teams=teams,
        sections=services.SECTIONS,
        section_url=lambda s: _section_url(carer, owner, s),
        needs_insurance=services.needs_insurance(carer),
        slot_labels=SLOT_LABELS,
        interests=services.interests_for_form(carer.interests),
        preference_rows=services.preference_rows(carer),
        check_rows=checks.check_rows(carer),
        gaps=checks.listing_gaps(carer, checks.today()),
        can_verify=checks.verifier_organisation(current_user._get_current_object(), carer)
        is not None,
    )


def _form_for(carer: Carer, section: str, owner: bool) -> FlaskForm:
    kwargs: dict[str, Any] = {}
    if request.method == "GET":
        kwargs["data"] = _initial_data(carer, section, owner)
    if section == "about":
        # A carer already placed on the map (by postcode, or by district from an import
        # or the demo data) may leave the box empty and keep that place.
        kwargs["postcode_held"] = bool(carer.postcode) or (
            carer.lat is not None and carer.lon is not None and bool(carer.district)
        )
    form = FORMS[section](**kwargs)
    if section == "checks":
        if owner:  # the provider checks right to work, so only its admins record it
            del form.right_to_work_checked
        if not services.needs_insurance(carer):
            del form.insurance_expires_on
    return form


def _initial_data(carer: Carer, section: str, owner: bool) -> dict[str, Any]:
    if section == "about":
        return {
            "display_name": carer.display_name,
            # Only the carer sees their own postcode; their provider's admins leave it blank.
            "postcode": carer.postcode if owner else "",
            "bio": carer.bio,
            "gender": carer.gender,
            "travel_radius_km": f"{carer.travel_radius_km:g}",
            "hourly_rate": format_pence(carer.hourly_rate_pence, for_input=True),
        }
    if section == "skills":
        checked, other = services.interests_for_form(carer.interests)
        return {
            "skills": carer.skills or [],
            "interests": checked,
            "other_interests": other,
            "languages": carer.languages or [],
        }
    if section == "availability":
        return {"availability": carer.availability or []}
    if section == "preferences":
        return PreferencesForm.initial(carer)
    record = carer.check("criminal_record")
    insurance = carer.check("insurance")
    return {
        "dbs_scheme": record.scheme if record and record.scheme else _default_scheme(carer),
        "dbs_level": record.level if record and record.level else "none",
        "dbs_number": (record.certificate_number or "") if record else "",
        "dbs_issue_date": record.issued_on if record else None,
        "dbs_update_service": "yes" if record and record.update_service else "no",
        "care_certificate": carer.care_certificate,
        "right_to_work_checked": carer.check("right_to_work") is not None,
        "insurance_expires_on": insurance.expires_on if insurance else None,
    }


def _default_scheme(carer: Carer) -> str:
    """PVG in Scotland, AccessNI in Northern Ireland, DBS elsewhere (from the postcode)."""
    if not carer.district:
        return "dbs"
    try:
        return checks.scheme_for_country(geo.lookup(carer.district).country)
    except geo.GeoError:
        return "dbs"


def _changes(carer: Carer, section: str, form: Any, owner: bool) -> dict[str, Any]:
    if section == "about":
        changes = {
            "display_name": form.display_name.data.strip(),
            "bio": (form.bio.data or "").strip(),
            "gender": form.gender.data if form.gender.data in Gender.values() else None,
            "travel_radius_km": float(form.radius),
            "hourly_rate_pence": form.rate_pence,
        }
        if form.location is not None:
            changes.update(services.location_changes(form.location))
        return changes
    if section == "skills":
        return {
            "skills": list(form.skills.data or []),
            "interests": services.interests_from_form(
                form.interests.data or [], form.other_interests.data
            ),
            "languages": list(form.languages.data or []),
        }
    if section == "availability":
        chosen = set(form.availability.data or [])
        return {"availability": [s for s in SLOTS if s in chosen] or None}
    if section == "preferences":
        return form.changes()
    has_record = form.dbs_level.data != "none"
    changes: dict[str, Any] = {
        "care_certificate": bool(form.care_certificate.data),
        "criminal_record": {
            "scheme": form.dbs_scheme.data,
            "level": form.dbs_level.data,
            "certificate_number": form.dbs_number.data or None,
            "issued_on": form.issue_date,
            "update_service": form.dbs_update_service.data == "yes",
        }
        if has_record
        else None,
    }
    if "right_to_work_checked" in form._fields:
        changes["right_to_work"] = {} if form.right_to_work_checked.data else None
    if "insurance_expires_on" in form._fields:
        changes["insurance"] = {"expires_on": form.insurance_date} if form.insurance_date else None
    return changes


def _edit_section(carer: Carer, section: str, owner: bool):
    if section not in services.SECTIONS:
        abort(404)
    form = _form_for(carer, section, owner)
    if form.validate_on_submit():
        services.update_profile(
            carer, section, _changes(carer, section, form, owner), current_user.id
        )
        db.session.commit()
        flash(f"{services.SECTIONS[section]}: your changes have been saved.", "success")
        return redirect(_summary_url(carer, owner))
    return render_template(
        f"carers/section_{section}.html",
        form=form,
        carer=carer,
        owner=owner,
        section=section,
        section_title=services.SECTIONS[section],
        summary_url=_summary_url(carer, owner),
        days=services.DAYS,
        parts=services.PARTS,
    ), (400 if form.errors else 200)


# --- invitations --------------------------------------------------------------------------


def _invite_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/carer/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_invite_limit, methods=["POST"])
def invitation(token: str):
    try:
        invite = services.read_invitation(token)
    except services.InvitationProblem as problem:
        return _invitation_problem(problem)
    if current_user.is_authenticated:
        if current_user.email != invite.email:
            return render_template(
                "carers/invitation_wrong_email.html",
                invite=invite,
                sent_to=services.mask_email(invite.email),
            ), 403
        if request.method == "POST":  # CSRFProtect has checked the token
            try:
                services.accept_invitation(invite, current_user._get_current_object())
            except services.InvitationProblem as problem:
                db.session.rollback()
                return _invitation_problem(problem)
            db.session.commit()
            flash(
                f"Your account is now linked to your profile at {invite.provider.name}.", "success"
            )
            return redirect(url_for("carers.profile"))
        return render_template("carers/invitation_accept.html", invite=invite)
    if find_user_by_email(invite.email) is not None:
        return render_template(
            "carers/invitation_login.html",
            invite=invite,
            login_url=url_for("auth.login", next=request.path),
        )
    form = InvitationRegisterForm()
    form.personal_details = [invite.email]
    if form.validate_on_submit():
        try:
            user = services.register_from_invitation(
                invite, form.display_name.data.strip(), form.password.data
            )
        except services.InvitationProblem as problem:  # used a moment ago in another tab
            db.session.rollback()
            return _invitation_problem(problem)
        db.session.commit()
        login_user(user)
        flash(
            f"Your account is ready and linked to your profile at {invite.provider.name}.",
            "success",
        )
        return redirect(url_for("carers.profile"))
    return render_template("carers/invitation_register.html", form=form, invite=invite), (
        400 if form.errors else 200
    )


def _invitation_problem(problem: services.InvitationProblem):
    return render_template("carers/invitation_invalid.html", reason=problem.reason), 400


@bp.app_template_filter("vocab_label")
def vocab_label(slug: str, kind: str) -> str:
    """A vocabulary slug's label ("peg_feeding" -> "PEG feeding")."""
    return vocabulary.label(kind, slug)


@bp.app_template_filter("slot_label")
def slot_label(slot: str) -> str:
    """An availability slot's label ("mon-am" -> "Monday morning")."""
    return SLOT_LABELS.get(slot, slot)


@bp.app_template_global("endpoint_exists")
def endpoint_exists(endpoint: str) -> bool:
    """True when another blueprint's page exists (e.g. the provider dashboard)."""
    return endpoint in current_app.view_functions
