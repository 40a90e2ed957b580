"""GET /api/v1/providers and /api/v1/providers/{id}: approved providers near a place."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from marketplace import geo
from marketplace.api import bp
from marketplace.api.errors import APIError
from marketplace.api.openapi import POSTCODE_PATTERN, register_path
from marketplace.search import services
from matching.vocabulary import DEFAULT_VOCABULARY

PER_PAGE = 20
DEFAULT_API_RADIUS_KM = 25.0
MAX_API_RADIUS_KM = 100.0


def place_from(postcode: str | None) -> geo.PostcodeLocation | None:
    """The place for a ``postcode`` query parameter: 422 malformed, 404 unknown."""
    if postcode is None or not postcode.strip():
        return None
    try:
        return geo.lookup(postcode)
    except geo.InvalidPostcode as error:
        raise APIError(422, "invalid_postcode", str(error), {"postcode": str(error)}) from error
    except LookupError as error:
        raise APIError(404, "postcode_not_found", str(error)) from error


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    message = f"{name} must be a number from {low:g} to {high:g}"
    try:
        value = float(raw)
    except ValueError as error:
        raise APIError(422, "invalid_request", message, {name: message}) from error
    if not low <= value <= high:
        raise APIError(422, "invalid_request", message, {name: message})
    return value


def _page() -> int:
    raw = request.args.get("page", "1")
    message = "page must be a whole number from 1"
    if not raw.isdigit() or int(raw) < 1:
        raise APIError(422, "invalid_request", message, {"page": message})
    return int(raw)


def provider_summary(provider: Any, distance_km: float | None = None) -> dict[str, Any]:
    council = None
    if provider.care_council_code:
        try:
            found = geo.care_council(provider.care_council_code)
            council = {"code": found.code, "name": found.name}
        except KeyError:
            council = {"code": provider.care_council_code, "name": None}
    return {
        "id": provider.id,
        "ref": provider.ref,
        "name": provider.name,
        "legal_form": provider.legal_form,
        "legal_form_label": provider.legal_form_label,
        "district": provider.district,
        "care_council": council,
        "service_radius_km": provider.service_radius_km,
        "service_districts": list(provider.service_districts or []),
        "skills": list(provider.skills or []),
        "languages": list(provider.languages or []),
        "cqc": {"location_id": provider.cqc_location_id, "rating": provider.cqc_rating},
        "quality_assured_since": provider.approved_at.date().isoformat()
        if provider.approved_at
        else None,
        "hourly_rate_pence": provider.hourly_rate_pence,
        "distance_km": None if distance_km is None else round(distance_km, 2),
        "url": url_for("search.provider", provider_id=provider.id, _external=True),
    }


def carer_summary(carer: Any, place: geo.PostcodeLocation | None) -> dict[str, Any]:
    """The only carer fields the API shows: never a full postcode."""
    distance = None
    if place is not None and carer.lat is not None and carer.lon is not None:
        distance = round(geo.distance_km(place.point, (carer.lat, carer.lon)), 2)
    return {
        "carer_id": carer.id,
        "ref": carer.ref,
        "display_name": carer.display_name,
        "district": carer.district,
        "distance_km": distance,
    }


@bp.get("/providers")
def providers_list():
    place = place_from(request.args.get("postcode"))
    radius = _number("radius_km", DEFAULT_API_RADIUS_KM, 1, MAX_API_RADIUS_KM)
    page = _page()
    skill = request.args.get("skill") or None
    if skill:
        unknown = services.unknown_terms([skill], "skills")
        if unknown:
            message = services.describe_unknown(skill, "skills", unknown[skill])
            raise APIError(
                422,
                "unknown_skill",
                message,
                {"skill": {"message": message, "suggestions": unknown[skill]}},
            )
    q = (request.args.get("q") or "").strip()[:100] or None
    hits = services.providers_near(place, radius_km=radius if place else None, skill=skill, q=q)
    chunk = services.paginate(hits, page, PER_PAGE)
    next_url = None
    if chunk.has_next:
        args = dict(request.args)
        args["page"] = str(page + 1)
        next_url = url_for("api.providers_list", _external=True, **args)
    return jsonify(
        results=[provider_summary(h.provider, h.distance_km) for h in chunk.items],
        page=page,
        per_page=PER_PAGE,
        total=chunk.total,
        next=next_url,
    )


@bp.get("/providers/<int:provider_id>")
def provider_detail(provider_id: int):
    provider = services.public_provider(provider_id)
    if provider is None:
        raise APIError(404, "not_found", "No quality-assured provider has that id.")
    place = place_from(request.args.get("postcode"))
    distance = None
    if place is not None and provider.lat is not None and provider.lon is not None:
        distance = geo.distance_km(place.point, (provider.lat, provider.lon))
    body = provider_summary(provider, distance)
    body.update(
        principles=provider.principles,
        members=list(provider.members or []),
        description=provider.description,
        contact={
            "email": provider.contact_email,
            "phone": provider.contact_phone,
            "website": provider.website,
        },
        teams=[
            {
                "id": team.id,
                "ref": team.ref,
                "name": team.name,
                "patch": list(team.patch or []),
                "url": url_for("search.team", team_id=team.id, _external=True),
            }
            for team in provider.teams
        ],
        carers=[carer_summary(c, place) for c in services.listed_carers(provider.id)],
    )
    return jsonify(body)


_ERR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERR}}}


def _param(name: str, kind: str, description: str, where: str = "query", **extra: Any):
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": {"type": kind, **extra},
        "description": description,
    }


PROVIDER_SCHEMAS = {
    "CarerSummary": {
        "type": "object",
        "description": "A listed carer: district only, never a full postcode.",
        "properties": {
            "carer_id": {"type": "integer"},
            "ref": {"type": ["string", "null"]},
            "display_name": {"type": "string"},
            "district": {"type": ["string", "null"]},
            "distance_km": {"type": ["number", "null"]},
        },
        "required": ["carer_id", "ref", "display_name", "district", "distance_km"],
    },
    "ProviderSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "ref": {"type": ["string", "null"]},
            "name": {"type": "string"},
            "legal_form": {"type": "string"},
            "legal_form_label": {"type": "string"},
            "district": {"type": ["string", "null"]},
            "care_council": {"type": ["object", "null"]},
            "service_radius_km": {"type": ["number", "null"]},
            "service_districts": {"type": "array", "items": {"type": "string"}},
            "skills": {"type": "array", "items": {"type": "string"}},
            "languages": {"type": "array", "items": {"type": "string"}},
            "cqc": {"type": "object"},
            "quality_assured_since": {"type": ["string", "null"], "format": "date"},
            "hourly_rate_pence": {"type": ["integer", "null"]},
            "distance_km": {"type": ["number", "null"]},
            "url": {"type": "string"},
        },
        "required": ["id", "name", "legal_form", "url"],
    },
    "ProviderPage": {
        "type": "object",
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/ProviderSummary"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
        "required": ["results", "page", "per_page", "total", "next"],
    },
    "ProviderDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/ProviderSummary"},
            {
                "type": "object",
                "properties": {
                    "principles": {"type": "string"},
                    "members": {"type": "array", "items": {"type": "string"}},
                    "description": {"type": "string"},
                    "contact": {"type": "object"},
                    "teams": {"type": "array", "items": {"type": "object"}},
                    "carers": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/CarerSummary"},
                    },
                },
            },
        ]
    },
}

register_path(
    "/providers",
    {
        "get": {
            "summary": "Quality-assured providers near a place, nearest first",
            "operationId": "providers",
            "parameters": [
                _param(
                    "postcode",
                    "string",
                    "A UK postcode or district, e.g. LS6 1AA",
                    pattern=POSTCODE_PATTERN,
                ),
                _param(
                    "radius_km",
                    "number",
                    "Providers based within this distance (default 25)",
                    minimum=1,
                    maximum=MAX_API_RADIUS_KM,
                ),
                _param(
                    "skill",
                    "string",
                    "Only providers offering this skill (vocabulary slug)",
                    enum=sorted(DEFAULT_VOCABULARY.skills),
                ),
                _param("q", "string", "Name contains (case-insensitive)"),
                _param("page", "integer", "Page number, from 1", minimum=1),
            ],
            "responses": {
                "200": {
                    "description": "A page of providers.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ProviderPage"}
                        }
                    },
                },
                "404": _error("No such postcode."),
                "422": _error("A malformed postcode, radius, page or an unknown skill."),
            },
        }
    },
    PROVIDER_SCHEMAS,
)
register_path(
    "/providers/{provider_id}",
    {
        "get": {
            "summary": "One quality-assured provider, its teams and listed carers",
            "operationId": "provider",
            "parameters": [
                _param("provider_id", "integer", "The provider's id", where="path"),
                _param(
                    "postcode",
                    "string",
                    "Optional: give distances from this place",
                    pattern=POSTCODE_PATTERN,
                ),
            ],
            "responses": {
                "200": {
                    "description": "The provider.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ProviderDetail"}
                        }
                    },
                },
                "404": _error("No quality-assured provider with that id, or no such postcode."),
                "422": _error("A malformed postcode."),
            },
        }
    },
)
