import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from marketplace.api.openapi import openapi_document
from marketplace.geo import POSTCODE_PATTERN


def test_health_ok(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_503_when_database_is_down(client, monkeypatch):
    from marketplace.extensions import db

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json["status"] != "ok"


@pytest.mark.parametrize("spelling", ["ls6%201aa", "LS61AA", "ls61aa", "%20LS6%20%201AA%20"])
def test_geo_lookup(client, spelling):
    response = client.get(f"/api/v1/geo/{spelling}")
    assert response.status_code == 200
    body = response.json
    assert body["postcode"] == "LS6 1AA" and body["outcode"] == "LS6"
    assert body["care_council"] == {"code": "E08000035", "name": "Leeds"}
    assert 53.7 < body["lat"] < 53.9 and -1.7 < body["lon"] < -1.4


def test_geo_unknown_postcode_is_404_json(client):
    response = client.get("/api/v1/geo/ZZ9%209ZZ")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "postcode_not_found"
    assert "ZZ9 9ZZ" in response.json["error"]["message"]


def test_geo_malformed_postcode_is_422_json(client):
    response = client.get("/api/v1/geo/not-a-postcode")
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid_postcode" and "postcode" in error["fields"]
    assert "not a UK postcode" in error["message"]


def test_api_404_is_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert set(response.json["error"]) == {"code", "message", "fields"}


def test_api_method_not_allowed_is_json(client):
    response = client.post("/api/v1/health")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_vocabulary(client):
    body = client.get("/api/v1/vocabulary").json
    assert set(body) == {"skills", "interests", "languages"}
    skills = {t["slug"]: t for t in body["skills"]}
    assert "personal_care" in skills and skills["personal_care"]["label"]
    assert any(t["slug"] == "gardening" and "allotment" in t["synonyms"] for t in body["interests"])
    assert any(t["slug"] == "en" for t in body["languages"])


def test_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule.removeprefix("/api/v1")
        for converter in ("<path:", "<int:", "<"):
            path = path.replace(converter, "{")
        path = path.replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((method, path))
    assert routed == documented


def test_openapi_refs_resolve():
    document = openapi_document()
    schemas = document["components"]["schemas"]
    text = str(document)
    import re

    for ref in re.findall(r"#/components/schemas/(\w+)", text):
        assert ref in schemas


def test_api_is_rate_limited(database_url):
    from marketplace import create_app
    from marketplace.config import TestConfig

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        RATELIMIT_ENABLED = True
        API_RATE_LIMIT = "2 per minute"

    client = create_app(Limited).test_client()
    statuses = [client.get("/api/v1/geo/LS6").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get("/api/v1/geo/LS6")
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0  # clients are told when to try again


def _documented_postcode_pattern(document):
    (parameter,) = document["paths"]["/geo/{postcode}"]["get"]["parameters"]
    return parameter["schema"]["pattern"]


def test_documented_postcode_pattern_is_the_geocoders():
    from marketplace import geo

    assert _documented_postcode_pattern(openapi_document()) == geo.POSTCODE_PATTERN


@pytest.mark.parametrize("text", ["LS6 1AA", "ls61aa", " LS6  1AA ", "LS6", "sw1a 1aa", "EC1A1BB"])
def test_documented_postcode_pattern_accepts_what_the_api_accepts(text):
    import re

    assert re.match(_documented_postcode_pattern(openapi_document()), text)


@pytest.mark.parametrize("text", ["not-a-postcode", "12345", "", "LS6 1AAA", "\u017fW1A 1AA"])
def test_documented_postcode_pattern_refuses_what_the_api_refuses(client, text):
    import re

    assert not re.match(_documented_postcode_pattern(openapi_document()), text)
    if text:
        assert client.get(f"/api/v1/geo/{text}").status_code == 422


@given(
    st.text(alphabet="AGIRNPTSWLZ0169 \t\n\u00a0\u017f\u0131\x0b-", max_size=12)
    | st.from_regex(POSTCODE_PATTERN, fullmatch=True)
)
def test_postcode_pattern_in_python_and_json_schema_agree_with_the_geocoder(text):
    """One rule: the document's pattern accepts exactly what the geocoder accepts, read by
    Python's re (jsonschema, openapi-core) and by an ECMA-262 engine (jsonschema-rs, used
    by schemathesis)."""
    import jsonschema
    import jsonschema_rs

    from marketplace import geo

    try:
        geo.normalise_postcode(text)
        accepted = True
    except geo.InvalidPostcode:
        accepted = False
    schema = {"type": "string", "pattern": POSTCODE_PATTERN}
    assert jsonschema.Draft202012Validator(schema).is_valid(text) is accepted
    assert jsonschema_rs.validator_for(schema).is_valid(text) is accepted
