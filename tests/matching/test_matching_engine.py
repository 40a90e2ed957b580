"""rank() and rank_teams(): filters, signals, explanations, validation, teams, diversity."""

import math
from typing import Any

import pytest

from matching import (
    Candidate,
    CandidateIndex,
    Seeker,
    Signal,
    Weights,
    build_index,
    rank,
    rank_teams,
)

HOME = (51.5000, -0.1200)  # central London
KM_LAT = 1 / 111.195  # degrees of latitude per km


def carer(id: str, km_north: float = 1.0, **overrides: Any) -> Candidate:
    """A carer ``km_north`` km north of HOME with unremarkable defaults."""
    fields: dict[str, Any] = {
        "id": id,
        "lat": HOME[0] + km_north * KM_LAT,
        "lon": HOME[1],
        "travel_radius_km": 20.0,
        "skills": {"cooking"},
        "interests": [],
        "languages": set(),
        "name": str(id).title(),
    }
    fields.update(overrides)
    return Candidate(**fields)


def seeker(**overrides: Any) -> Seeker:
    fields: dict[str, Any] = {"lat": HOME[0], "lon": HOME[1], "max_distance_km": 15.0}
    fields.update(overrides)
    return Seeker(**fields)


def ids(result: Any) -> list[Any]:
    return [m.candidate_id for m in result.matches]


# --- hard filters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "search", "reason"),
    [
        (carer("x", active=False), {}, "inactive"),
        (carer("x", quality_assured=False), {}, "not_quality_assured"),
        (carer("x", km_north=20), {}, "beyond_max_distance"),
        (carer("x", km_north=5, travel_radius_km=3), {}, "outside_travel_radius"),
        (carer("x"), {"must_have": {"peg_feeding"}}, "missing_must_have"),
        (carer("x", gender="male"), {"carer_gender": "female"}, "gender"),
        (carer("x"), {"carer_gender": "female"}, "gender"),  # unknown gender cannot satisfy it
        (carer("x", hourly_rate_pence=2500), {"max_hourly_rate_pence": 2000}, "over_budget"),
    ],
)
def test_each_filter_excludes_and_counts(
    candidate: Candidate, search: dict[str, Any], reason: str
) -> None:
    index = build_index(
        [candidate, carer("ok", gender="female", skills={"cooking", "peg_feeding"})]
    )
    result = rank(seeker(**search), index)
    assert ids(result) == ["ok"]
    assert result.excluded == {reason: 1}


def test_filters_pass_when_satisfied() -> None:
    index = build_index(
        [carer("a", gender="Female", hourly_rate_pence=2000, skills={"PEG", "cooking"})]
    )
    result = rank(
        seeker(must_have={"peg_feeding"}, carer_gender="female", max_hourly_rate_pence=2000),
        index,
    )
    assert ids(result) == ["a"]
    assert result.excluded == {}


def test_unknown_rate_is_not_over_budget() -> None:
    index = build_index([carer("a", hourly_rate_pence=None)])
    assert ids(rank(seeker(max_hourly_rate_pence=1000), index)) == ["a"]


def test_first_failing_reason_counts_once() -> None:
    index = build_index([carer("x", active=False, km_north=50, gender="male")])
    result = rank(seeker(carer_gender="female"), index)
    assert result.excluded == {"inactive": 1}


# --- signals and explanations ---------------------------------------------------------


def test_locality_explanation_names_distance_and_travel_area() -> None:
    index = build_index([carer("ana", km_north=3.2, travel_radius_km=8)])
    match = rank(seeker(), index).matches[0]
    # Explanations are public: they round to the nearest 0.5 km, never "3.2 km".
    assert match.signals["locality"].explanation == "3 km away, inside Ana's 8 km travel area"
    assert match.distance_km == pytest.approx(3.2, abs=0.01)
    assert match.signals["locality"].score == pytest.approx(2 ** (-3.2 / 5), abs=1e-3)


def test_locality_without_a_name_says_their() -> None:
    index = build_index([carer("a", name=None, km_north=12, travel_radius_km=7.5 * 2)])
    text = rank(seeker(), index).matches[0].signals["locality"].explanation
    assert text == "12 km away, inside their 15 km travel area"


def test_skills_coverage() -> None:
    index = build_index([carer("a", skills={"cooking", "shopping", "personal_care"})])
    match = rank(seeker(nice_to_have={"cooking", "shopping", "driving"}), index).matches[0]
    signal = match.signals["skills"]
    assert signal.score == pytest.approx(2 / 3)
    assert signal.explanation == "covers 2 of your 3 nice-to-haves: cooking, shopping"


@pytest.mark.parametrize(
    ("skills", "wanted", "text"),
    [
        ({"cooking"}, {"cooking"}, "covers your nice-to-have: cooking"),
        ({"cooking", "peg_feeding"}, {"cooking", "PEG"}, "covers all 2 of your nice-to-haves: "),
        ({"cooking"}, {"driving"}, "covers none of your 1 nice-to-haves"),
        ({"cooking"}, set(), "you did not list any nice-to-have skills, so this is not counted"),
    ],
)
def test_skills_explanations(skills: set[str], wanted: set[str], text: str) -> None:
    index = build_index([carer("a", skills=skills)])
    signal = rank(seeker(nice_to_have=wanted), index).matches[0].signals["skills"]
    assert signal.explanation.startswith(text)
    assert (signal.weight == 0) == (not wanted)


def test_shared_interests_are_fuzzy() -> None:
    index = build_index([carer("a", interests=["Gardenning", "Football", "fishing"])])
    match = rank(seeker(interests=["allotment", "football"]), index).matches[0]
    assert match.signals["interests"].explanation == "you both enjoy gardening and football"
    assert match.signals["interests"].score == 1.0


def test_football_does_not_meet_fishing() -> None:
    index = build_index([carer("a", interests=["fishing"])])
    signal = rank(seeker(interests=["football"]), index).matches[0].signals["interests"]
    assert signal.score == 0.0
    assert signal.explanation == "no shared interests yet: A enjoys fishing"


def test_free_text_interests_meet_on_typos() -> None:
    index = build_index([carer("a", interests=["Vintage motorbikes, gardening"])])
    signal = rank(seeker(interests=["vintage motorbike"]), index).matches[0].signals["interests"]
    assert signal.explanation == "you both enjoy vintage motorbikes"
    signal = rank(seeker(interests=["vintage motorbikse"]), index).matches[0].signals["interests"]
    assert signal.score == 1.0


def test_unknown_values_are_neutral_and_said_so() -> None:
    index = build_index([carer("ana", interests=[], languages=set(), availability=None)])
    match = rank(
        seeker(interests=["music"], languages={"ur"}, availability={"mon-am"}), index
    ).matches[0]
    for name in ("interests", "languages", "availability"):
        assert match.signals[name].score == 0.5
        assert "neutral" in match.signals[name].explanation
        assert "Ana" in match.signals[name].explanation


def test_languages() -> None:
    index = build_index(
        [
            carer("a", languages={"en", "ur"}),
            carer("b", languages={"Urdu"}),
            carer("c", languages={"pl"}),
        ]
    )
    result = rank(seeker(languages={"ur", "English"}), index)
    signals = {m.candidate_id: m.signals["languages"] for m in result.matches}
    assert signals["a"].score == 1.0
    assert signals["a"].explanation == "speaks English and Urdu"
    assert signals["b"].score == 0.75
    assert signals["b"].explanation == "speaks Urdu but not English"
    assert signals["c"].score == 0.0
    assert signals["c"].explanation == "does not speak English and Urdu"
    assert rank(seeker(), index).matches[0].signals["languages"].weight == 0


def test_availability() -> None:
    index = build_index(
        [
            carer("a", availability={"mon-am", "tue-am", "wed-pm"}),
            carer("b", availability=set()),
            carer("c", availability={"mon-am", "sat-eve"}),
        ]
    )
    result = rank(seeker(availability={"mon-am", "sat-eve"}), index)
    signals = {m.candidate_id: m.signals["availability"] for m in result.matches}
    assert signals["a"].score == 0.5
    assert signals["a"].explanation == "free for 1 of your 2 times: Monday morning"
    assert signals["b"].score == 0.0
    assert signals["b"].explanation == "not free at any of your 2 times"
    assert signals["c"].explanation == "free at all your times: Monday morning and Saturday evening"
    assert "not counted" in rank(seeker(), index).matches[0].signals["availability"].explanation


def test_continuity() -> None:
    index = build_index([carer("ana", km_north=5), carer("ben", km_north=1)])
    result = rank(seeker(known_candidate_ids={"ana"}), index, weights=Weights(continuity=10))
    assert ids(result) == ["ana", "ben"]
    assert result.matches[0].signals["continuity"].explanation == "you already know Ana"
    assert result.matches[1].signals["continuity"].explanation == "Ben would be someone new to you"
    plain = rank(seeker(), index).matches[0].signals["continuity"]
    assert plain.weight == 0 and "not counted" in plain.explanation


def test_score_is_weighted_mean_of_counted_signals() -> None:
    index = build_index([carer("a", km_north=5, skills={"cooking"})])
    weights = Weights(locality=1, skills=3)
    match = rank(seeker(nice_to_have={"cooking", "driving"}), index, weights=weights).matches[0]
    expected = (1 * match.signals["locality"].score + 3 * 0.5) / 4
    assert match.score == pytest.approx(expected)
    assert "nice-to-haves" in match.explanation


def test_explain_writes_texts_only_for_that_slice() -> None:
    index = build_index([carer(f"c{i}", km_north=1 + i, interests=["music"]) for i in range(6)])
    wish = seeker(interests=("music",))
    full = rank(wish, index, limit=6)
    page = rank(wish, index, limit=6, explain=slice(2, 4))
    assert ids(page) == ids(full)
    for n, (whole, part) in enumerate(zip(full.matches, page.matches, strict=True)):
        assert part.score == whole.score
        for name, signal in whole.signals.items():
            assert part.signals[name].score == signal.score
            assert part.signals[name].weight == signal.weight
            expected = signal.explanation if n in (2, 3) else ""
            assert part.signals[name].explanation == expected
    assert all(s.explanation for s in page.matches[2].signals.values())


def test_unexplained_signals_keep_order_and_compare_as_dicts() -> None:
    # Matches outside ``explain`` make their signals only when read: the same names in
    # the same order (the emphasised one first), equal to the dict they stand for.
    index = build_index([carer(f"c{i}", km_north=1 + i, interests=["music"]) for i in range(4)])
    wish = seeker(interests=("music",))
    weights = Weights.for_priority("interests")
    page = rank(wish, index, weights, limit=4, explain=slice(0, 1))
    full = rank(wish, index, weights, limit=4)
    told, untold = page.matches[0].signals, page.matches[3].signals
    assert list(untold) == list(told) == list(full.matches[3].signals)
    assert list(untold)[0] == "interests"
    assert untold["interests"].explanation == " (you said this matters most)"
    said = " (you said this matters most)"
    assert untold == {
        name: Signal(s.score, s.weight, said if name == "interests" else "")
        for name, s in full.matches[3].signals.items()
    }
    assert len(untold) == len(told) and dict(untold.items()) == dict(untold)


def test_all_counted_weights_zero_gives_neutral_score() -> None:
    index = build_index([carer("a")])
    match = rank(seeker(), index, weights=Weights(locality=0, skills=1)).matches[0]
    assert match.score == 0.5


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weights": Weights(locality=-1)}, "weights.locality"),
        ({"weights": Weights(skills=math.nan)}, "weights.skills"),
        ({"weights": Weights(interests=math.inf)}, "weights.interests"),
        (
            {"weights": Weights(0, 0, 0, 0, 0, 0, 0, 0)},
            "weights: at least one",
        ),
        ({"weights": Weights(locality_half_km=0)}, "weights.locality_half_km"),
        ({"weights": "heavy"}, "weights must be"),
        ({"limit": 0}, "limit"),
        ({"limit": True}, "limit"),
        ({"max_per_provider": 0}, "max_per_provider"),
        ({"diversity_top_n": 0}, "diversity_top_n"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, Any], field: str) -> None:
    index = build_index([carer("a")])
    with pytest.raises(ValueError, match=field):
        rank(seeker(), index, **kwargs)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"max_distance_km": -1}, "max_distance_km"),
        ({"max_distance_km": math.nan}, "max_distance_km"),
        ({"lat": 91}, "seeker.lat"),
        ({"lon": -181}, "seeker.lon"),
        ({"lat": "north"}, "seeker.lat"),
        ({"max_hourly_rate_pence": -5}, "max_hourly_rate_pence"),
    ],
)
def test_bad_seeker_raises(overrides: dict[str, Any], field: str) -> None:
    index = build_index([carer("a")])
    with pytest.raises(ValueError, match=field):
        rank(seeker(**overrides), index)


def test_bad_seeker_and_index_types() -> None:
    index = build_index([carer("a")])
    with pytest.raises(ValueError, match="seeker must be"):
        rank("me", index)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="index must"):
        rank(seeker(), [carer("a")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidates", "field"),
    [
        ([carer("a"), carer("a")], "more than once"),
        ([carer("a", lat=95)], "lat"),
        ([carer("a", lon=200)], "lon"),
        ([carer("a", travel_radius_km=-2)], "travel_radius_km"),
        ([carer("a", travel_radius_km=math.inf)], "travel_radius_km"),
        ([carer("a", hourly_rate_pence=12.5)], "hourly_rate_pence"),
        (["not a carer"], r"candidates\[0\]"),
    ],
)
def test_bad_candidates_raise(candidates: list[Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        build_index(candidates)


# --- ordering, suggestions ------------------------------------------------------------


def test_ties_broken_by_distance_then_id() -> None:
    index = build_index(
        [
            carer("b", km_north=2),
            carer("a", km_north=2),
            carer("c", km_north=1),
            carer(10),
            carer(9),
        ]
    )
    weights = Weights(locality=0, skills=1)
    result = rank(seeker(nice_to_have={"cooking"}), index, weights=weights, limit=3)
    assert ids(result) == [9, 10, "c"]
    assert ids(rank(seeker(nice_to_have={"cooking"}), index, weights=weights)) == [
        9,
        10,
        "c",
        "a",
        "b",
    ]


def test_limit_and_no_suggestions_when_full() -> None:
    index = build_index([carer(f"c{i}", km_north=i / 10) for i in range(30)])
    result = rank(seeker(), index, limit=5)
    assert ids(result) == ["c0", "c1", "c2", "c3", "c4"]
    assert result.suggestions == []


def test_suggestions_are_computed() -> None:
    index = build_index(
        [
            carer("near", skills={"peg_feeding"}, gender="female"),
            carer(
                "far1", km_north=20, skills={"peg_feeding"}, gender="female", travel_radius_km=30
            ),
            carer(
                "far2", km_north=22, skills={"peg_feeding"}, gender="female", travel_radius_km=30
            ),
            carer("man", skills={"peg_feeding"}, gender="male"),
            carer("dear", skills={"peg_feeding"}, gender="female", hourly_rate_pence=3150),
            carer("cook", skills={"cooking"}, gender="female"),
        ]
    )
    result = rank(
        seeker(must_have={"peg_feeding"}, carer_gender="female", max_hourly_rate_pence=2500),
        index,
    )
    assert ids(result) == ["near"]
    assert result.suggestions == [
        "2 more carers cover PEG feeding within 25 km",
        "1 more carer if you drop the gender preference",
        "1 more carer if you raise your hourly limit to £31.50",
        "1 more carer if PEG feeding is a nice-to-have instead of a must-have",
    ]


def test_suggestions_only_below_suggest_below() -> None:
    # A search page says how to find more only for a few results: it asks for none
    # when at least that many match, though the list is not cut short.
    index = build_index(
        [carer(f"c{i}", km_north=i) for i in range(3)]
        + [carer("far", km_north=20, travel_radius_km=50)]
    )
    wish = seeker(max_distance_km=10)
    assert len(rank(wish, index, limit=20).matches) == 3
    assert rank(wish, index, limit=20).widen
    assert rank(wish, index, limit=20, suggest_below=4).widen
    assert rank(wish, index, limit=20, suggest_below=3).widen == []
    assert rank(wish, index, limit=20, suggest_below=3).suggestions == []


def test_suggestion_for_unheard_of_must_have() -> None:
    index = build_index([carer("a", skills={"peg_feeding"})])
    result = rank(seeker(must_have={"peggy"}), index)
    assert result.matches == []
    assert result.suggestions == ["no carer lists peggy yet; did you mean PEG feeding?"]
    assert rank(seeker(must_have={"qqqq"}), index).suggestions == ["no carer lists qqqq yet"]


def test_wider_search_without_must_haves() -> None:
    index = build_index([carer("far", km_north=30, travel_radius_km=50)])
    assert rank(seeker(), index).suggestions == ["1 more carer within 40 km"]
    assert rank(seeker(max_distance_km=500), index).suggestions == []


def test_empty_index_and_zero_distance() -> None:
    empty = build_index([])
    assert rank(seeker(), empty).matches == []
    index = build_index([carer("here", km_north=0)])
    assert ids(rank(seeker(max_distance_km=0), index)) == ["here"]


def test_window_handles_poles_and_antimeridian() -> None:
    index = build_index(
        [
            carer("east", lat=0.0, lon=179.99),
            carer("west", lat=0.0, lon=-179.99),
            carer("pole", lat=89.99, lon=10.0),
        ]
    )
    assert set(ids(rank(Seeker(0.0, 179.999, 5), index))) == {"east", "west"}
    assert ids(rank(Seeker(89.995, -170.0, 5), index)) == ["pole"]
    assert isinstance(index, CandidateIndex)
    assert index.nbytes() > 0


def test_many_custom_skills_use_several_words() -> None:
    custom = [f"custom skill {i}" for i in range(80)]
    index = build_index([carer("a", skills=set(custom)), carer("b", skills={"custom skill 79"})])
    result = rank(seeker(must_have={"custom skill 79"}, nice_to_have={"custom skill 3"}), index)
    assert ids(result) == ["a", "b"]
    assert result.matches[0].signals["skills"].explanation == (
        "covers your nice-to-have: custom skill 3"
    )


# --- provider diversity ---------------------------------------------------------------


def test_provider_diversity_caps_each_provider() -> None:
    index = build_index(
        [carer(f"p{i}", km_north=i / 10, provider_id="big") for i in range(5)]
        + [carer("solo1", km_north=3, provider_id=None), carer("other", km_north=4, provider_id=2)]
    )
    result = rank(seeker(), index, max_per_provider=2)
    assert ids(result) == ["p0", "p1", "solo1", "other"]
    mixed = rank(seeker(), index, limit=5, max_per_provider=1, diversity_top_n=3)
    assert ids(mixed) == ["p0", "solo1", "other", "p1", "p2"]
    assert ids(rank(seeker(), index, limit=2, max_per_provider=1, diversity_top_n=5)) == [
        "p0",
        "solo1",
    ]


# --- teams ----------------------------------------------------------------------------


def team_index() -> CandidateIndex:
    return build_index(
        [
            carer("ana", km_north=1, team_id="t1", provider_id="p", skills={"cooking"},
                  interests=["gardening", "football"], languages={"ur"},
                  availability={"mon-am"}),
            carer("ben", km_north=3, team_id="t1", provider_id="p", skills={"peg_feeding"},
                  interests=["fishing"], availability={"tue-am"}),
            carer("cat", km_north=2, team_id="t2", provider_id="q", skills={"cooking"}),
            carer("dan", km_north=45, team_id="t3", provider_id="q", skills={"peg_feeding"},
                  travel_radius_km=50),
            carer("eve", km_north=1, team_id="t4", provider_id="q", skills={"cooking"},
                  active=False),
            carer("fay", km_north=1, team_id=None, skills={"peg_feeding"}),
        ]
    )  # fmt: skip


def test_team_ranking_uses_union_and_best_member() -> None:
    result = rank_teams(
        seeker(
            must_have={"peg_feeding"},
            nice_to_have={"cooking", "peg_feeding"},
            interests=["allotment"],
            languages={"ur", "en"},
            availability={"mon-am", "tue-am"},
            known_candidate_ids={"ben"},
        ),
        team_index(),
    )
    assert [m.team_id for m in result.matches] == ["t1"]
    team = result.matches[0]
    assert team.member_ids[0] == "ana" and set(team.member_ids) == {"ana", "ben"}
    assert team.best_member_ids[0] == "ana"
    assert team.summary.startswith("best fits: Ana")
    assert team.provider_id == "p"
    assert team.signals["skills"].score == 1.0
    assert team.signals["skills"].explanation.startswith("between them the team covers all 2")
    assert team.signals["interests"].explanation == "you and Ana both enjoy gardening"
    assert team.signals["locality"].explanation == (
        "2 members can reach you; the nearest, Ana, is 1 km away"
    )
    assert team.signals["languages"].explanation == "the team speaks Urdu but not English"
    assert team.signals["availability"].explanation.startswith("the team is free at all")
    assert team.signals["continuity"].explanation == "you already know Ben in this team"
    assert team.distance_km == pytest.approx(1.0, abs=0.01)
    assert 0 <= team.score <= 1
    assert result.excluded == {"no_member_in_reach": 2, "missing_must_have": 1}
    assert result.suggestions == ["1 more team within 60 km"]


def test_team_ranking_order_and_diversity() -> None:
    index = team_index()
    result = rank_teams(seeker(known_candidate_ids={"zed"}), index, limit=1)
    assert [m.team_id for m in result.matches] == ["t1"]
    assert result.suggestions == []
    assert "do not know anyone" in result.matches[0].signals["continuity"].explanation
    both = rank_teams(seeker(max_distance_km=100), index, max_per_provider=1)
    assert [m.team_id for m in both.matches] == ["t1", "t2"]
    plain = rank_teams(seeker(), index).matches[0]
    assert "not counted" in plain.signals["skills"].explanation
    assert "not counted" in plain.signals["continuity"].explanation


def test_team_validation() -> None:
    with pytest.raises(ValueError, match="limit"):
        rank_teams(seeker(), team_index(), limit=0)


def test_inputs_are_normalised_to_frozen_collections() -> None:
    candidate = Candidate(
        "a", 51.5, -0.12, 5, "cooking", "gardening", {"en"}, availability=["mon-am"]
    )
    assert candidate.skills == frozenset({"cooking"})
    assert candidate.interests == ("gardening",)
    assert candidate.availability == frozenset({"mon-am"})
    person = Seeker(51.5, -0.12, 5, interests={"music", "art"}, known_candidate_ids="a")
    assert person.interests == ("art", "music")
    assert person.known_candidate_ids == frozenset({"a"})
    assert rank(person, build_index([candidate])).matches[0].signals["continuity"].score == 1.0
