"""matching.store: an index saved once and memory-mapped ranks exactly like the built one."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Candidate, build_index, rank, rank_teams
from matching.store import PackedStrings, load_index, pack_strings, save_index
from tests.matching.test_matching_properties import candidates, seekers

pools = st.integers(0, 25).flatmap(
    lambda n: st.tuples(*[candidates(id=i * 7 + 3) for i in range(n)])  # type: ignore[arg-type]
)


def _with_groups(pool: tuple[Candidate, ...]) -> list[Candidate]:
    """Whole-number group ids and teams (what the marketplace stores), and custom text."""
    out = []
    for n, c in enumerate(pool):
        fields = {name: getattr(c, name) for name in c.__slots__}  # type: ignore[attr-defined]
        fields["provider_id"] = None if c.provider_id is None else int(str(c.provider_id)[1:])
        fields["team_id"] = 40 + n % 3 if n % 2 else None
        fields["name"] = f"Carer {n} “Ñ”"
        fields["interests"] = (*c.interests, "Morris dancing") if n % 4 == 0 else c.interests
        out.append(Candidate(**fields))
    return out


@settings(max_examples=40, deadline=None)
@given(pool=pools, seeker=seekers())
def test_a_loaded_index_ranks_like_the_built_one(tmp_path_factory, pool, seeker) -> None:
    built = build_index(_with_groups(pool))
    directory = tmp_path_factory.mktemp("store") / "index"
    save_index(built, directory)
    loaded = load_index(directory)
    assert isinstance(loaded.keys, np.ndarray) and not loaded.keys.flags.writeable
    for limit in (1, 5, 30):
        assert rank(seeker, loaded, limit=limit) == rank(seeker, built, limit=limit)
    assert rank_teams(seeker, loaded) == rank_teams(seeker, built)
    for p, candidate in enumerate(built.candidates):
        assert loaded.position_of[candidate.id] == p == built.position_of[candidate.id]
        again = loaded.candidates[p]
        assert (again.id, again.name, again.provider_id, again.team_id) == (
            candidate.id,
            candidate.name,
            candidate.provider_id,
            candidate.team_id,
        )
        assert again.travel_radius_km == candidate.travel_radius_km
        assert again.languages == candidate.languages
    assert 10**9 not in loaded.position_of and "3" not in loaded.position_of
    assert len(loaded.candidates) == len(loaded.position_of) == built.size


def test_only_whole_number_ids_are_stored(tmp_path: Path) -> None:
    index = build_index(
        [
            Candidate(
                id="a", lat=51.5, lon=0.0, travel_radius_km=5, skills=(), interests=(), languages=()
            )
        ]
    )
    with pytest.raises(ValueError, match="whole numbers"):
        save_index(index, tmp_path / "index")
    assert not list(tmp_path.iterdir())


def test_packed_strings_round_trip() -> None:
    values = ["Ana", None, "", "Zoë “quoted”", 7, ["x", None]]
    packed = PackedStrings(*pack_strings(values))
    assert list(packed) == values and packed[-1] == ["x", None] and packed[1:3] == [None, ""]
    with pytest.raises(IndexError):
        packed[len(values)]


def test_decoded_candidates_are_kept_per_loaded_index(tmp_path: Path) -> None:
    """Decoding is cached per loaded index (so per catalog version), bounded, and
    gives what a fresh decode gives; a new version is a new index with its own."""
    from matching import store

    pool = [
        Candidate(
            id=i,
            lat=53.8,
            lon=-1.55,
            travel_radius_km=5,
            skills=frozenset({"a"}),
            interests=(),
            languages=frozenset(),
            name=f"C{i}",
        )
        for i in (1, 5, 9)
    ]
    save_index(build_index(pool), tmp_path / "v1")
    loaded = load_index(tmp_path / "v1")
    p = loaded.position_of[5]
    assert loaded.candidates[p] is loaded.candidates[p]
    assert loaded.candidates[p] == loaded.candidates._decode(p)
    assert loaded.candidates[-1] == loaded.candidates[len(pool) - 1]
    # True == 1 and hash(True) == hash(1): a cached lookup must still refuse bools.
    assert 1 in loaded.position_of and True not in loaded.position_of
    assert loaded.position_of.get(2) is None
    renamed = [
        Candidate(**{**{n: getattr(c, n) for n in c.__slots__}, "name": "New"})  # type: ignore[attr-defined]
        for c in pool
    ]
    save_index(build_index(renamed), tmp_path / "v2")
    assert load_index(tmp_path / "v2").candidates[p].name == "New"
    assert loaded.candidates[p].name == "C5"
    bounded = loaded.candidates._cached.cache_info().maxsize
    assert bounded == store.DECODED_CACHE_SIZE
