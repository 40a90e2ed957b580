"""Forms for membership plans, starting and cancelling a membership, and outcome reviews."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.choices import GuaranteeRule, OutcomeRating
from marketplace.memberships.services import PlanInput
from marketplace.money import parse_pounds

MAXIMUM_MONTHLY_PENCE = 1_000_000  # £10,000 a month
MAXIMUM_OUTCOMES = 10


class PlanForm(FlaskForm):
    name = StringField(
        "Name of the plan",
        validators=[
            DataRequired("Enter a name for the plan"),
            Length(max=120, message="Keep the name to 120 characters or fewer"),
        ],
    )
    monthly_price = StringField(
        "Monthly price in pounds",
        description="What the family pays each month, for example 450 or 450.00. A new "
        "price is for new memberships: families already on the plan keep the price they "
        "joined at.",
    )
    included = TextAreaField(
        "What is included",
        description="In plain words, for example: a regular team of three, "
        "up to 10 hours a week, a monthly review",
        validators=[
            DataRequired("Say what is included"),
            Length(max=2000, message="Keep this to 2,000 characters or fewer"),
        ],
    )
    outcomes = TextAreaField(
        "Outcomes the plan works towards",
        description="One outcome on each line, in the words a family would use, for example "
        "'Gets out to the allotment every week'. Each is rated every month.",
    )
    # Read as text: a 400-digit number would overflow WTForms' NumberRange (a float).
    guarantee_percent = StringField(
        "Outcome guarantee: percentage of the month's fee refunded (optional)",
        description="A whole number from 1 to 100. Leave empty for no guarantee.",
    )
    guarantee_rule = RadioField(
        "When does the guarantee refund?",
        choices=GuaranteeRule.choices(),
        default=GuaranteeRule.ANY_NOT_MET.value,
        validators=[InputRequired("Choose when the guarantee refunds")],
    )
    active = BooleanField("Offer this plan to families now", default=True)

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        self.monthly_price_pence: int | None = None
        try:
            self.monthly_price_pence = parse_pounds(
                self.monthly_price.data,
                what="monthly price",
                maximum_pence=MAXIMUM_MONTHLY_PENCE,
                blank_message="Enter the monthly price in pounds, like 450.00",
            )
        except ValueError as error:
            self.monthly_price.errors = [str(error)]
            ok = False
        self.guarantee: int | None = None
        percent = (self.guarantee_percent.data or "").strip().removesuffix("%").strip()
        if percent:
            if percent.isdigit() and len(percent) <= 3 and 1 <= int(percent) <= 100:
                self.guarantee = int(percent)
            else:
                self.guarantee_percent.errors = ["Enter a percentage from 1 to 100"]
                ok = False
        lines = self.outcome_lines()
        if not lines:
            self.outcomes.errors = [*self.outcomes.errors, "Enter at least one outcome"]
            ok = False
        elif len(lines) > MAXIMUM_OUTCOMES:
            self.outcomes.errors = [f"Enter at most {MAXIMUM_OUTCOMES} outcomes"]
            ok = False
        elif any(len(line) > 200 for line in lines):
            self.outcomes.errors = ["Keep each outcome to 200 characters or fewer"]
            ok = False
        return ok

    def outcome_lines(self) -> list[str]:
        seen: list[str] = []
        for raw in (self.outcomes.data or "").splitlines():
            line = " ".join(raw.split())
            if line and line not in seen:
                seen.append(line)
        return seen

    def plan_input(self) -> PlanInput:
        assert self.monthly_price_pence is not None
        return PlanInput(
            name=self.name.data.strip(),
            monthly_price_pence=self.monthly_price_pence,
            included=self.included.data.strip(),
            outcomes=self.outcome_lines(),
            guarantee_percent=self.guarantee,
            guarantee_rule=self.guarantee_rule.data,
        )


class StartForm(FlaskForm):
    """Starting a membership: for whom, and the one-time token of this form."""

    person = RadioField(
        "Who is the membership for?",
        coerce=int,
        validators=[InputRequired("Choose who the membership is for")],
    )
    # "card", or the id of a budget (the view lists those this user may spend; the
    # service checks the one chosen again).
    paid_from = RadioField(
        "How will the membership be paid?",
        description="A personal budget is listed when you may spend it, it can pay by card "
        "(a prepaid card, a managed account or an individual service fund) and the council "
        "allows it to be spent on care from a provider. Each month then shows on the "
        "budget's ledger and the council statement.",
        # Not sent (an older form, a script): the family's own card, as before budgets.
        default="card",
    )
    token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])

    def budget_id(self) -> int | None:
        value = self.paid_from.data
        return int(value) if value and value.isdigit() else None


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReviewForm(FlaskForm):
    """One side's ratings: fields rating_<n> and comment_<n> per outcome, read by hand
    (the number of outcomes differs per review)."""

    side = HiddenField(validators=[DataRequired()])


RATING_CHOICES = OutcomeRating.choices()
RATING_VALUES = set(OutcomeRating.values())
