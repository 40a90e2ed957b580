"""rank() and rank_teams(): hard filters -> signals -> weighted score -> explanations.

Everything up to choosing the top matches is vectorised over the candidates in
the seeker's spatial window; explanations are written only for the matches
returned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.index import CandidateIndex, Words, join_words, split_terms, split_words, term_bits
from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS
from matching.signals import NEUTRAL, BoolArray, FloatArray, IntArray
from matching.signals.availability import availability_score, explain_availability
from matching.signals.continuity import continuity_score, explain_continuity
from matching.signals.interests import explain_interests, interests_score
from matching.signals.languages import explain_languages, languages_score
from matching.signals.locality import explain_locality, locality_score
from matching.signals.preferences import PreferenceFacts, explain_preferences, preferences_score
from matching.signals.price import explain_price, price_score
from matching.signals.skills import explain_skills, skills_score
from matching.types import (
    SIGNAL_NAMES,
    CandidateId,
    Match,
    RankResult,
    Seeker,
    Signal,
    Suggestion,
    TeamMatch,
    TeamRankResult,
    Weights,
    signal_of,
)
from matching.vocabulary import Kind
from matching.wording import carers, join_and, km, pounds, radius, slot

# Reasons a carer is left out, in the order they are checked: each excluded carer
# is counted once, under the first reason that applies.
EXCLUSION_REASONS = (
    "inactive",
    "not_quality_assured",
    "beyond_max_distance",
    "outside_travel_radius",
    "missing_must_have",
    "gender",
    "language",
    "not_available",
    "over_budget",
    # The carer's own preferences, against the person's home and wishes.
    "pets",
    "smoking",
    "support_kinds",
    "who_they_support",
)
# The _Window fields of the person's wishes and the carers' preferences (hard filters
# after reach and must-haves), each excluding under its own reason.
_WISHES = (
    ("gender_ok", "gender"),
    ("speaks_ok", "language"),
    ("free_ok", "not_available"),
    ("rate_ok", "over_budget"),
    ("pets_ok", "pets"),
    ("smoking_ok", "smoking"),
    ("support_ok", "support_kinds"),
    ("group_ok", "who_they_support"),
)
TEAM_EXCLUSION_REASONS = ("no_member_in_reach", "missing_must_have")
# Distances offered when suggesting a wider search.
WIDER_DISTANCES_KM = (5.0, 10.0, 15.0, 25.0, 40.0, 60.0, 100.0, 150.0, 250.0)


def _popcount(columns: Words, positions: IntArray, mask: list[np.uint64]) -> IntArray:
    total = np.zeros(len(positions), dtype=np.int64)
    for column, word in zip(columns, mask, strict=True):
        if word:
            total += np.bitwise_count(column[positions] & word)
    return total


def _has_all(columns: Words, positions: IntArray, mask: list[np.uint64]) -> BoolArray:
    result = np.ones(len(positions), dtype=bool)
    for column, word in zip(columns, mask, strict=True):
        if word:
            result &= (column[positions] & word) == word
    return result


@dataclass(frozen=True)
class _Query:
    """A seeker's wishes translated into the index's keys and bit masks."""

    must_keys: tuple[str, ...]
    must_int: int
    must_known: bool  # False when some must-have is held by no candidate at all
    nice_keys: tuple[str, ...]
    nice_int: int
    interest_keys: tuple[str, ...]
    interest_int: int
    language_keys: tuple[str, ...]
    language_int: int
    slot_keys: tuple[str, ...]
    slot_int: int
    speak_keys: tuple[str, ...]
    speak_int: int
    speak_known: bool  # False when some required language is spoken by no candidate
    only_available: bool
    gender: int | None
    known: IntArray
    anyone_known: bool
    # Both sides' preferences: the person's pets, smoking, kinds of support and groups,
    # as bits of the closed vocabularies (and in their order, for explanations).
    pet_keys: tuple[str, ...]
    pet_bits: int
    smoking_home: bool
    support_keys: tuple[str, ...]
    support_bits: int
    group_keys: tuple[str, ...]
    group_bits: int

    @property
    def any_preference(self) -> bool:
        """The person said something the preferences signal can weigh."""
        return bool(self.pet_bits or self.smoking_home or self.support_bits or self.group_bits)

    @classmethod
    def build(cls, seeker: Seeker, index: CandidateIndex) -> _Query:
        def keys(texts: Iterable[str], kind: Kind) -> tuple[str, ...]:
            found: dict[str, None] = {}
            # Sets have no order of their own: sort them so explanations are repeatable.
            for text in texts if isinstance(texts, tuple) else sorted(texts):
                for part in split_terms(text):
                    found[index.key_for(part, kind)] = None
            return tuple(found)

        must = keys(seeker.must_have, "skills")
        interests = tuple(index.nearest_interest(k) for k in keys(seeker.interests, "interests"))
        slots = tuple(dict.fromkeys(s.strip().lower() for s in seeker.availability or ()))
        known = [index.position_of[i] for i in seeker.known_candidate_ids if i in index.position_of]
        speak = keys(seeker.must_speak, "languages")
        return cls(
            must_keys=must,
            must_int=index.skill_space.mask(must),
            must_known=all(k in index.skill_space.bit_of for k in must),
            nice_keys=keys(seeker.nice_to_have, "skills"),
            nice_int=index.skill_space.mask(keys(seeker.nice_to_have, "skills")),
            interest_keys=tuple(dict.fromkeys(interests)),
            interest_int=index.interest_space.mask(interests),
            language_keys=keys(seeker.languages, "languages"),
            language_int=index.language_space.mask(keys(seeker.languages, "languages")),
            slot_keys=slots,
            slot_int=index.availability_space.mask(slots),
            speak_keys=speak,
            speak_int=index.language_space.mask(speak),
            speak_known=all(k in index.language_space.bit_of for k in speak),
            only_available=seeker.only_available,
            gender=None if seeker.carer_gender is None else index.gender_code(seeker.carer_gender),
            known=np.asarray(sorted(known), dtype=np.int64),
            anyone_known=bool(seeker.known_candidate_ids),
            pet_keys=tuple(p for p in PET_SLUGS if p in seeker.pets),
            pet_bits=term_bits(seeker.pets, PET_SLUGS),
            smoking_home=seeker.smoking_home,
            support_keys=tuple(k for k in SUPPORT_KIND_SLUGS if k in seeker.support_wanted),
            support_bits=term_bits(seeker.support_wanted, SUPPORT_KIND_SLUGS),
            group_keys=tuple(g for g in PERSON_GROUP_SLUGS if g in seeker.groups),
            group_bits=term_bits(seeker.groups, PERSON_GROUP_SLUGS),
        )


@dataclass(frozen=True)
class _Window:
    """Candidates near the seeker, with every hard filter evaluated separately."""

    positions: IntArray
    distance: FloatArray
    listed: BoolArray
    in_distance: BoolArray
    in_radius: BoolArray
    has_must: BoolArray
    gender_ok: BoolArray
    speaks_ok: BoolArray
    free_ok: BoolArray
    rate_ok: BoolArray
    pets_ok: BoolArray
    smoking_ok: BoolArray
    support_ok: BoolArray
    group_ok: BoolArray

    @property
    def reachable(self) -> BoolArray:
        """Listed and within both distances."""
        return self.listed & self.in_distance & self.in_radius

    @property
    def wishes_ok(self) -> BoolArray:
        """Passes the person's own hard preferences (gender, language, times, price) and
        no clash with the carer's (pets, smoking, kinds of support, who)."""
        keep = self.gender_ok
        for name, _ in _WISHES[1:]:
            keep = keep & getattr(self, name)
        return keep

    @property
    def passing(self) -> BoolArray:
        """Passes every hard filter."""
        return self.reachable & self.has_must & self.wishes_ok

    def all_but(self, name: str) -> BoolArray:
        """Reachable, and passing every hard filter except ``name`` (a field of this class)."""
        keep = self.reachable & self.has_must
        for other, _ in _WISHES:
            if other != name:
                keep = keep & getattr(self, other)
        return keep


def _window(index: CandidateIndex, query: _Query, seeker: Seeker, max_km: float) -> _Window:
    positions = index.window(seeker.lat, seeker.lon, max_km)
    distance = index.distances_km(positions, seeker.lat, seeker.lon)
    count = len(positions)
    if query.must_known:
        words = split_words(query.must_int, len(index.skills))
        has_must = _has_all(index.skills, positions, words)
    else:
        has_must = np.zeros(count, dtype=bool)
    if query.gender is None:
        gender_ok = np.ones(count, dtype=bool)
    else:
        gender_ok = index.gender[positions] == query.gender
    if seeker.max_hourly_rate_pence is None:
        rate_ok = np.ones(count, dtype=bool)
    else:
        # An unknown rate (-1) is not known to be over the limit, so it passes.
        rate_ok = index.hourly_rate_pence[positions] <= seeker.max_hourly_rate_pence
    if not query.speak_keys:
        speaks_ok = np.ones(count, dtype=bool)
    elif query.speak_known:
        speaks_ok = _has_all(
            index.languages, positions, split_words(query.speak_int, len(index.languages))
        )
    else:
        speaks_ok = np.zeros(count, dtype=bool)
    if query.only_available:
        # Free at one of the wanted times; a carer who has not said when is not known to be.
        free_ok = (
            _popcount(
                index.availability, positions, split_words(query.slot_int, len(index.availability))
            )
            > 0
        ) & index.availability_known[positions]
    else:
        free_ok = np.ones(count, dtype=bool)
    pets_ok, smoking_ok, support_ok, group_ok = _preference_filters(index, query, positions)
    return _Window(
        positions=positions,
        distance=distance,
        listed=index.active[positions] & index.quality_assured[positions],
        in_distance=distance <= max_km,
        in_radius=distance <= index.travel_radius_km[positions],
        has_must=has_must,
        gender_ok=gender_ok,
        speaks_ok=speaks_ok,
        free_ok=free_ok,
        rate_ok=rate_ok,
        pets_ok=pets_ok,
        smoking_ok=smoking_ok,
        support_ok=support_ok,
        group_ok=group_ok,
    )


def _preference_filters(
    index: CandidateIndex, query: _Query, positions: IntArray
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    """Clashes between the person's home and wishes and what the carer said; a carer who
    has not said is not known to clash, so passes."""
    count = len(positions)
    passes = np.ones(count, dtype=bool)
    pets_ok = smoking_ok = support_ok = group_ok = passes
    if query.pet_bits:
        # Happy with every pet in the home.
        pets_ok = ~index.pets_known[positions] | (
            (index.pets_ok[positions] & query.pet_bits) == query.pet_bits
        )
    if query.smoking_home:
        smoking_ok = index.smoking_ok[positions] != 0
    if query.support_bits:
        # Enjoys at least one of the kinds of support wanted.
        enjoys = index.enjoys_support[positions]
        support_ok = (enjoys == 0) | ((enjoys & query.support_bits) != 0)
    if query.group_bits:
        # Would like to support at least one of the person's groups.
        would = index.would_support[positions]
        group_ok = (would == 0) | ((would & query.group_bits) != 0)
    return pets_ok, smoking_ok, support_ok, group_ok


def _check(
    seeker: Seeker,
    index: CandidateIndex,
    weights: Weights | None,
    limit: int,
    max_per_provider: int | None,
    diversity_top_n: int | None,
) -> Weights:
    if not isinstance(seeker, Seeker):
        raise ValueError(f"seeker must be a Seeker, not {type(seeker).__name__}")
    if not isinstance(index, CandidateIndex):
        raise ValueError(f"index must come from build_index(), not {type(index).__name__}")
    seeker.validate()
    weights = Weights() if weights is None else weights
    if not isinstance(weights, Weights):
        raise ValueError(f"weights must be a Weights, not {type(weights).__name__}")
    weights.validate()
    for name, value, smallest in (
        ("limit", limit, 1),
        ("max_per_provider", max_per_provider, 1),
        ("diversity_top_n", diversity_top_n, 1),
    ):
        if value is None and name != "limit":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
            raise ValueError(f"{name} must be a whole number of at least {smallest}, not {value!r}")
    return weights


class _Scores:
    """Per-signal scores for a set of positions, and the weight each carries."""

    def __init__(
        self,
        index: CandidateIndex,
        query: _Query,
        weights: Weights,
        positions: IntArray,
        distance: FloatArray,
    ) -> None:
        skill_words = len(index.skills)
        wanted = {
            "skills": len(query.nice_keys),
            "interests": len(query.interest_keys),
            "languages": len(query.language_keys),
            "availability": len(query.slot_keys),
        }
        self.parts: dict[str, FloatArray] = {
            "locality": locality_score(distance, weights.locality_half_km),
            "skills": skills_score(
                _popcount(index.skills, positions, split_words(query.nice_int, skill_words)),
                wanted["skills"],
            ),
            "interests": interests_score(
                _popcount(
                    index.interests,
                    positions,
                    split_words(query.interest_int, len(index.interests)),
                ),
                wanted["interests"],
                index.interests_listed[positions],
            ),
            "languages": languages_score(
                _popcount(
                    index.languages,
                    positions,
                    split_words(query.language_int, len(index.languages)),
                ),
                wanted["languages"],
                index.languages_listed[positions],
            ),
            "availability": availability_score(
                _popcount(
                    index.availability,
                    positions,
                    split_words(query.slot_int, len(index.availability)),
                ),
                wanted["availability"],
                index.availability_known[positions],
            ),
            "continuity": continuity_score(np.isin(positions, query.known), query.anyone_known),
            "price": price_score(index.hourly_rate_pence[positions]),
            "preferences": _preferences_part(index, query, positions),
        }
        self.rates = index.hourly_rate_pence[positions]
        self._rate_range: tuple[int | None, int | None] | None = None
        applies = {
            "locality": True,
            "skills": wanted["skills"] > 0,
            "interests": wanted["interests"] > 0,
            "languages": wanted["languages"] > 0,
            "availability": wanted["availability"] > 0,
            "continuity": query.anyone_known,
            "price": True,
            "preferences": query.any_preference,
        }
        if weights.emphasis is not None:
            applies[weights.emphasis] = True  # said, even when it cannot tell carers apart
        given = weights.as_dict()
        self.emphasis = weights.emphasis
        # A signal the person expressed no wish about does not count at all.
        self.weights = {name: given[name] if applies[name] else 0.0 for name in SIGNAL_NAMES}
        self.total = combine(self.parts, self.weights, len(positions))

    @property
    def rate_range(self) -> tuple[int | None, int | None]:
        """The lowest and highest known rate among these positions (once per ranking)."""
        if self._rate_range is None:
            self._rate_range = _rate_range(self.rates)
        return self._rate_range


def _preferences_part(index: CandidateIndex, query: _Query, positions: IntArray) -> FloatArray:
    support_shared = None
    if query.support_bits:
        shared = index.enjoys_support[positions] & query.support_bits
        support_shared = np.bitwise_count(shared).astype(np.int64)
    return preferences_score(
        index.pets_known[positions] if query.pet_bits else None,
        index.smoking_ok[positions] == 1 if query.smoking_home else None,
        support_shared,
        len(query.support_keys),
        index.would_support[positions] != 0 if query.group_bits else None,
        len(positions),
    )


def _preference_facts(index: CandidateIndex, query: _Query, position: int) -> PreferenceFacts:
    return _facts(
        query,
        bool(index.pets_known[position]),
        int(index.smoking_ok[position]),
        int(index.enjoys_support[position]),
        int(index.would_support[position]),
    )


def _facts(
    query: _Query, pets_known: bool, smoking: int, enjoys: int, would: int
) -> PreferenceFacts:
    """One carer's answers (their columns' values) to what the person said."""
    return PreferenceFacts(
        pets=query.pet_keys,
        pets_known=pets_known,
        smoking_home=query.smoking_home,
        smoking_known=smoking == 1,
        support_wanted=len(query.support_keys),
        support_enjoyed=tuple(
            k for k in query.support_keys if enjoys >> SUPPORT_KIND_SLUGS.index(k) & 1
        ),
        groups=len(query.group_keys),
        groups_shared=tuple(
            g for g in query.group_keys if would >> PERSON_GROUP_SLUGS.index(g) & 1
        ),
    )


def combine(parts: dict[str, FloatArray], weights: dict[str, float], count: int) -> FloatArray:
    """Weighted mean of the signal scores, clipped to [0, 1]; neutral if nothing counts."""
    total_weight = sum(weights.values())
    if total_weight <= 0:
        return np.full(count, NEUTRAL)
    total = np.zeros(count)
    for name, weight in weights.items():
        if weight > 0:
            total += weight * parts[name]
    return np.clip(total / total_weight, 0.0, 1.0)


def _order(scores: FloatArray, distance: FloatArray, ties: IntArray, limit: int | None) -> IntArray:
    """Indices best first: score down, then distance up, then the stable tie key."""
    pool = np.arange(len(scores))
    if limit is not None and len(scores) > limit:
        # Keep everything tied with the limit-th score, so ties are broken by key, not chance.
        kth = np.partition(-scores, limit - 1)[limit - 1]
        pool = np.flatnonzero(-scores <= kth)
    chosen = pool[np.lexsort((ties[pool], distance[pool], -scores[pool]))]
    return chosen if limit is None else chosen[:limit]


def _diversify(
    order: IntArray, providers: npt.NDArray[np.integer[Any]], limit: int, cap: int, top_n: int
) -> list[int]:
    """At most ``cap`` per provider among the first ``top_n``; later places are unconstrained."""
    chosen: list[int] = []
    per_provider: Counter[int] = Counter()
    for i in order.tolist():
        provider = int(providers[i])
        if provider >= 0 and per_provider[provider] >= cap:
            continue
        chosen.append(i)
        per_provider[provider] += 1
        if len(chosen) == min(top_n, limit):
            break
    if len(chosen) == top_n and top_n < limit:
        taken = set(chosen)
        chosen.extend([i for i in order.tolist() if i not in taken][: limit - top_n])
    return chosen


def _labels(index: CandidateIndex, kind: Kind, keys: list[str]) -> list[str]:
    return [index.label(kind, key) for key in keys]


def _explain(
    index: CandidateIndex,
    query: _Query,
    scores: _Scores,
    i: int,
    position: int,
    distance: float,
) -> dict[str, Signal]:
    return _explain_many(index, query, scores, [i], [position], [distance])[0]


def _gather_words(columns: Words, positions: IntArray) -> list[int]:
    """The bitsets stored at ``positions`` as Python ints (``join_words`` of each), with
    one gather per 64-bit column instead of one read per position and column."""
    values = [0] * len(positions)
    for w, column in enumerate(columns):
        shift = 64 * w
        for n, word in enumerate(column[positions].tolist()):
            if word:
                values[n] |= word << shift
    return values


def _explain_many(
    index: CandidateIndex,
    query: _Query,
    scores: _Scores,
    rows: list[int],
    positions: list[int],
    distances: list[float],
) -> list[dict[str, Signal]]:
    """The explained signals of the matches at ``rows`` (indices into ``scores``), whose
    index positions and distances are given: every column the sentences need is read
    once for all of them."""
    if not rows:
        return []
    at = np.asarray(positions, dtype=np.int64)
    skill_bits = _gather_words(index.skills, at)
    interest_bits = _gather_words(index.interests, at)
    language_bits = _gather_words(index.languages, at)
    slot_bits = _gather_words(index.availability, at)
    languages_listed = index.languages_listed[at].tolist()
    availability_known = index.availability_known[at].tolist()
    pets_known = index.pets_known[at].tolist()
    smoking = index.smoking_ok[at].tolist()
    enjoys = index.enjoys_support[at].tolist()
    would = index.would_support[at].tolist()
    known_positions = set(query.known.tolist())
    wanted_languages = [(k, index.language_space.mask([k])) for k in query.language_keys]
    label = index.label
    labelled = index.labelled
    rate_range = scores.rate_range
    # The price sentence depends only on the rate here (the range is this ranking's).
    price_texts: dict[int | None, str] = {}
    # Nothing said of home and wishes: the same sentence for everyone.
    no_preferences = (
        None if query.any_preference else explain_preferences(_facts(query, False, 0, 0, 0), None)
    )
    parts = _parts_at(scores.parts, rows)
    found = []
    for n, position in enumerate(positions):
        candidate = index.candidates[position]
        name = candidate.name
        skills = labelled("skills", skill_bits[n] & query.nice_int)
        their_interests = interest_bits[n]
        shared = labelled("interests", their_interests & query.interest_int)
        others = labelled("interests", their_interests & ~query.interest_int)
        languages = language_bits[n]
        spoken = [k for k, bit in wanted_languages if bit & languages]
        missing = [k for k in query.language_keys if k not in spoken]
        free = index.availability_space.decode(slot_bits[n] & query.slot_int)
        rate = candidate.hourly_rate_pence
        price_text = price_texts.get(rate)
        if price_text is None:
            price_text = price_texts[rate] = explain_price(rate, *rate_range)
        texts = {
            "locality": explain_locality(distances[n], candidate.travel_radius_km, name),
            "skills": explain_skills(list(skills), len(query.nice_keys)),
            "interests": explain_interests(
                list(shared), [*shared, *others], len(query.interest_keys), name
            ),
            "languages": explain_languages(
                [label("languages", k) for k in spoken],
                [label("languages", k) for k in missing],
                bool(languages_listed[n]),
                name,
            ),
            "availability": explain_availability(
                [slot(s) for s in free],
                len(query.slot_keys),
                bool(availability_known[n]),
                name,
            ),
            "continuity": explain_continuity(position in known_positions, query.anyone_known, name),
            "price": price_text,
            "preferences": (
                no_preferences
                if no_preferences is not None
                else explain_preferences(
                    _facts(query, bool(pets_known[n]), smoking[n], enjoys[n], would[n]), name
                )
            ),
        }
        found.append(_signals_of(parts, n, scores.weights, scores.emphasis, texts))
    return found


def _parts_at(parts: dict[str, FloatArray], rows: list[int]) -> dict[str, list[float]]:
    """Each signal's scores at ``rows``, as Python floats (one gather per signal)."""
    at = np.asarray(rows, dtype=np.int64)
    return {name: parts[name][at].tolist() for name in SIGNAL_NAMES}


def _rate_range(rates: IntArray) -> tuple[int | None, int | None]:
    known = rates[rates >= 0]
    if not len(known):
        return None, None
    return int(known.min()), int(known.max())


def _signals(
    parts: dict[str, FloatArray],
    weights: dict[str, float],
    emphasis: str | None,
    i: int,
    texts: dict[str, str],
) -> dict[str, Signal]:
    """Every signal's score, weight and explanation; the one that matters most to the
    person first, saying so."""
    return _signals_of(_parts_at(parts, [i]), 0, weights, emphasis, texts)


def _signals_of(
    parts: dict[str, list[float]],
    n: int,
    weights: dict[str, float],
    emphasis: str | None,
    texts: dict[str, str],
) -> dict[str, Signal]:
    """``_signals`` from scores already gathered (``_parts_at``), for their ``n``-th row."""
    if emphasis is None:
        return {
            name: signal_of(parts[name][n], weights[name], texts[name]) for name in SIGNAL_NAMES
        }
    order = list(SIGNAL_NAMES)
    order.remove(emphasis)
    order.insert(0, emphasis)
    texts = {**texts, emphasis: f"{texts[emphasis]} (you said this matters most)"}
    return {name: signal_of(parts[name][n], weights[name], texts[name]) for name in order}


_NO_TEXTS = dict.fromkeys(SIGNAL_NAMES, "")


class _UnexplainedSignals(Mapping[str, Signal]):
    """The signals of a match ``rank()`` was not asked to explain (outside ``explain``):
    the same scores and weights as ``_signals_of`` gives, with no texts, made only when
    first read. A search ranks up to 200 matches to show a page of 10 and a count, and
    making 8 Signals for each of the others was a fifth of its cost."""

    __slots__ = ("_args", "_made")

    def __init__(
        self, parts: dict[str, list[float]], n: int, weights: dict[str, float], emphasis: str | None
    ) -> None:
        self._args: tuple[Any, ...] | None = (parts, n, weights, emphasis)
        self._made: dict[str, Signal] | None = None

    def _signals(self) -> dict[str, Signal]:
        if self._made is None:
            assert self._args is not None
            parts, n, weights, emphasis = self._args
            self._made = _signals_of(parts, n, weights, emphasis, _NO_TEXTS)
            self._args = None
        return self._made

    def __getitem__(self, name: str) -> Signal:
        return self._signals()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._signals())

    def __len__(self) -> int:
        return len(SIGNAL_NAMES)

    def __repr__(self) -> str:
        return repr(self._signals())


def rank(
    seeker: Seeker,
    index: CandidateIndex,
    weights: Weights | None = None,
    limit: int = 20,
    *,
    max_per_provider: int | None = None,
    diversity_top_n: int | None = None,
    explain: slice | None = None,
    widest_km: float | None = None,
    suggest_below: int | None = None,
) -> RankResult:
    """The best ``limit`` carers for ``seeker``, explained, with exclusions and suggestions.

    With ``max_per_provider`` = K, at most K of the first ``diversity_top_n``
    matches (default: all of them) come from any one provider. With ``explain``, only
    ``matches[explain]`` get their explanations written (a page of a longer list); the
    others carry the same scores and weights with empty explanation texts.
    ``widest_km`` is the largest distance the caller lets a person ask for: no
    suggestion goes beyond it. Ways to widen the search are worked out when fewer than
    ``suggest_below`` carers match (default ``limit``: the list is not cut short).
    """
    weights = _check(seeker, index, weights, limit, max_per_provider, diversity_top_n)
    query = _Query.build(seeker, index)
    window = _window(index, query, seeker, seeker.max_distance_km)

    steps = [
        ("beyond_max_distance", window.listed & window.in_distance),
        ("outside_travel_radius", window.in_radius),
        ("missing_must_have", window.has_must),
        ("gender", window.gender_ok),
        ("language", window.speaks_ok),
        *((reason, getattr(window, name)) for name, reason in _WISHES[2:]),
    ]
    excluded: Counter[str] = Counter(
        inactive=index.inactive_count, not_quality_assured=index.not_quality_assured_count
    )
    remaining = np.ones(len(window.positions), dtype=bool)
    for reason, keep in steps:
        kept = remaining & keep
        if reason == "beyond_max_distance":
            excluded[reason] = index.listed_count - int(np.count_nonzero(kept))
        else:
            excluded[reason] = int(np.count_nonzero(remaining)) - int(np.count_nonzero(kept))
        remaining = kept
    excluded = +excluded  # drop reasons that excluded nobody

    positions = window.positions[remaining]
    distance = window.distance[remaining]
    scores = _Scores(index, query, weights, positions, distance)
    ties = index.tie_rank[positions]
    if max_per_provider is None:
        chosen = _order(scores.total, distance, ties, limit).tolist()
    else:
        order = _order(scores.total, distance, ties, None)
        chosen = _diversify(
            order, index.provider[positions], limit, max_per_provider, diversity_top_n or limit
        )

    explained = range(len(chosen)) if explain is None else range(len(chosen))[explain]
    chosen_positions = positions[np.asarray(chosen, dtype=np.int64)].tolist()
    chosen_distances = distance[np.asarray(chosen, dtype=np.int64)].tolist()
    chosen_totals = scores.total[np.asarray(chosen, dtype=np.int64)].tolist()
    told = [n for n in range(len(chosen)) if n in explained]
    explanations = dict(
        zip(
            told,
            _explain_many(
                index,
                query,
                scores,
                [chosen[n] for n in told],
                [chosen_positions[n] for n in told],
                [chosen_distances[n] for n in told],
            ),
            strict=True,
        )
    )
    parts = _parts_at(scores.parts, chosen)
    matches = []
    for n, position in enumerate(chosen_positions):
        candidate = index.candidates[position]
        signals = explanations.get(n)
        if signals is None:
            # Not explained: the same scores and weights, no text (made when read).
            signals = _UnexplainedSignals(parts, n, scores.weights, scores.emphasis)
        matches.append(
            Match(
                candidate_id=candidate.id,
                score=chosen_totals[n],
                distance_km=chosen_distances[n],
                signals=signals,
                name=candidate.name,
                provider_id=candidate.provider_id,
                team_id=candidate.team_id,
            )
        )
    fewer_than = limit if suggest_below is None else suggest_below
    widen = _suggest(index, query, seeker, window, widest_km) if len(matches) < fewer_than else []
    return RankResult(
        matches=matches,
        excluded=excluded,
        suggestions=[s.text for s in widen],
        widen=widen,
    )


def _wider_steps(current_km: float, widest_km: float | None) -> list[float]:
    """Distances to try beyond ``current_km``, up to ``widest_km`` (itself included)."""
    steps = [d for d in WIDER_DISTANCES_KM if d > current_km]
    if widest_km is not None:
        steps = [d for d in steps if d < widest_km]
        if widest_km > current_km:
            steps.append(float(widest_km))
    return steps


def _suggest(
    index: CandidateIndex,
    query: _Query,
    seeker: Seeker,
    window: _Window,
    widest_km: float | None = None,
) -> list[Suggestion]:
    """Computed ways to widen the search, each saying how many more carers it would find."""
    suggestions: list[Suggestion] = []
    must_labels = _labels(index, "skills", list(query.must_keys))
    for key, label in zip(query.must_keys, must_labels, strict=True):
        if key not in index.skill_space.bit_of:
            nearest = [
                index.vocabulary.label("skills", s)
                for s in index.vocabulary.suggest(key, "skills")
                if s in index.skill_space.bit_of
            ]
            hint = f"; did you mean {join_and(nearest)}?" if nearest else ""
            suggestions.append(
                Suggestion("unknown_skill", f"no carer lists {label} yet{hint}", key)
            )
    current = int(np.count_nonzero(window.passing))

    for step in _wider_steps(seeker.max_distance_km, widest_km):
        wider = _window(index, query, seeker, step)
        extra = int(np.count_nonzero(wider.passing)) - current
        if extra > 0:
            cover = f" cover {join_and(must_labels)}" if must_labels else ""
            text = f"{carers(extra)}{cover} within {radius(step)}"
            suggestions.append(Suggestion("wider_distance", text, step, extra))
            break

    if query.gender is not None:
        extra = int(np.count_nonzero(window.all_but("gender_ok") & ~window.gender_ok))
        if extra:
            text = f"{carers(extra)} if you drop the gender preference"
            suggestions.append(Suggestion("drop_gender", text, None, extra))

    for key in query.speak_keys:
        others = [k for k in query.speak_keys if k != key]
        speaks_others = _has_all(
            index.languages,
            window.positions,
            split_words(index.language_space.mask(others), len(index.languages)),
        )
        if not all(k in index.language_space.bit_of for k in others):
            continue
        extra = int(
            np.count_nonzero(window.all_but("speaks_ok") & speaks_others & ~window.speaks_ok)
        )
        if extra:
            label = index.label("languages", key)
            text = f"{carers(extra)} if they do not have to speak {label}"
            suggestions.append(Suggestion("drop_language", text, key, extra))

    if query.only_available:
        extra = int(np.count_nonzero(window.all_but("free_ok") & ~window.free_ok))
        if extra:
            text = f"{carers(extra)} if they need not be free at your times"
            suggestions.append(Suggestion("drop_availability", text, None, extra))

    if seeker.max_hourly_rate_pence is not None:
        over = window.all_but("rate_ok") & ~window.rate_ok
        extra = int(np.count_nonzero(over))
        if extra:
            highest = int(index.hourly_rate_pence[window.positions[over]].max())
            text = f"{carers(extra)} if you raise your hourly limit to {pounds(highest)}"
            suggestions.append(Suggestion("raise_rate", text, highest, extra))

    if query.must_known and len(query.must_keys) > 0:
        words = len(index.skills)
        for key, label in zip(query.must_keys, must_labels, strict=True):
            others = [k for k in query.must_keys if k != key]
            has_key = _has_all(
                index.skills, window.positions, split_words(index.skill_space.mask([key]), words)
            )
            has_others = _has_all(
                index.skills, window.positions, split_words(index.skill_space.mask(others), words)
            )
            only_missing = window.reachable & window.wishes_ok & has_others & ~has_key
            extra = int(np.count_nonzero(only_missing))
            if extra:
                text = f"{carers(extra)} if {label} is a nice-to-have instead of a must-have"
                suggestions.append(Suggestion("must_to_nice", text, key, extra))
    return suggestions


def nearest(seeker: Seeker, index: CandidateIndex, limit: int = 3) -> list[Match]:
    """The ``limit`` listed carers nearest to ``seeker`` that pass every hard filter but
    the two distances (the person's and the carer's), nearest first, for an empty search.

    Only locality is explained: it says when the person is beyond the carer's travel area.
    """
    _check(seeker, index, None, limit, None, None)
    query = _Query.build(seeker, index)
    everyone = _window(index, query, seeker, math.inf)
    keep = everyone.listed & everyone.has_must & everyone.wishes_ok
    positions = everyone.positions[keep]
    distance = everyone.distance[keep]
    chosen = np.lexsort((index.tie_rank[positions], distance))[:limit]
    found = []
    for i in chosen.tolist():
        position = int(positions[i])
        candidate = index.candidates[position]
        text = explain_locality(float(distance[i]), candidate.travel_radius_km, candidate.name)
        score = float(locality_score(distance[i : i + 1], Weights().locality_half_km)[0])
        found.append(
            Match(
                candidate_id=candidate.id,
                score=score,
                distance_km=float(distance[i]),
                # The one signal, carrying all the weight: its score is the match's.
                signals={"locality": Signal(score, 1.0, text)},
                name=candidate.name,
                provider_id=candidate.provider_id,
                team_id=candidate.team_id,
            )
        )
    return found


@dataclass(frozen=True)
class _TeamView:
    """A team's members that can reach the person (indices into the eligible arrays)."""

    code: int
    members: IntArray
    skills: int
    covers_must: bool


def _teams(
    index: CandidateIndex, query: _Query, window: _Window
) -> tuple[IntArray, list[_TeamView]]:
    eligible = np.flatnonzero(
        window.reachable & window.wishes_ok & (index.team[window.positions] >= 0)
    )
    positions = window.positions[eligible]
    codes = index.team[positions]
    views = []
    for code in np.unique(codes).tolist():
        members = np.flatnonzero(codes == code)
        skills = 0
        for m in members.tolist():
            skills |= join_words(index.skills, int(positions[m]))
        covers = query.must_known and (skills & query.must_int) == query.must_int
        views.append(_TeamView(int(code), members, skills, covers))
    return eligible, views


def rank_teams(
    seeker: Seeker,
    index: CandidateIndex,
    weights: Weights | None = None,
    limit: int = 20,
    *,
    max_per_provider: int | None = None,
    diversity_top_n: int | None = None,
) -> TeamRankResult:
    """The best ``limit`` teams for ``seeker``, each scored from the members who can reach them.

    Skills and languages count across the team (their union); interests come
    from the best-matching member; locality is the mean over reachable members.
    """
    weights = _check(seeker, index, weights, limit, max_per_provider, diversity_top_n)
    query = _Query.build(seeker, index)
    window = _window(index, query, seeker, seeker.max_distance_km)
    eligible, views = _teams(index, query, window)
    excluded: Counter[str] = Counter(
        no_member_in_reach=index.team_count - len(views),
        missing_must_have=sum(1 for view in views if not view.covers_must),
    )
    excluded = +excluded
    views = [view for view in views if view.covers_must]

    positions = window.positions[eligible]
    distance = window.distance[eligible]
    members = _Scores(index, query, weights, positions, distance)
    nice_wanted = len(query.nice_keys)
    parts: dict[str, list[float]] = {name: [] for name in SIGNAL_NAMES}
    nearest: list[float] = []
    for view in views:
        m = view.members
        union_languages = 0
        union_slots = 0
        for p in positions[m].tolist():
            union_languages |= join_words(index.languages, p)
            union_slots |= join_words(index.availability, p)
        one = np.zeros(1, dtype=np.int64)
        parts["locality"].append(float(members.parts["locality"][m].mean()))
        parts["skills"].append(
            float(skills_score(one + (view.skills & query.nice_int).bit_count(), nice_wanted)[0])
        )
        parts["interests"].append(float(members.parts["interests"][m].max()))
        parts["languages"].append(
            float(
                languages_score(
                    one + (union_languages & query.language_int).bit_count(),
                    len(query.language_keys),
                    np.array([bool(index.languages_listed[positions[m]].any())]),
                )[0]
            )
        )
        parts["availability"].append(
            float(
                availability_score(
                    one + (union_slots & query.slot_int).bit_count(),
                    len(query.slot_keys),
                    np.array([bool(index.availability_known[positions[m]].any())]),
                )[0]
            )
        )
        parts["continuity"].append(float(members.parts["continuity"][m].max()))
        parts["price"].append(float(members.parts["price"][m].max()))
        parts["preferences"].append(float(members.parts["preferences"][m].max()))
        nearest.append(float(distance[m].min()))

    arrays = {name: np.asarray(values, dtype=np.float64) for name, values in parts.items()}
    totals = combine(arrays, members.weights, len(views))
    nearest_km = np.asarray(nearest, dtype=np.float64)
    ties = index.team_tie_rank[np.asarray([v.code for v in views], dtype=np.int64)]
    if max_per_provider is None:
        chosen = _order(totals, nearest_km, ties, limit).tolist()
    else:
        team_provider = np.asarray(
            [int(index.provider[positions[v.members[0]]]) for v in views], dtype=np.int64
        )
        chosen = _diversify(
            _order(totals, nearest_km, ties, None),
            team_provider,
            limit,
            max_per_provider,
            diversity_top_n or limit,
        )

    matches = [
        _team_match(index, query, members, arrays, totals, t, views[t], positions, distance)
        for t in chosen
    ]
    suggestions: list[str] = []
    if len(matches) < limit:
        for step in WIDER_DISTANCES_KM:
            if step <= seeker.max_distance_km:
                continue
            _, wider = _teams(index, query, _window(index, query, seeker, step))
            extra = sum(1 for view in wider if view.covers_must) - len(views)
            if extra > 0:
                suggestions.append(f"{carers(extra, 'team')} within {radius(step)}")
                break
    return TeamRankResult(matches=matches, excluded=excluded, suggestions=suggestions)


def _member_name(index: CandidateIndex, position: int) -> str:
    candidate = index.candidates[position]
    return candidate.name if candidate.name is not None else str(candidate.id)


def _team_match(
    index: CandidateIndex,
    query: _Query,
    members: _Scores,
    parts: dict[str, FloatArray],
    totals: FloatArray,
    t: int,
    view: _TeamView,
    positions: IntArray,
    distance: FloatArray,
) -> TeamMatch:
    m = view.members
    ranked = m[_order(members.total[m], distance[m], index.tie_rank[positions[m]], None)]
    member_positions = [int(positions[i]) for i in ranked.tolist()]
    names = [_member_name(index, p) for p in member_positions]
    best_interest = int(m[np.argmax(members.parts["interests"][m])])
    closest = int(m[np.argmin(distance[m])])
    best_preferences = int(m[np.argmax(members.parts["preferences"][m])])

    nice = _labels(index, "skills", index.skill_space.decode(view.skills & query.nice_int))
    member_signals = _explain(
        index, query, members, best_interest, int(positions[best_interest]), 0.0
    )
    union_languages = 0
    union_slots = 0
    for p in member_positions:
        union_languages |= join_words(index.languages, p)
        union_slots |= join_words(index.availability, p)
    spoken = [k for k in query.language_keys if index.language_space.mask([k]) & union_languages]
    free = index.availability_space.decode(union_slots & query.slot_int)
    known_members = [
        _member_name(index, p) for p in member_positions if p in set(query.known.tolist())
    ]

    count = len(member_positions)
    near_name = _member_name(index, int(positions[closest]))
    texts = {
        "locality": (
            f"{count} member{'' if count == 1 else 's'} can reach you; "
            f"the nearest, {near_name}, is {km(float(distance[closest]))} away"
        ),
        "skills": (
            "between them the team " + explain_skills(nice, len(query.nice_keys))
            if query.nice_keys
            else explain_skills([], 0)
        ),
        "interests": _team_interests(
            member_signals["interests"].explanation,
            _member_name(index, int(positions[best_interest])),
        ),
        "languages": _team_prefix(
            explain_languages(
                _labels(index, "languages", spoken),
                _labels(index, "languages", [k for k in query.language_keys if k not in spoken]),
                bool(index.languages_listed[positions[m]].any()),
                "the team",
            )
        ),
        "availability": _team_prefix(
            explain_availability(
                [slot(s) for s in free],
                len(query.slot_keys),
                bool(index.availability_known[positions[m]].any()),
                "the team",
            )
        ),
        "continuity": (
            f"you already know {join_and(known_members)} in this team"
            if known_members
            else "you do not know anyone in this team yet"
            if query.anyone_known
            else explain_continuity(False, False, None)
        ),
        "price": _team_price(index, member_positions, members.rates),
        "preferences": explain_preferences(
            _preference_facts(index, query, int(positions[best_preferences])),
            _member_name(index, int(positions[best_preferences])),
        ),
    }
    signals = _signals(parts, members.weights, members.emphasis, t, texts)
    best_ids: tuple[CandidateId, ...] = tuple(index.candidates[p].id for p in member_positions[:3])
    return TeamMatch(
        team_id=index.team_ids[view.code],
        score=float(totals[t]),
        distance_km=float(distance[closest]),
        signals=signals,
        member_ids=tuple(index.candidates[p].id for p in member_positions),
        best_member_ids=best_ids,
        summary=f"best fits: {join_and(names[:3])}",
        provider_id=index.candidates[member_positions[0]].provider_id,
    )


def _team_price(index: CandidateIndex, member_positions: list[int], rates: IntArray) -> str:
    known = [int(index.hourly_rate_pence[p]) for p in member_positions]
    known = [rate for rate in known if rate >= 0]
    if not known:
        return explain_price(None, None, None)
    return "from " + explain_price(min(known), *_rate_range(rates))


def _team_interests(text: str, name: str) -> str:
    if text.startswith("you both enjoy "):
        return f"you and {name} both enjoy " + text.removeprefix("you both enjoy ")
    return text


def _team_prefix(text: str) -> str:
    if text.startswith(("speaks", "does not", "free", "not free")):
        return f"the team {'is ' if 'free' in text.split()[:2] else ''}{text}"
    return text
