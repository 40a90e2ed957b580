"""What a person can ask the engine for (issue 11 item 1): languages and times as hard
filters with their own exclusion counts, what matters most, price, one-click
suggestions, and the nearest carers whatever the distance."""

from __future__ import annotations

import pytest

from matching import (
    EXCLUSION_REASONS,
    PRIORITIES,
    SIGNAL_NAMES,
    SUGGESTION_KINDS,
    Weights,
    build_index,
    nearest,
    rank,
    rank_teams,
)
from tests.matching.test_matching_engine import carer, ids, seeker


def test_new_reasons_are_listed_in_order() -> None:
    assert EXCLUSION_REASONS.index("gender") < EXCLUSION_REASONS.index("language")
    assert EXCLUSION_REASONS.index("language") < EXCLUSION_REASONS.index("not_available")
    assert EXCLUSION_REASONS.index("not_available") < EXCLUSION_REASONS.index("over_budget")
    assert "price" in SIGNAL_NAMES


def test_must_speak_is_a_hard_filter_counted_on_its_own() -> None:
    index = build_index(
        [
            carer("urdu", languages={"ur", "en"}),
            carer("english", languages={"en"}),
            carer("silent"),  # listed no languages: not known to speak Urdu
        ]
    )
    result = rank(seeker(must_speak={"ur"}), index)
    assert ids(result) == ["urdu"]
    assert result.excluded == {"language": 2}
    # Written as a name, it means the same code.
    assert ids(rank(seeker(must_speak={"Urdu"}), index)) == ["urdu"]
    # Every language must be spoken.
    assert ids(rank(seeker(must_speak={"ur", "en"}), index)) == ["urdu"]
    both = rank(seeker(must_speak={"ur", "cy"}), index)
    assert ids(both) == [] and both.excluded == {"language": 3}


def test_a_language_nobody_speaks_excludes_everyone() -> None:
    index = build_index([carer("a", languages={"en"})])
    result = rank(seeker(must_speak={"klingon"}), index)
    assert result.matches == [] and result.excluded == {"language": 1}


def test_the_language_filter_comes_after_gender_and_before_budget() -> None:
    index = build_index(
        [
            carer("man", gender="male", languages={"en"}),
            carer("dear", gender="female", languages={"en"}, hourly_rate_pence=4000),
            carer("cheap", gender="female", languages={"en"}, hourly_rate_pence=2000),
            carer("woman", gender="female", languages={"fr"}, hourly_rate_pence=4000),
        ]
    )
    result = rank(
        seeker(carer_gender="female", must_speak={"en"}, max_hourly_rate_pence=2500), index
    )
    assert ids(result) == ["cheap"]
    assert result.excluded == {"gender": 1, "language": 1, "over_budget": 1}


def test_only_available_keeps_carers_free_at_one_of_the_times() -> None:
    index = build_index(
        [
            carer("monday", availability={"mon-am"}),
            carer("tuesday", availability={"tue-pm"}),
            carer("unknown"),  # has not said when: not known to be free
        ]
    )
    wanted = {"mon-am", "wed-am"}
    soft = rank(seeker(availability=wanted), index)
    assert set(ids(soft)) == {"monday", "tuesday", "unknown"}
    hard = rank(seeker(availability=wanted, only_available=True), index)
    assert ids(hard) == ["monday"]
    assert hard.excluded == {"not_available": 2}
    assert hard.widen[-1].kind == "drop_availability" and hard.widen[-1].extra == 2


def test_only_available_needs_times() -> None:
    index = build_index([carer("a")])
    with pytest.raises(ValueError, match="only_available"):
        rank(seeker(only_available=True), index)


def test_what_matters_most_sets_the_weights_and_is_said_first() -> None:
    index = build_index(
        [
            carer("near", km_north=0.5, interests=["chess"]),
            carer("gardener", km_north=8, interests=["gardening"]),
        ]
    )
    wishes = seeker(interests=["gardening"])
    assert ids(rank(wishes, index, weights=Weights.for_priority("nearby")))[0] == "near"
    by_interest = rank(wishes, index, weights=Weights.for_priority("interests"))
    assert ids(by_interest)[0] == "gardener"
    first_signal, first = next(iter(by_interest.matches[0].signals.items()))
    assert first_signal == "interests"
    assert first.explanation == "you both enjoy gardening (you said this matters most)"
    assert first.weight == 3.0


def test_every_priority_has_a_signal_and_bad_ones_are_refused() -> None:
    for priority, signal in PRIORITIES.items():
        weights = Weights.for_priority(priority)
        assert weights.emphasis == signal and weights.as_dict()[signal] == 3.0
    assert Weights.for_priority(None) == Weights()
    with pytest.raises(ValueError, match="priority"):
        Weights.for_priority("cheapest")
    with pytest.raises(ValueError, match="emphasis"):
        rank(seeker(), build_index([]), weights=Weights(emphasis="beauty"))


def test_knowing_someone_matters_most_but_nobody_is_known() -> None:
    index = build_index([carer("a")])
    match = rank(seeker(), index, weights=Weights.for_priority("known")).matches[0]
    continuity = match.signals["continuity"]
    assert continuity.weight == 3.0 and continuity.score == 0.5  # cannot tell anyone apart
    assert "(you said this matters most)" in continuity.explanation
    known = rank(seeker(known_candidate_ids={"a"}), index, weights=Weights.for_priority("known"))
    assert known.matches[0].signals["continuity"].score == 1.0


def test_price_counts_only_when_it_matters_most() -> None:
    index = build_index(
        [
            carer("dear", km_north=0.5, hourly_rate_pence=3000),
            carer("cheap", km_north=3, hourly_rate_pence=2000),
            carer("unknown", km_north=2),
        ]
    )
    default = rank(seeker(), index)
    assert ids(default)[0] == "dear"
    assert default.matches[0].signals["price"].weight == 0.0
    cheap = rank(seeker(), index, weights=Weights.for_priority("price"))
    assert ids(cheap)[0] == "cheap"
    signals = {m.candidate_id: m.signals["price"] for m in cheap.matches}
    assert signals["cheap"].score == 1.0 and signals["dear"].score == 0.0
    assert signals["unknown"].score == 0.5
    assert signals["cheap"].explanation.startswith("£20.00 an hour, the lowest")
    assert "£20.00 to £30.00" in signals["dear"].explanation
    assert "not given an hourly rate" in signals["unknown"].explanation


def test_suggestions_say_what_to_change() -> None:
    index = build_index(
        [
            carer("near", skills={"peg_feeding"}, gender="female", languages={"ur"}),
            carer(
                "far",
                km_north=20,
                skills={"peg_feeding"},
                gender="female",
                languages={"ur"},
                travel_radius_km=30,
            ),
            carer("man", skills={"peg_feeding"}, gender="male", languages={"ur"}),
            carer("english", skills={"peg_feeding"}, gender="female", languages={"en"}),
            carer("cook", skills={"cooking"}, gender="female", languages={"ur"}),
        ]
    )
    result = rank(
        seeker(must_have={"peg_feeding"}, carer_gender="female", must_speak={"ur"}), index
    )
    assert ids(result) == ["near"]
    kinds = {s.kind: s for s in result.widen}
    assert set(kinds) <= set(SUGGESTION_KINDS)
    assert kinds["wider_distance"].value == 25.0 and kinds["wider_distance"].extra == 1
    assert kinds["drop_gender"].extra == 1
    assert kinds["drop_language"].value == "ur"
    assert kinds["drop_language"].text == "1 more carer if they do not have to speak Urdu"
    assert kinds["must_to_nice"].value == "peg_feeding"
    assert result.suggestions == [s.text for s in result.widen]


def test_no_wider_distance_beyond_the_widest_allowed() -> None:
    index = build_index([carer("far", km_north=45, travel_radius_km=60)])
    assert rank(seeker(), index).widen[0].value == 60.0
    capped = rank(seeker(), index, widest_km=50)
    assert [s.value for s in capped.widen] == [50.0]
    assert capped.suggestions == ["1 more carer within 50 km"]
    assert rank(seeker(), index, widest_km=40).widen == []
    assert rank(seeker(max_distance_km=50), index, widest_km=50).widen == []


def test_nearest_whatever_the_distance() -> None:
    index = build_index(
        [
            carer("far", km_north=80, skills={"peg_feeding"}, travel_radius_km=10),
            carer("farther", km_north=120, skills={"peg_feeding"}),
            carer("cook", km_north=2, skills={"cooking"}),
            carer("off", km_north=1, skills={"peg_feeding"}, active=False),
        ]
    )
    wishes = seeker(must_have={"peg_feeding"})
    assert rank(wishes, index).matches == []
    found = nearest(wishes, index, limit=3)
    assert [m.candidate_id for m in found] == ["far", "farther"]
    assert found[0].signals["locality"].explanation == "80 km away, beyond Far's 10 km travel area"
    assert round(found[0].distance_km) == 80
    # Locality is scored as in rank(), not as a perfect 1: far away scores low, farther
    # lower, and the one signal's score is the match's.
    assert [m.signals["locality"].score for m in found] == [m.score for m in found]
    assert 0 <= found[1].score < found[0].score < 0.5
    with pytest.raises(ValueError, match="limit"):
        nearest(wishes, index, limit=0)


def test_teams_have_a_price_signal_and_keep_the_language_filter() -> None:
    index = build_index(
        [
            carer("a", team_id="t1", hourly_rate_pence=2000, languages={"ur"}),
            carer("b", team_id="t1", hourly_rate_pence=2600, languages={"en"}),
            carer("c", team_id="t2", hourly_rate_pence=3000, languages={"en"}),
        ]
    )
    result = rank_teams(seeker(must_speak={"ur"}), index, weights=Weights.for_priority("price"))
    assert [m.team_id for m in result.matches] == ["t1"]
    price = result.matches[0].signals["price"]
    assert price.weight == 3.0 and price.explanation.startswith("from £20.00 an hour")
    assert next(iter(result.matches[0].signals)) == "price"
