"""The person's profile form (POST, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from marketplace import geo
from marketplace import preference_fields as fields
from marketplace.choices import FundingRoute, Gender
from marketplace.search.services import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MIN_RADIUS_KM

RADIUS_MESSAGE = f"Distance must be a whole number from {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km"
NO_PREFERENCE = ""


class ProfileForm(FlaskForm):
    postcode = fields.postcode(
        "For example, LS6 1AA. Only you (and supporters you allow) see it: "
        "carers and providers see your area, never your postcode."
    )
    max_distance_km = IntegerField(
        "How far away carers can be, in kilometres",
        description=f"From {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km",
        default=DEFAULT_RADIUS_KM,
        validators=[
            InputRequired(message=RADIUS_MESSAGE),
            NumberRange(min=MIN_RADIUS_KM, max=MAX_RADIUS_KM, message=RADIUS_MESSAGE),
        ],
    )
    must_have = fields.help_must_have("We only show carers who offer all of these.")
    nice_to_have = fields.help_nice_to_have("Carers who offer these come higher up the list.")
    interests = fields.interests(
        description="Carers who enjoy the same things come higher up the list."
    )
    languages = fields.languages("Languages you would like your carer to speak")
    carer_gender = RadioField(
        "Carer's gender",
        choices=[(NO_PREFERENCE, "No preference"), *Gender.choices()],
        default=NO_PREFERENCE,
        validators=[Optional()],
    )
    slots = fields.times(
        "Choose the days and times that suit you. Leave them all empty if any time is fine."
    )
    pets = fields.pets()
    smoking_home = fields.smoking()
    support_wanted = fields.support_wanted()
    groups = fields.groups()
    funding_route = RadioField(
        "How your care is paid for",
        description="If you are not sure, your council's adult social care team can tell you.",
        choices=FundingRoute.choices(),
        validators=[InputRequired(message="Choose how your care is paid for")],
    )
    share_profile_with_providers = BooleanField(
        "Let providers see my needs and preferences when I contact them (never my postcode or name)"
    )

    place: geo.PostcodeLocation | None = None

    def validate_postcode(self, field: StringField) -> None:
        self.place = fields.look_up_postcode(field.data, full=True)

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)
        if self.max_distance_km.errors:
            self.max_distance_km.errors = [RADIUS_MESSAGE]
        if self.carer_gender.errors:
            self.carer_gender.errors = [fields.CHOOSE_FROM_THE_LIST["gender"]]
        if self.funding_route.errors:
            self.funding_route.errors = ["Choose how your care is paid for"]
        if valid and fields.both_must_and_nice(self.must_have, self.nice_to_have):
            valid = False
        return valid
