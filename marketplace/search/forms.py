"""The postcode search form (GET, so results can be bookmarked and shared)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import NumberRange, Optional, StopValidation

from marketplace import geo
from marketplace.models.providers import LEGAL_FORMS
from marketplace.search.services import (
    DEFAULT_RADIUS_KM,
    GENDER_LABELS,
    MAX_RADIUS_KM,
    MIN_RADIUS_KM,
)
from marketplace.vocabulary import choices

RADIUS_MESSAGE = f"Distance must be a whole number from {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km"


class WholeNumberField(IntegerField):
    """An IntegerField that refuses numbers too long to compare with a float.

    WTForms' NumberRange raises OverflowError (a 500) on a 400-digit number.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > 10**9:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    postcode = StringField(
        "Your postcode",
        description="For example, LS6 1AA. We only use it to find carers near you.",
    )
    radius_km = WholeNumberField(
        "How far away, in kilometres",
        description=f"From {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km",
        default=DEFAULT_RADIUS_KM,
        validators=[
            Optional(),
            NumberRange(min=MIN_RADIUS_KM, max=MAX_RADIUS_KM, message=RADIUS_MESSAGE),
        ],
    )
    skill = SelectMultipleField(
        "Help you need",
        description="Only show carers who offer all of these.",
        validators=[Optional()],
    )
    interest = SelectMultipleField(
        "Things you enjoy",
        description="Carers who enjoy the same things come higher up the list. "
        "Nobody is left out because of this.",
        validators=[Optional()],
    )
    gender = SelectField(
        "Carer's gender",
        choices=[("", "No preference"), *GENDER_LABELS.items()],
        validators=[Optional()],
    )
    language = SelectField("Carer speaks", validators=[Optional()])
    page = WholeNumberField("Page", validators=[Optional(), NumberRange(min=1, max=1000)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skill.choices = choices("skill")
        self.interest.choices = choices("interest")
        self.language.choices = [("", "Any language"), *choices("language")]

    place: geo.PostcodeLocation | None = None

    def validate_postcode(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not text:
            raise StopValidation("Enter your postcode, for example LS6 1AA")
        try:
            self.place = geo.lookup(text)
        except geo.GeoError as error:
            raise StopValidation(str(error)) from error

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)
        # Friendlier words than WTForms' defaults for typed-in URLs.
        if self.radius_km.errors:
            self.radius_km.errors = [RADIUS_MESSAGE]
        if self.skill.errors:
            self.skill.errors = ["Choose help from the list"]
        if self.interest.errors:
            self.interest.errors = ["Choose interests from the list"]
        if self.language.errors:
            self.language.errors = ["Choose a language from the list"]
        if self.gender.errors:
            self.gender.errors = ["Choose a gender from the list"]
        if self.page.errors:
            self.page.errors = []
            self.page.data = 1
            valid = not any(f.errors for f in self)
        return valid


class MapFilterForm(FlaskForm):
    """The national map's filters (GET, so a filtered map can be shared)."""

    class Meta:
        csrf = False

    legal_form = SelectField("Type of organisation", validators=[Optional()])
    skill = SelectField("Help offered", validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.legal_form.choices = [("", "Any type"), *LEGAL_FORMS.items()]
        self.skill.choices = [("", "Any help"), *choices("skill")]

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)
        if self.legal_form.errors:
            self.legal_form.errors = ["Choose a type of organisation from the list"]
        if self.skill.errors:
            self.skill.errors = ["Choose the help offered from the list"]
        return valid
