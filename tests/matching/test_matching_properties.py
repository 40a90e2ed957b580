"""Property tests for rank(): monotonic signals, filters honoured, sorted and stable output."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Candidate, Seeker, Weights, build_index, rank
from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS

SKILLS = ["cooking", "shopping", "peg_feeding", "driving", "dementia_care"]
INTERESTS = ["gardening", "Football", "fishing", "music", "allotment", "bingo", "steam trains"]
LANGUAGES = ["en", "ur", "pl", "cy"]
SLOTS = ["mon-am", "tue-pm", "wed-eve", "sat-am"]
BASE = (53.48, -2.24)  # Manchester

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)

weights_strategy = st.builds(
    Weights,
    locality=st.floats(0.01, 5),
    skills=st.floats(0, 5),
    interests=st.floats(0, 5),
    languages=st.floats(0, 5),
    availability=st.floats(0, 5),
    continuity=st.floats(0, 5),
)


@st.composite
def candidates(draw: st.DrawFn, id: int) -> Candidate:
    return Candidate(
        id=id,
        lat=BASE[0] + draw(st.floats(-0.3, 0.3)),
        lon=BASE[1] + draw(st.floats(-0.4, 0.4)),
        travel_radius_km=draw(st.sampled_from([5.0, 10.0, 25.0, 40.0])),
        skills=draw(st.frozensets(st.sampled_from(SKILLS))),
        interests=draw(st.lists(st.sampled_from(INTERESTS), max_size=3)),
        languages=draw(st.frozensets(st.sampled_from(LANGUAGES))),
        gender=draw(st.sampled_from([None, "female", "male"])),
        hourly_rate_pence=draw(st.one_of(st.none(), st.integers(1500, 3000))),
        availability=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(SLOTS)))),
        provider_id=draw(st.sampled_from([None, "p1", "p2"])),
        quality_assured=draw(st.booleans()),
        active=draw(st.booleans()),
        pets_ok=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(PET_SLUGS)))),
        smoking_ok=draw(st.sampled_from([None, True, False])),
        enjoys_support=draw(st.frozensets(st.sampled_from(SUPPORT_KIND_SLUGS), max_size=2)),
        would_support=draw(st.frozensets(st.sampled_from(PERSON_GROUP_SLUGS), max_size=2)),
    )


@st.composite
def seekers(draw: st.DrawFn) -> Seeker:
    return Seeker(
        lat=BASE[0] + draw(st.floats(-0.2, 0.2)),
        lon=BASE[1] + draw(st.floats(-0.2, 0.2)),
        max_distance_km=draw(st.floats(0, 60)),
        must_have=draw(st.frozensets(st.sampled_from(SKILLS), max_size=1)),
        nice_to_have=draw(st.frozensets(st.sampled_from(SKILLS), max_size=3)),
        interests=draw(st.lists(st.sampled_from(INTERESTS), max_size=3)),
        languages=draw(st.frozensets(st.sampled_from(LANGUAGES), max_size=2)),
        carer_gender=draw(st.sampled_from([None, "female"])),
        max_hourly_rate_pence=draw(st.one_of(st.none(), st.integers(1500, 3000))),
        availability=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(SLOTS)))),
        known_candidate_ids=draw(st.frozensets(st.integers(0, 30), max_size=2)),
        pets=draw(st.frozensets(st.sampled_from(PET_SLUGS), max_size=1)),
        smoking_home=draw(st.booleans()),
        support_wanted=draw(st.frozensets(st.sampled_from(SUPPORT_KIND_SLUGS), max_size=2)),
        groups=draw(st.frozensets(st.sampled_from(PERSON_GROUP_SLUGS), max_size=1)),
    )


pools = st.integers(0, 25).flatmap(
    lambda n: st.tuples(*[candidates(id=i) for i in range(n)])  # type: ignore[arg-type]
)


def passes_filters(c: Candidate, s: Seeker, distance: float) -> bool:
    if not (c.active and c.quality_assured):
        return False
    if distance > s.max_distance_km or distance > c.travel_radius_km:
        return False
    if not s.must_have <= c.skills:
        return False
    if s.carer_gender is not None and c.gender != s.carer_gender:
        return False
    if s.pets and c.pets_ok is not None and not s.pets <= c.pets_ok:
        return False
    if s.smoking_home and c.smoking_ok is False:
        return False
    if s.support_wanted and c.enjoys_support and not s.support_wanted & c.enjoys_support:
        return False
    if s.groups and c.would_support and not s.groups & c.would_support:
        return False
    rate = c.hourly_rate_pence
    return not (s.max_hourly_rate_pence is not None and rate is not None
                and rate > s.max_hourly_rate_pence)  # fmt: skip


@PROPERTY_SETTINGS
@given(pool=pools, seeker=seekers(), weights=weights_strategy, limit=st.integers(1, 30))
def test_results_sorted_bounded_filtered_and_counted(
    pool: tuple[Candidate, ...], seeker: Seeker, weights: Weights, limit: int
) -> None:
    index = build_index(pool)
    result = rank(seeker, index, weights=weights, limit=limit)
    by_id = {c.id: c for c in pool}
    keys = [(-m.score, m.distance_km, m.candidate_id) for m in result.matches]
    assert keys == sorted(keys)
    assert len(result.matches) <= limit
    for match in result.matches:
        assert 0.0 <= match.score <= 1.0
        assert passes_filters(by_id[match.candidate_id], seeker, match.distance_km)
        for signal in match.signals.values():
            assert 0.0 <= signal.score <= 1.0
            assert signal.explanation
    if len(result.matches) < limit:
        assert len(result.matches) + sum(result.excluded.values()) == len(pool)
    # Same input, same output, even with the candidates given in another order.
    again = rank(seeker, build_index(reversed(pool)), weights=weights, limit=limit)
    assert [(m.candidate_id, m.score) for m in again.matches] == [
        (m.candidate_id, m.score) for m in result.matches
    ]


def _score_of(candidate_id: int, pool: list[Candidate], seeker: Seeker, weights: Weights) -> float:
    result = rank(seeker, build_index(pool), weights=weights, limit=len(pool))
    return next(m.score for m in result.matches if m.candidate_id == candidate_id)


def _twin(c: Candidate, **changes: Any) -> Candidate:
    fields = {name: getattr(c, name) for name in Candidate.__slots__}  # type: ignore[attr-defined]
    fields.update(changes)
    return Candidate(**fields)


@PROPERTY_SETTINGS
@given(
    template=candidates(id=0),
    seeker=seekers(),
    weights=weights_strategy,
    near=st.floats(0, 0.1),
    extra=st.floats(0, 0.1),
)
def test_closer_candidate_never_scores_lower(
    template: Candidate, seeker: Seeker, weights: Weights, near: float, extra: float
) -> None:
    seeker = Seeker(
        lat=seeker.lat, lon=seeker.lon, max_distance_km=100, nice_to_have=seeker.nice_to_have,
        interests=seeker.interests, languages=seeker.languages, availability=seeker.availability,
    )  # fmt: skip
    base = _twin(template, active=True, quality_assured=True, travel_radius_km=100)
    closer = _twin(base, id=1, lat=seeker.lat + near, lon=seeker.lon)
    farther = _twin(base, id=2, lat=seeker.lat + near + extra, lon=seeker.lon)
    pool = [closer, farther]
    assert _score_of(1, pool, seeker, weights) >= _score_of(2, pool, seeker, weights)


@PROPERTY_SETTINGS
@given(template=candidates(id=0), seeker=seekers(), weights=weights_strategy, data=st.data())
def test_adding_a_shared_interest_never_lowers_the_score(
    template: Candidate, seeker: Seeker, weights: Weights, data: st.DataObject
) -> None:
    seeker = Seeker(
        lat=seeker.lat, lon=seeker.lon, max_distance_km=100,
        interests=data.draw(st.lists(st.sampled_from(INTERESTS), min_size=1, max_size=3)),
    )  # fmt: skip
    added = data.draw(st.sampled_from(list(seeker.interests)))
    base = _twin(template, active=True, quality_assured=True, travel_radius_km=200,
                 lat=seeker.lat, lon=seeker.lon)  # fmt: skip
    richer = _twin(base, id=1, interests=(*base.interests, added))
    before = _score_of(0, [base], seeker, weights)
    after = _score_of(1, [richer], seeker, weights)
    assert after >= before
