"""Both sides' preferences (issue 11 item 2): the person's home and wishes against what the
carer said. Clashes are hard filters, each counted under its own reason; agreements are
said in the explanation; a carer who has not said is never excluded, and is said to be so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import (
    EXCLUSION_REASONS,
    SIGNAL_NAMES,
    Weights,
    build_index,
    nearest,
    rank,
    rank_teams,
)
from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS
from matching.store import load_index, save_index
from tests.matching.test_matching_engine import carer, ids, seeker


def test_reasons_and_signal_are_listed() -> None:
    assert EXCLUSION_REASONS[-4:] == ("pets", "smoking", "support_kinds", "who_they_support")
    assert "preferences" in SIGNAL_NAMES and Weights().preferences > 0


@pytest.mark.parametrize(
    ("candidate", "search", "reason"),
    [
        (carer("x", pets_ok=set()), {"pets": {"dogs"}}, "pets"),
        (carer("x", pets_ok={"cats"}), {"pets": {"dogs"}}, "pets"),
        (carer("x", pets_ok={"dogs"}), {"pets": {"dogs", "cats"}}, "pets"),  # every pet
        (carer("x", smoking_ok=False), {"smoking_home": True}, "smoking"),
        (
            carer("x", enjoys_support={"companionship"}),
            {"support_wanted": {"personal_care"}},
            "support_kinds",
        ),
        (
            carer("x", would_support={"young_adults"}),
            {"groups": {"older_people"}},
            "who_they_support",
        ),
    ],
)
def test_each_clash_excludes_under_its_own_reason(candidate, search, reason) -> None:
    happy = carer(
        "ok",
        pets_ok={"dogs", "cats"},
        smoking_ok=True,
        enjoys_support={"personal_care"},
        would_support={"older_people"},
    )
    result = rank(seeker(**search), build_index([candidate, happy]))
    assert ids(result) == ["ok"]
    assert result.excluded == {reason: 1}


def test_a_carer_who_has_not_said_is_not_excluded_and_is_said_to_be_so() -> None:
    index = build_index([carer("quiet")])
    result = rank(
        seeker(
            pets={"dogs"},
            smoking_home=True,
            support_wanted={"out_and_about"},
            groups={"dementia"},
        ),
        index,
    )
    assert ids(result) == ["quiet"] and result.excluded == {}
    signal = result.matches[0].signals["preferences"]
    assert signal.score == 0.5 and signal.weight > 0
    assert signal.explanation == (
        "Quiet has not said whether they are happy with dogs, so ask; "
        "Quiet has not said whether they mind a home where someone smokes, so ask; "
        "Quiet has not said which kinds of support they enjoy giving; "
        "Quiet has not said who they would most like to support"
    )


def test_agreements_are_said_in_plain_english() -> None:
    index = build_index(
        [
            carer(
                "alex",
                pets_ok={"dogs", "cats", "other_pets"},
                smoking_ok=True,
                enjoys_support={"out_and_about", "companionship", "meals"},
                would_support={"older_people", "dementia"},
            )
        ]
    )
    result = rank(
        seeker(
            pets={"dogs"},
            smoking_home=True,
            support_wanted={"out_and_about", "personal_care"},
            groups={"dementia", "young_adults"},
        ),
        index,
    )
    signal = result.matches[0].signals["preferences"]
    assert signal.explanation == (
        "Alex is happy with dogs; Alex does not mind a home where someone smokes; "
        "Alex enjoys helping people get out and about; "
        "Alex would like to support people living with dementia"
    )
    # Happy with dogs (1), smoking (1), enjoys 1 of 2 kinds (0.75), a group (1).
    assert signal.score == pytest.approx((1 + 1 + 0.75 + 1) / 4)
    assert "Alex is happy with dogs" in result.matches[0].explanation


def test_nothing_said_means_no_filter_and_the_signal_does_not_count() -> None:
    index = build_index([carer("a", pets_ok=set(), smoking_ok=False), carer("b")])
    result = rank(seeker(), index)
    assert set(ids(result)) == {"a", "b"} and result.excluded == {}
    signal = result.matches[0].signals["preferences"]
    assert signal.weight == 0 and "did not say anything" in signal.explanation


def test_agreeing_ranks_above_not_saying() -> None:
    index = build_index(
        [carer("quiet", km_north=0.5), carer("yes", km_north=0.5, pets_ok={"dogs"})]
    )
    result = rank(seeker(pets={"dogs"}), index)
    assert ids(result) == ["yes", "quiet"]


def test_counts_per_reason_are_vectorised_over_many_carers() -> None:
    pool = [carer(f"d{i}", pets_ok={"cats"}) for i in range(3)]
    pool += [carer(f"s{i}", pets_ok={"dogs"}, smoking_ok=False) for i in range(2)]
    pool += [carer("fine", pets_ok={"dogs"}, smoking_ok=True)]
    result = rank(seeker(pets={"dogs"}, smoking_home=True), build_index(pool))
    assert ids(result) == ["fine"]
    assert result.excluded == {"pets": 3, "smoking": 2}


def test_clashes_also_hold_for_nearest_teams_and_suggestions() -> None:
    index = build_index(
        [
            carer("far-dog", km_north=35, travel_radius_km=60, pets_ok={"dogs"}),
            carer("far-cat", km_north=30, travel_radius_km=60, pets_ok={"cats"}),
            carer("t-cat", pets_ok={"cats"}, team_id="t1"),
            carer("t-dog", km_north=2, pets_ok={"dogs"}, team_id="t1"),
        ]
    )
    near = nearest(seeker(pets={"dogs"}, must_have={"peg_feeding"}), index)
    assert near == []
    assert [m.candidate_id for m in nearest(seeker(pets={"dogs"}, max_distance_km=1), index)][
        :2
    ] == ["t-dog", "far-dog"]
    teams = rank_teams(seeker(pets={"dogs"}), index)
    assert teams.matches[0].member_ids == ("t-dog",)
    assert "T-Dog is happy with dogs" in teams.matches[0].signals["preferences"].explanation
    # A wider search finds only carers who are happy with dogs.
    wider = rank(seeker(pets={"dogs"}, max_distance_km=5), index)
    assert [w.extra for w in wider.widen if w.kind == "wider_distance"] == [1]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pets", {"hamsters"}),
        ("support_wanted", {"gardening"}),
        ("groups", {"everyone"}),
        ("smoking_home", "yes"),
    ],
)
def test_bad_seeker_preferences_raise(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        rank(seeker(**{field: value}), build_index([]))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pets_ok", {"hamsters"}),
        ("enjoys_support", {"gardening"}),
        ("would_support", {"everyone"}),
        ("smoking_ok", "yes"),
    ],
)
def test_bad_candidate_preferences_raise(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        build_index([carer("x", **{field: value})])


# --- properties -----------------------------------------------------------------------

answers = st.fixed_dictionaries(
    {
        "pets_ok": st.one_of(st.none(), st.frozensets(st.sampled_from(PET_SLUGS))),
        "smoking_ok": st.sampled_from([None, True, False]),
        "enjoys_support": st.frozensets(st.sampled_from(SUPPORT_KIND_SLUGS), max_size=3),
        "would_support": st.frozensets(st.sampled_from(PERSON_GROUP_SLUGS), max_size=3),
    }
)
wishes = st.fixed_dictionaries(
    {
        "pets": st.frozensets(st.sampled_from(PET_SLUGS)),
        "smoking_home": st.booleans(),
        "support_wanted": st.frozensets(st.sampled_from(SUPPORT_KIND_SLUGS), max_size=3),
        "groups": st.frozensets(st.sampled_from(PERSON_GROUP_SLUGS), max_size=2),
    }
)


def clash(answer: dict, wish: dict) -> str | None:
    """The first clash, by the plain rules (None: no clash)."""
    if wish["pets"] and answer["pets_ok"] is not None and not wish["pets"] <= answer["pets_ok"]:
        return "pets"
    if wish["smoking_home"] and answer["smoking_ok"] is False:
        return "smoking"
    enjoys = answer["enjoys_support"]
    if wish["support_wanted"] and enjoys and not wish["support_wanted"] & enjoys:
        return "support_kinds"
    would = answer["would_support"]
    if wish["groups"] and would and not wish["groups"] & would:
        return "who_they_support"
    return None


@settings(max_examples=60, deadline=None)
@given(pool=st.lists(answers, max_size=12), wish=wishes)
def test_filters_and_counts_agree_with_the_plain_rules(tmp_path_factory, pool, wish) -> None:
    carers = [carer(i, km_north=0.1 * i, **answer) for i, answer in enumerate(pool)]
    index = build_index(carers)
    result = rank(seeker(**wish), index, limit=50)
    expected = [clash(answer, wish) for answer in pool]
    assert sorted(ids(result)) == [i for i, reason in enumerate(expected) if reason is None]
    counts: dict[str, int] = {}
    for reason in expected:
        if reason is not None:
            counts[reason] = counts.get(reason, 0) + 1
    assert dict(result.excluded) == counts
    for match in result.matches:
        signal = match.signals["preferences"]
        assert 0.5 <= signal.score <= 1.0 and signal.explanation
    # A memory-mapped copy of the index ranks and explains the same.
    directory = Path(tmp_path_factory.mktemp("store")) / "index"
    save_index(index, directory)
    loaded = load_index(directory)
    assert rank(seeker(**wish), loaded, limit=50) == result
    for p, candidate in enumerate(index.candidates):
        again = loaded.candidates[p]
        assert (again.pets_ok, again.smoking_ok, again.enjoys_support, again.would_support) == (
            candidate.pets_ok,
            candidate.smoking_ok,
            candidate.enjoys_support,
            candidate.would_support,
        )
