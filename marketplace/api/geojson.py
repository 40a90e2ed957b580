"""GET /api/v1/providers.geojson: every listed provider at its public point."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

from marketplace.api import bp
from marketplace.api.errors import APIError
from marketplace.api.openapi import register_path
from marketplace.models.providers import LEGAL_FORMS
from marketplace.search import national_map, services
from matching.vocabulary import DEFAULT_VOCABULARY


def _filters() -> tuple[str | None, str | None]:
    legal_form = (request.args.get("legal_form") or "").strip() or None
    if legal_form and legal_form not in LEGAL_FORMS:
        message = "legal_form must be one of: " + ", ".join(LEGAL_FORMS)
        raise APIError(422, "invalid_request", message, {"legal_form": message})
    skill = (request.args.get("skill") or "").strip() or None
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
    return legal_form, skill


@bp.get("/providers.geojson")
def providers_geojson():
    legal_form, skill = _filters()
    body = national_map.geojson(national_map.map_providers(legal_form, skill))
    return Response(json.dumps(body), mimetype="application/geo+json")


_FEATURE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["Point"]},
                "coordinates": {
                    "type": "array",
                    "items": {"type": "number"},
                    "minItems": 2,
                    "maxItems": 2,
                    "description": "[longitude, latitude] of the provider's public point: "
                    "the centre of its postcode sector or district, never an address",
                },
            },
            "required": ["type", "coordinates"],
        },
        "properties": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "legal_form": {"type": "string", "enum": list(LEGAL_FORMS)},
                "legal_form_label": {"type": "string"},
                "area": {"type": "string", "description": "postcode sector or district"},
                "care_council": {
                    "type": ["object", "null"],
                    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                },
                "skills": {"type": "array", "items": {"type": "string"}},
                "skill_labels": {"type": "array", "items": {"type": "string"}},
                "url": {"type": "string", "format": "uri"},
                "open_referral_service_id": {"type": "string", "format": "uuid"},
            },
            "required": ["name", "legal_form", "area", "url", "open_referral_service_id"],
        },
    },
    "required": ["type", "geometry", "properties"],
}

register_path(
    "/providers.geojson",
    {
        "get": {
            "summary": "Every quality-assured provider as a GeoJSON point (the national map)",
            "operationId": "providersGeojson",
            "parameters": [
                {
                    "name": "legal_form",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(LEGAL_FORMS)},
                    "description": "Only this type of organisation",
                },
                {
                    "name": "skill",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": sorted(DEFAULT_VOCABULARY.skills)},
                    "description": "Only providers offering this (vocabulary slug)",
                },
            ],
            "responses": {
                "200": {
                    "description": "An RFC 7946 FeatureCollection.",
                    "content": {
                        "application/geo+json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                                    "features": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/ProviderFeature"},
                                    },
                                },
                                "required": ["type", "features"],
                            }
                        }
                    },
                },
                "422": {
                    "description": "An unknown legal form or skill.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    },
    {"ProviderFeature": _FEATURE},
)
