"""POST /api/v1/match."""

from __future__ import annotations

import pytest

SECRET_POSTCODE = "LS6 9QX"


@pytest.fixture
def carers(make):
    provider = make.provider(name="Match Co-op")
    ana = make.carer(
        provider,
        display_name="Ana",
        postcode=SECRET_POSTCODE,
        interests=["gardening"],
        languages=["en", "ur"],
    )
    ben = make.carer(
        provider,
        display_name="Ben",
        gender="male",
        interests=["football"],
        skills=["personal_care"],
    )
    hidden = make.carer(make.provider(qa_status="submitted"), display_name="Hidden")
    return provider, ana, ben, hidden


BODY = {
    "postcode": "LS6 1AA",
    "max_distance_km": 10,
    "must_have": ["personal_care"],
    "nice_to_have": ["cooking"],
    "interests": ["gardening"],
    "languages": ["ur"],
    "preferences": {"carer_gender": None},
    "limit": 20,
}


def test_match_happy_path(client, carers):
    provider, ana, ben, _ = carers
    response = client.post("/api/v1/match", json=BODY)
    assert response.status_code == 200
    body = response.json
    results = body["results"]
    assert [r["display_name"] for r in results] == ["Ana", "Ben"]
    first = results[0]
    assert first["carer_id"] == ana.id
    assert first["provider"] == {"id": provider.id, "name": "Match Co-op"}
    assert first["district"] == "LS6" and first["distance_km"] < 10
    assert 0 < first["score"] <= 1 and first["score"] > results[1]["score"]
    assert first["signals"]["interests"]["explanation"] == "you both enjoy gardening"
    assert set(first["signals"]["locality"]) == {"score", "explanation"}
    assert isinstance(body["excluded"], dict) and isinstance(body["suggestions"], list)
    assert "Hidden" not in response.get_data(as_text=True)
    assert SECRET_POSTCODE not in response.get_data(as_text=True)


def test_match_hard_preferences_and_limit(client, carers):
    body = client.post("/api/v1/match", json={**BODY, "preferences": {"carer_gender": "male"}}).json
    assert [r["display_name"] for r in body["results"]] == ["Ben"]
    assert body["excluded"]["gender"] == 1
    body = client.post("/api/v1/match", json={**BODY, "limit": 1}).json
    assert len(body["results"]) == 1


def test_match_few_results_come_with_suggestions(client, carers):
    body = client.post("/api/v1/match", json={**BODY, "must_have": ["peg_feeding"]}).json
    assert body["results"] == []
    assert body["excluded"]["missing_must_have"] == 2
    assert body["suggestions"]


def test_unknown_terms_get_422_with_suggestions(client, carers):
    response = client.post(
        "/api/v1/match", json={**BODY, "must_have": ["pegg"], "interests": ["gardnx"]}
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "unknown_terms"
    assert error["fields"]["must_have"]["suggestions"] == {"pegg": ["peg_feeding"]}
    assert "gardening" in error["fields"]["interests"]["suggestions"]["gardnx"]
    assert "Did you mean peg_feeding?" in error["fields"]["must_have"]["message"]
    # Labels, synonyms and small typos are read as the search page reads them.
    fine = {**BODY, "must_have": ["peg feed"], "interests": ["gardning"]}
    assert client.post("/api/v1/match", json=fine).status_code == 200


def test_a_term_longer_than_any_vocabulary_term_is_refused_before_matching(client, carers):
    """A 10,000-character "skill" was fuzzy-matched against the whole vocabulary and
    written back whole in the 422; it is refused as too long, and not echoed."""
    long_term = "x" * 10_000
    response = client.post("/api/v1/match", json={**BODY, "must_have": [long_term]})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] != "unknown_terms" and "must_have" in str(error["fields"])
    assert long_term not in response.get_data(as_text=True)
    fine = {**BODY, "must_have": ["p" * 80]}  # the longest allowed: an unknown term
    assert client.post("/api/v1/match", json=fine).json["error"]["code"] == "unknown_terms"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postcode": None}, "postcode"),
        ({"postcode": 12}, "postcode"),
        ({"max_distance_km": "far"}, "max_distance_km"),
        ({"max_distance_km": -1}, "max_distance_km"),
        ({"max_distance_km": True}, "max_distance_km"),
        ({"must_have": "personal_care"}, "must_have"),
        ({"languages": [1, 2]}, "languages"),
        ({"limit": 0}, "limit"),
        ({"limit": 5.5}, "limit"),
        ({"preferences": []}, "preferences"),
        ({"preferences": {"carer_gender": "robot"}}, "preferences.carer_gender"),
    ],
)
def test_wrong_types_get_422(client, change, field):
    response = client.post("/api/v1/match", json={**BODY, **change})
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_bad_postcodes(client):
    response = client.post("/api/v1/match", json={**BODY, "postcode": "nonsense"})
    assert response.status_code == 422 and "postcode" in response.json["error"]["fields"]
    response = client.post("/api/v1/match", json={**BODY, "postcode": "ZZ9 9ZZ"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("not json", "text/plain", 400),
        ("{broken", "application/json", 400),
        ("[1, 2]", "application/json", 422),
        ('"LS6 1AA"', "application/json", 422),
    ],
)
def test_non_json_bodies(client, data, content_type, status):
    response = client.post("/api/v1/match", data=data, content_type=content_type)
    assert response.status_code == status
    assert set(response.json["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"must_have": ["peg_feeding"]},  # no results: ways to widen instead
        {"postcode": "SW1A 1AA", "max_distance_km": 1},  # far away: the nearest instead
        {"limit": 1, "priority": "price", "weekly_budget_pence": 12345},
        {"availability": ["mon-am", "thu-pm"], "only_available": False},
    ],
)
def test_match_answer_is_exactly_what_the_model_writes(client, carers, change):
    """The answer is built without pydantic (it is the hot path): it must be byte for
    byte what ``MatchResponse`` would write for the same values, every field present."""
    from marketplace.api import schemas as s

    response = client.post("/api/v1/match", json={**BODY, **change})
    assert response.status_code == 200 and response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    model = s.MatchResponse.model_validate_json(text)
    assert model.model_dump_json() == text
    assert model.results or model.nearest or model.widen
