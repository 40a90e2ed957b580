"""Real /api/v1 answers, good and bad, validated against the generated OpenAPI document
with openapi-core; every status the document lists for every operation is exercised."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from marketplace.api.openapi import openapi_document

MATCH = {
    "postcode": "LS6 1AA",
    "max_distance_km": 10,
    "must_have": ["personal_care"],
    "interests": ["gardening"],
    "languages": ["en"],
    "preferences": {"carer_gender": "female"},
    "limit": 5,
}

# (operation path, method, status, request): each documented answer of each operation.
CASES: list[tuple[str, str, int, dict[str, Any]]] = [
    ("/health", "get", 200, {"url": "/api/v1/health"}),
    ("/vocabulary", "get", 200, {"url": "/api/v1/vocabulary"}),
    ("/geo/{postcode}", "get", 200, {"url": "/api/v1/geo/LS6%201AA"}),
    ("/geo/{postcode}", "get", 200, {"url": "/api/v1/geo/ls6"}),
    ("/geo/{postcode}", "get", 404, {"url": "/api/v1/geo/ZZ9%209ZZ"}),
    ("/geo/{postcode}", "get", 422, {"url": "/api/v1/geo/nonsense"}),
    ("/providers", "get", 200, {"url": "/api/v1/providers?postcode=LS6+1AA&skill=personal_care"}),
    ("/providers", "get", 200, {"url": "/api/v1/providers?q=contract&page=1&radius_km=50"}),
    ("/providers", "get", 200, {"url": "/api/v1/providers?page=7"}),
    ("/providers", "get", 400, {"url": "/api/v1/providers?q=a%00b"}),
    ("/providers", "get", 404, {"url": "/api/v1/providers?postcode=ZZ9+9ZZ"}),
    ("/providers", "get", 422, {"url": "/api/v1/providers?radius_km=500&page=0"}),
    ("/providers", "get", 422, {"url": "/api/v1/providers?skill=peg+feed"}),
    ("/providers", "get", 422, {"url": "/api/v1/providers?postcode=nonsense"}),
    ("/providers/{provider_id}", "get", 200, {"url": "/api/v1/providers/{provider}"}),
    (
        "/providers/{provider_id}",
        "get",
        200,
        {"url": "/api/v1/providers/{provider}?postcode=LS6+1AA"},
    ),
    ("/providers/{provider_id}", "get", 400, {"url": "/api/v1/providers/{provider}?postcode=%01"}),
    ("/providers/{provider_id}", "get", 404, {"url": "/api/v1/providers/{hidden}"}),
    ("/providers/{provider_id}", "get", 404, {"url": "/api/v1/providers/2147483647"}),
    ("/providers/{provider_id}", "get", 422, {"url": "/api/v1/providers/{provider}?postcode=x"}),
    ("/providers.geojson", "get", 200, {"url": "/api/v1/providers.geojson"}),
    (
        "/providers.geojson",
        "get",
        200,
        {"url": "/api/v1/providers.geojson?legal_form=worker_coop&skill=personal_care"},
    ),
    ("/providers.geojson", "get", 400, {"url": "/api/v1/providers.geojson?skill=a%00b"}),
    ("/providers.geojson", "get", 422, {"url": "/api/v1/providers.geojson?legal_form=pirate"}),
    ("/providers.geojson", "get", 422, {"url": "/api/v1/providers.geojson?skill=peg+feed"}),
    ("/match", "post", 200, {"url": "/api/v1/match", "json": MATCH}),
    ("/match", "post", 200, {"url": "/api/v1/match", "json": {"postcode": "BS1"}}),
    (
        "/match",
        "post",
        400,
        {"url": "/api/v1/match", "data": "{", "content_type": "application/json"},
    ),
    ("/match", "post", 400, {"url": "/api/v1/match", "data": "LS6", "content_type": "text/plain"}),
    ("/match", "post", 404, {"url": "/api/v1/match", "json": {"postcode": "ZZ9 9ZZ"}}),
    ("/match", "post", 422, {"url": "/api/v1/match", "json": {**MATCH, "limit": 0}}),
    ("/match", "post", 422, {"url": "/api/v1/match", "json": {**MATCH, "must_have": ["pegg"]}}),
    (
        "/match",
        "post",
        200,
        {
            "url": "/api/v1/match",
            "json": {
                **MATCH,
                "interests": ["gardening"],
                "must_speak": ["ur"],
                "availability": ["mon-am"],
                "only_available": True,
                "priority": "price",
                "weekly_budget_pence": 20000,
                "max_hourly_rate_pence": 2500,
            },
        },
    ),
    (
        "/match",
        "post",
        200,
        {
            "url": "/api/v1/match",
            "json": {
                **MATCH,
                "pets": ["dogs", "cats"],
                "smoking_home": True,
                "support_wanted": ["out_and_about"],
                "groups": ["older_people"],
            },
        },
    ),
    ("/match", "post", 422, {"url": "/api/v1/match", "json": {**MATCH, "pets": ["snakes"]}}),
    ("/match", "post", 422, {"url": "/api/v1/match", "json": {"interests": ["gardening"]}}),
    ("/match", "post", 422, {"url": "/api/v1/match", "json": [MATCH]}),
]


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    # openapi-core reads only application/json as JSON; GeoJSON is JSON too (RFC 7946).
    config = Config(extra_media_type_deserializers={"application/geo+json": json.loads})
    return OpenAPI.from_dict(openapi_document(), config=config)


@pytest.fixture
def listed(make):
    provider = make.provider(name="Contract Co-op", skills=["personal_care"])
    make.team(provider, name="Contract Team")
    make.carer(provider, display_name="Ana", gender="female", skills=["personal_care"])
    hidden = make.provider(qa_status="submitted", name="Hidden Co-op")
    return {"provider": provider.id, "hidden": hidden.id}


def sent(response) -> WerkzeugOpenAPIRequest:
    """The request as sent (the app has read its body, so rewind it)."""
    response.request.environ["wsgi.input"].seek(0)
    return WerkzeugOpenAPIRequest(response.request)


def check(spec: OpenAPI, response, status: int) -> None:
    """The answer has the expected status and matches the document."""
    assert response.status_code == status, response.get_data(as_text=True)
    request = sent(response)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
    if status < 300:
        spec.validate_request(request)  # the examples here are valid by the document too
    if status >= 400 and response.request.path != "/api/v1/health":  # health says "unavailable"
        assert set(response.json["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    ("path", "method", "status", "call"),
    CASES,
    ids=[f"{m.upper()} {p} {s} {c['url']}" for p, m, s, c in CASES],
)
def test_real_answers_match_the_document(client, spec, listed, path, method, status, call):
    call = dict(call)
    url = call.pop("url").format(**listed)
    check(spec, getattr(client, method)(url, **call), status)


def test_503_answers_match_the_document(client, spec, monkeypatch):
    from marketplace.extensions import db

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", down)
    monkeypatch.setattr(db.session, "scalars", down)
    check(spec, client.get("/api/v1/health"), 503)
    check(spec, client.get("/api/v1/vocabulary"), 503)
    assert client.get("/api/v1/vocabulary").json["error"]["code"] == "unavailable"


def test_429_answers_match_the_document(database_url, spec):
    from marketplace import create_app
    from marketplace.config import TestConfig

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        RATELIMIT_ENABLED = True
        API_RATE_LIMIT = "1 per minute"

    client = create_app(Limited).test_client()
    check(spec, client.get("/api/v1/geo/LS6"), 200)
    check(spec, client.get("/api/v1/geo/LS6"), 429)


def test_every_documented_answer_is_exercised():
    """A new operation or status in the document needs a case above."""
    document = openapi_document()
    documented = {
        (path, method, int(status))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    exercised = {(path, method, status) for path, method, status, _ in CASES}
    exercised |= {
        ("/health", "get", 503),
        ("/vocabulary", "get", 503),
        ("/geo/{postcode}", "get", 429),
    }
    common = {503, 429}  # the same handlers answer these for every operation (web.py)
    assert {d for d in documented if d[2] not in common} == {
        e for e in exercised if e[2] not in common
    }
    assert exercised <= documented


def test_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    validate(openapi_document())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", 12),
        ("max_distance_km", "10"),
        ("max_distance_km", True),
        ("limit", 2.5),
        ("must_have", "personal_care"),
        ("preferences", {"carer_gender": "robot"}),
        ("pets", ["hamsters"]),
        ("smoking_home", "yes"),
        ("support_wanted", ["juggling"]),
        ("groups", "older_people"),
    ],
)
def test_the_document_refuses_what_the_api_refuses(client, spec, field, value):
    """A body the document calls invalid is refused with 422, and the other way round."""
    from openapi_core.exceptions import OpenAPIError

    response = client.post("/api/v1/match", json={**MATCH, field: value})
    assert response.status_code == 422
    with pytest.raises(OpenAPIError):
        spec.validate_request(sent(response))
