"""POST /api/v1/match: ranked, explained carers for a person's needs."""

from __future__ import annotations

import math
from typing import Any

from flask import jsonify, request

from marketplace.api import bp
from marketplace.api.errors import APIError
from marketplace.api.openapi import POSTCODE_PATTERN, register_path
from marketplace.api.providers import place_from
from marketplace.models.providers import GENDERS
from marketplace.search import services
from matching.vocabulary import DEFAULT_VOCABULARY

MAX_DISTANCE_KM = 100.0
MAX_LIMIT = 100
TERM_FIELDS = {
    "must_have": "skills",
    "nice_to_have": "skills",
    "interests": "interests",
    "languages": "languages",
}


def _invalid(fields: dict[str, Any]) -> APIError:
    first = next(iter(fields.values()))
    message = first["message"] if isinstance(first, dict) else first
    return APIError(422, "invalid_request", message, fields)


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise _invalid({name: f"{name} must be a number from {low:g} to {high:g}"})
    return float(value)


def _terms(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid({name: f"{name} must be a list of vocabulary slugs (strings)"})
    if len(value) > 50:
        raise _invalid({name: f"{name} may list at most 50 terms"})
    return [v.strip() for v in value if v.strip()]


def parse_match_request(body: Any) -> tuple[str, services.SearchFilters]:
    """Check a /match body; raise APIError 422 naming every bad field."""
    if not isinstance(body, dict):
        raise APIError(422, "invalid_request", "The body must be a JSON object.")
    postcode = body.get("postcode")
    if not isinstance(postcode, str) or not postcode.strip():
        raise _invalid({"postcode": "postcode is required: a UK postcode such as LS6 1AA"})
    distance = _number(body, "max_distance_km", services.DEFAULT_RADIUS_KM, 0.1, MAX_DISTANCE_KM)
    limit = body.get("limit", 20)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise _invalid({"limit": f"limit must be a whole number from 1 to {MAX_LIMIT}"})
    terms = {name: _terms(body, name) for name in TERM_FIELDS}
    problems: dict[str, Any] = {}
    for name, kind in TERM_FIELDS.items():
        unknown = services.unknown_terms(terms[name], kind)
        if unknown:
            problems[name] = {
                "message": " ".join(
                    services.describe_unknown(term, kind, near) for term, near in unknown.items()
                ),
                "suggestions": unknown,
            }
    if problems:
        raise APIError(
            422,
            "unknown_terms",
            "Some skills, interests or languages are not in the vocabulary "
            "(see GET /api/v1/vocabulary).",
            problems,
        )
    preferences = body.get("preferences")
    preferences = {} if preferences is None else preferences
    if not isinstance(preferences, dict):
        raise _invalid({"preferences": "preferences must be an object"})
    gender = preferences.get("carer_gender")
    if gender is not None and gender not in GENDERS:
        raise _invalid(
            {"preferences.carer_gender": "carer_gender must be one of " + ", ".join(GENDERS)}
        )
    filters = services.SearchFilters(
        radius_km=distance,
        must_have=frozenset(terms["must_have"]),
        nice_to_have=frozenset(terms["nice_to_have"]),
        interests=tuple(terms["interests"]),
        languages=frozenset(terms["languages"]),
        gender=gender,
        limit=limit,
    )
    return postcode, filters


@bp.post("/match")
def match():
    body = request.get_json(silent=True)
    if body is None:
        raise APIError(
            400, "invalid_json", "Send a JSON object with Content-Type: application/json."
        )
    postcode, filters = parse_match_request(body)
    place = place_from(postcode)
    assert place is not None  # postcode was checked above
    found = services.search_carers(place, filters)
    return jsonify(
        results=[
            {
                "carer_id": r.card.id,
                "ref": r.card.ref,
                "display_name": r.card.display_name,
                "provider": {"id": r.card.provider_id, "name": r.card.provider_name},
                "team_id": r.card.team_id,
                "district": r.card.district,
                "distance_km": round(r.distance_km, 2),
                "score": round(r.score, 4),
                "signals": r.signals,
            }
            for r in found.results
        ],
        excluded=found.excluded,
        suggestions=found.suggestions,
    )


_ERROR = {
    "description": "",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _error(description: str) -> dict[str, Any]:
    return {**_ERROR, "description": description}


def _slug_array(kind: str) -> dict[str, Any]:
    """Schema: an array of vocabulary slugs (see GET /vocabulary)."""
    slugs = sorted(DEFAULT_VOCABULARY.terms(kind))  # type: ignore[arg-type]
    return {"type": "array", "items": {"type": "string", "enum": slugs}}


register_path(
    "/match",
    {
        "post": {
            "summary": "Carers ranked for a person's needs, with why each matches",
            "operationId": "match",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/MatchRequest"}}
                },
            },
            "responses": {
                "200": {
                    "description": "Ranked carers, exclusion counts and ways to widen the search.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/MatchResponse"}
                        }
                    },
                },
                "400": _error("The body is not JSON."),
                "404": _error("No such postcode."),
                "422": _error(
                    "A bad field; unknown vocabulary terms come with the nearest suggestions."
                ),
            },
        }
    },
    {
        "MatchRequest": {
            "type": "object",
            "properties": {
                "postcode": {"type": "string", "pattern": POSTCODE_PATTERN, "example": "LS6 1AA"},
                "max_distance_km": {
                    "type": "number",
                    "default": 10,
                    "minimum": 0.1,
                    "maximum": MAX_DISTANCE_KM,
                },
                "must_have": {**_slug_array("skills"), "example": ["personal_care"]},
                "nice_to_have": _slug_array("skills"),
                "interests": {**_slug_array("interests"), "example": ["gardening"]},
                "languages": {**_slug_array("languages"), "example": ["en"]},
                "preferences": {
                    "type": ["object", "null"],
                    "properties": {
                        "carer_gender": {"type": ["string", "null"], "enum": [*GENDERS, None]}
                    },
                },
                "limit": {"type": "integer", "default": 20, "minimum": 1, "maximum": MAX_LIMIT},
            },
            "required": ["postcode"],
        },
        "SignalScore": {
            "type": "object",
            "properties": {"score": {"type": "number"}, "explanation": {"type": "string"}},
            "required": ["score", "explanation"],
        },
        "MatchResult": {
            "type": "object",
            "properties": {
                "carer_id": {"type": "integer"},
                "ref": {"type": ["string", "null"]},
                "display_name": {"type": "string"},
                "provider": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
                "team_id": {"type": ["integer", "null"]},
                "district": {"type": ["string", "null"]},
                "distance_km": {"type": "number"},
                "score": {"type": "number"},
                "signals": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/components/schemas/SignalScore"},
                },
            },
            "required": ["carer_id", "display_name", "provider", "district", "distance_km"],
        },
        "MatchResponse": {
            "type": "object",
            "properties": {
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/MatchResult"}},
                "excluded": {"type": "object", "additionalProperties": {"type": "integer"}},
                "suggestions": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["results", "excluded", "suggestions"],
        },
    },
)
