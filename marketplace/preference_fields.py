"""The questions the person's profile (people/forms.py) and the search (search/forms.py)
both ask: postcode, help wanted, interests, languages, times, and the home and wishes
(pets, smoking, support wanted, groups). Decided here only: the labels, hints, choices
(from marketplace.choices and the vocabulary) and the "choose from the list" messages.

The two forms name their fields differently (the search's names are its address's
parameters, ``?skill=…&pet=…``; the profile's are stored preferences), so these are
factories: each returns a new unbound field for a form class to hold.
"""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import Optional, StopValidation

from marketplace import geo
from marketplace.choices import SLOT_LABELS, PersonGroup, Pet, SupportKind
from marketplace.vocabulary import choices as vocabulary_choices

POSTCODE_MESSAGE = "Enter your postcode, for example LS6 1AA"
BOTH_MUST_AND_NICE = "Help cannot be both a must-have and a nice-to-have: choose one for each"

# What a choice field's error says, by what it chooses (WTForms' own words are not plain).
CHOOSE_FROM_THE_LIST = {
    "help": "Choose help from the list",
    "interests": "Choose interests from the list",
    "languages": "Choose languages from the list",
    "gender": "Choose a gender from the list",
    "times": "Choose days and times from the list",
    "pets": "Choose pets from the list",
    "support": "Choose kinds of support from the list",
    "groups": "Choose groups from the list",
}


class ListChoicesField(SelectMultipleField):
    """Choices from a list; a bad choice (a typed-in address) is told in plain words."""

    def __init__(self, label: str, chooses: str, description: str = "", **kw: Any) -> None:
        super().__init__(label, description=description, validators=[Optional()], **kw)
        self.chooses = chooses

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if self.errors:
            self.errors = [CHOOSE_FROM_THE_LIST[self.chooses]]


def _choices_field(label: str, chooses: str, description: str = "", **kw: Any) -> Any:
    return ListChoicesField(label, chooses, description, **kw)


def postcode(description: str) -> Any:
    return StringField("Your postcode", description=description)


def help_must_have(description: str) -> Any:
    return _choices_field(
        "Help you must have", "help", description, choices=lambda: vocabulary_choices("skill")
    )


def help_nice_to_have(description: str) -> Any:
    return _choices_field(
        "Help that would be nice to have",
        "help",
        description,
        choices=lambda: vocabulary_choices("skill"),
    )


def interests(label: str = "Things you enjoy", description: str = "") -> Any:
    return _choices_field(
        label, "interests", description, choices=lambda: vocabulary_choices("interest")
    )


def languages(label: str, description: str = "") -> Any:
    return _choices_field(
        label, "languages", description, choices=lambda: vocabulary_choices("language")
    )


def times(description: str) -> Any:
    return _choices_field(
        "When you would like support", "times", description, choices=list(SLOT_LABELS.items())
    )


def pets() -> Any:
    return _choices_field(
        "Pets in your home",
        "pets",
        "We only show carers who are happy with all of them, or who have not said (then ask them).",
        choices=Pet.choices(),
    )


def smoking() -> Any:
    return BooleanField(
        "Someone smokes in my home",
        description="We do not show carers who would rather work in homes where nobody smokes.",
    )


def support_wanted() -> Any:
    return _choices_field(
        "Kinds of support you would like",
        "support",
        "Carers who enjoy giving them come higher up the list. Carers who enjoy only other "
        "kinds of support are not shown.",
        choices=SupportKind.choices(),
    )


def groups() -> Any:
    return _choices_field(
        "Are you in any of these groups? (optional)",
        "groups",
        "You do not have to say. If you do, carers who would like to support people in your "
        "group come higher up the list, and carers who would rather support other groups "
        "are not shown.",
        choices=PersonGroup.choices(),
    )


def both_must_and_nice(must_have: Any, nice_to_have: Any) -> bool:
    """Put the error on the nice-to-have field when a kind of help is in both."""
    if set(must_have.data or ()) & set(nice_to_have.data or ()):
        nice_to_have.errors = [BOTH_MUST_AND_NICE]
        return True
    return False


def look_up_postcode(text: str | None, *, full: bool = False) -> geo.PostcodeLocation:
    """The postcode typed, looked up; StopValidation says what is wrong. ``full``: the
    first half alone (LS6) is not enough."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise StopValidation(POSTCODE_MESSAGE)
    try:
        place = geo.lookup(cleaned)
    except geo.GeoError as error:
        raise StopValidation(str(error)) from error
    if full and place.is_outcode:
        raise StopValidation("Enter your full postcode, for example LS6 1AA")
    return place
