"""The budget form (set up or change a budget), and the form an individual service fund's
provider records an entry with. Dates are GOV.UK date inputs (marketplace.date_input)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.budgets.services import ISF_ENTRY_KINDS
from marketplace.choices import FundingRoute
from marketplace.date_input import DateInputField
from marketplace.models.budgets import ACCOUNT_TYPES, BUDGET_PERIODS, SPENDING_CATEGORIES
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
    occurred = DateInputField(
        "Date",
        "The day the money moved.",
        what="The date",
        example="30 11 2026",
        blank_message="Enter the date the money moved, like 30 11 2026",
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


MAXIMUM_BUDGET_PENCE = 5_000_000  # £50,000 a period: more than any one person's budget
# A budget is a council's (or the NHS's) money: paying for yourself is not a budget.
BUDGET_ROUTES = [(r.value, r.label) for r in FundingRoute if r is not FundingRoute.SELF_FUNDED]


class BudgetForm(FlaskForm):
    """Set up or change a budget. Nothing has a silent default: the funding route, the
    period and the account are chosen; the council and the categories are suggested."""

    care_council_code = SelectField(
        "Council",
        description="The council that gives the budget. We suggest the one for your "
        "postcode: change it if another council pays.",
        validators=[InputRequired("Choose the council that gives the budget")],
    )
    funding_route = RadioField(
        "How is the budget paid?",
        choices=BUDGET_ROUTES,
        validators=[InputRequired("Choose how the budget is paid")],
    )
    holder_provider_id = SelectField(
        "For an individual service fund: which provider holds it?",
        description="A provider you have an arrangement with. It records what the fund "
        "pays for, and you see its statements.",
        validators=[Optional()],
    )
    amount = StringField(
        "Amount in pounds",
        description="What the council pays in each period, for example 434.00",
    )
    period = RadioField(
        "How often is it paid?",
        choices=[
            ("weekly", "Every week"),
            ("four_weekly", "Every four weeks"),
            ("monthly", "Every month"),
        ],
        validators=[InputRequired("Choose how often the budget is paid")],
    )
    start = DateInputField(
        "When does the budget start?",
        "The first day the council pays for.",
        what="The start date",
        example="1 4 2026",
        blank_message="Enter the date the budget starts, like 1 4 2026",
    )
    account_type = RadioField(
        "Where is the money kept?",
        choices=list(ACCOUNT_TYPES.items()),
        validators=[InputRequired("Choose where the money is kept")],
    )
    allowed_categories = SelectMultipleField(
        "What can the budget be spent on?",
        description="As the council agreed in the support plan. We tick the council's usual "
        "categories for a new budget.",
        choices=list(SPENDING_CATEGORIES.items()),
        validators=[Optional()],
    )
    record_difference = RadioField(
        "If the amount changes: record the difference for this period now?",
        description="Choose yes when the council has paid the difference in (or taken it "
        "back) for the period already paid. It goes in the ledger as an adjustment dated "
        "today. Otherwise the new amount starts with the next payment in.",
        choices=[("no", "No, the new amount starts with the next payment in"),
                 ("yes", "Yes, record the difference as an adjustment today")],
        validators=[Optional()],
    )  # fmt: skip

    amount_pence: int | None = None

    def __init__(self, *args, councils=(), holders=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.care_council_code.choices = [("", "Choose a council")] + [
            (c.code, c.name) for c in councils
        ]
        self.holder_provider_id.choices = [("", "Not an individual service fund")] + [
            (str(p.id), p.name) for p in holders
        ]
        assert set(BUDGET_PERIODS) == {value for value, _ in self.period.choices}

    @property
    def holder_id(self) -> int | None:
        value = self.holder_provider_id.data
        return int(value) if value and str(value).isdigit() else None

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        if not self.care_council_code.data and not self.care_council_code.errors:
            self.care_council_code.errors = ["Choose the council that gives the budget"]
            ok = False
        try:
            self.amount_pence = parse_pounds(
                self.amount.data,
                what="amount",
                maximum_pence=MAXIMUM_BUDGET_PENCE,
                blank_message="Enter the amount the council pays each period, like 434.00",
            )
        except ValueError as error:
            self.amount.errors = [str(error)]
            ok = False
        if self.funding_route.data == "individual_service_fund" and self.holder_id is None:
            self.holder_provider_id.errors = ["Choose the provider that holds the fund"]
            ok = False
        return ok
