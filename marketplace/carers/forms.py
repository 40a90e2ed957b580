"""Forms for carer profiles, adding and inviting carers, and accepting an invitation."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marketplace import clock, geo, vocabulary
from marketplace.carers.checks import SCHEME_LABELS, normalise_certificate_number
from marketplace.choices import SLOT_LABELS, SLOTS, DBSLevel, Gender, PersonGroup, Pet, SupportKind
from marketplace.date_input import DateInputField
from marketplace.money import parse_pounds

# The form adds an explicit "prefer not to say" (stored as no gender) and "no check yet".
GENDER_CHOICES = [*Gender.choices(), ("prefer_not_to_say", "Prefer not to say")]
DBS_CHOICES = [("none", "No DBS check yet"), *DBSLevel.choices()]
YES_NO = [("yes", "Yes"), ("no", "No")]
MAX_HOURLY_RATE_PENCE = 200_00


def _postcode_location(text: str) -> geo.PostcodeLocation:
    """Look up a full postcode; raises ValidationError with a message for the person."""
    try:
        if geo.is_outcode(text):
            raise ValidationError("Enter the full postcode, like LS6 1AA, not only the first half")
        location = geo.lookup(text)
    except (geo.InvalidPostcode, geo.PostcodeNotFound) as error:
        raise ValidationError(str(error)) from error
    return location


class AboutForm(FlaskForm):
    display_name = StringField(
        "Name shown on your profile",
        description="Your first name and the first letter of your surname, like Ana S., is enough.",
        validators=[
            DataRequired("Enter the name to show on the profile"),
            Length(max=80, message="The name must be 80 characters or fewer"),
        ],
    )
    postcode = StringField(
        "Home postcode",
        description="We use it only to work out distances. It is private: people see only "
        "the postcode district (the first half, for example LS6), never the full "
        "postcode, and distances are measured from the middle of your "
        "neighbourhood, not from your home, to the nearest half kilometre.",
    )
    bio = TextAreaField(
        "About you",
        description="A few sentences people will read on the profile: what you enjoy, what "
        "matters to you in your work. Do not include your address or phone number.",
        validators=[Length(max=2000, message="About you must be 2,000 characters or fewer")],
    )
    gender = RadioField(
        "Gender (optional)",
        description="Some people ask for a carer of a particular gender. You do not have to say.",
        choices=GENDER_CHOICES,
        validators=[Optional()],
    )
    travel_radius_km = StringField(
        "How far will you travel to work, in kilometres?",
        description="A whole number from 1 to 100. 8 km is about 5 miles.",
        validators=[DataRequired("Enter how far you will travel, in kilometres")],
    )
    hourly_rate = StringField(
        "Hourly rate in pounds (optional)",
        description="For example, 18.50. Leave it blank if your co-operative sets the price.",
    )

    def __init__(self, *args: Any, postcode_held: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.postcode_held = postcode_held
        self.location: geo.PostcodeLocation | None = None
        self.radius: int | None = None
        self.rate_pence: int | None = None

    def validate_postcode(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not text:
            if not self.postcode_held:
                raise ValidationError("Enter a home postcode, like LS6 1AA")
            return
        self.location = _postcode_location(text)

    def validate_travel_radius_km(self, field: StringField) -> None:
        text = (field.data or "").strip().lower().removesuffix("km").strip()
        if not text.isdigit() or not 1 <= int(text) <= 100:
            raise ValidationError("Travel distance must be a whole number from 1 to 100")
        self.radius = int(text)

    def validate_hourly_rate(self, field: StringField) -> None:
        try:
            self.rate_pence = parse_pounds(
                field.data, what="hourly rate", maximum_pence=MAX_HOURLY_RATE_PENCE
            )
        except ValueError as error:
            raise ValidationError(str(error)) from error


class SkillsForm(FlaskForm):
    skills = SelectMultipleField(
        "Skills", description="Tick the kinds of support you are trained and happy to give."
    )
    interests = SelectMultipleField(
        "Interests",
        description="We match people with carers who enjoy the same things. Tick any you enjoy.",
    )
    other_interests = StringField(
        "Other interests (optional)",
        description="Anything else you enjoy, separated by commas, like allotment, jazz, chess.",
        validators=[Length(max=300, message="Other interests must be 300 characters or fewer")],
    )
    languages = SelectMultipleField("Languages you speak")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skills.choices = vocabulary.choices("skill")
        self.interests.choices = vocabulary.choices("interest")
        self.languages.choices = vocabulary.choices("language")

    def validate_languages(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError("Choose at least one language you speak")


class AvailabilityForm(FlaskForm):
    availability = SelectMultipleField(
        "When are you usually free to work?",
        description="Tick each time of day you can usually work. Morning is 7am to 12 noon, "
        "afternoon 12 noon to 5pm, evening 5pm to 10pm. If you tick nothing, your "
        "profile says to ask about availability.",
        choices=[(slot, SLOT_LABELS[slot]) for slot in SLOTS],
    )


NO_PETS = "none"
SMOKING_CHOICES = [
    ("yes", "Yes"),
    ("no", "No, I would rather work in homes where nobody smokes"),
    ("ask", "I would rather people ask me"),
]
SMOKING_ANSWERS = {"yes": True, "no": False, "ask": None}


class PreferencesForm(FlaskForm):
    """What a carer is happy with in someone's home, and who and how they like to help.

    Each answer is optional: a carer who leaves one unanswered is never left out of a
    search because of it (people are told to ask)."""

    pets_ok = SelectMultipleField(
        "Which pets are you happy to be with in someone's home?",
        description="Tick all that apply. People with other pets will not see you. If you "
        "leave this empty, everyone sees you and people are told to ask you.",
        choices=[*Pet.choices(), (NO_PETS, "None: I would rather work in homes without pets")],
    )
    smoking_ok = RadioField(
        "Are you happy to work in a home where someone smokes?",
        description="If you say no, people who say someone smokes at home will not see you.",
        choices=SMOKING_CHOICES,
        default="ask",
        validators=[
            DataRequired("Say whether you are happy to work in a home where someone smokes")
        ],
    )
    enjoys_support = SelectMultipleField(
        "Which kinds of support do you enjoy giving?",
        description="Tick all that apply. People who want only other kinds of support will "
        "not see you. Leave it empty if you enjoy them all.",
        choices=SupportKind.choices(),
    )
    would_support = SelectMultipleField(
        "Who would you like to support?",
        description="Tick all that apply. People who say they belong only to other groups "
        "will not see you; people who do not say are never left out. Leave it empty if "
        "you are happy to support anyone.",
        choices=PersonGroup.choices(),
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)
        for name, message in (
            ("pets_ok", "Choose pets from the list"),
            ("smoking_ok", "Say whether you are happy to work in a home where someone smokes"),
            ("enjoys_support", "Choose kinds of support from the list"),
            ("would_support", "Choose who you would like to support from the list"),
        ):
            if self[name].errors:
                self[name].errors = [message]
        pets = set(self.pets_ok.data or ())
        if valid and NO_PETS in pets and len(pets) > 1:
            self.pets_ok.errors = ["Choose the pets you are happy with, or none, not both"]
            valid = False
        return valid

    def changes(self) -> dict[str, Any]:
        """The answers as the carer's fields (None: not said)."""
        pets = set(self.pets_ok.data or ())
        return {
            "pets_ok": None if not pets else [p for p in Pet.values() if p in pets],
            "smoking_ok": SMOKING_ANSWERS.get(self.smoking_ok.data),
            "enjoys_support": [
                k for k in SupportKind.values() if k in set(self.enjoys_support.data or ())
            ],
            "would_support": [
                g for g in PersonGroup.values() if g in set(self.would_support.data or ())
            ],
        }

    @staticmethod
    def initial(carer: Any) -> dict[str, Any]:
        """The carer's answers as the form's values."""
        pets = carer.pets_ok
        return {
            "pets_ok": [] if pets is None else (list(pets) or [NO_PETS]),
            "smoking_ok": {True: "yes", False: "no"}.get(carer.smoking_ok, "ask"),
            "enjoys_support": list(carer.enjoys_support or ()),
            "would_support": list(carer.would_support or ()),
        }


class ChecksForm(FlaskForm):
    dbs_scheme = RadioField(
        "Which criminal record check is it?",
        description="The check follows the nation where the care is given.",
        choices=list(SCHEME_LABELS.items()),
        default="dbs",
        validators=[Optional()],
    )
    dbs_level = RadioField(
        "Check level",
        choices=DBS_CHOICES,
        default="none",
        validators=[DataRequired("Choose the check level")],
    )
    dbs_number = StringField(
        "Certificate number",
        description="A DBS certificate number is 12 digits, printed at the top right of the "
        "certificate.",
    )
    dbs_issue_date = DateInputField(
        "Certificate date of issue", what="The date of issue", example="27 3 2024", optional=True
    )
    dbs_update_service = RadioField(
        "Is the certificate on the update service?",
        description="The DBS Update Service (or PVG scheme membership in Scotland) lets "
        "employers check the certificate is still current. Without it, a "
        "certificate counts for three years from its date of issue.",
        choices=YES_NO,
        default="no",
        validators=[DataRequired("Say whether the certificate is on the update service")],
    )
    care_certificate = BooleanField("Has completed the Care Certificate")
    right_to_work_checked = BooleanField(
        "Has the right to work in the UK",
        description="Tick it when you have seen their documents. It shows as verified only "
        "after you verify the checks.",
    )
    insurance_expires_on = DateInputField(
        "Public liability insurance expiry date",
        "Self-employed personal assistants need their own insurance.",
        what="The insurance expiry date",
        example="31 12 2026",
        optional=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issue_date: date | None = None
        self.insurance_date: date | None = None

    def validate_dbs_scheme(self, field: RadioField) -> None:
        if self.dbs_level.data not in (None, "", "none") and field.data not in SCHEME_LABELS:
            raise ValidationError("Choose which criminal record check it is")

    def validate_dbs_number(self, field: StringField) -> None:
        if self.dbs_level.data in (None, "", "none"):
            field.data = re.sub(r"[\s-]", "", field.data or "")
            return
        scheme = self.dbs_scheme.data if self.dbs_scheme.data in SCHEME_LABELS else "dbs"
        try:
            field.data = normalise_certificate_number(scheme, field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def validate(self, extra_validators: Any = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        self.issue_date = self.dbs_issue_date.data
        insurance = self.insurance_expires_on
        self.insurance_date = insurance.data if insurance is not None else None
        if self.dbs_issue_date.errors:
            return False
        if self.issue_date is None and self.dbs_level.data not in (None, "", "none"):
            self.dbs_issue_date.fail("Enter the certificate date of issue")
            return False
        if self.issue_date is not None and self.issue_date > clock.today():
            self.dbs_issue_date.fail("The date of issue must be today or in the past")
            return False
        return ok


class AddCarerForm(FlaskForm):
    display_name = StringField(
        "Name to show on the profile",
        description="First name and the first letter of the surname, like Ana S.",
        validators=[
            DataRequired("Enter the carer's name"),
            Length(max=80, message="The name must be 80 characters or fewer"),
        ],
    )
    postcode = StringField(
        "Carer's home postcode",
        description="Private: people see only the postcode district, like LS6, and "
        "distances measured from the middle of the neighbourhood, not from the "
        "carer's home.",
        validators=[DataRequired("Enter the carer's home postcode, like LS6 1AA")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location: geo.PostcodeLocation | None = None

    def validate_postcode(self, field: StringField) -> None:
        self.location = _postcode_location(field.data)


class InviteForm(FlaskForm):
    carer = SelectField("Which carer are you inviting?", default="new")
    display_name = StringField(
        "Name to show on the profile (for a new carer)",
        description="First name and the first letter of the surname, like Ana S.",
        validators=[Length(max=80, message="The name must be 80 characters or fewer")],
    )
    email = EmailField(
        "Carer's email address",
        description="We email them a link to set up their account. The link works for 7 days.",
        validators=[
            DataRequired("Enter the carer's email address"),
            Email("Enter an email address in the right format, like name@example.com"),
            Length(max=254),
        ],
    )

    def __init__(
        self, *args: Any, carers: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.carer.choices = [("new", "A new carer"), *(carers or [])]

    def validate_display_name(self, field: StringField) -> None:
        if self.carer.data == "new" and not (field.data or "").strip():
            raise ValidationError("Enter the new carer's name")


class VerifyChecksForm(FlaskForm):
    confirm = BooleanField(
        "I have seen the original documents and they match these details",
        description="For a criminal record check, the certificate itself (or the update "
        "service result); for right to work, the carer's passport, share code "
        "or visa; for insurance, the policy schedule.",
        validators=[DataRequired("Confirm that you have seen the original documents")],
    )
