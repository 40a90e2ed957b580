"""Onboarding question pages and the evidence upload form."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marketplace import geo, regulators, vocabulary
from marketplace.choices import upper_first
from marketplace.date_input import DateInputField
from marketplace.models.providers import LEGAL_FORMS, MEMBER_KINDS
from marketplace.models.quality import EVIDENCE_KINDS
from marketplace.money import parse_pounds
from marketplace.providers.registration import REGISTRATION_FIELDS, registration_errors

MAX_HOURLY_RATE_PENCE = 500_00  # anything above £500 an hour is a typing mistake
MAX_SERVICE_DISTRICTS = 60


class StepForm(FlaskForm):
    """One onboarding question page."""


class NameForm(StepForm):
    name = StringField(
        "What is your organisation called?",
        description="If you work for yourself as a personal assistant, give your own name or "
        "the name you trade under.",
        validators=[
            DataRequired("Enter your organisation's name"),
            Length(max=160, message="The name must be 160 characters or fewer"),
        ],
    )


class LegalFormForm(StepForm):
    legal_form = RadioField(
        "What legal form does your organisation have?",
        description="If you work for yourself and are employed directly by the people you "
        "support, choose self-employed personal assistant.",
        choices=list(LEGAL_FORMS.items()),
        validators=[DataRequired("Choose your organisation's legal form")],
    )


class RegistrationForm(StepForm):
    fca_number = StringField(
        "FCA Mutuals Public Register number",
        description="Co-operative and community benefit societies are registered with the "
        "Financial Conduct Authority. For example, 31234R.",
        validators=[Length(max=12, message="The FCA number must be 12 characters or fewer")],
    )
    companies_house_number = StringField(
        "Companies House number",
        description="Companies, including community interest companies. 8 characters, for "
        "example 01234567 or SC123456.",
        validators=[Length(max=8, message="The Companies House number must be 8 characters")],
    )
    charity_number = StringField(
        "Charity number (optional)",
        description="If you are a registered charity. For example, 1234567 or SC012345.",
        validators=[Length(max=12, message="The charity number must be 12 characters or fewer")],
    )
    legal_form: str | None = None  # set by the view: which numbers are needed depends on it

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        values = {name: getattr(self, name).data for name in REGISTRATION_FIELDS}
        problems = registration_errors(self.legal_form, values)
        for name, message in problems.items():
            field: Field = getattr(self, name)
            if not field.errors:
                field.errors = [*field.errors, message]
        return valid and not problems


class RegulatorForm(StepForm):
    """Registration with the care regulator of the nation the service is in.

    The questions' words, the number's format and the rating words are the regulator's
    own: the view calls :meth:`for_regulator` before the form is shown or checked.
    """

    # Checked in validate(), where the message can name the regulator.
    regulated = RadioField(
        "Is your organisation registered with the care regulator?",
        choices=[("yes", "Yes"), ("no", "No")],
        validators=[Optional()],
    )
    regulator_number = StringField(
        "Registration number",
        validators=[Optional(), Length(max=20, message="The number must be 20 characters or less")],
    )
    regulator_rating = RadioField("Your latest rating", choices=[], validators=[Optional()])
    regulator: regulators.Regulator | None = None

    def for_regulator(self, regulator: regulators.Regulator) -> RegulatorForm:
        self.regulator = regulator
        self.regulated.label.text = f"Is your organisation registered with the {regulator.name}?"
        self.regulated.description = (
            f"{regulator.who_must_register} A self-employed personal assistant employed "
            "directly by the person they support does not register: answer no."
        )
        self.regulator_number.label.text = regulator.number_label
        self.regulator_number.description = (
            f"Only if you answered yes. {upper_first(regulator.number_hint)}."
        )
        self.regulator_rating.label.text = regulator.rating_question
        self.regulator_rating.description = f"Only if you answered yes. {regulator.rating_hint}"
        self.regulator_rating.choices = list(regulator.ratings.items())
        return self

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.regulator is None:
            return valid
        if not self.regulated.data:
            self.regulated.errors = [
                f"Say whether you are registered with the {self.regulator.name}"
            ]
            return False
        if self.regulated.data != "yes":
            return valid
        number = (self.regulator_number.data or "").strip().upper()
        self.regulator_number.data = number
        if not self.regulator_number.errors:
            problem = self.regulator.number_problem(number)
            if problem:
                self.regulator_number.errors = [problem]
                valid = False
        if not self.regulator_rating.data:
            question = self.regulator.rating_question
            self.regulator_rating.errors = [
                f"Say whether {self.regulator.short_name} has inspected your service"
                if question.endswith("?")
                else f"Choose {question[:1].lower()}{question[1:]}"
            ]
            valid = False
        return valid


class PrinciplesForm(StepForm):
    principles = TextAreaField(
        "How do you put co-operative principles into practice?",
        description="For example: who owns the organisation, how decisions are made, how you "
        "share what you earn. If you work for yourself, say how you work with the people you "
        "support. We show this on your public page.",
        validators=[
            DataRequired("Describe how you put co-operative principles into practice"),
            Length(min=20, message="Write at least a sentence (20 characters or more)"),
            Length(max=5000, message="Keep it to 5,000 characters or fewer"),
        ],
    )


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, rendered by the ``choices`` macro."""


class MembersForm(StepForm):
    members = MultiCheckboxField(
        "Who are your members?",
        description="Select all that apply.",
        choices=list(MEMBER_KINDS.items()),
        validators=[DataRequired("Choose who your members are")],
    )


class ServiceAreaForm(StepForm):
    postcode = StringField(
        "Postcode of your base",
        description="For example, LS6 1AA. We keep the full postcode private and only show the "
        "first part (LS6) to the public.",
        validators=[DataRequired("Enter the postcode of your base, like LS6 1AA")],
    )
    radius_km = StringField(
        "How far from your base do you travel, in kilometres?",
        description="For example, 10. Leave it empty if you list postcode districts instead.",
    )
    districts = TextAreaField(
        "Postcode districts you cover",
        description="The first part of each postcode, separated by commas or spaces, for "
        "example LS6, LS7, LS16. Leave it empty if you gave a distance instead.",
    )

    location: geo.PostcodeLocation | None = None
    radius: float | None = None
    district_list: list[str]

    def validate_postcode(self, field: StringField) -> None:
        try:
            self.location = geo.lookup(field.data or "")
        except geo.GeoError as error:
            raise ValidationError(str(error)) from error

    def validate_radius_km(self, field: StringField) -> None:
        text = (field.data or "").strip().lower().removesuffix("km").strip()
        if not text:
            self.radius = None
            return
        try:
            radius = float(text)
        except ValueError as error:
            raise ValidationError("Enter the distance as a number, like 10") from error
        if not 0 < radius <= 100:
            raise ValidationError("The distance must be more than 0 and at most 100 km")
        self.radius = radius

    def validate_districts(self, field: TextAreaField) -> None:
        found: list[str] = []
        for token in _district_tokens(field.data or ""):
            try:
                outcode = geo.normalise_postcode(token)
            except geo.InvalidPostcode as error:
                raise ValidationError(f"{token} is not a postcode district, like LS6") from error
            if " " in outcode:
                raise ValidationError(
                    f"{outcode} is a full postcode: give only the first part, like "
                    f"{outcode.split(' ')[0]}"
                )
            try:
                geo.lookup(outcode)
            except geo.GeoError as error:
                raise ValidationError(str(error)) from error
            if outcode not in found:
                found.append(outcode)
        if len(found) > MAX_SERVICE_DISTRICTS:
            raise ValidationError(f"List at most {MAX_SERVICE_DISTRICTS} postcode districts")
        self.district_list = found

    def validate(self, extra_validators: Any = None) -> bool:
        self.district_list = []
        valid = super().validate(extra_validators)
        if valid and self.radius is None and not self.district_list:
            self.radius_km.errors = [
                "Enter how far you travel, or list the postcode districts you cover"
            ]
            return False
        return valid


def _district_tokens(text: str) -> list[str]:
    """Split "LS6, LS7 LS8" into districts, keeping a full postcode ("LS6 1AA") whole so
    we can say it is one."""
    tokens: list[str] = []
    for chunk in re.split(r"[,;\n]+", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            geo.normalise_postcode(chunk)
        except geo.InvalidPostcode:
            tokens.extend(chunk.split())
        else:
            tokens.append(chunk)
    return tokens


class ServicesForm(StepForm):
    skills = MultiCheckboxField(
        "What services do you offer?",
        description="Select all that apply. People search for these.",
        validators=[DataRequired("Choose at least one service")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skills.choices = vocabulary.choices("skill")


class LanguagesForm(StepForm):
    languages = MultiCheckboxField(
        "Which languages can your carers speak with the people they support?",
        description="Select all that apply.",
        validators=[DataRequired("Choose at least one language")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages.choices = vocabulary.choices("language")


class RateForm(StepForm):
    hourly_rate = StringField(
        "What is your typical hourly rate?",
        description="In pounds, for example £21.50. People see this as a guide; you agree the "
        "real price with each person.",
    )
    rate_pence: int | None = None

    def validate_hourly_rate(self, field: StringField) -> None:
        try:
            self.rate_pence = parse_pounds(
                field.data,
                what="hourly rate",
                maximum_pence=MAX_HOURLY_RATE_PENCE,
                blank_message="Enter your typical hourly rate, like £21.50",
            )
        except ValueError as error:
            raise ValidationError(str(error)) from error


PHONE_CHARS = re.compile(r"^\+?[\d\s()\-]+$")


class ContactForm(StepForm):
    contact_email = EmailField(
        "Email address for enquiries",
        description="People who want care will use this to contact you. It is shown on your "
        "public page.",
        validators=[
            DataRequired("Enter an email address for enquiries"),
            Email("Enter an email address in the right format, like name@example.com"),
            Length(max=254),
        ],
    )
    contact_phone = StringField(
        "Phone number (optional)",
        description="For example, 0113 496 0000 or +44 113 496 0000.",
        validators=[Optional(), Length(max=32, message="The phone number is too long")],
    )
    website = StringField(
        "Website (optional)",
        description="For example, https://example.coop",
        validators=[Optional(), Length(max=255, message="The web address is too long")],
    )

    def validate_contact_phone(self, field: StringField) -> None:
        digits = re.sub(r"\D", "", field.data or "")
        if not PHONE_CHARS.match(field.data or "") or not 10 <= len(digits) <= 13:
            raise ValidationError("Enter a UK phone number, like 0113 496 0000")

    def validate_website(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not re.match(r"^https?://", text, re.IGNORECASE):
            text = "https://" + text
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.scheme.lower() not in {"http", "https"} or "." not in host or " " in text:
            raise ValidationError("Enter a web address, like https://example.coop")
        field.data = text


class EvidenceForm(FlaskForm):
    kind = RadioField(
        "What is this document?",
        choices=list(EVIDENCE_KINDS.items()),
        validators=[DataRequired("Choose what the document is")],
    )
    document = FileField(
        "Upload the document",
        description="A PDF, JPEG or PNG file.",  # the view adds the size limit
        validators=[FileRequired("Choose a file to upload")],
    )
    expires = DateInputField(
        "When does it expire, or when must you renew it?",
        "For insurance, the end of the cover. For a policy, the date you will next review it.",
        what="The expiry date",
        example="31 3 2027",
        blank_message="Enter the date the document expires or must be renewed",
    )

    today: date | None = None  # set by the view

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.expires.errors:
            return False
        if self.today is not None and self.expires.data <= self.today:
            self.expires.fail("The expiry date must be in the future")
            return False
        return valid
