"""The postcode search form (GET, so results can be bookmarked and shared)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import NumberRange, Optional, StopValidation

from marketplace import geo
from marketplace import preference_fields as fields
from marketplace.choices import SLOT_LABELS, SearchPriority
from marketplace.models.providers import LEGAL_FORMS
from marketplace.money import format_pence, parse_pounds
from marketplace.search.services import (
    DEFAULT_RADIUS_KM,
    GENDER_LABELS,
    MAX_RADIUS_KM,
    MIN_RADIUS_KM,
    SearchFilters,
)
from marketplace.vocabulary import choices
from marketplace.vocabulary import label as vocabulary_label
from matching.index import split_terms
from matching.vocabulary import DEFAULT_VOCABULARY, suggest

RADIUS_MESSAGE = f"Distance must be a whole number from {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km"
HOURS_MESSAGE = "Hours a week must be a whole number from 1 to 168"


class WholeNumberField(IntegerField):
    """An IntegerField that refuses numbers too long to compare with a float.

    WTForms' NumberRange raises OverflowError (a 500) on a 400-digit number.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > 10**9:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


NO_PREFERENCE = ""
MAX_BUDGET_PENCE = 1_000_000  # £10,000 a week
MAX_HOURS = 168


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    # Fields that say what is wanted (everything but the postcode and the page): an
    # address with any of them is a search in full; links always carry radius_km.
    CHOICE_FIELDS = (
        "radius_km",
        "priority",
        "skill",
        "nice",
        "interest",
        "interests",
        "gender",
        "language",
        "slot",
        "only_free",
        "budget",
        "hours",
        "within_budget",
        "pet",
        "smoking",
        "support",
        "group",
    )

    postcode = fields.postcode("For example, LS6 1AA. We only use it to find carers near you.")
    radius_km = WholeNumberField(
        "How far away, in kilometres",
        description=f"From {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km",
        default=DEFAULT_RADIUS_KM,
        validators=[
            Optional(),
            NumberRange(min=MIN_RADIUS_KM, max=MAX_RADIUS_KM, message=RADIUS_MESSAGE),
        ],
    )
    priority = RadioField(
        "What matters most to you",
        description="Carers who fit it best come first.",
        choices=[(NO_PREFERENCE, "Nothing in particular"), *SearchPriority.choices()],
        default=NO_PREFERENCE,
        validators=[Optional()],
    )
    skill = fields.help_must_have("Only show carers who offer all of these.")
    nice = fields.help_nice_to_have(
        "Carers who offer these come higher up the list. Nobody is left out because of this."
    )
    interests = StringField(
        "Things you enjoy",
        description="For example: gardening, football, music. Separate them with commas. "
        "Carers who enjoy the same things come higher up the list.",
    )
    # Interests as vocabulary slugs: what links carry (and older bookmarks used).
    interest = fields.interests()
    gender = SelectField(
        "Carer's gender",
        choices=[("", "No preference"), *GENDER_LABELS.items()],
        validators=[Optional()],
    )
    language = fields.languages(
        "Languages the carer must speak", "Only show carers who speak every language you choose."
    )
    slot = fields.times("Carers free at these times come higher up the list.")
    only_free = BooleanField("Only show carers who are free at one of these times")
    # The person's home and wishes: carers whose answers clash are not shown.
    pet = fields.pets()
    smoking = fields.smoking()
    support = fields.support_wanted()
    group = fields.groups()
    budget = StringField(
        "Your budget for support each week, in pounds",
        description="For example, 250. We show how many hours a week it pays for with "
        "each carer. We keep it only if you save this search.",
    )
    hours = WholeNumberField(
        "Hours of support you need each week",
        description="We use it to work out the highest hourly rate your budget pays.",
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_HOURS, message=HOURS_MESSAGE),
        ],
    )
    within_budget = BooleanField("Only show carers within my budget")
    page = WholeNumberField("Page", validators=[Optional(), NumberRange(min=1, max=1000)])

    def __init__(self, *args, budget_pence: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A budget saved for the person (never in the address) when none is typed.
        self.saved_budget_pence = budget_pence

    place: geo.PostcodeLocation | None = None
    interest_slugs: list[str] = []
    budget_pence: int | None = None

    def validate_postcode(self, field: StringField) -> None:
        self.place = fields.look_up_postcode(field.data)

    def validate_interests(self, field: StringField) -> None:
        slugs = list(self.interest.data or ())
        for text in split_terms(field.data or ""):
            slug = DEFAULT_VOCABULARY.normalise_interest(text)
            if slug is None:
                near = [
                    DEFAULT_VOCABULARY.label("interests", s) for s in suggest(text, "interests")
                ]
                hint = f" Did you mean {join_or(near)}?" if near else ""
                raise StopValidation(
                    f"We do not know \u201c{text.strip()}\u201d as an interest.{hint}"
                )
            slugs.append(slug)
        self.interest_slugs = list(dict.fromkeys(slugs))

    def validate_budget(self, field: StringField) -> None:
        try:
            self.budget_pence = parse_pounds(
                field.data, what="weekly budget", maximum_pence=MAX_BUDGET_PENCE
            )
        except ValueError as error:
            raise StopValidation(str(error)) from error

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        super().validate(extra_validators)
        # Friendlier words than WTForms' defaults for typed-in URLs.
        for name, message in (
            ("radius_km", RADIUS_MESSAGE),
            ("hours", HOURS_MESSAGE),
            ("priority", "Choose what matters most from the list"),
            ("gender", fields.CHOOSE_FROM_THE_LIST["gender"]),
        ):
            if self[name].errors:
                self[name].errors = [message]
        if self.page.errors:
            self.page.errors = []
            self.page.data = 1
        fields.both_must_and_nice(self.skill, self.nice)
        if self.only_free.data and not self.slot.data:
            self.slot.errors = ["Choose the days and times you would like support"]
        if self.within_budget.data and self.weekly_budget_pence is None:
            self.budget.errors = ["Enter your weekly budget to see carers within it"]
        elif self.within_budget.data and not self.hours.data and not self.hours.errors:
            self.hours.errors = ["Enter the hours of support you need each week"]
        return not any(f.errors for f in self)

    @property
    def weekly_budget_pence(self) -> int | None:
        """The budget typed in, or else the person's saved budget."""
        return self.budget_pence if self.budget_pence is not None else self.saved_budget_pence

    @property
    def max_hourly_rate_pence(self) -> int | None:
        """The highest hourly rate the budget pays for the hours needed, when asked."""
        budget = self.weekly_budget_pence
        if not self.within_budget.data or budget is None or not self.hours.data:
            return None
        return budget // self.hours.data

    def filters(self) -> SearchFilters:
        """The validated choices as the search service takes them."""
        return SearchFilters(
            radius_km=self.radius_km.data or DEFAULT_RADIUS_KM,
            must_have=frozenset(self.skill.data or ()),
            nice_to_have=frozenset(self.nice.data or ()),
            interests=tuple(self.interest_slugs),
            must_speak=frozenset(self.language.data or ()),
            gender=self.gender.data or None,
            slots=tuple(s for s in SLOT_LABELS if s in set(self.slot.data or ())),
            only_available=bool(self.only_free.data),
            priority=self.priority.data or None,
            max_hourly_rate_pence=self.max_hourly_rate_pence,
            weekly_budget_pence=self.weekly_budget_pence,
            pets=frozenset(self.pet.data or ()),
            smoking_home=bool(self.smoking.data),
            support_wanted=frozenset(self.support.data or ()),
            groups=frozenset(self.group.data or ()),
        )

    def link_args(self, *, with_postcode: bool) -> dict[str, Any]:
        """The search as query parameters for links (pages, carers, one-click changes).

        Built from the validated fields only; without the postcode when it came from the
        person's profile, and without a budget that was not typed in.
        """
        args: dict[str, Any] = {}
        if with_postcode and self.place is not None:
            args["postcode"] = self.place.postcode
        args["radius_km"] = self.radius_km.data or DEFAULT_RADIUS_KM
        if self.priority.data:
            args["priority"] = self.priority.data
        for name in ("skill", "nice", "slot", "language", "pet", "support", "group"):
            if self[name].data:
                args[name] = list(dict.fromkeys(self[name].data))
        if self.interest_slugs:
            args["interest"] = list(self.interest_slugs)
        if self.gender.data:
            args["gender"] = self.gender.data
        if self.only_free.data:
            args["only_free"] = "y"
        if self.budget_pence is not None:
            args["budget"] = format_pence(self.budget_pence, for_input=True)
        if self.hours.data:
            args["hours"] = self.hours.data
        if self.within_budget.data:
            args["within_budget"] = "y"
        if self.smoking.data:
            args["smoking"] = "y"
        return args

    def active_filters(self) -> list[str]:
        """The choices in force, in plain words, for the summary above the results."""
        found = [f"Within {self.radius_km.data or DEFAULT_RADIUS_KM} km"]
        if self.priority.data:
            found.append("Matters most: " + SearchPriority.label_for(self.priority.data).lower())
        labels = dict(self.skill.choices)
        if self.skill.data:
            found.append("Must offer: " + ", ".join(labels.get(v, v) for v in self.skill.data))
        if self.nice.data:
            found.append("Nice to have: " + ", ".join(labels.get(v, v) for v in self.nice.data))
        if self.interest_slugs:
            found.append("Enjoys: " + ", ".join(interest_labels(self.interest_slugs)))
        if self.gender.data:
            found.append("Carer's gender: " + GENDER_LABELS.get(self.gender.data, self.gender.data))
        if self.language.data:
            spoken = dict(self.language.choices)
            found.append("Speaks: " + ", ".join(spoken.get(v, v) for v in self.language.data))
        if self.slot.data:
            times = ", ".join(SLOT_LABELS[s] for s in SLOT_LABELS if s in set(self.slot.data))
            found.append(("Free at one of: " if self.only_free.data else "Times: ") + times)
        if self.weekly_budget_pence is not None:
            text = f"Budget: {format_pence(self.weekly_budget_pence, short=True)} a week"
            if self.max_hourly_rate_pence is not None:
                text += (
                    f", {self.hours.data} hours (up to "
                    f"{format_pence(self.max_hourly_rate_pence)} an hour)"
                )
            found.append(text)
        for name, words in (
            ("pet", "Pets at home"),
            ("support", "Support wanted"),
            ("group", "You are in"),
        ):
            if self[name].data:
                chosen = set(self[name].data)
                labels = [label for value, label in self[name].choices if value in chosen]
                found.append(f"{words}: " + ", ".join(labels).lower())
        if self.smoking.data:
            found.append("Someone smokes at home")
        return found

    def for_display(self, from_profile: bool) -> SearchForm:
        """This form as the page shows it: interests as understood, and a profile's
        postcode not written back."""
        if self.interest_slugs:
            self.interests.data = ", ".join(interest_labels(self.interest_slugs))
            self.interests.raw_data = [self.interests.data]
        if from_profile:
            self.postcode.raw_data = [""]
            self.postcode.data = ""
            self.postcode.description = (
                "Leave this empty to search from the postcode in your profile."
            )
        return self


def interest_labels(slugs: list[str]) -> list[str]:
    """Interest slugs as people write them ("Gardening")."""
    return [vocabulary_label("interest", slug) for slug in slugs]


def join_or(items: list[str]) -> str:
    """Say "a", "a or b", "a, b or c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


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
