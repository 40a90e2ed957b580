"""Validate Open Referral feed answers against the shipped Open Referral UK schemas.

The API description (``schema/openapi.json``) names, for each path, the schema of its
200 answer; those schemas ``$ref`` their public URLs. A ``referencing`` registry maps
every such URL to the file shipped in marketplace/data/openreferral-uk/, and it has no
``retrieve`` function, so an unknown URL fails instead of going to the network.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "marketplace/data/openreferral-uk/schema"
PUBLIC_BASE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
OPENAPI_URL = PUBLIC_BASE + "openapi.json"
# The API description names compiled/service.json for /service_at_locations/{id}, which
# cannot describe a service-at-location (it requires name and status): evidently a slip
# in the profile. That answer is checked against compiled/service_at_location.json.
OVERRIDES = {"/service_at_locations/{id}": PUBLIC_BASE + "compiled/service_at_location.json"}


@functools.cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        url = PUBLIC_BASE + path.relative_to(SCHEMA_DIR).as_posix()
        resources.append((url, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def _pointer(path: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"{OPENAPI_URL}#/paths/{escaped}/get/responses/200/content/application~1json/schema"


@functools.cache
def validator(path: str) -> Draft202012Validator:
    """A validator for the 200 answer of ``path`` (as written in the API description)."""
    schema = {"$ref": OVERRIDES.get(path) or _pointer(path)}
    return Draft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def openapi_paths() -> list[str]:
    document = json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))
    return list(document["paths"])


def errors(path: str, body: Any) -> list[str]:
    """Every way ``body`` breaks the schema for ``path``, as readable lines."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in validator(path).iter_errors(body)
    ]
