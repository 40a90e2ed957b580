"""What search engines and link previews read, and the national map with its GeoJSON."""

from __future__ import annotations

import html
import json
import re
from xml.etree import ElementTree

import pytest
from jsonschema import Draft202012Validator

from marketplace import geo
from marketplace.api.openapi import openapi_document
from marketplace.openreferral.services import stable_id
from marketplace.seo.services import SITEMAP_NS, aggregate_rating, provider_json_ld

BASE = "https://coopcare.example"


@pytest.fixture
def catalogue(make):
    leeds = make.provider(
        name="Headingley Care Co-op",
        postcode="LS6 3HN",
        lat=53.82035,
        lon=-1.5785,
        skills=["personal_care", "peg_feeding"],
        fca_number="31234R",
        contact_email="hello@headingley.example",
        website="https://headingley.example",
        description="Care at home from a worker co-op in Headingley.",
    )
    team = make.team(leeds, name="Headingley Team", members=2)
    pa = make.provider(
        name="Sam Okafor, personal assistant",
        legal_form="self_employed_pa",
        postcode=None,
        district="LS17",
        skills=["companionship"],
    )
    bristol = make.provider(
        name="Bristol Care Co-op",
        legal_form="cic",
        care_council_code="E06000023",
        postcode="BS1 4DJ",
        district="BS1",
        lat=51.45173,
        lon=-2.59686,
        skills=["dementia_care"],
    )
    hidden = [
        make.provider(name=f"Hidden {status} Co-op", qa_status=status)
        for status in ("draft", "submitted", "changes_requested", "suspended")
    ]
    hidden_team = make.team(hidden[-1], name="Hidden Team")
    return {
        "leeds": leeds,
        "team": team,
        "pa": pa,
        "bristol": bristol,
        "hidden": hidden,
        "hidden_team": hidden_team,
    }


# ---------------------------------------------------------------------------
# robots.txt, sitemap.xml, favicon.ico
# ---------------------------------------------------------------------------


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "User-agent: *" in text
    for private in ("/account", "/provider/", "/review", "/admin/", "/carer/"):
        assert f"Disallow: {private}\n" in text
    assert f"Sitemap: {BASE}/sitemap.xml" in text


def _sitemap_paths(client, **headers) -> list[str]:
    response = client.get("/sitemap.xml", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    locs = [el.text for el in root.iter(f"{{{SITEMAP_NS}}}loc")]
    assert all(loc.startswith(BASE + "/") for loc in locs)
    return [loc[len(BASE) :] for loc in locs]


def test_sitemap_lists_exactly_the_listed_providers_their_teams_and_councils(client, catalogue):
    paths = _sitemap_paths(client)
    providers = sorted(int(p.split("/")[2]) for p in paths if p.startswith("/providers/"))
    assert providers == sorted(catalogue[k].id for k in ("leeds", "pa", "bristol"))
    teams = [int(p.split("/")[2]) for p in paths if p.startswith("/teams/")]
    assert teams == [catalogue["team"].id]
    councils = {p.split("/")[2] for p in paths if p.startswith("/councils/")}
    assert {"E08000035", "E06000023"} <= councils
    for path in ("/", "/about", "/councils", "/map"):
        assert path in paths
    assert len(paths) == len(set(paths))


def test_sitemap_ignores_the_host_header(client, catalogue):
    response = client.get("/sitemap.xml", headers={"Host": "evil.example"})
    assert b"evil.example" not in response.data


def test_sitemap_pages_all_answer(client, catalogue):
    for path in _sitemap_paths(client):
        assert client.get(path).status_code == 200, path


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page


# ---------------------------------------------------------------------------
# Every public page: meta description (unique), canonical link, Open Graph
# ---------------------------------------------------------------------------

NOT_PAGES = ("/static/", "/api/", "/sitemap.xml", "/robots.txt", "/favicon.ico", ".csv")


def public_pages(app, catalogue) -> list[str]:
    """Every GET route that answers an anonymous visitor with an HTML page (routes with
    arguments are filled with a listed provider, team, carer or council)."""
    samples = {
        "provider_id": catalogue["leeds"].id,
        "team_id": catalogue["team"].id,
        "carer_id": catalogue["team"].memberships[0].carer_id,
        "code": "E08000035",
        "token": "not-a-real-token",
    }
    paths = {"/search?postcode=LS6+1AA", "/map?legal_form=cic"}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or any(
            rule.rule.endswith(s) or s in rule.rule for s in NOT_PAGES
        ):
            continue
        if not set(rule.arguments) <= set(samples):
            continue
        paths.add(rule.build({k: samples[k] for k in rule.arguments})[1])
    return sorted(paths)


def _head(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in re.findall(r"<(?:meta|link)\b[^>]*>", page.split("</head>")[0]):
        attrs = dict(re.findall(r'(\w[\w:-]*)="([^"]*)"', tag))
        key = attrs.get("name") or attrs.get("property") or "link:" + attrs.get("rel", "")
        value = attrs.get("content", attrs.get("href", ""))
        found.setdefault(key, []).append(html.unescape(value))
    return found


def test_every_public_page_has_a_unique_description_a_canonical_link_and_open_graph(
    app, client, catalogue
):
    descriptions: dict[str, str] = {}
    pages = 0
    for path in public_pages(app, catalogue):
        response = client.get(path, headers={"Host": "evil.example"})
        if response.status_code != 200 or response.mimetype != "text/html":
            continue  # redirects to log in, or not a page
        pages += 1
        head = _head(response.get_data(as_text=True))
        [description] = head["description"]
        assert len(description) >= 40, f"{path}: description too short: {description!r}"
        assert not description.startswith("CoopCare: "), f"{path} uses the fallback"
        [canonical] = head["link:canonical"]
        assert canonical == BASE + path.split("?")[0], path
        # Two addresses of one page (a filtered map) may share it; two pages may not.
        assert descriptions.setdefault(description, canonical) == canonical, (
            f"{path} has the same description as {descriptions[description]}"
        )
        assert head["og:url"] == [canonical]
        assert head["og:description"] == [description]
        assert head["og:title"][0] and head["og:site_name"] == ["CoopCare"]
        assert head["og:image"] == [BASE + "/static/coopcare-share.png"]
    assert pages >= 15, f"only {pages} public pages found"


def test_error_pages_have_no_canonical_link(client):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert 'rel="canonical"' not in page
    assert 'name="description" content="We could not find this CoopCare page.' in page


def test_signed_in_pages_fall_back_to_their_title(as_role):
    page = as_role("admin").get("/admin/councils").get_data(as_text=True)
    assert '<meta name="description" content="CoopCare: Council links.">' in page


# ---------------------------------------------------------------------------
# JSON-LD on provider pages
# ---------------------------------------------------------------------------


def _json_ld(page: str) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return json.loads(block)


def test_provider_page_json_ld(client, catalogue):
    leeds = catalogue["leeds"]
    data = _json_ld(client.get(f"/providers/{leeds.id}").get_data(as_text=True))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == ["Organization", "LocalBusiness"]
    assert data["name"] == "Headingley Care Co-op"
    assert data["url"] == f"{BASE}/providers/{leeds.id}"
    assert {"@type": "AdministrativeArea", "name": "Leeds", "identifier": "E08000035"} in data[
        "areaServed"
    ]
    assert data["address"] == {
        "@type": "PostalAddress",
        "postalCode": "LS6",
        "addressCountry": "GB",
        "addressLocality": "Leeds",
    }
    assert {
        "@type": "PropertyValue",
        "propertyID": "FCA Mutuals Public Register",
        "value": "31234R",
    } in data["identifier"]
    assert data["sameAs"] == ["https://headingley.example"]
    # No reviews exist, so no rating: never a made-up number.
    assert "aggregateRating" not in data
    assert "LS6 3HN" not in json.dumps(data) and "3HN" not in json.dumps(data)


def test_json_ld_cannot_break_out_of_its_script_element(client, make):
    provider = make.provider(name="Evil </script><script>alert(1)</script> Co-op")
    page = client.get(f"/providers/{provider.id}").get_data(as_text=True)
    block = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in block
    assert _json_ld(page)["name"] == provider.name


def test_aggregate_rating_only_from_real_ratings(app, catalogue):
    assert aggregate_rating([]) is None
    assert aggregate_rating([5, 4, 4]) == {
        "@type": "AggregateRating",
        "ratingValue": 4.3,
        "reviewCount": 3,
        "bestRating": 5,
        "worstRating": 1,
    }
    with app.test_request_context():
        assert "aggregateRating" not in provider_json_ld(catalogue["leeds"])
        rated = provider_json_ld(catalogue["leeds"], ratings=[5, 3])
        assert rated["aggregateRating"]["ratingValue"] == 4.0
        assert rated["aggregateRating"]["reviewCount"] == 2


# ---------------------------------------------------------------------------
# The national map, without JavaScript
# ---------------------------------------------------------------------------


def test_map_lists_every_listed_provider_by_council_with_counts(client, catalogue):
    page = client.get("/map").get_data(as_text=True)
    assert "3 providers in 2 council areas have passed our checks" in page
    leeds = page.split('id="council-E08000035"')[1].split("</section>")[0]
    assert "Leeds</a>" in leeds and "(2 providers)" in leeds
    assert "Headingley Care Co-op" in leeds and "Sam Okafor, personal assistant" in leeds
    bristol = page.split('id="council-E06000023"')[1].split("</section>")[0]
    assert "(1 provider)" in bristol and "Bristol Care Co-op" in bristol
    assert page.index('id="council-E06000023"') < page.index('id="council-E08000035"')
    for hidden in catalogue["hidden"]:
        assert hidden.name not in page


def test_map_filters_work_without_javascript(client, catalogue):
    page = client.get("/map?legal_form=self_employed_pa").get_data(as_text=True)
    assert "Sam Okafor" in page and "Headingley Care Co-op" not in page
    page = client.get("/map?skill=peg_feeding").get_data(as_text=True)
    assert "Headingley Care Co-op" in page and "Bristol Care Co-op" not in page
    page = client.get("/map?skill=peg_feeding&legal_form=cic").get_data(as_text=True)
    assert "No provider matches these choices" in page


def test_map_bad_filter_is_explained(client, catalogue):
    response = client.get("/map?legal_form=pirate_ship")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Choose a type of organisation from the list" in page


def test_map_points_are_public_points(app, client, catalogue):
    # The map's data is in the page (used only when JavaScript runs).
    app.config["MAP_TILES_URL"] = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    try:
        page = client.get("/map").get_data(as_text=True)
    finally:
        app.config["MAP_TILES_URL"] = ""
    data = page.split('<script type="application/json" id="results-map-data">')[1]
    points = json.loads(data.split("</script>")[0])
    by_label = {p["label"]: p for p in points}
    public = geo.public_point("LS6 3HN")
    leeds = by_label["Headingley Care Co-op (LS6 3)"]
    assert (leeds["lat"], leeds["lon"]) == (round(public.lat, 4), round(public.lon, 4))
    assert (leeds["lat"], leeds["lon"]) != (catalogue["leeds"].lat, catalogue["leeds"].lon)
    assert "Sam Okafor, personal assistant (LS17)" in by_label
    assert len(points) == 3


# ---------------------------------------------------------------------------
# GeoJSON
# ---------------------------------------------------------------------------


def _geojson_errors(body) -> list[str]:
    """Check against the schema /api/v1/openapi.json gives for this answer."""
    pointer = "#/paths/~1providers.geojson/get/responses/200/content/application~1geo+json/schema"
    validator = Draft202012Validator(
        {**openapi_document(), "$ref": pointer}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def _geojson(client, query: str = "", status: int = 200):
    response = client.get("/api/v1/providers.geojson" + ("?" + query if query else ""))
    assert response.status_code == status
    body = response.get_json(force=True)
    if status == 200:
        assert response.mimetype == "application/geo+json"
        assert not _geojson_errors(body)
    return body


def test_geojson_schema_check_can_fail():
    assert _geojson_errors({"type": "FeatureCollection", "features": [{"type": "Feature"}]})


def test_geojson_is_every_listed_provider_at_its_public_point(client, catalogue):
    body = _geojson(client)
    assert body["type"] == "FeatureCollection"
    names = sorted(f["properties"]["name"] for f in body["features"])
    assert names == [
        "Bristol Care Co-op",
        "Headingley Care Co-op",
        "Sam Okafor, personal assistant",
    ]
    leeds = next(f for f in body["features"] if f["id"] == catalogue["leeds"].id)
    public = geo.public_point("LS6 3HN")
    assert leeds["geometry"]["coordinates"] == [round(public.lon, 4), round(public.lat, 4)]
    assert leeds["properties"]["area"] == "LS6 3"
    assert leeds["properties"]["care_council"] == {"code": "E08000035", "name": "Leeds"}
    assert leeds["properties"]["url"] == f"{BASE}/providers/{catalogue['leeds'].id}"
    assert leeds["properties"]["open_referral_service_id"] == stable_id(
        "service", catalogue["leeds"].id
    )
    text = json.dumps(body)
    assert "3HN" not in text and "Hidden" not in text


def test_geojson_filters(client, catalogue):
    body = _geojson(client, "legal_form=cic")
    assert [f["properties"]["name"] for f in body["features"]] == ["Bristol Care Co-op"]
    body = _geojson(client, "skill=companionship")
    assert [f["properties"]["name"] for f in body["features"]] == ["Sam Okafor, personal assistant"]


@pytest.mark.parametrize(
    ("query", "field"), [("legal_form=pirate", "legal_form"), ("skill=peg_feed", "skill")]
)
def test_geojson_bad_filters(client, query, field):
    error = _geojson(client, query, status=422)["error"]
    assert field in error["fields"] and error["message"]


def test_geojson_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/providers.geojson" in document["paths"]
    assert "ProviderFeature" in document["components"]["schemas"]
