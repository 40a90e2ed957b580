"""Forms for arrangements: the terms (first proposal and changes), choosing the team,
and answers that may carry a reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from marketplace.arrangements.services import (
    MAX_OUTCOMES,
    OUTCOME_MAX_LENGTH,
    Outcome,
    Terms,
)
from marketplace.choices import FundingRoute, LifeArea
from marketplace.date_input import DateInputField
from marketplace.money import format_pence, parse_pounds

MAX_HOURLY_PENCE = 200_00
PRICE_KINDS = [("hourly", "An hourly price"), ("plan", "A monthly membership plan")]


class TermsForm(FlaskForm):
    starts_on = DateInputField("Start date", what="The start date", example="4 5 2026")
    ends_on = DateInputField(
        "End date (optional)",
        "Leave it empty if there is no end date.",
        what="The end date",
        example="30 4 2027",
        optional=True,
    )
    carers = SelectMultipleField(
        "Carers",
        description="Who will support the person",
        coerce=int,
        validate_choice=False,
    )
    funding_route = RadioField(
        "How is the care paid for?",
        choices=FundingRoute.choices(),
        validators=[InputRequired("Choose how the care is paid for")],
    )
    price_kind = RadioField(
        "Price",
        choices=PRICE_KINDS,
        validators=[InputRequired("Choose an hourly price or a membership plan")],
    )
    hourly_rate = StringField("Hourly price in pounds", description="For example 21.50")
    membership_plan = SelectField("Membership plan", coerce=str, validate_choice=False)
    note = TextAreaField(
        "What is new, and why (optional)",
        validators=[Length(max=1000, message="Keep this to 1000 characters or fewer")],
    )

    def validate(self, extra_validators: Any = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        self.starts: date | None = self.starts_on.data
        self.ends: date | None = self.ends_on.data
        self.rate_pence: int | None = None
        if self.price_kind.data == "hourly":
            try:
                self.rate_pence = parse_pounds(
                    self.hourly_rate.data,
                    what="hourly price",
                    maximum_pence=MAX_HOURLY_PENCE,
                    blank_message="Enter the hourly price, like 21.50",
                )
            except ValueError as error:
                self.hourly_rate.errors = [str(error)]
                ok = False
        elif self.price_kind.data == "plan" and not self.membership_plan.data:
            self.membership_plan.errors = ["Choose a membership plan"]
            ok = False
        return ok

    def terms(self) -> Terms:
        assert self.starts is not None
        plan = self.membership_plan.data if self.price_kind.data == "plan" else None
        return Terms(
            starts_on=self.starts,
            ends_on=self.ends,
            funding_route=self.funding_route.data,
            hourly_rate_pence=self.rate_pence if self.price_kind.data == "hourly" else None,
            membership_plan_id=int(plan) if plan and plan.isdigit() else None,
            carer_ids=tuple(self.carers.data or ()),
            outcomes=tuple(
                Outcome(
                    (getattr(self, f"outcome_{n}").data or "").strip(),
                    getattr(self, f"life_area_{n}").data or None,
                )
                for n in range(1, MAX_OUTCOMES + 1)
            ),
        )

    def outcome_rows(self) -> list[tuple[Any, Any]]:
        return [
            (getattr(self, f"outcome_{n}"), getattr(self, f"life_area_{n}"))
            for n in range(1, MAX_OUTCOMES + 1)
        ]

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the service's errors on the fields they are about."""
        where = {"price": "hourly_rate", "team": "carers", "note": "note"}
        for key, message in errors.items():
            name = where.get(key, key)
            if key == "price" and self.price_kind.data == "plan":
                name = "membership_plan"
            field = getattr(self, name, None) or self.starts_on
            field.errors = list(field.errors or []) + [message]


LIFE_AREA_CHOICES = [("", "No particular area")] + LifeArea.choices()

for _n in range(1, MAX_OUTCOMES + 1):
    setattr(
        TermsForm,
        f"outcome_{_n}",
        TextAreaField(
            f"Outcome {_n}",
            description=(
                "What good looks like, in the person's own words, for example "
                "“I get to the allotment on Tuesdays”"
                if _n == 1
                else None
            ),
            validators=[
                Length(
                    max=OUTCOME_MAX_LENGTH,
                    message=f"Keep outcome {_n} to {OUTCOME_MAX_LENGTH} characters or fewer",
                )
            ],
        ),
    )
    setattr(
        TermsForm,
        f"life_area_{_n}",
        SelectField(
            f"Life area for outcome {_n} (optional)",
            choices=LIFE_AREA_CHOICES,
            validate_choice=False,
        ),
    )


def terms_form_data(terms: Terms) -> dict[str, Any]:
    data: dict[str, Any] = {
        "starts_on": terms.starts_on,
        "ends_on": terms.ends_on,
        "carers": list(terms.carer_ids),
        "funding_route": terms.funding_route,
        "price_kind": "plan" if terms.membership_plan_id else "hourly",
        "hourly_rate": format_pence(terms.hourly_rate_pence, for_input=True),
        "membership_plan": str(terms.membership_plan_id or ""),
    }
    for n, outcome in enumerate(terms.outcomes, start=1):
        data[f"outcome_{n}"] = outcome.text
        data[f"life_area_{n}"] = outcome.life_area or ""
    return data


class ChooseTeamForm(FlaskForm):
    carers = SelectMultipleField(
        "Who would you like to support you?",
        description="Choose one or more people. The provider agrees your choice.",
        coerce=int,
        validate_choice=False,
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=1000, message="Keep the reason to 1000 characters or fewer")],
    )
