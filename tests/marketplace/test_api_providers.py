"""GET /api/v1/providers and /api/v1/providers/{id}."""

from __future__ import annotations

import json

import pytest

SECRET_POSTCODE = "LS6 9QX"
CARER_KEYS = {"carer_id", "ref", "display_name", "district", "distance_km"}


@pytest.fixture
def leeds(make):
    near = make.provider(name="Near Co-op", skills=["personal_care", "peg_feeding"])
    far = make.provider(
        name="Far Co-op", district="LS17", lat=53.87, lon=-1.50, service_districts=["LS6"]
    )
    make.provider(
        name="Bristol Co-op",
        district="BS1",
        lat=51.45,
        lon=-2.59,
        care_council_code="E06000023",
        service_districts=["BS1"],
    )
    hidden = make.provider(qa_status="submitted", name="Hidden Co-op")
    carer = make.carer(near, display_name="Ana", postcode=SECRET_POSTCODE, ref="c-ana")
    make.carer(near, display_name="Paused", active=False)
    return near, far, hidden, carer


def test_providers_near_a_postcode_sorted_by_distance(client, leeds):
    near, far, hidden, _ = leeds
    body = client.get("/api/v1/providers?postcode=LS6+1AA").json
    names = [p["name"] for p in body["results"]]
    assert names == ["Near Co-op", "Far Co-op"]
    assert body["total"] == 2 and body["page"] == 1 and body["next"] is None
    assert body["results"][0]["distance_km"] < body["results"][1]["distance_km"]
    assert body["results"][0]["quality_assured_since"]
    assert "Hidden Co-op" not in json.dumps(body)


def test_providers_filters(client, leeds):
    assert [p["name"] for p in client.get("/api/v1/providers?q=BRISTOL").json["results"]] == [
        "Bristol Co-op"
    ]
    body = client.get("/api/v1/providers?postcode=LS6+1AA&skill=peg_feeding").json
    assert [p["name"] for p in body["results"]] == ["Near Co-op"]
    body = client.get("/api/v1/providers?postcode=BS1+4DJ&radius_km=1").json
    assert [p["name"] for p in body["results"]] == ["Bristol Co-op"]


def test_providers_pagination(client, make):
    for n in range(25):
        make.provider(name=f"Paged Co-op {n:02d}")
    first = client.get("/api/v1/providers?postcode=LS6+1AA").json
    assert len(first["results"]) == 20 and first["total"] == 25 and first["per_page"] == 20
    assert first["next"] and "page=2" in first["next"] and "postcode=LS6" in first["next"]
    second = client.get(first["next"]).json
    assert len(second["results"]) == 5 and second["next"] is None and second["page"] == 2
    assert client.get("/api/v1/providers?postcode=LS6+1AA&page=9").json["results"] == []


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("postcode=nonsense", 422, "invalid_postcode", "postcode"),
        ("postcode=ZZ9+9ZZ", 404, "postcode_not_found", None),
        ("postcode=LS6+1AA&radius_km=abc", 422, "invalid_request", "radius_km"),
        ("postcode=LS6+1AA&radius_km=0", 422, "invalid_request", "radius_km"),
        ("postcode=LS6+1AA&radius_km=500", 422, "invalid_request", "radius_km"),
        ("page=0", 422, "invalid_request", "page"),
        ("page=x", 422, "invalid_request", "page"),
        ("page=" + "9" * 5000, 422, "invalid_request", "page"),
        ("skill=peg+feed", 422, "unknown_skill", "skill"),
    ],
)
def test_providers_errors(client, leeds, query, status, code, field):
    response = client.get(f"/api/v1/providers?{query}")
    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in error["fields"]
    if code == "invalid_request":  # plain English, not the validator's words
        assert error["message"].startswith(f"{field} must be a")


def test_unknown_skill_suggests_vocabulary(client):
    error = client.get("/api/v1/providers?skill=peg+feed").json["error"]
    assert error["fields"]["skill"]["suggestions"][0] == "peg_feeding"


def test_provider_detail(client, leeds):
    near, _, _, carer = leeds
    response = client.get(f"/api/v1/providers/{near.id}?postcode=LS6+1AA")
    assert response.status_code == 200
    body = response.json
    assert body["name"] == "Near Co-op" and body["legal_form"] == "worker_coop"
    assert [c["display_name"] for c in body["carers"]] == ["Ana"]
    assert set(body["carers"][0]) == CARER_KEYS
    assert body["carers"][0]["ref"] == "c-ana" and body["carers"][0]["district"] == "LS6"
    assert body["carers"][0]["distance_km"] is not None
    assert SECRET_POSTCODE not in response.get_data(as_text=True)


def test_provider_detail_404_for_unapproved_and_unknown(client, leeds):
    _, _, hidden, _ = leeds
    for url in (f"/api/v1/providers/{hidden.id}", "/api/v1/providers/999999"):
        response = client.get(url)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_new_routes_are_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/providers"] and "get" in paths["/providers/{provider_id}"]
    assert "post" in paths["/match"]


def test_links_in_answers_use_the_public_address_not_the_host_header(client, leeds, app, make):
    """A forged Host header must not turn our API's links into links to another site."""
    for n in range(20):
        make.provider(name=f"Paged Co-op {n:02d}")
    public = app.config["PUBLIC_BASE_URL"].rstrip("/")
    body = client.get("/api/v1/providers?postcode=LS6+1AA", headers={"Host": "evil.example"}).json
    text = json.dumps(body)
    assert "evil.example" not in text
    assert body["results"][0]["url"].startswith(public + "/")
    assert body["next"].startswith(public + "/api/v1/providers?")
    near = leeds[0]
    detail = client.get(f"/api/v1/providers/{near.id}", headers={"Host": "evil.example"}).json
    assert "evil.example" not in json.dumps(detail)
