"""The Open Referral UK feed (/api/openreferral/v3/): every answer validates against the
shipped Open Referral UK schemas, only listed providers appear, filters do what they say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import openreferral_schemas
import pytest
import sqlalchemy as sa

from marketplace import geo
from marketplace.extensions import db
from marketplace.models import Provider
from marketplace.openreferral import services as feed

BASE = "/api/openreferral/v3"
SECRET_POSTCODE = "LS6 3HN"


def get_valid(client, path: str, schema_path: str, query: str = "", status: int = 200):
    """GET and check the answer against the Open Referral UK schema for ``schema_path``."""
    response = client.get(BASE + path + (("?" + query) if query else ""))
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    if status == 200:
        problems = openreferral_schemas.errors(schema_path, body)
        assert not problems, f"{path}?{query}:\n" + "\n".join(problems)
    return body


def get_page(client, path: str, query: str = "") -> dict:
    body = get_valid(client, path, path, query)
    for key in (
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    ):
        assert key in body, key
    return body


def names(body: dict) -> list[str]:
    return [item["name"] for item in body["contents"]]


@pytest.fixture
def catalogue(make):
    leeds = make.provider(
        name="Headingley Care Co-op",
        postcode=SECRET_POSTCODE,
        lat=53.82035,
        lon=-1.5785,
        skills=["personal_care", "peg_feeding"],
        languages=["en", "pa"],
        contact_email="hello@headingley.example",
        contact_phone="0113 496 0000",
        website="headingley.example",
        hourly_rate_pence=2350,
        fca_number="31234R",
        regulated=True,
        regulator="cqc",
        regulator_number="1-1234567890",
        regulator_rating="good",
        description="Care at home from a worker co-op.",
    )
    north = make.provider(
        name="Alwoodley Neighbours",
        legal_form="cic",
        district="LS17",
        postcode=None,  # placed by district only: shown at the LS17 centre
        lat=53.8602,
        lon=-1.5276,
        service_radius_km=3.0,
        skills=["companionship"],
        companies_house_number="12345678",
    )
    bristol = make.provider(
        name="Bristol Care Co-op",
        district="BS1",
        postcode="BS1 4DJ",
        lat=51.4532,
        lon=-2.5938,
        care_council_code="E06000023",
        service_radius_km=None,
        service_districts=["BS1", "BS2"],
        skills=["dementia_care"],
    )
    hidden = [
        make.provider(name=f"Hidden {status} Co-op", qa_status=status)
        for status in ("draft", "submitted", "changes_requested", "suspended")
    ]
    make.carer(leeds, display_name="Ana", availability=["mon-am", "tue-am", "fri-eve"])
    make.carer(leeds, display_name="Ben", availability=["mon-am", "wed-pm"])
    make.carer(leeds, display_name="Paused", active=False, availability=["sun-am"])
    return {"leeds": leeds, "north": north, "bristol": bristol, "hidden": hidden}


def service_id(provider: Provider) -> str:
    return feed.stable_id("service", provider.id)


# ---------------------------------------------------------------------------
# Every endpoint validates
# ---------------------------------------------------------------------------


def test_meta(client):
    body = get_valid(client, "/", "/")
    assert body == {
        "version": "3.0",
        "profile": "https://github.com/openreferral/uk-profile",
        "openapi_url": "https://coopcare.example/api/openreferral/v3/openapi.json",
    }
    document = client.get(BASE + "/openapi.json").get_json()
    assert document["info"]["title"] == "Open Referral UK Profile"
    assert document["servers"] == [{"url": "https://coopcare.example/api/openreferral/v3"}]


def test_urls_come_from_public_base_url_never_the_host_header(client, catalogue):
    body = client.get(
        BASE + f"/services/{service_id(catalogue['leeds'])}",
        headers={"Host": "evil.example"},
    ).get_json()
    assert "evil.example" not in json.dumps(body)
    assert body["url"] == f"https://coopcare.example/providers/{catalogue['leeds'].id}"


def test_every_path_in_the_api_description_is_served(client, catalogue):
    terms = get_page(client, "/taxonomy_terms", "per_page=200")["contents"]
    taxonomies = get_page(client, "/taxonomies")["contents"]
    ids = {
        "/services/{id}": service_id(catalogue["leeds"]),
        "/service_at_locations/{id}": feed.stable_id("service_at_location", catalogue["leeds"].id),
        "/taxonomies/{id}": taxonomies[0]["id"],
        "/taxonomy_terms/{id}": terms[0]["id"],
    }
    for path in openreferral_schemas.openapi_paths():
        body = get_valid(client, path.replace("{id}", ids.get(path, "")), path)
        assert body


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=1&per_page=2",
        "page=2&per_page=2",
        "page=9",
        "search=co-op",
        "search=PEG",
        "search=nothing-like-this",
        "taxonomy_term_id={peg}",
        "taxonomy_id={skills}",
        "postcode=LS6+1AA",
        "postcode=LS6",
        "postcode=LS6+1AA&proximity=5000",
        "postcode=BS1+4DJ&proximity=200000",
        "modified_after=2000-01-01T00:00:00Z",
        "modified_after=2999-01-01",
        "council=E08000035",
        "council=E06000023&per_page=1",
    ],
)
@pytest.mark.parametrize("path", ["/services", "/service_at_locations"])
def test_lists_validate_for_every_parameter(client, catalogue, path, query):
    query = query.format(
        peg=feed.term_id("skills", "peg_feeding"), skills=feed.taxonomy_id("skills")
    )
    body = get_page(client, path, query)
    assert body["size"] == len(body["contents"])
    assert body["empty"] == (body["size"] == 0)
    assert "Hidden" not in json.dumps(body)


def test_full_service(client, catalogue):
    leeds = catalogue["leeds"]
    body = get_valid(client, f"/services/{service_id(leeds)}", "/services/{id}")
    assert body["name"] == "Headingley Care Co-op"
    assert body["status"] == "active"
    assert body["assured_date"] == leeds.approved_at.date().isoformat()
    assert body["assurer_email"] == "quality@coopcare.invalid"
    assert (
        "Care Quality Commission, CQC location ID 1-1234567890, CQC rating: Good"
        in (body["accreditations"])
    )
    organization = body["organization"]
    assert organization["website"] == "https://headingley.example"
    schemes = {
        i["identifier_type"]: i["identifier"] for i in organization["organization_identifiers"]
    }
    assert schemes == {
        "FCA Mutuals Public Register number": "31234R",
        "CQC location ID": "1-1234567890",
    }
    assert organization["attributes"][0]["taxonomy_term"]["name"] == "Worker co-operative"
    assert [a["taxonomy_term"]["term"] for a in body["attributes"]] == [
        "personal_care",
        "peg_feeding",
    ]
    assert [(lang["code"], lang["name"]) for lang in body["languages"]] == [
        ("en", "English"),
        ("pa", "Punjabi"),
    ]
    assert body["cost_options"][0]["amount"] == 23.5
    contact = body["contacts"][0]
    assert contact["email"] == "hello@headingley.example"
    assert contact["phones"][0]["number"] == "0113 496 0000"
    # Schedules come from the active carers' availability; the paused carer's Sunday is not there.
    assert {(s["byday"], s["description"]) for s in body["schedules"]} == {
        ("MO,TU", "Carers are available on mornings: Monday and Tuesday."),
        ("WE", "Carers are available on afternoons: Wednesday."),
        ("FR", "Carers are available on evenings: Friday."),
    }
    leeds_area = body["service_areas"][0]
    assert leeds_area["name"] == "Leeds"
    assert leeds_area["uri"].endswith("/E08000035")
    assert "LS6" in leeds_area["extent"].split(", ")


def test_location_is_the_public_point_never_the_provider_postcode(client, catalogue):
    leeds = catalogue["leeds"]
    body = get_valid(client, f"/services/{service_id(leeds)}", "/services/{id}")
    location = body["service_at_locations"][0]["location"]
    public = geo.public_point(SECRET_POSTCODE)  # the centre of sector LS6 3
    assert (location["latitude"], location["longitude"]) == (
        round(public.lat, 4),
        round(public.lon, 4),
    )
    assert (location["latitude"], location["longitude"]) == (
        round(leeds.public_lat, 4),
        round(leeds.public_lon, 4),
    )
    assert (location["latitude"], location["longitude"]) != (leeds.lat, leeds.lon)
    address = location["addresses"][0]
    assert address["postal_code"] == "LS6 3"
    assert address["address_1"] == "Postcode sector LS6 3"
    text = json.dumps(body)
    assert SECRET_POSTCODE not in text and "3HN" not in text
    assert str(leeds.lat) not in text and str(leeds.lon) not in text


def test_a_provider_known_only_by_district_is_at_the_district_centre(client, make):
    pa = make.provider(
        name="Sam, personal assistant",
        legal_form="self_employed_pa",
        postcode=None,
        district="LS6",
    )
    body = get_valid(client, f"/services/{service_id(pa)}", "/services/{id}")
    location = body["service_at_locations"][0]["location"]
    centre = geo.district_centroid("LS6")
    assert (location["latitude"], location["longitude"]) == (
        round(centre[0], 4),
        round(centre[1], 4),
    )
    assert location["addresses"][0]["address_1"] == "Postcode district LS6"


def test_service_at_locations(client, catalogue):
    body = get_page(client, "/service_at_locations", "postcode=BS1+4DJ")
    assert [item["service"]["name"] for item in body["contents"]] == ["Bristol Care Co-op"]
    item = body["contents"][0]
    assert item["service_id"] == service_id(catalogue["bristol"])
    assert item["location"]["addresses"][0]["postal_code"] == "BS1 4"
    one = get_valid(client, f"/service_at_locations/{item['id']}", "/service_at_locations/{id}")
    assert one["service"]["service_areas"][0]["name"] == "City of Bristol"


# ---------------------------------------------------------------------------
# Who appears
# ---------------------------------------------------------------------------


def test_only_listed_providers_appear_anywhere(client, catalogue):
    body = get_page(client, "/services", "per_page=200")
    assert sorted(names(body)) == [
        "Alwoodley Neighbours",
        "Bristol Care Co-op",
        "Headingley Care Co-op",
    ]
    for provider in catalogue["hidden"]:
        for path in ("/services/", "/service_at_locations/"):
            kind = "service" if path == "/services/" else "service_at_location"
            response = client.get(BASE + path + feed.stable_id(kind, provider.id))
            assert response.status_code == 404
            assert response.get_json()["error"]["code"] == "not_found"


def test_a_suspended_provider_leaves_the_feed(client, catalogue):
    leeds = catalogue["leeds"]
    assert client.get(BASE + f"/services/{service_id(leeds)}").status_code == 200
    leeds.qa_status = "suspended"
    db.session.flush()
    assert client.get(BASE + f"/services/{service_id(leeds)}").status_code == 404
    assert "Headingley" not in json.dumps(client.get(BASE + "/services").get_json())


def test_ids_are_stable_uuids_derived_from_our_ids(client, catalogue):
    # Fixed forever: a council's copy keeps its identity across harvests and releases.
    assert feed.stable_id("service", 1) == "1bd2b1e6-f5cc-52db-aee4-04dc81fdebcf"
    leeds = catalogue["leeds"]
    first = client.get(BASE + f"/services/{service_id(leeds)}").get_json()
    again = client.get(BASE + f"/services/{service_id(leeds)}").get_json()
    assert first == again
    assert uuid.UUID(first["id"]).version == 5
    every_id = [v for k, v in _walk(first) if k == "id"]
    assert len(every_id) == len(set(every_id)), "ids must not repeat inside a service"


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "taxonomy_term":
                continue  # the same term may be linked twice
            yield from _walk(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------


def test_postcode_and_proximity_return_the_providers_within_that_distance(client, catalogue):
    # Sector LS6 3's centre is 0.8 km from LS6 1AA, the LS17 centre 5.6 km, BS1 272 km.
    assert names(get_page(client, "/services", "postcode=LS6+1AA&proximity=1000")) == [
        "Headingley Care Co-op"
    ]
    assert names(get_page(client, "/services", "postcode=LS6+1AA&proximity=6000")) == [
        "Headingley Care Co-op",
        "Alwoodley Neighbours",
    ]
    assert names(get_page(client, "/services", "postcode=LS6+1AA&proximity=300000")) == [
        "Headingley Care Co-op",
        "Alwoodley Neighbours",
        "Bristol Care Co-op",
    ]
    assert names(get_page(client, "/services", "postcode=LS6+1AA&proximity=200")) == []


def test_postcode_alone_returns_providers_whose_service_area_covers_it(client, catalogue):
    # Alwoodley serves 3 km around LS17: not LS6 (5.6 km away). Bristol names BS2.
    assert names(get_page(client, "/services", "postcode=LS6+1AA")) == ["Headingley Care Co-op"]
    assert names(get_page(client, "/services", "postcode=BS2")) == ["Bristol Care Co-op"]


def test_search_taxonomy_and_council_filters(client, catalogue):
    assert names(get_page(client, "/services", "search=peg+feeding")) == ["Headingley Care Co-op"]
    assert names(get_page(client, "/services", "search=NEIGHBOURS")) == ["Alwoodley Neighbours"]
    cic = feed.term_id("legal_forms", "cic")
    assert names(get_page(client, "/services", f"taxonomy_term_id={cic}")) == [
        "Alwoodley Neighbours"
    ]
    assert names(get_page(client, "/services", "council=E06000023")) == ["Bristol Care Co-op"]
    assert sorted(names(get_page(client, "/services", "council=e08000035"))) == [
        "Alwoodley Neighbours",
        "Headingley Care Co-op",
    ]


def test_modified_after(client, catalogue):
    bristol = catalogue["bristol"]
    old = datetime(2025, 1, 1, tzinfo=UTC)
    db.session.execute(
        sa.update(Provider)
        .where(Provider.id != bristol.id)
        .values(updated_at=old, approved_at=old)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.text("UPDATE carers SET updated_at = :old"), {"old": old})
    db.session.expire_all()
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = get_page(client, "/services", "modified_after=" + since.replace("+", "%2B"))
    assert names(body) == ["Bristol Care Co-op"]
    assert len(get_page(client, "/services", "modified_after=2024-12-31")["contents"]) == 3


def test_pagination(client, catalogue):
    first = get_page(client, "/services", "per_page=2")
    assert (first["total_items"], first["total_pages"], first["size"]) == (3, 2, 2)
    assert first["first_page"] and not first["last_page"]
    second = get_page(client, "/services", "per_page=2&page=2")
    assert (second["page_number"], second["size"], second["last_page"]) == (2, 1, True)
    assert not set(names(first)) & set(names(second))
    beyond = get_page(client, "/services", "page=5")
    assert beyond["empty"] and beyond["contents"] == []


def test_taxonomies_and_terms(client):
    taxonomies = get_page(client, "/taxonomies")["contents"]
    assert [t["name"] for t in taxonomies] == [
        "CoopCare help offered",
        "CoopCare organisation types",
    ]
    skills = feed.taxonomy_id("skills")
    terms = get_page(client, "/taxonomy_terms", f"taxonomy_id={skills}&per_page=200")
    assert {t["taxonomy_id"] for t in terms["contents"]} == {skills}
    assert "PEG feeding" in names(terms)
    one = get_valid(
        client, f"/taxonomy_terms/{feed.term_id('skills', 'peg_feeding')}", "/taxonomy_terms/{id}"
    )
    assert one["name"] == "PEG feeding"


# ---------------------------------------------------------------------------
# Bad input: a clear 4xx, never a 500
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("page=0", 422, "page"),
        ("page=abc", 422, "page"),
        ("per_page=1000", 422, "per_page"),
        ("per_page=-1", 422, "per_page"),
        ("proximity=1000", 422, "proximity"),
        ("postcode=LS6+1AA&proximity=far", 422, "proximity"),
        ("postcode=LS6+1AA&proximity=0", 422, "proximity"),
        ("postcode=LS6+1AA&proximity=nan", 422, "proximity"),
        ("postcode=NOT+A+POSTCODE", 422, "postcode"),
        ("postcode=ZZ9+9ZZ", 404, "postcode"),
        ("modified_after=yesterday", 422, "modified_after"),
        ("taxonomy_term_id=not-a-term", 422, "taxonomy_term_id"),
        # Fixed, not uuid4(): every xdist worker must collect the same test ids.
        ("taxonomy_term_id=0f5dcba9-5395-45bf-b25b-26e9bc596df0", 422, "taxonomy_term_id"),
        ("taxonomy_id=nope", 422, "taxonomy_id"),
        ("council=leeds", 422, "council"),
        ("search=" + "x" * 201, 422, "search"),
    ],
)
def test_bad_parameters_are_clear_errors(client, query, status, field):
    response = client.get(f"{BASE}/services?{query}")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and set(error) == {"code", "message", "fields"}
    if status == 422:
        assert field in error["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/services/not-a-uuid",
        # Unknown ids, fixed (not uuid4()) so every xdist worker collects the same tests.
        "/services/5b0bcc5e-f9f0-4ed5-896e-f747fc13ca03",
        "/service_at_locations/x",
        "/taxonomies/x",
        "/taxonomy_terms/23950809-c763-43e4-acea-b67db0a30f0b",
        "/services/" + "9" * 5000,
    ],
)
def test_unknown_ids_are_404(client, path):
    response = client.get(BASE + path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_service_id_is_not_a_service_at_location_id(client, catalogue):
    leeds = catalogue["leeds"]
    assert client.get(BASE + f"/service_at_locations/{service_id(leeds)}").status_code == 404
    sal = feed.stable_id("service_at_location", leeds.id)
    assert client.get(BASE + f"/services/{sal}").status_code == 404


def test_the_feed_has_its_own_rate_limit(database_url):
    from marketplace import create_app
    from marketplace.config import TestConfig

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        RATELIMIT_ENABLED = True
        API_RATE_LIMIT = "1 per minute"
        OPENREFERRAL_RATE_LIMIT = "3 per minute"

    client = create_app(Limited).test_client()
    assert [client.get(BASE + "/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(BASE + "/")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert response.headers["Retry-After"]
