"""Forms for raising, amending, answering and paying provider invoices."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.date_input import DateInputField
from marketplace.invoices.services import InvoiceInput
from marketplace.money import parse_pounds
from payments.invoices import LONGEST_INVOICE_MINUTES, MAXIMUM_INVOICE_PENCE, check_reference

BASIS_CHOICES = [("time", "Time at an hourly rate"), ("fixed", "A fixed amount")]


def _whole_number(text: str | None, what: str, largest: int) -> int | None:
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) > 6 or int(cleaned) > largest:
        raise ValueError(f"Enter the {what} as a whole number from 0 to {largest}")
    return int(cleaned)


class InvoiceForm(FlaskForm):
    """The invoice itself (the arrangement is chosen only when raising it)."""

    arrangement = SelectField(
        "Which arrangement is it for?", coerce=int, validate_choice=False,
        validators=[InputRequired("Choose the arrangement the invoice is for")],
    )  # fmt: skip
    reference = StringField(
        "Invoice reference",
        description="Your own reference, used once, like HCC-0042. It appears on the "
        "person's council statement.",
    )
    description = TextAreaField(
        "What the invoice is for",
        description="For example: support visits, 1 to 28 November",
        validators=[
            DataRequired("Say what the invoice is for"),
            Length(max=500, message="Keep this to 500 characters or fewer"),
        ],
    )
    # Checked against the chosen budget's categories by the service, with a sentence.
    category = RadioField(
        "Spending category",
        description="The budget's categories, as the council set them.",
        validate_choice=False,
        validators=[InputRequired("Choose the spending category")],
    )
    basis = RadioField(
        "How is the amount worked out?",
        choices=BASIS_CHOICES,
        default="time",
        validators=[InputRequired("Choose how the amount is worked out")],
    )
    hours = StringField("Hours", validators=[Optional()])
    minutes = StringField("And minutes", validators=[Optional()])
    rate = StringField("Hourly rate in pounds", description="For example 21.50")
    amount = StringField(
        "Fixed amount in pounds",
        description="For example the month's membership, 450.00",
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        self.reference_text = ""
        try:
            self.reference_text = check_reference(self.reference.data or "")
        except ValueError as error:
            self.reference.errors = [str(error)]
            ok = False
        self.minutes_total: int | None = None
        self.rate_pence: int | None = None
        self.fixed_pence: int | None = None
        if self.basis.data == "fixed":
            try:
                self.fixed_pence = parse_pounds(
                    self.amount.data, what="amount", maximum_pence=MAXIMUM_INVOICE_PENCE,
                    blank_message="Enter the fixed amount in pounds, like 450.00",
                )  # fmt: skip
            except ValueError as error:
                self.amount.errors = [str(error)]
                ok = False
        elif self.basis.data == "time":
            ok = self._validate_time() and ok
        return ok

    def _validate_time(self) -> bool:
        ok = True
        hours = minutes = None
        try:
            hours = _whole_number(self.hours.data, "hours", LONGEST_INVOICE_MINUTES // 60)
        except ValueError as error:
            self.hours.errors = [str(error)]
            ok = False
        try:
            minutes = _whole_number(self.minutes.data, "minutes", 59)
        except ValueError as error:
            self.minutes.errors = [str(error)]
            ok = False
        if ok:
            total = (hours or 0) * 60 + (minutes or 0)
            if not 0 < total <= LONGEST_INVOICE_MINUTES:
                self.hours.errors = [
                    f"Enter the time: more than 0 and at most {LONGEST_INVOICE_MINUTES // 60} hours"
                ]
                ok = False
            else:
                self.minutes_total = total
        try:
            self.rate_pence = parse_pounds(
                self.rate.data, what="hourly rate", maximum_pence=100_000,
                blank_message="Enter the hourly rate in pounds, like 21.50",
            )  # fmt: skip
        except ValueError as error:
            self.rate.errors = [str(error)]
            ok = False
        if ok and self.minutes_total and self.rate_pence:
            try:
                from payments.invoices import amount_for_time

                amount_for_time(self.minutes_total, self.rate_pence)
            except ValueError as error:
                self.rate.errors = [str(error)]
                ok = False
        return ok

    def invoice_input(self) -> InvoiceInput:
        return InvoiceInput(
            reference=self.reference_text,
            description=(self.description.data or "").strip(),
            category=self.category.data,
            minutes=self.minutes_total,
            rate_pence=self.rate_pence,
            fixed_pence=self.fixed_pence,
        )


class AmendForm(InvoiceForm):
    """A queried invoice, changed: the same fields (its arrangement and reference stay),
    and what changed."""

    arrangement = None  # type: ignore[assignment]

    change_reason = TextAreaField(
        "What did you change, and why?",
        description="The person reads this with the changed invoice.",
        validators=[
            DataRequired("Say what you changed and why"),
            Length(max=2000, message="Keep this to 2,000 characters or fewer"),
        ],
    )


class ReasonForm(FlaskForm):
    """A question (query), an answer (reply), or why it is withdrawn."""

    reason = TextAreaField(
        "Your message",
        validators=[
            DataRequired("Write your message"),
            Length(max=2000, message="Keep this to 2,000 characters or fewer"),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (approve, pay by card)."""


class BankTransferForm(FlaskForm):
    bank_reference = StringField(
        "Bank transfer reference",
        description="The reference on the transfer, as your bank shows it",
        validators=[
            DataRequired("Enter the bank transfer's reference"),
            Length(max=60, message="Keep the reference to 60 characters or fewer"),
        ],
    )
    paid_on = DateInputField(
        "Date of the transfer",
        "The day your bank sent the money.",
        what="The date of the transfer",
        example="27 11 2026",
    )
