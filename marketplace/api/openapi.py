"""/api/v1/openapi.json, generated from the pydantic models each view declares.

A new endpoint declares itself under its route, with models from ``schemas.py``::

    @bp.get("/things/<int:thing_id>")
    @documented("get", "/things/{thing_id}", operation_id="thing", summary="One thing",
                path_model=s.ThingPath, query_model=s.ThingQuery,
                responses={200: ("The thing.", s.Thing), 404: ("No such thing.", s.Error)})
    def thing(thing_id): ...

and answers with ``validation.respond(s.Thing(...))`` (``mimetype=`` for other media
types, given as a third item: ``200: ("...", s.Thing, "application/geo+json")``).
tests/marketplace/test_api_contract.py then needs a case for each answer it lists.
"""

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
JSON = "application/json"
# An answer: (description, body model or None) or (description, model, media type).
Answer = tuple[str, type[BaseModel] | None] | tuple[str, type[BaseModel], str]
# Answers every operation may give besides its own (see marketplace/web.py).
COMMON_RESPONSES: dict[int, Answer] = {
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
    responses: dict[int, Answer]
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
    answers = [*operation.responses.values(), *COMMON_RESPONSES.values()]
    models = [(answer[1], "serialization") for answer in answers if answer[1] is not None]
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


def _response(answer: Answer, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    description, model, *media_type = answer
    if model is None:
        return {"description": description}
    content = {(media_type or [JSON])[0]: {"schema": refs[(model, "serialization")]}}
    return {"description": description, "content": content}


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
                str(status): _response(answer, refs) for status, answer in sorted(responses.items())
            },
            **op.extra,
        }
        parameters = _parameters(op.path_model, "path") + _parameters(op.query_model, "query")
        if parameters:
            spec["parameters"] = parameters
        if op.body_model is not None:
            spec["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": refs[(op.body_model, "validation")]}},
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
