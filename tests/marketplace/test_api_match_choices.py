"""POST /api/v1/match offers what the search page does (issue 11, items 1, 3, 6)."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.marketplace.test_person_profile import _new_person, _post_profile

BODY = {"postcode": "LS6 1AA", "max_distance_km": 10}


@pytest.fixture
def carers(make):
    provider = make.provider(name="Choices Co-op", legal_form="worker_coop")
    ana = make.carer(
        provider,
        display_name="Ana",
        interests=["gardening"],
        languages=["en", "ur"],
        availability=["mon-am"],
        hourly_rate_pence=2000,
        gender="female",
    )
    ben = make.carer(
        provider,
        display_name="Ben",
        interests=["football"],
        languages=["en"],
        availability=["tue-pm"],
        hourly_rate_pence=2500,
        gender="male",
    )
    return ana, ben


def names(body) -> list[str]:
    return [r["display_name"] for r in body["results"]]


def test_synonyms_are_accepted_like_on_the_search_page(client, carers):
    body = client.post("/api/v1/match", json={**BODY, "interests": ["garden"]}).json
    assert names(body)[0] == "Ana"
    assert body["results"][0]["signals"]["interests"]["explanation"] == "you both enjoy gardening"
    spoken = client.post("/api/v1/match", json={**BODY, "must_speak": ["Urdu"]}).json
    assert names(spoken) == ["Ana"] and spoken["excluded"] == {"language": 1}


def test_languages_and_times_are_hard_filters_with_their_own_counts(client, carers):
    body = client.post(
        "/api/v1/match", json={**BODY, "availability": ["mon-am"], "only_available": True}
    ).json
    assert names(body) == ["Ana"] and body["excluded"] == {"not_available": 1}
    widen = {w["kind"]: w for w in body["widen"]}
    assert widen["drop_availability"]["extra"] == 1
    no_times = client.post("/api/v1/match", json={**BODY, "only_available": True}).json
    assert sorted(names(no_times)) == ["Ana", "Ben"]  # no times given: nothing to filter by
    wrong = client.post("/api/v1/match", json={**BODY, "availability": ["someday"]})
    assert wrong.status_code == 422


def test_what_matters_most_and_price(client, carers):
    cheap = client.post("/api/v1/match", json={**BODY, "priority": "price"}).json
    first = cheap["results"][0]
    assert first["display_name"] == "Ana"
    assert next(iter(first["signals"])) == "price"
    assert first["signals"]["price"]["explanation"].endswith("(you said this matters most)")
    bad = client.post("/api/v1/match", json={**BODY, "priority": "beauty"})
    assert bad.status_code == 422 and "priority" in bad.json["error"]["fields"]


def test_budget_says_hours_a_week_and_filters_by_rate(client, carers):
    body = client.post(
        "/api/v1/match",
        json={**BODY, "weekly_budget_pence": 21000, "max_hourly_rate_pence": 2100},
    ).json
    assert names(body) == ["Ana"]
    assert body["results"][0]["hourly_rate_pence"] == 2000
    assert body["results"][0]["hours_per_week"] == 10.5
    assert body["excluded"] == {"over_budget": 1}
    raise_rate = next(w for w in body["widen"] if w["kind"] == "raise_rate")
    assert raise_rate["value"] == 2500


def test_the_same_distance_range_as_the_web(client, carers):
    for distance in (0.5, 51):
        response = client.post("/api/v1/match", json={**BODY, "max_distance_km": distance})
        assert response.status_code == 422
        assert "from 1 to 50" in response.json["error"]["fields"]["max_distance_km"]
    assert client.post("/api/v1/match", json={**BODY, "max_distance_km": 50}).status_code == 200


def test_no_wider_distance_is_suggested_past_the_largest(client, make):
    make.carer(display_name="Far Away", postcode="NE1 4ST", district="NE1", travel_radius_km=10)
    body = client.post("/api/v1/match", json={**BODY, "max_distance_km": 50}).json
    assert body["results"] == []
    assert not [w for w in body["widen"] if w["kind"] == "wider_distance"]
    assert [r["display_name"] for r in body["nearest"]] == ["Far Away"]
    assert body["nearest"][0]["distance_km"] % 0.5 == 0


def test_without_a_postcode_a_visitor_is_told_it_is_required(client, carers):
    response = client.post("/api/v1/match", json={"interests": ["gardening"]})
    assert response.status_code == 422
    assert "postcode" in response.json["error"]["fields"]


def test_a_logged_in_profile_fills_in_the_match_and_its_postcode_is_never_sent_back(
    make, login, carers
):
    user, person = _new_person(make)
    client = login(user)
    _post_profile(
        client, interests=["gardening"], must_have=[], nice_to_have=[], slots=[], carer_gender=""
    )
    make.budget(person, amount_pence=20000, period="weekly")
    db.session.commit()
    response = client.post("/api/v1/match", json={"max_distance_km": 20})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert "LS6 1AA" not in text.upper() and "LS61AA" not in text.upper()
    body = response.json
    assert names(body)[0] == "Ana"  # the profile's interests count
    assert body["results"][0]["hours_per_week"] == 10.0  # the saved budget, £200 a week
    # What the body says wins over the profile.
    football = client.post("/api/v1/match", json={"interests": ["football"]}).json
    assert names(football)[0] == "Ben"
