"""Introduction forms (POST, CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, StopValidation

from marketplace.choices import SLOT_LABELS, DeclineReason
from marketplace.introductions.workflow import MAX_MEETING_OPTIONS, TEXT_LIMIT

TOO_LONG = f"Must be {TEXT_LIMIT} characters or fewer"


class AskForm(FlaskForm):
    person = SelectField("Who is the introduction for?", coerce=int, validate_choice=True)
    message = TextAreaField(
        "Your message",
        description="Say a little about the support you would like and what you enjoy. "
        "Do not put your address or phone number here: they are shared only when you "
        "both agree to go ahead.",
        validators=[
            InputRequired(message="Enter a message"),
            Length(max=TEXT_LIMIT, message=TOO_LONG),
        ],
    )
    preferred_times = SelectMultipleField(
        "Good times to meet",
        description="Choose as many as suit you.",
        choices=list(SLOT_LABELS.items()),
        validators=[Optional()],
    )


# How people write a date and time: "12/1/2027 10:30", "12/1/2027 2:30pm",
# "12 January 2027 10:30am", or what a browser's date-time box sends ("2027-01-12T10:30").
TIME_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %I:%M%p",
    "%d/%m/%Y %I%p",
    "%d %B %Y %H:%M",
    "%d %B %Y %I:%M%p",
    "%d %b %Y %H:%M",
    "%d %b %Y %I:%M%p",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
)
TIME_MESSAGE = "Enter a date and time, like 12/1/2027 10:30am"


def parse_when(text: str) -> datetime:
    """A date and time as people type it (UK order, day first) -> a naive UK datetime."""
    cleaned = " ".join((text or "").replace(".", ":").split()).replace(" am", "am")
    cleaned = cleaned.replace(" pm", "pm").replace(" AM", "am").replace(" PM", "pm")
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(cleaned.upper() if "%p" in pattern else cleaned, pattern)
        except ValueError:
            continue
    raise ValueError(TIME_MESSAGE)


def _when(form: FlaskForm, field: StringField) -> None:
    if not (field.data or "").strip():
        if field.flags.required:
            raise StopValidation(TIME_MESSAGE)
        return
    try:
        field.parsed = parse_when(field.data)
    except ValueError as error:
        raise StopValidation(str(error)) from error


class AcceptForm(FlaskForm):
    """Accepting offers up to three times to meet (the first is needed)."""

    time_1 = StringField(
        "First time you could meet",
        description="Day, month, year and time, in UK time. For example, 12/1/2027 10:30am",
        validators=[InputRequired(message=TIME_MESSAGE), _when],
    )
    time_2 = StringField(
        "Another time (optional)",
        description="For example, 13/1/2027 2:30pm",
        validators=[Optional(), _when],
    )
    time_3 = StringField(
        "Another time (optional)",
        description="For example, 14/1/2027 11am",
        validators=[Optional(), _when],
    )
    place = StringField(
        "Where you would like to meet (optional)",
        description="For example, at the person's home, or a café nearby. Keep addresses "
        "out until you both agree to go ahead.",
        validators=[Optional(), Length(max=200, message="Must be 200 characters or fewer")],
    )

    def meeting_options(self) -> list[str]:
        fields = (self.time_1, self.time_2, self.time_3)[:MAX_MEETING_OPTIONS]
        return [f.parsed.strftime("%Y-%m-%dT%H:%M") for f in fields if getattr(f, "parsed", None)]


class DeclineForm(FlaskForm):
    reason = RadioField(
        "Why are you saying no?",
        choices=DeclineReason.choices(),
        validators=[InputRequired(message="Choose why you are saying no")],
    )
    text = TextAreaField(
        "Anything you would like to add (optional)",
        description="The person will read this. Needed if you chose another reason.",
        validators=[Optional(), Length(max=TEXT_LIMIT, message=TOO_LONG)],
    )


class MeetingForm(FlaskForm):
    meeting_time = RadioField(
        "Which time suits you?",
        validators=[InputRequired(message="Choose one of the times offered")],
    )


class ReasonForm(FlaskForm):
    """Withdrawing or not going ahead: an optional reason."""

    reason = TextAreaField(
        "Why (optional)",
        description="The other side will read this.",
        validators=[Optional(), Length(max=TEXT_LIMIT, message=TOO_LONG)],
    )


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Your message",
        description="Plain text. Keep addresses and phone numbers out until you both agree "
        "to go ahead.",
        validators=[
            InputRequired(message="Enter a message"),
            Length(max=TEXT_LIMIT, message=TOO_LONG),
        ],
    )


class ReportForm(FlaskForm):
    reason = TextAreaField(
        "What is wrong with this message? (optional)",
        validators=[Optional(), Length(max=TEXT_LIMIT, message=TOO_LONG)],
    )


class BlockForm(FlaskForm):
    reason = TextAreaField(
        "Why (optional)",
        description="The other side will see that you stopped their messages.",
        validators=[Optional(), Length(max=TEXT_LIMIT, message=TOO_LONG)],
    )


class ConfirmForm(FlaskForm):
    """A button with a CSRF token and nothing else."""
