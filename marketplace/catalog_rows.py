"""Pydantic models of the rows of a catalog file (``flask catalog import``).

Each model checks one row on its own: types, lengths, ranges, choices, unknown fields.
What needs the rest of the file or the database (refs, vocabulary suggestions, postcode
lookups, team sizes) is checked by ``catalog_io``. :func:`read_row` turns a row into
the values it gave and a plain-English line per problem, every problem at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from marketplace import clock, geo
from marketplace.carers.checks import normalise_certificate_number
from marketplace.choices import SLOTS, PersonGroup, Pet, SupportKind
from marketplace.models.providers import (
    CHECK_SCHEMES,
    CQC_LOCATION_ID,
    CQC_RATINGS,
    DBS_LEVELS,
    GENDERS,
    LEGAL_FORMS,
    MEMBER_KINDS,
    TEAM_ROLES,
)

# A problem's message follows the field's name: "gender 'robot' is not one of: ...".
AFTER_NAME = "catalog_value"
# ... or follows the name and a colon: "availability: 'mon-noon' is not a time slot".
AFTER_COLON = "catalog_item"


def _problem(message: str, after_colon: bool = False) -> PydanticCustomError:
    return PydanticCustomError(AFTER_COLON if after_colon else AFTER_NAME, message)


def Text(max_length: int) -> Any:
    """Text, trimmed, at most ``max_length`` characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]


def RequiredText(max_length: int) -> Any:
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)
    ]


def OneOf(choices: Iterable[str]) -> Any:
    """One of ``choices``; anything else (a number, a typo) is named with the choices."""
    allowed = tuple(choices)

    def check(value: Any) -> str:
        if value not in allowed:
            raise _problem(f"{value!r} is not one of: {', '.join(allowed)}")
        return value

    return Annotated[str, BeforeValidator(check), WithJsonSchema({"enum": list(allowed)})]


def Kilometres(low: float, high: float) -> Any:
    """A JSON number above ``low`` and at most ``high``."""

    def check(value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low < value <= high
        ):
            raise _problem(f"must be a number above {low:g} and at most {high:g}, not {value!r}")
        return float(value)

    return Annotated[
        float,
        BeforeValidator(check),
        WithJsonSchema({"type": "number", "exclusiveMinimum": low, "maximum": high}),
    ]


def _pence(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _problem(f"must be a whole number of pence, 0 or more, not {value!r}")
    return value


Pence = Annotated[int, BeforeValidator(_pence), WithJsonSchema({"type": "integer", "minimum": 0})]


def Strings(max_length: int = 80, item: Any = None) -> Any:
    """A list of text: trimmed, blanks and repeats dropped; ``item`` checks each entry."""

    def clean(values: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        if any(len(v) > max_length for v in cleaned):
            raise _problem(f"has an entry longer than {max_length} characters")
        return list(dict.fromkeys(item(v) for v in cleaned)) if item else cleaned

    return Annotated[list[str], AfterValidator(clean)]


def _district(value: str) -> str:
    try:
        normal = geo.normalise_postcode(value)
    except geo.InvalidPostcode:
        normal = ""
    if not normal or " " in normal:
        raise _problem(f"{value!r} is not a postcode district such as LS6", after_colon=True)
    return normal


def _member(value: str) -> str:
    if value not in MEMBER_KINDS:
        raise _problem(f"{value!r} is not one of: {', '.join(MEMBER_KINDS)}", after_colon=True)
    return value


def _slot(value: str) -> str:
    if value not in SLOTS:
        raise _problem(
            f"{value!r} is not a time slot such as mon-am, tue-pm or sun-eve", after_colon=True
        )
    return value


def _term(allowed: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise _problem(f"{value!r} is not one of: {', '.join(allowed)}", after_colon=True)
        return value

    return check


def IsoDate(past: bool = False) -> Any:
    """A date written 2024-03-27; ``past``: not after today (in London)."""

    def check(value: Any) -> date:
        try:
            found = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            found = None
        if found is None or len(value) != 10:
            raise _problem(f"{value!r} is not a date like 2024-03-27")
        if past and found > clock.today():
            raise _problem(f"{value} is in the future")
        return found

    return Annotated[
        date, BeforeValidator(check), WithJsonSchema({"type": "string", "format": "date"})
    ]


def _cqc_location_id(value: str) -> str:
    if not CQC_LOCATION_ID.match(value):
        raise _problem(f"{value!r} is not a CQC location ID such as 1-123456789")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _problem("must be a list")
    return value


class Strict(BaseModel):
    """Every field is optional unless said, and no others are allowed."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Row(Strict):
    """A row of the file (a provider, team or carer)."""

    # Checked with the rest of the file (required, unique, at most 80 characters).
    ref: Any = None


class TeamRow(Row):
    name: RequiredText(120)
    patch: Strings(8, _district) | None = None
    description: Text(5000) | None = None


class ProviderRow(Row):
    name: RequiredText(160)
    legal_form: OneOf(LEGAL_FORMS)
    postcode: str | None = None
    service_radius_km: Kilometres(0, 100) | None = None
    service_districts: Strings(8, _district) | None = None
    skills: Strings() | None = None
    languages: Strings() | None = None
    cqc_location_id: Annotated[Text(13), AfterValidator(_cqc_location_id)] | None = None
    cqc_rating: OneOf(CQC_RATINGS) | None = None
    description: Text(5000) | None = None
    principles: Text(5000) | None = None
    members: Strings(80, _member) | None = None
    hourly_rate_pence: Pence | None = None
    contact_email: Text(254) | None = None
    contact_phone: Text(32) | None = None
    website: Text(255) | None = None
    # Each team is a TeamRow, read with the file (its problems name the team).
    teams: Annotated[list[Any], BeforeValidator(_list)] | None = None


class ChecksRow(Strict):
    """A carer's checks as declared: a criminal record check, right to work, insurance."""

    scheme: OneOf(CHECK_SCHEMES)
    level: OneOf(DBS_LEVELS)
    certificate_number: str | None = Field(None, validate_default=True)
    issued_on: IsoDate(past=True)
    update_service: bool = False
    right_to_work: bool = False
    insurance_expires_on: IsoDate() | None = None

    @field_validator("certificate_number")
    @classmethod
    def _number_for_scheme(cls, value: str | None, info: ValidationInfo) -> str | None:
        scheme = info.data.get("scheme")
        if scheme is None:  # the scheme's own problem is reported
            return value
        try:
            return normalise_certificate_number(scheme, value)
        except ValueError as error:
            raise _problem(str(error), after_colon=True) from error

    def as_found(self) -> dict[str, Any]:
        """The shape the importer stores: one record per kind of check."""
        return {
            "criminal_record": {
                "scheme": self.scheme,
                "level": self.level,
                "certificate_number": self.certificate_number,
                "issued_on": self.issued_on,
                "update_service": self.update_service,
            },
            "right_to_work": self.right_to_work,
            "insurance_expires_on": self.insurance_expires_on,
        }


class CarerRow(Row):
    provider: RequiredText(80)
    team: Text(80) | None = None
    team_role: OneOf(TEAM_ROLES) | None = None
    display_name: RequiredText(80)
    postcode: str | None = None
    travel_radius_km: Kilometres(0, 100) | None = None
    skills: Strings() | None = None
    interests: Strings() | None = None
    languages: Strings() | None = None
    gender: OneOf(GENDERS) | None = None
    hourly_rate_pence: Pence | None = None
    availability: Strings(8, _slot) | None = None
    bio: Text(5000) | None = None
    active: bool | None = None
    care_certificate: bool | None = None
    checks: ChecksRow | None = None
    # What the carer says of homes and who they like to support (null or left out: not
    # said; pets_ok [] : no pets).
    pets_ok: Strings(20, _term(Pet.values())) | None = None
    smoking_ok: bool | None = None
    enjoys_support: Strings(40, _term(SupportKind.values())) | None = None
    would_support: Strings(40, _term(PersonGroup.values())) | None = None


# ---------------------------------------------------------------------------
# Reading a row
# ---------------------------------------------------------------------------

_TYPE_MESSAGES = {
    "string_type": "must be text",
    "string_too_short": "is required",
    "bool_type": "must be true or false",
    "list_type": "must be a list of text",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def describe(problem: ErrorDetails) -> str:
    """One problem as the line the importer prints after the row's label."""
    path = [str(part) for part in problem["loc"] if isinstance(part, str)]
    name = ".".join(path)
    kind = problem["type"]
    if kind == "extra_forbidden":
        parent = ".".join(path[:-1])
        return f"{parent + ': ' if parent else ''}unknown field {path[-1]!r}"
    if kind == "missing" or (kind == "string_type" and problem["input"] is None):
        return f"{name} is required" + (" (YYYY-MM-DD)" if name.endswith("_on") else "")
    if kind == AFTER_NAME:
        return f"{name} {problem['msg']}"
    if kind == AFTER_COLON:
        return f"{name}: {problem['msg']}"
    if kind == "string_too_long":
        return f"{name} is longer than {problem.get('ctx', {}).get('max_length')} characters"
    if kind in _TYPE_MESSAGES and len(problem["loc"]) == len(path):
        return f"{name} {_TYPE_MESSAGES[kind]}"
    if kind in {"string_type", "list_type"}:  # an entry of a list
        return f"{name} must be a list of text"
    return f"{name}: {problem['msg']}"


@cache
def _field_readers(model: type[Strict]) -> dict[str, TypeAdapter[Any]]:
    readers = {}
    for name, field in model.model_fields.items():
        kind = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
        readers[name] = TypeAdapter(kind, config=ConfigDict(strict=True))
    return readers


def read_row(model: type[Strict], raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields ``raw`` gave, checked and cleaned, and a line per problem.

    Fields with a problem are left out of the values; the others are still returned so
    that the file-level checks (vocabulary, postcodes, refs) report their problems too.
    """
    try:
        row = model.model_validate(raw)
        return {name: getattr(row, name) for name in row.model_fields_set}, []
    except ValidationError as error:
        problems = error.errors(include_url=False)
    failed = {p["loc"][0] for p in problems if p["loc"]}
    readers = _field_readers(model)
    values = {
        name: readers[name].validate_python(value)
        for name, value in raw.items()
        if name in readers and name not in failed
    }
    return values, [describe(p) for p in problems]
