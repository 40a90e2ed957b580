"""The OpenAPI 3 description of /api/v1, kept by hand and tested against the routes."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
# What the API accepts as a postcode or district: any case, spaces anywhere. Strings of
# this shape may still be unknown (404); anything else is refused with 422.
POSTCODE_PATTERN = r"^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*([0-9]\s*[A-Za-z]\s*[A-Za-z])?\s*$"


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PATHS: dict[str, Any] = {
    "/health": {
        "get": {
            "summary": "Is the service up?",
            "operationId": "health",
            "responses": {
                "200": _json(
                    "The service and its database answer.",
                    {
                        "type": "object",
                        "properties": {
                            "status": {"type": "string", "enum": ["ok"]},
                            "database": {"type": "string", "enum": ["ok"]},
                        },
                        "required": ["status", "database"],
                    },
                ),
                "503": _json("The database does not answer.", {"type": "object"}),
            },
        }
    },
    "/vocabulary": {
        "get": {
            "summary": "Skills, interests and languages (slugs and labels)",
            "operationId": "vocabulary",
            "responses": {
                "200": _json(
                    "The vocabularies.",
                    {
                        "type": "object",
                        "properties": {
                            kind: {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Term"},
                            }
                            for kind in ("skills", "interests", "languages")
                        },
                    },
                )
            },
        }
    },
    "/geo/{postcode}": {
        "get": {
            "summary": "Where a UK postcode or postcode district is, and its care council",
            "operationId": "geo",
            "parameters": [
                {
                    "name": "postcode",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": POSTCODE_PATTERN},
                    "example": "LS6 1AA",
                }
            ],
            "responses": {
                "200": _json("The place.", {"$ref": "#/components/schemas/Place"}),
                "404": _error_response("No such postcode."),
                "422": _error_response("Not a UK postcode."),
            },
        }
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object"},
                },
                "required": ["code", "message", "fields"],
            }
        },
        "required": ["error"],
    },
    "Term": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "label": {"type": "string"},
            "synonyms": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["slug", "label"],
    },
    "Place": {
        "type": "object",
        "properties": {
            "postcode": {"type": "string"},
            "outcode": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "care_council": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
        },
        "required": ["postcode", "outcode", "lat", "lon", "care_council"],
    },
}


def register_path(path: str, spec: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Let another module describe the endpoints it adds under /api/v1."""
    PATHS[path] = spec
    SCHEMAS.update(schemas or {})


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CoopCare API",
            "version": "1.0.0",
            "description": "Find quality-assured co-operative care in the UK. Public, read-only "
            'unless noted, rate-limited. Errors are JSON: {"error": {code, message, fields}}.',
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
