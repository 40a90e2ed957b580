from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.models.budgets import SPENDING_CATEGORIES
from payments.ledger import DEFAULT_SURPLUS_LIMIT_WEEKS


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


class CouncilBudgetDefaultsForm(FlaskForm):
    """What new budgets in a council start with, and when its balance is a surplus."""

    spending_categories = SelectMultipleField(
        "What can budgets in this council be spent on?",
        description="New budgets start with these ticked. The person, a supporter who pays "
        "for them or an admin can change them on each budget.",
        choices=list(SPENDING_CATEGORIES.items()),
        validators=[InputRequired("Choose at least one spending category")],
    )
    surplus_limit_weeks = IntegerField(
        "Surplus limit, in weeks of budget",
        description=f"A balance above this many weeks of the budget is a surplus the council "
        f"may ask back. Most councils use {DEFAULT_SURPLUS_LIMIT_WEEKS}.",
        validators=[
            InputRequired("Enter the surplus limit in weeks, like 8"),
            NumberRange(min=1, max=52, message="Enter a number of weeks from 1 to 52"),
        ],
    )
