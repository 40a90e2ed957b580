"""Requests in and responses out through the pydantic models in ``schemas.py``.

Bad input becomes an :class:`APIError` (422, or 400 for a body that is not JSON) that
names every bad field in plain English.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from marketplace.api.errors import APIError

M = TypeVar("M", bound=BaseModel)
NUMBER_ERRORS = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "finite_number",
    "float_type",
    "float_parsing",
    "int_type",
    "int_parsing",
    "int_parsing_size",
    "int_from_float",
}


def parse_query(model: type[M]) -> M:
    """The query string as ``model``; repeated parameters count once (the first)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise invalid(error, model) from error


def parse_body(model: type[M]) -> M:
    """The JSON body as ``model``: 400 when it is not JSON, 422 when it is wrong."""
    if not request.is_json:
        raise APIError(
            400, "invalid_json", "Send a JSON object with Content-Type: application/json."
        )
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise APIError(
                400, "invalid_json", "The body is not valid JSON: send a JSON object."
            ) from error
        raise invalid(error, model) from error


def respond(body: BaseModel, status: int = 200, mimetype: str = "application/json") -> Response:
    """``body`` as JSON (its model is in the document, so the answer matches it)."""
    return current_app.response_class(body.model_dump_json(), status=status, mimetype=mimetype)


@cache
def _properties(model: type[BaseModel]) -> dict[str, Any]:
    return dict(model.model_json_schema().get("properties", {}))


def _bounds(prop: dict[str, Any]) -> tuple[Any, Any, bool]:
    options = [prop, *prop.get("anyOf", [])]
    low = next((o["minimum"] for o in options if "minimum" in o), None)
    high = next((o["maximum"] for o in options if "maximum" in o), None)
    whole = any(o.get("type") == "integer" for o in options)
    return low, high, whole


def _message(name: str, error: ErrorDetails, prop: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"{name} is required"
    if kind == "invalid_postcode":
        return error["msg"]
    if kind in NUMBER_ERRORS:
        low, high, whole = _bounds(prop)
        what = "a whole number" if whole else "a number"
        if low is not None and high is not None:
            return f"{name} must be {what} from {low:g} to {high:g}"
        if low is not None:
            return f"{name} must be {what} from {low:g}"
        return f"{name} must be {what}"
    if kind == "literal_error":
        return f"{name} must be one of {ctx.get('expected')}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{name} must be an object"
    if kind == "too_long":
        return f"{name} may list at most {ctx.get('max_length')} items"
    if kind in {"list_type", "string_type"} and prop.get("type") == "array":
        return f"{name} must be a list of vocabulary slugs (strings)"
    if kind in {"string_type", "str_type"}:
        return f"{name} must be a string"
    return f"{name}: {error['msg']}"


def invalid(error: ValidationError, model: type[BaseModel]) -> APIError:
    """A 422 naming each bad field once: ``{"limit": "limit must be a whole number ..."}``."""
    fields: dict[str, str] = {}
    kinds = set()
    for problem in error.errors(include_url=False):
        # ("languages", 0) is the list "languages"; ("preferences", "carer_gender") nests.
        name = ".".join(str(part) for part in problem["loc"] if isinstance(part, str))
        kinds.add(problem["type"])
        if not name:
            raise APIError(422, "invalid_request", "The body must be a JSON object.")
        prop = _properties(model).get(name, {})
        fields.setdefault(name, _message(name, problem, prop))
    code = "invalid_postcode" if kinds == {"invalid_postcode"} else "invalid_request"
    return APIError(422, code, next(iter(fields.values())), fields)


def check_skill(skill: str | None) -> None:
    """422 ``unknown_skill`` when a ``skill`` filter is not in the vocabulary, naming the
    nearest known ones."""
    from marketplace.search import services

    if not skill:
        return
    unknown = services.unknown_terms([skill], "skills")
    if unknown:
        message = services.describe_unknown(skill, "skills", unknown[skill])
        raise APIError(
            422,
            "unknown_skill",
            message,
            {"skill": {"message": message, "suggestions": unknown[skill]}},
        )
