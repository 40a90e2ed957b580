"""Dates people type: the GOV.UK "date input" pattern, decided here only.

A date is three boxes, Day, Month and Year, in one fieldset with a hint like
"For example, 27 3 2027" (no date picker: some trap keyboard focus, and typing a date
you know is quicker). The boxes of a field named ``start`` are ``start_day``,
``start_month`` and ``start_year``; the field's id is the Day box's, so the error summary
links to the first box. There is one error message, naming what is wrong ("The start date
must include a month"), and only the boxes that are wrong are marked.

The JSON API keeps ISO dates (2027-03-27): this is for people, not programs.
Rendered by ``date_input`` in templates/macros/forms.html.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

PARTS = ("day", "month", "year")
DateParts = tuple[str, str, str]


class DateInputError(ValueError):
    """What is wrong with a typed date, and which boxes are wrong."""

    def __init__(self, message: str, parts: Iterable[str] = PARTS) -> None:
        super().__init__(message)
        self.parts = frozenset(parts)


def parts_of(on: date | None) -> DateParts:
    """A date as the three boxes show it (27, 3, 2027); empty boxes for no date."""
    return ("", "", "") if on is None else (str(on.day), str(on.month), str(on.year))


def is_blank(parts: Iterable[str | None]) -> bool:
    return not any((part or "").strip() for part in parts)


def parse_date_parts(
    day: str | None,
    month: str | None,
    year: str | None,
    *,
    what: str = "The date",
    blank_message: str | None = None,
    example: str = "27 3 2027",
) -> date:
    """The date in three boxes. DateInputError says which part is wrong, in plain English."""
    typed = zip(PARTS, (day, month, year), strict=True)
    parts = {name: (value or "").strip() for name, value in typed}
    if not any(parts.values()):
        raise DateInputError(blank_message or f"Enter {what[0].lower()}{what[1:]}")
    missing = [name for name, value in parts.items() if not value]
    if missing:
        raise DateInputError(f"{what} must include a {' and a '.join(missing)}", missing)
    not_numbers = [name for name, value in parts.items() if not value.isdigit()]
    if not_numbers:
        raise DateInputError(f"{what} must be a real date, like {example}", not_numbers)
    if len(parts["year"]) != 4:
        raise DateInputError(f"The year must include 4 numbers, like {example}", ["year"])
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError as error:
        wrong = ["month"] if not 1 <= int(parts["month"]) <= 12 else ["day"]
        raise DateInputError(f"{what} must be a real date, like {example}", wrong) from error


class DateInputField(Field):
    """A date typed in Day, Month and Year boxes; ``data`` is a ``date`` (None when an
    optional date is left blank). Set ``data`` to a date to show it in the boxes."""

    def __init__(
        self,
        label: str,
        hint: str | None = None,
        *,
        what: str = "The date",
        example: str = "27 3 2027",
        blank_message: str | None = None,
        optional: bool = False,
        **kwargs: Any,
    ) -> None:
        example_text = f"For example, {example}"
        description = f"{hint} {example_text}" if hint else example_text
        super().__init__(label, description=description, **kwargs)
        self.id = f"{self.id}_day"  # the error summary links to the first box
        self.what, self.example, self.optional = what, example, optional
        self.blank_message = blank_message or f"Enter {what[0].lower()}{what[1:]}, like {example}"
        self.typed: DateParts | None = None
        self.wrong_parts: frozenset[str] = frozenset()

    def box_name(self, part: str) -> str:
        return f"{self.name}_{part}"

    def box_id(self, part: str) -> str:
        return self.id if part == "day" else f"{self.id[: -len('_day')]}_{part}"

    @property
    def parts(self) -> DateParts:
        """What the boxes show: what was typed, else the date's parts."""
        return self.typed if self.typed is not None else parts_of(self.data)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        if data is unset_value:
            try:
                data = self.default()
            except TypeError:
                data = self.default
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        self.typed = None
        self.raw_data = None
        # Only this field's own boxes count: another form on the page posts none of them.
        if formdata is not None and any(self.box_name(part) in formdata for part in PARTS):
            day, month, year = (formdata.get(self.box_name(part), "") for part in PARTS)
            self.typed = (day, month, year)
            self.raw_data = list(self.typed)
            self.data = None

    def pre_validate(self, form: Any) -> None:
        self.wrong_parts = frozenset()
        if self.typed is None:
            if self.data is None and not self.optional:
                self.wrong_parts = frozenset(PARTS)
                raise StopValidation(self.blank_message)
            return
        if self.optional and is_blank(self.typed):
            self.data = None
            raise StopValidation()  # nothing more to check
        try:
            self.data = parse_date_parts(
                *self.typed, what=self.what, blank_message=self.blank_message, example=self.example
            )
        except DateInputError as error:
            self.wrong_parts = error.parts
            raise StopValidation(str(error)) from error

    def fail(self, message: str) -> None:
        """Put a message about the whole date (too early, too late) on the field."""
        self.errors = [*self.errors, message]
        self.wrong_parts = frozenset(PARTS)

    def _value(self) -> str:
        return " ".join(self.parts)
