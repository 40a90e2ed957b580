"""The person's own pages: /profile."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace import authz
from marketplace.choices import FundingRoute
from marketplace.extensions import db
from marketplace.people import bp, services
from marketplace.people.forms import ProfileForm


def _own_person():
    person = services.person_of(current_user)  # staff, carers, supporters: None
    authz.require(current_user, "person.edit_profile", person)
    return person


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    person = _own_person()
    if request.method == "GET":
        form = ProfileForm(data=services.form_data(person))
    else:
        form = ProfileForm()
    if form.validate_on_submit():
        assert form.place is not None  # validate_postcode found it
        services.save_profile(
            person,
            services.ProfileChanges(
                place=form.place,
                max_distance_km=form.max_distance_km.data,
                must_have=form.must_have.data or [],
                nice_to_have=form.nice_to_have.data or [],
                interests=form.interests.data or [],
                languages=form.languages.data or [],
                carer_gender=form.carer_gender.data or None,  # "" is "no preference"
                slots=form.slots.data or [],
                funding_route=form.funding_route.data,
                share_profile_with_providers=bool(form.share_profile_with_providers.data),
                pets=form.pets.data or [],
                smoking_home=bool(form.smoking_home.data),
                support_wanted=form.support_wanted.data or [],
                groups=form.groups.data or [],
            ),
            actor_id=current_user.id,
        )
        db.session.commit()
        flash("Your profile is saved. Searches now start from it.")
        return redirect(url_for("people.profile"))
    response = render_template(
        "people/profile.html",
        form=form,
        person=person,
        council=services.council_of(person),
        funding_label=FundingRoute.label_for(person.funding_route),
    )
    return response, 200, {"Cache-Control": "private, no-store"}
