from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError


class DecisionForm(FlaskForm):
    comment = TextAreaField(
        "Comment for the provider",
        description="Needed when you ask for changes or suspend: say what must change, or why. "
        "The provider's admins will see it.",
        validators=[Length(max=5000, message="Keep the comment to 5,000 characters or fewer")],
    )


def _web_address(_form: FlaskForm, field: StringField) -> None:
    """A full http(s) address: people follow these links from the council page."""
    value = (field.data or "").strip()
    field.data = value or None
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        raise ValidationError("Enter a full web address that starts with https://")


class CouncilLinksForm(FlaskForm):
    direct_payment_support_name = StringField(
        "Name of the direct payment support service",
        description="For example, Leeds Direct Payments Support Service.",
        validators=[
            Optional(),
            Length(max=160, message="Keep the name to 160 characters or fewer"),
        ],
    )
    direct_payment_support_url = StringField(
        "Web address of the direct payment support service",
        description="The council's page, or the organisation it pays to help people use "
        "direct payments. Starts with https://",
        validators=[
            Length(max=500, message="Keep the address to 500 characters or fewer"),
            _web_address,
        ],
    )
    pa_register_url = StringField(
        "Web address of the personal assistant (PA) register",
        description="Where people find self-employed personal assistants in this council. "
        "Starts with https://",
        validators=[
            Length(max=500, message="Keep the address to 500 characters or fewer"),
            _web_address,
        ],
    )
