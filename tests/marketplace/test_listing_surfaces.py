"""No carer without verified checks appears on any public surface (issue 9, finding 2).

One approved provider with a team holds a verified carer (the control: every surface
must show them) and carers whose checks are missing, only declared, lapsed, or verified
except for one check. Each public page and API answer is searched for the names and ids
of the unverified ones.
"""

from __future__ import annotations

import json
import re

import pytest

from marketplace.extensions import db
from marketplace.models import TeamMember

LEEDS = "E08000035"


@pytest.fixture
def world(make):
    provider = make.provider(name="Surface Test Co-op", care_council_code=LEEDS)
    shown = make.carer(provider, display_name="Shown Verified", skills=["personal_care"])
    hidden = {
        "no checks": make.carer(provider, display_name="Hidden Nochecks", checks=None),
        "declared": make.carer(provider, display_name="Hidden Declared", checks="declared"),
        "lapsed": make.carer(provider, display_name="Hidden Lapsed"),
        "half": make.carer(provider, display_name="Hidden Halfverified"),
    }
    hidden["lapsed"].check("criminal_record").status = "lapsed"
    hidden["lapsed"].check("criminal_record").lapsed_reason = "Too old"
    hidden["half"].check("right_to_work").status = "declared"
    hidden["half"].check("right_to_work").verified_at = None
    for carer in hidden.values():
        carer.skills = ["personal_care"]
    team = make.team(provider, name="Surface team", patch=["LS6"])
    for seat, carer in enumerate([shown, *hidden.values()], start=1):
        db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=seat))
    db.session.flush()
    db.session.expire_all()
    return provider, shown, hidden, team


def _surfaces(client, provider, team, carer_ids):
    """Every public answer that could name a carer: (name, body text)."""
    yield "search page", client.get("/search?postcode=LS6+1AA&radius_km=20").get_data(True)
    yield (
        "search page, skill filter",
        client.get("/search?postcode=LS6+1AA&skill=personal_care").get_data(True),
    )
    yield "provider page", client.get(f"/providers/{provider.id}").get_data(True)
    yield "team page", client.get(f"/teams/{team.id}").get_data(True)
    yield "council page", client.get(f"/councils/{LEEDS}").get_data(True)
    yield "councils page", client.get("/councils").get_data(True)
    yield "home page", client.get("/").get_data(True)
    body = {"postcode": "LS6 1AA", "max_distance_km": 25, "limit": 100}
    yield "match API", json.dumps(client.post("/api/v1/match", json=body).json)
    must = {**body, "must_have": ["personal_care"]}
    yield "match API, must have", json.dumps(client.post("/api/v1/match", json=must).json)
    yield "providers API", json.dumps(client.get("/api/v1/providers?postcode=LS6+1AA").json)
    yield "providers API, no place", json.dumps(client.get("/api/v1/providers").json)
    yield (
        "provider detail API",
        json.dumps(client.get(f"/api/v1/providers/{provider.id}?postcode=LS6+1AA").json),
    )
    yield "council CSV", client.get(f"/councils/{LEEDS}/providers.csv").get_data(True)
    yield (
        "Open Referral services",
        json.dumps(client.get("/api/openreferral/v3/services?per_page=100").json),
    )
    yield (
        "Open Referral service at locations",
        json.dumps(client.get("/api/openreferral/v3/service_at_locations?per_page=100").json),
    )
    for carer_id in carer_ids:
        response = client.get(f"/carers/{carer_id}")
        yield f"carer page {carer_id}", f"{response.status_code} {response.get_data(True)}"


def _map_data(html: str) -> list[dict]:
    found = re.search(
        r'<script type="application/json" id="results-map-data">(.*?)</script>', html, re.S
    )
    return json.loads(found.group(1)) if found else []


def test_no_unverified_carer_appears_anywhere(client, world):
    provider, shown, hidden, team = world
    seen_shown = []
    for surface, body in _surfaces(client, provider, team, [shown.id]):
        for why, carer in hidden.items():
            assert carer.display_name not in body, f"{carer.display_name} ({why}) on {surface}"
            assert f'/carers/{carer.id}"' not in body, f"link to {why} carer on {surface}"
            assert f'"carer_id": {carer.id},' not in body, f"{why} carer id in {surface}"
        if shown.display_name in body:
            seen_shown.append(surface)
    # The control: the verified carer is on every surface that lists carers.
    assert set(seen_shown) >= {
        "search page",
        "search page, skill filter",
        "provider page",
        "team page",
        "match API",
        "match API, must have",
        "provider detail API",
        f"carer page {shown.id}",
    }


def test_unverified_carers_have_no_public_page(client, world):
    _, _, hidden, _ = world
    for carer in hidden.values():
        assert client.get(f"/carers/{carer.id}").status_code == 404


def test_map_data_counts_only_verified_carers(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILES_URL", "https://tiles.invalid/{z}/{x}/{y}.png")
    html = client.get("/search?postcode=LS6+1AA&radius_km=20").get_data(True)
    carers = [p for p in _map_data(html) if p["kind"] == "carers"]
    assert sum(int(p["label"].split()[0]) for p in carers) == 1


def test_the_home_page_counts_only_listed_carers(client, world):
    from marketplace.pages.services import directory_summary

    assert directory_summary()["carers"] == 1


def test_team_size_counts_only_listed_members(client, world):
    _, _, _, team = world
    page = client.get(f"/teams/{team.id}").get_data(True)
    assert "1 of at most 12 people" in page
