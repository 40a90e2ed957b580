"""The form an individual service fund's provider records an entry with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.budgets.services import ISF_ENTRY_KINDS
from marketplace.models.budgets import SPENDING_CATEGORIES
from marketplace.money import parse_pounds

MAXIMUM_ENTRY_PENCE = 10_000_000  # £100,000: more than any year of one person's budget


class EntryForm(FlaskForm):
    kind = RadioField(
        "What are you recording?",
        choices=[(kind.value, label) for kind, label in ISF_ENTRY_KINDS.items()],
        validators=[InputRequired("Choose what you are recording")],
    )
    amount = StringField(
        "Amount in pounds",
        description="For example 120.50. Leave empty for a reversal: it is always the "
        "whole of the entry it reverses.",
    )
    direction = RadioField(
        "For an adjustment: does it add money or take money out?",
        choices=[("in", "Adds money"), ("out", "Takes money out")],
        validators=[Optional()],
    )
    occurred_on = DateField(
        "Date",
        description="The day the money moved, for example 2026-11-30",
        validators=[InputRequired("Enter the date the money moved, like 2026-11-30")],
    )
    description = StringField(
        "Description",
        description="What it was for, as the person and the council will read it",
        validators=[
            DataRequired("Enter a description"),
            Length(max=300, message="Keep the description to 300 characters or fewer"),
        ],
    )
    category = SelectField(
        "Spending category",
        choices=[("", "Not a spending category")] + list(SPENDING_CATEGORIES.items()),
        validators=[Optional()],
    )
    reverses = IntegerField(
        "For a reversal: the number of the entry it reverses",
        description="The number in the first column of the ledger",
        validators=[
            Optional(),
            NumberRange(min=1, message="Enter an entry number from the ledger"),
        ],
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        self.amount_pence: int | None = None
        if self.kind.data == "reversal":
            if self.reverses.data is None and not self.reverses.errors:
                self.reverses.errors = ["Enter the number of the entry to reverse"]
                ok = False
            return ok
        try:
            self.amount_pence = parse_pounds(
                self.amount.data,
                what="amount",
                maximum_pence=MAXIMUM_ENTRY_PENCE,
                blank_message="Enter the amount in pounds, like 120.50",
            )
        except ValueError as error:
            self.amount.errors = [str(error)]
            ok = False
        if self.kind.data == "adjustment" and not self.direction.data:
            self.direction.errors = ["Choose whether the adjustment adds money or takes it out"]
            ok = False
        return ok
