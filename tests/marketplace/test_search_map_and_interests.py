"""The optional map: district centres only, and only when tiles are configured."""

import json
import re

import pytest

from marketplace import geo
from marketplace.search import services


@pytest.fixture
def map_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILES_URL", "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png")


def _points(body: str) -> list[dict]:
    found = re.search(
        r'<script type="application/json" id="results-map-data">(.*?)</script>', body, re.S
    )
    assert found, "no map data on the page"
    return json.loads(found.group(1))


def test_map_uses_district_centres_never_a_carers_own_point(client, make, map_on):
    provider = make.provider(name="Map Test Co-op")
    carer = make.carer(provider, postcode="LS6 3HN", district="LS6", lat=53.82035, lon=-1.5785)
    body = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    points = _points(body)
    centre = geo.district_centroid("LS6")
    carers = [p for p in points if p["kind"] == "carers"]
    assert carers and all(p["label"].endswith("in LS6") for p in carers)
    assert (carers[0]["lat"], carers[0]["lon"]) == (round(centre[0], 4), round(centre[1], 4))
    assert str(carer.lat) not in body and "LS6 3HN" not in body
    assert any(p["kind"] == "provider" and p["url"] == f"/providers/{provider.id}" for p in points)
    assert 'data-module="results-map" hidden' in body  # hidden until JavaScript shows it
    assert "vendor/leaflet/leaflet.js" in body
    assert (
        "img-src 'self' data: http://127.0.0.1:9;"
        in client.get("/").headers["Content-Security-Policy"]
    )


def test_no_map_when_tiles_are_not_configured(client, make):
    make.carer(make.provider())
    body = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert "results-map" not in body and "leaflet" not in body


def test_map_points_skip_unknown_districts(app, make):
    place = geo.lookup("LS6 1AA")
    provider = make.provider(district="ZZ99", postcode="LS6 1AA")
    hit = services.ProviderHit(provider, 1.0)
    points = services.map_points(place, [], [hit])
    assert [p["kind"] for p in points] == ["place"]


def test_interests_rank_carers_who_share_them_higher_and_say_why(client, make):
    provider = make.provider()
    make.carer(
        provider, display_name="Near Nofish", interests=["knitting"], lat=53.8179, lon=-1.5745
    )
    make.carer(provider, display_name="Far Fisher", interests=["fishing"], lat=53.84, lon=-1.58)
    plain = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert plain.index("Near Nofish") < plain.index("Far Fisher")
    body = client.get("/search?postcode=LS6+1AA&interest=fishing").get_data(as_text=True)
    assert body.index("Far Fisher") < body.index("Near Nofish")
    assert "You both enjoy fishing" in body


def test_unknown_interest_gets_a_clear_error(client):
    response = client.get("/search?postcode=LS6+1AA&interest=not-a-thing")
    assert "Choose interests from the list" in response.get_data(as_text=True)
