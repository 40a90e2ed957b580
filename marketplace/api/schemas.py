"""Pydantic models of every JSON body /api/v1 takes or gives.

They validate requests, build responses, and generate /api/v1/openapi.json (see
``openapi.py``), so the document cannot drift from what the code does.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from marketplace import geo
from marketplace.choices import SLOTS, PersonGroup, Pet, SupportKind
from marketplace.models.providers import GENDERS
from marketplace.search.services import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MIN_RADIUS_KM
from matching import PRIORITIES, SUGGESTION_KINDS
from matching.vocabulary import DEFAULT_VOCABULARY

# The same range as the search page's (one constant for both).
MAX_DISTANCE_KM = float(MAX_RADIUS_KM)
MAX_LIMIT = 100
MAX_TERMS = 50
# The longest vocabulary term someone could mean: longer text is refused (422) before it
# is fuzzy-matched against the vocabulary or written back in the answer.
MAX_TERM_LENGTH = 80
DEFAULT_API_RADIUS_KM = 25.0
MAX_API_RADIUS_KM = 100.0
# Ids are PostgreSQL integers: a bigger number names no row (and would overflow the query).
MAX_ID = 2**31 - 1


def _postcode(text: str) -> str:
    try:
        geo.normalise_postcode(text)
    except geo.InvalidPostcode as error:
        raise PydanticCustomError("invalid_postcode", str(error)) from error
    return text


def _blank_is_none(value: Any) -> Any:
    """A text parameter sent empty (``?postcode=``) means it was not sent."""
    return None if value == "" else value


def _blank_or(schema: dict[str, Any]) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [schema, {"type": "string", "maxLength": 0}]})


# Query parameters: the app refuses control characters anywhere (marketplace/web.py).
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
POSTCODE_SCHEMA = {"type": "string", "pattern": geo.POSTCODE_PATTERN, "examples": ["LS6 1AA"]}


# A UK postcode or district as people type it; the API's one rule is geo's.
Postcode = Annotated[str, AfterValidator(_postcode), WithJsonSchema(POSTCODE_SCHEMA)]


def _whole(value: Any) -> Any:
    """JSON Schema counts 20.0 as an integer, so the API does too (not 20.5, not "20")."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _slugs(kind: str) -> list[str]:
    return sorted(DEFAULT_VOCABULARY.terms(kind))  # type: ignore[arg-type]


def _strip_terms(values: list[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]


def _words(kind: str, example: str) -> Any:
    """A list of vocabulary terms: slugs, labels or synonyms ("garden" is gardening), as
    on the search page. Each is answered as its slug; unknown ones get a 422
    ``unknown_terms`` with the nearest known slugs."""
    return Annotated[
        list[Annotated[str, Field(strict=True, max_length=MAX_TERM_LENGTH)]],
        Field(max_length=MAX_TERMS),
        AfterValidator(_strip_terms),
        WithJsonSchema(
            {
                "type": "array",
                "maxItems": MAX_TERMS,
                "items": {"type": "string", "enum": _slugs(kind), "maxLength": MAX_TERM_LENGTH},
                "description": f"Vocabulary {kind} slugs (GET /api/v1/vocabulary). A "
                f"label or a synonym is read as its slug too (e.g. {example!r}), as on "
                "the search page",
            }
        ),
    ]


SkillSlugs = _words("skills", "PEG")
InterestSlugs = _words("interests", "garden")
LanguageSlugs = _words("languages", "Urdu")
SlotCodes = Annotated[
    list[Literal[SLOTS]],  # type: ignore[valid-type]
    Field(max_length=len(SLOTS)),
]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class FieldProblem(BaseModel):
    message: str
    suggestions: dict[str, list[str]] | list[str] = Field(
        description="The nearest vocabulary slugs: by unknown term, or for the one term."
    )


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_request"])
    message: str
    fields: dict[str, str | FieldProblem] = Field(
        description="What was wrong with each field, by field name ('preferences.carer_gender')."
    )


class Error(BaseModel):
    """Every error the API gives, with a 4xx (or 503) status."""

    error: ErrorDetail


# ---------------------------------------------------------------------------
# Health, vocabulary, geo
# ---------------------------------------------------------------------------


class Response(BaseModel):
    """A response body: every field is always present (``null`` when unknown)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Health(Response):
    status: Literal["ok"]
    database: Literal["ok"]


class HealthUnavailable(Response):
    status: Literal["unavailable"]
    database: Literal["unreachable"]


class Term(Response):
    slug: str
    label: str
    synonyms: list[str]


class Vocabulary(Response):
    skills: list[Term]
    interests: list[Term]
    languages: list[Term]


class CareCouncil(Response):
    code: str
    name: str | None


class Place(Response):
    postcode: str = Field(examples=["LS6 1AA"])
    outcode: str = Field(examples=["LS6"])
    lat: float
    lon: float
    care_council: CareCouncil


# ---------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------


class GeoPath(BaseModel):
    postcode: Postcode = Field(description="A UK postcode or district, e.g. LS6 1AA")


class ProviderPath(BaseModel):
    provider_id: int = Field(ge=0, le=MAX_ID, description="The provider's id")


class ProvidersQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    postcode: Annotated[
        Postcode | None, BeforeValidator(_blank_is_none), _blank_or(POSTCODE_SCHEMA)
    ] = Field(None, description="A UK postcode or district, e.g. LS6 1AA")
    radius_km: float | None = Field(
        None,
        ge=1,
        le=MAX_API_RADIUS_KM,
        allow_inf_nan=False,
        description=f"Providers based within this distance (default {DEFAULT_API_RADIUS_KM:g})",
    )
    skill: Annotated[
        str | None,
        BeforeValidator(_blank_is_none),
        _blank_or({"type": "string", "enum": _slugs("skills")}),
    ] = Field(None, description="Only providers offering this skill (vocabulary slug)")
    q: str | None = Field(
        None,
        pattern=NO_CONTROL_CHARACTERS,
        description="Name contains (case-insensitive; the first 100 characters count)",
    )
    page: int = Field(1, ge=1, description="Page number, from 1")


class ProviderQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    postcode: Annotated[
        Postcode | None, BeforeValidator(_blank_is_none), _blank_or(POSTCODE_SCHEMA)
    ] = Field(None, description="Optional: give distances from this place")


class CQC(Response):
    location_id: str | None
    rating: str | None


class ProviderSummary(Response):
    id: int
    ref: str | None
    name: str
    legal_form: str
    legal_form_label: str
    district: str | None
    care_council: CareCouncil | None
    service_radius_km: float | None
    service_districts: list[str]
    skills: list[str]
    languages: list[str]
    cqc: CQC
    quality_assured_since: date | None
    hourly_rate_pence: int | None = Field(description="Integer pence")
    distance_km: float | None = Field(
        multiple_of=0.5,
        description="From the base's public point (the centre of its postcode sector, or "
        "district), to the nearest 0.5 km; never from the base itself",
    )
    url: str


class ProviderPage(Response):
    results: list[ProviderSummary]
    page: int
    per_page: int
    total: int
    next: str | None = Field(description="The next page, or null on the last")


class CarerSummary(Response):
    """A listed carer: district only, never a full postcode."""

    carer_id: int
    ref: str | None
    display_name: str
    district: str | None
    distance_km: float | None = Field(
        multiple_of=0.5,
        description="From the carer's public point (the centre of their postcode sector, "
        "or district), to the nearest 0.5 km; never from their home",
    )


class Contact(Response):
    email: str | None
    phone: str | None
    website: str | None


class TeamSummary(Response):
    id: int
    ref: str | None
    name: str
    patch: list[str]
    url: str


class ProviderDetail(ProviderSummary):
    principles: str | None
    members: list[str]
    description: str | None
    contact: Contact
    teams: list[TeamSummary]
    carers: list[CarerSummary]


# ---------------------------------------------------------------------------
# Match
# ---------------------------------------------------------------------------


class Preferences(BaseModel):
    model_config = ConfigDict(extra="ignore")

    carer_gender: Literal[GENDERS] | None = None  # type: ignore[valid-type]


def _no_default(schema: dict[str, Any]) -> None:
    """A field the document calls required has no default there."""
    schema.pop("default", None)


class MatchRequest(BaseModel):
    """What a person needs. Numbers must be JSON numbers, not strings."""

    # The document says a postcode is required, as it is for every client but one: a
    # browser logged in as a person whose profile has a postcode (see its description).
    model_config = ConfigDict(
        extra="ignore", strict=True, json_schema_extra={"required": ["postcode"]}
    )

    postcode: Annotated[Postcode | None, WithJsonSchema(POSTCODE_SCHEMA)] = Field(
        None,
        json_schema_extra=_no_default,
        description="Required, unless you are logged in with a postcode saved in your "
        "profile (then fields you leave out come from the profile too; the postcode is "
        "never sent back)",
    )
    max_distance_km: Annotated[
        float, Field(ge=MIN_RADIUS_KM, le=MAX_DISTANCE_KM, allow_inf_nan=False)
    ] = DEFAULT_RADIUS_KM
    must_have: SkillSlugs = Field(default_factory=list, examples=[["personal_care"]])
    nice_to_have: SkillSlugs = Field(default_factory=list)
    interests: InterestSlugs = Field(default_factory=list, examples=[["gardening"]])
    languages: LanguageSlugs = Field(
        default_factory=list, examples=[["en"]], description="Would be nice (ranks higher)"
    )
    must_speak: LanguageSlugs = Field(
        default_factory=list,
        examples=[["ur"]],
        description="Only carers who speak every one of these (excluded: 'language')",
    )
    availability: SlotCodes = Field(
        default_factory=list,
        examples=[["mon-am", "thu-pm"]],
        description="When support is wanted: day-part codes (mon..sun, am/pm/eve)",
    )
    only_available: bool = Field(
        False,
        description="Only carers known to be free at one of 'availability' "
        "(excluded: 'not_available'); without availability it changes nothing",
    )
    priority: Literal[tuple(PRIORITIES)] | None = Field(  # type: ignore[valid-type]
        None, description="What matters most: it weighs three times as much and is said first"
    )
    max_hourly_rate_pence: Annotated[int | None, BeforeValidator(_whole)] = Field(
        None,
        ge=0,
        le=100_000,
        description="Only carers whose rate is at most this (excluded: "
        "'over_budget'); a carer with no rate given is not left out",
    )
    weekly_budget_pence: Annotated[int | None, BeforeValidator(_whole)] = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Say how many hours a week it pays for with each carer (when logged in, "
        "your saved budget is used if you leave this out)",
    )
    preferences: Preferences | None = None
    pets: Annotated[list[Literal[Pet.values()]], Field(max_length=len(Pet))] = Field(  # type: ignore[valid-type]
        default_factory=list,
        examples=[["dogs"]],
        description="Pets in the person's home: only carers happy with all of them, or who "
        "have not said (excluded: 'pets')",
    )
    smoking_home: bool = Field(
        False,
        description="Someone smokes in the person's home: carers who would rather work in "
        "homes where nobody smokes are left out (excluded: 'smoking')",
    )
    support_wanted: Annotated[
        list[Literal[SupportKind.values()]],  # type: ignore[valid-type]
        Field(max_length=len(SupportKind)),
    ] = Field(
        default_factory=list,
        examples=[["out_and_about"]],
        description="Kinds of support wanted: carers who enjoy one rank higher; carers who "
        "enjoy only other kinds are left out (excluded: 'support_kinds')",
    )
    groups: Annotated[
        list[Literal[PersonGroup.values()]],  # type: ignore[valid-type]
        Field(max_length=len(PersonGroup)),
    ] = Field(
        default_factory=list,
        description="Optional: groups the person says they belong to. Carers who would like "
        "to support one rank higher; carers who would rather support only other groups "
        "are left out (excluded: 'who_they_support'). Nothing is assumed when left out",
    )
    limit: Annotated[int, BeforeValidator(_whole)] = Field(20, ge=1, le=MAX_LIMIT)


class SignalScore(Response):
    score: float
    explanation: str


class ProviderRef(Response):
    id: int | None
    name: str | None


class MatchResult(Response):
    carer_id: int
    ref: str | None
    display_name: str
    provider: ProviderRef
    team_id: int | None
    district: str | None
    distance_km: float = Field(
        multiple_of=0.5,
        description="From the carer's public point (the centre of their postcode sector, "
        "or district), to the nearest 0.5 km; never from their home",
    )
    score: float
    signals: dict[str, SignalScore] = Field(
        description="Each signal's score and why, by name; what matters most comes first"
    )
    hourly_rate_pence: int | None = Field(description="Integer pence")
    hours_per_week: float | None = Field(
        multiple_of=0.5,
        description="Hours a week weekly_budget_pence pays at this rate, rounded down to "
        "the half hour (null without a budget or a rate)",
    )


class Widen(Response):
    kind: Literal[SUGGESTION_KINDS]  # type: ignore[valid-type]
    text: str
    value: str | float | None = Field(
        description="What to change it to: km (wider_distance), pence (raise_rate), or the "
        "skill or language concerned"
    )
    extra: int = Field(description="How many more carers it would find (0: not known)")


class MatchResponse(Response):
    results: list[MatchResult]
    excluded: dict[str, int] = Field(description="How many carers each hard filter left out")
    suggestions: list[str] = Field(description="Ways to widen the search")
    widen: list[Widen] = Field(
        description="The same suggestions, saying what to change; none goes past "
        "the largest max_distance_km"
    )
    nearest: list[MatchResult] = Field(
        description="When nothing matches: the nearest carers that pass every other filter, "
        "whatever the distance (only their locality signal)"
    )
