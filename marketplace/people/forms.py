"""The person's profile form (POST, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from marketplace import geo
from marketplace.choices import SLOT_LABELS, FundingRoute, Gender, PersonGroup, Pet, SupportKind
from marketplace.search.services import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MIN_RADIUS_KM
from marketplace.vocabulary import choices

RADIUS_MESSAGE = f"Distance must be a whole number from {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km"
NO_PREFERENCE = ""


class ProfileForm(FlaskForm):
    postcode = StringField(
        "Your postcode",
        description="For example, LS6 1AA. Only you (and supporters you allow) see it: "
        "carers and providers see your area, never your postcode.",
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
    must_have = SelectMultipleField(
        "Help you must have",
        description="We only show carers who offer all of these.",
        validators=[Optional()],
    )
    nice_to_have = SelectMultipleField(
        "Help that would be nice to have",
        description="Carers who offer these come higher up the list.",
        validators=[Optional()],
    )
    interests = SelectMultipleField(
        "Things you enjoy",
        description="Carers who enjoy the same things come higher up the list.",
        validators=[Optional()],
    )
    languages = SelectMultipleField(
        "Languages you would like your carer to speak",
        validators=[Optional()],
    )
    carer_gender = RadioField(
        "Carer's gender",
        choices=[(NO_PREFERENCE, "No preference"), *Gender.choices()],
        default=NO_PREFERENCE,
        validators=[Optional()],
    )
    slots = SelectMultipleField(
        "When you would like support",
        description="Choose the days and times that suit you. Leave them all empty if any "
        "time is fine.",
        choices=list(SLOT_LABELS.items()),
        validators=[Optional()],
    )
    pets = SelectMultipleField(
        "Pets in your home",
        description="We only show carers who are happy with all of them, or who have not "
        "said (then ask them).",
        choices=Pet.choices(),
        validators=[Optional()],
    )
    smoking_home = BooleanField(
        "Someone smokes in my home",
        description="We do not show carers who would rather work in homes where nobody smokes.",
    )
    support_wanted = SelectMultipleField(
        "Kinds of support you would like",
        description="Carers who enjoy giving them come higher up the list. Carers who "
        "enjoy only other kinds of support are not shown.",
        choices=SupportKind.choices(),
        validators=[Optional()],
    )
    groups = SelectMultipleField(
        "Are you in any of these groups? (optional)",
        description="You do not have to say. If you do, carers who would like to support "
        "people in your group come higher up the list, and carers who would rather "
        "support other groups are not shown.",
        choices=PersonGroup.choices(),
        validators=[Optional()],
    )
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        skills = choices("skill")
        self.must_have.choices = skills
        self.nice_to_have.choices = skills
        self.interests.choices = choices("interest")
        self.languages.choices = choices("language")

    def validate_postcode(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not text:
            raise StopValidation("Enter your postcode, for example LS6 1AA")
        try:
            place = geo.lookup(text)
        except geo.GeoError as error:
            raise StopValidation(str(error)) from error
        if place.is_outcode:
            raise StopValidation("Enter your full postcode, for example LS6 1AA")
        self.place = place

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)
        if self.max_distance_km.errors:
            self.max_distance_km.errors = [RADIUS_MESSAGE]
        for name, message in (
            ("must_have", "Choose help from the list"),
            ("nice_to_have", "Choose help from the list"),
            ("interests", "Choose interests from the list"),
            ("languages", "Choose languages from the list"),
            ("carer_gender", "Choose a gender from the list"),
            ("slots", "Choose days and times from the list"),
            ("pets", "Choose pets from the list"),
            ("support_wanted", "Choose kinds of support from the list"),
            ("groups", "Choose groups from the list"),
        ):
            if self[name].errors:
                self[name].errors = [message]
        if self.funding_route.errors:
            self.funding_route.errors = ["Choose how your care is paid for"]
        if valid and set(self.must_have.data or ()) & set(self.nice_to_have.data or ()):
            self.nice_to_have.errors = [
                "Help cannot be both a must-have and a nice-to-have: choose one for each"
            ]
            valid = False
        return valid
