"""The postcode search form (GET, so results can be bookmarked and shared)."""

from __future__ import annotations

from typing import Any

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
    SearchFilters,
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

    # Fields that say what is wanted (everything but the postcode and the page): an
    # address with any of them is a search in full; links always carry radius_km.
    CHOICE_FIELDS = ("radius_km", "skill", "interest", "gender", "language")

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

    def filters(self) -> SearchFilters:
        """The validated choices as the search service takes them."""
        return SearchFilters(
            radius_km=self.radius_km.data or DEFAULT_RADIUS_KM,
            must_have=frozenset(self.skill.data or ()),
            interests=tuple(self.interest.data or ()),
            required_language=self.language.data or None,
            gender=self.gender.data or None,
        )

    def link_args(self, *, with_postcode: bool) -> dict[str, Any]:
        """The search as query parameters for links (pages, carers, one-click changes).

        Built from the validated fields only; without the postcode when it came from the
        person's profile.
        """
        args: dict[str, Any] = {}
        if with_postcode and self.place is not None:
            args["postcode"] = self.place.postcode
        args["radius_km"] = self.radius_km.data or DEFAULT_RADIUS_KM
        for name in ("skill", "interest"):
            if self[name].data:
                args[name] = list(self[name].data)
        for name in ("gender", "language"):
            if self[name].data:
                args[name] = self[name].data
        return args

    def active_filters(self) -> list[str]:
        """The choices in force, in plain words, for the summary above the results."""
        found = [f"Within {self.radius_km.data or DEFAULT_RADIUS_KM} km"]
        labels = dict(self.skill.choices)
        if self.skill.data:
            found.append("Must offer: " + ", ".join(labels.get(v, v) for v in self.skill.data))
        if self.interest.data:
            names = dict(self.interest.choices)
            found.append("Enjoys: " + ", ".join(names.get(v, v) for v in self.interest.data))
        if self.gender.data:
            found.append("Carer's gender: " + GENDER_LABELS.get(self.gender.data, self.gender.data))
        if self.language.data:
            found.append("Speaks: " + dict(self.language.choices).get(self.language.data, ""))
        return found

    def for_display(self, from_profile: bool) -> SearchForm:
        """This form as the page shows it: a profile's postcode is not written back."""
        if from_profile:
            self.postcode.raw_data = [""]
            self.postcode.data = ""
            self.postcode.description = (
                "Leave this empty to search from the postcode in your profile."
            )
        return self

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
