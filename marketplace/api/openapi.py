"""/api/v1/openapi.json, generated from the pydantic models each view declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from marketplace.api.schemas import Error

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
# Answers every operation may give besides its own (see marketplace/web.py).
COMMON_RESPONSES: dict[int, tuple[str, type[BaseModel] | None]] = {
    429: ("Too many requests: wait for Retry-After seconds.", Error),
    503: ("The database does not answer.", Error),
}


@dataclass(frozen=True)
class Operation:
    """One documented method on one path (written the OpenAPI way: ``/geo/{postcode}``)."""

    method: Literal["get", "post"]
    path: str
    operation_id: str
    summary: str
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    path_model: type[BaseModel] | None = None
    query_model: type[BaseModel] | None = None
    body_model: type[BaseModel] | None = None
    rate_limited: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def documented(method: Literal["get", "post"], path: str, **details: Any) -> Callable[[F], F]:
    """Declare a view's operation for the document; the view itself is unchanged."""

    def record(view: F) -> F:
        OPERATIONS.append(Operation(method, path, **details))
        openapi_document.cache_clear()
        return view

    return record


def _models(operation: Operation) -> list[tuple[type[BaseModel], str]]:
    models = [(m, "serialization") for _, m in operation.responses.values() if m is not None]
    models += [(m, "serialization") for _, m in COMMON_RESPONSES.values() if m is not None]
    if operation.body_model is not None:
        models.append((operation.body_model, "validation"))
    return models


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is sent or left out, never null: drop the null branch and default."""
    schema = {k: v for k, v in schema.items() if k not in {"default", "title"}}
    options = [s for s in schema.pop("anyOf", []) if s != {"type": "null"}]
    if len(options) == 1:
        schema = {**options[0], **schema}
    elif options:
        schema["anyOf"] = options
    return schema


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        parameter = {"name": name, "in": where, "required": where == "path" or name in required}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameter["schema"] = _not_null(prop)
        parameter["schema"].pop("description", None)
        parameters.append(parameter)
    return parameters


def _response(description: str, ref: dict[str, Any] | None) -> dict[str, Any]:
    if ref is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document for every declared operation."""
    pairs = list(dict.fromkeys(pair for op in OPERATIONS for pair in _models(op)))
    refs, definitions = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(OPERATIONS, key=lambda o: (o.path, o.method)):
        responses = dict(op.responses)
        for status, answer in COMMON_RESPONSES.items():
            if status != 429 or op.rate_limited:
                responses.setdefault(status, answer)
        spec: dict[str, Any] = {
            "summary": op.summary,
            "operationId": op.operation_id,
            "responses": {
                str(status): _response(
                    description, None if model is None else refs[(model, "serialization")]
                )
                for status, (description, model) in sorted(responses.items())
            },
            **op.extra,
        }
        parameters = _parameters(op.path_model, "path") + _parameters(op.query_model, "query")
        if parameters:
            spec["parameters"] = parameters
        if op.body_model is not None:
            spec["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body_model, "validation")]}},
            }
        paths.setdefault(op.path, {})[op.method] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CoopCare API",
            "version": "1.0.0",
            "description": "Find quality-assured co-operative care in the UK. Public, read-only "
            'unless noted, rate-limited. Errors are JSON: {"error": {code, message, fields}}.',
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {})},
    }
