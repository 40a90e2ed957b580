"""Frozen dataclasses that go into and come out of the matching engine.

Collections are normalised on construction (sets become frozensets, interests a
tuple) so callers may pass plain sets and lists. Values are validated by
``build_index`` and ``rank``, which raise ``ValueError`` naming the bad field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from typing import TypeAlias

from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS, check_terms

CandidateId: TypeAlias = str | int
GroupId: TypeAlias = str | int

SIGNAL_NAMES = (
    "locality",
    "skills",
    "interests",
    "languages",
    "availability",
    "continuity",
    "price",
    "preferences",
)
# What a person may say matters most to them, and the signal each one raises.
PRIORITIES = {
    "nearby": "locality",
    "interests": "interests",
    "known": "continuity",
    "price": "price",
}
# The weight of the signal that matters most: three times a main signal's default.
PRIORITY_WEIGHT = 3.0


def _frozen(values: Iterable[str] | str) -> frozenset[str]:
    if isinstance(values, frozenset):
        return values
    if isinstance(values, str):
        return frozenset((values,))
    return frozenset(values)


def _texts(values: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(values, tuple):
        return values
    if isinstance(values, str):
        return (values,)
    if isinstance(values, AbstractSet):
        return tuple(sorted(values))
    return tuple(values)


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A carer who can be matched. ``None`` means unknown, never "none"."""

    id: CandidateId
    lat: float
    lon: float
    travel_radius_km: float
    skills: AbstractSet[str]
    interests: Iterable[str]
    languages: AbstractSet[str]
    gender: str | None = None
    hourly_rate_pence: int | None = None
    availability: AbstractSet[str] | None = None
    provider_id: GroupId | None = None
    team_id: GroupId | None = None
    quality_assured: bool = True
    active: bool = True
    name: str | None = None
    # What the carer says of the homes they work in and the people they like to help
    # (matching.preferences): the pets they are happy with (None: not said, an empty
    # set: none), whether they mind a home where someone smokes (None: not said), the
    # kinds of support they enjoy giving and who they would like to support (empty:
    # not said).
    pets_ok: AbstractSet[str] | None = None
    smoking_ok: bool | None = None
    enjoys_support: AbstractSet[str] = frozenset()
    would_support: AbstractSet[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", _frozen(self.skills))
        object.__setattr__(self, "interests", _texts(self.interests))
        object.__setattr__(self, "languages", _frozen(self.languages))
        if self.availability is not None:
            object.__setattr__(self, "availability", _frozen(self.availability))
        if self.pets_ok is not None:
            object.__setattr__(self, "pets_ok", _frozen(self.pets_ok))
        object.__setattr__(self, "enjoys_support", _frozen(self.enjoys_support))
        object.__setattr__(self, "would_support", _frozen(self.would_support))

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field that is out of range."""
        where = f"candidate {self.id!r}"
        lat = _finite(self.lat, f"{where}: lat")
        lon = _finite(self.lon, f"{where}: lon")
        if not -90.0 <= lat <= 90.0:
            raise ValueError(f"{where}: lat must be between -90 and 90, not {lat}")
        if not -180.0 <= lon <= 180.0:
            raise ValueError(f"{where}: lon must be between -180 and 180, not {lon}")
        if _finite(self.travel_radius_km, f"{where}: travel_radius_km") < 0:
            raise ValueError(f"{where}: travel_radius_km must not be negative")
        rate = self.hourly_rate_pence
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 0):
            raise ValueError(f"{where}: hourly_rate_pence must be a whole number of pence >= 0")
        check_terms(self.pets_ok or (), PET_SLUGS, f"{where}: pets_ok")
        if self.smoking_ok is not None and not isinstance(self.smoking_ok, bool):
            raise ValueError(f"{where}: smoking_ok must be True, False or None")
        check_terms(self.enjoys_support, SUPPORT_KIND_SLUGS, f"{where}: enjoys_support")
        check_terms(self.would_support, PERSON_GROUP_SLUGS, f"{where}: would_support")


@dataclass(frozen=True, slots=True)
class Seeker:
    """The person looking for care, and what they asked for."""

    lat: float
    lon: float
    max_distance_km: float
    must_have: AbstractSet[str] = frozenset()
    nice_to_have: AbstractSet[str] = frozenset()
    interests: Iterable[str] = ()
    languages: AbstractSet[str] = frozenset()
    carer_gender: str | None = None
    max_hourly_rate_pence: int | None = None
    availability: AbstractSet[str] | None = None
    known_candidate_ids: AbstractSet[CandidateId] = frozenset()
    # Hard filters: languages the carer must speak (every one), and, with
    # ``only_available``, only carers known to be free at one of ``availability``.
    must_speak: AbstractSet[str] = frozenset()
    only_available: bool = False
    # The person's home and wishes (matching.preferences). Each is a hard filter against
    # what the carer said (a carer who has not said is not excluded): the pets at home,
    # whether someone smokes at home, the kinds of support wanted (the carer enjoys at
    # least one) and the groups the person says they belong to, if they choose to (the
    # carer would like to support at least one).
    pets: AbstractSet[str] = frozenset()
    smoking_home: bool = False
    support_wanted: AbstractSet[str] = frozenset()
    groups: AbstractSet[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "must_speak", _frozen(self.must_speak))
        object.__setattr__(self, "pets", _frozen(self.pets))
        object.__setattr__(self, "support_wanted", _frozen(self.support_wanted))
        object.__setattr__(self, "groups", _frozen(self.groups))
        object.__setattr__(self, "must_have", _frozen(self.must_have))
        object.__setattr__(self, "nice_to_have", _frozen(self.nice_to_have))
        object.__setattr__(self, "interests", _texts(self.interests))
        object.__setattr__(self, "languages", _frozen(self.languages))
        if self.availability is not None:
            object.__setattr__(self, "availability", _frozen(self.availability))
        known = self.known_candidate_ids
        if isinstance(known, str | int):
            known = frozenset((known,))
        object.__setattr__(self, "known_candidate_ids", frozenset(known))

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field that is out of range."""
        lat = _finite(self.lat, "seeker.lat")
        lon = _finite(self.lon, "seeker.lon")
        if not -90.0 <= lat <= 90.0:
            raise ValueError(f"seeker.lat must be between -90 and 90, not {lat}")
        if not -180.0 <= lon <= 180.0:
            raise ValueError(f"seeker.lon must be between -180 and 180, not {lon}")
        if _finite(self.max_distance_km, "seeker.max_distance_km") < 0:
            raise ValueError(
                f"seeker.max_distance_km must not be negative, not {self.max_distance_km}"
            )
        rate = self.max_hourly_rate_pence
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 0):
            raise ValueError(
                f"seeker.max_hourly_rate_pence must be a whole number of pence >= 0, not {rate!r}"
            )
        if self.only_available and not self.availability:
            raise ValueError("seeker.only_available needs the times in seeker.availability")
        check_terms(self.pets, PET_SLUGS, "seeker.pets")
        if not isinstance(self.smoking_home, bool):
            raise ValueError(
                f"seeker.smoking_home must be True or False, not {self.smoking_home!r}"
            )
        check_terms(self.support_wanted, SUPPORT_KIND_SLUGS, "seeker.support_wanted")
        check_terms(self.groups, PERSON_GROUP_SLUGS, "seeker.groups")


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each signal counts in the weighted mean (any non-negative scale)."""

    locality: float = 1.0
    skills: float = 1.0
    interests: float = 1.0
    languages: float = 0.75
    availability: float = 0.75
    continuity: float = 0.5
    # Cheaper carers score higher only when the person says price matters.
    price: float = 0.0
    # Agreements on both sides' preferences (pets, smoking, kinds of support, who).
    preferences: float = 0.75
    # Distance at which the locality signal halves (it is 1 at 0 km).
    locality_half_km: float = 5.0
    # The signal the person said matters most (its explanation says so), or None.
    emphasis: str | None = None

    @classmethod
    def for_priority(cls, priority: str | None) -> Weights:
        """Default weights, with the signal behind ``priority`` (see ``PRIORITIES``)
        weighing ``PRIORITY_WEIGHT``; ``None`` gives the defaults."""
        if priority is None:
            return cls()
        if priority not in PRIORITIES:
            raise ValueError(
                f"priority must be one of {', '.join(PRIORITIES)} or None, not {priority!r}"
            )
        signal = PRIORITIES[priority]
        given = cls().as_dict()
        given[signal] = PRIORITY_WEIGHT
        return cls(
            locality=given["locality"],
            skills=given["skills"],
            interests=given["interests"],
            languages=given["languages"],
            availability=given["availability"],
            continuity=given["continuity"],
            price=given["price"],
            preferences=given["preferences"],
            emphasis=signal,
        )

    def as_dict(self) -> dict[str, float]:
        """Signal name -> weight, in ``SIGNAL_NAMES`` order."""
        return {name: float(getattr(self, name)) for name in SIGNAL_NAMES}

    def validate(self) -> None:
        """Raise ``ValueError`` naming a negative or non-finite weight, or all zero."""
        if self.emphasis is not None and self.emphasis not in SIGNAL_NAMES:
            raise ValueError(
                f"weights.emphasis must be one of {', '.join(SIGNAL_NAMES)}, not {self.emphasis!r}"
            )
        for item in fields(self):
            if item.name == "emphasis":
                continue
            value = _finite(getattr(self, item.name), f"weights.{item.name}")
            if value < 0:
                raise ValueError(f"weights.{item.name} must not be negative, not {value}")
        if self.locality_half_km <= 0:
            raise ValueError("weights.locality_half_km must be above zero")
        if not any(value > 0 for value in self.as_dict().values()):
            raise ValueError(
                "weights: at least one of " + ", ".join(SIGNAL_NAMES) + " must be above zero"
            )


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal's score in [0, 1], the weight it carried, and why."""

    score: float
    weight: float
    explanation: str


_new_object = object.__new__
_set_score = Signal.score.__set__  # type: ignore[attr-defined]
_set_weight = Signal.weight.__set__  # type: ignore[attr-defined]
_set_explanation = Signal.explanation.__set__  # type: ignore[attr-defined]


def signal_of(score: float, weight: float, explanation: str) -> Signal:
    """``Signal(score, weight, explanation)``, the same frozen object, made in half the
    time: through its slots instead of the frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field). A ranking makes eight per match."""
    made = _new_object(Signal)
    _set_score(made, score)
    _set_weight(made, weight)
    _set_explanation(made, explanation)
    return made


@dataclass(frozen=True)
class Match:
    """A ranked carer with its overall score and per-signal explanations."""

    candidate_id: CandidateId
    score: float
    distance_km: float
    signals: Mapping[str, Signal]
    name: str | None = None
    provider_id: GroupId | None = None
    team_id: GroupId | None = None

    @property
    def explanation(self) -> str:
        """All weighted signal explanations as one sentence-per-line text."""
        return "\n".join(s.explanation for s in self.signals.values() if s.weight > 0)


@dataclass(frozen=True)
class TeamMatch:
    """A ranked team, scored from the members who can reach the person."""

    team_id: GroupId
    score: float
    distance_km: float
    signals: Mapping[str, Signal]
    member_ids: tuple[CandidateId, ...]
    best_member_ids: tuple[CandidateId, ...]
    summary: str
    provider_id: GroupId | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One way to widen the search: what to change, and what it would find.

    ``kind`` is one of ``SUGGESTION_KINDS``; ``value`` is what to change it to: a
    distance in km (``wider_distance``), pence (``raise_rate``), or the skill or
    language key concerned (``must_to_nice``, ``drop_language``, ``unknown_skill``).
    """

    kind: str
    text: str
    value: str | float | None = None
    extra: int = 0  # how many more carers (0 when not known, e.g. an unknown skill)


SUGGESTION_KINDS = (
    "unknown_skill",
    "wider_distance",
    "drop_gender",
    "drop_language",
    "drop_availability",
    "raise_rate",
    "must_to_nice",
)


@dataclass(frozen=True)
class RankResult:
    """Matches best first, exclusion counts by reason, and ways to widen the search.

    ``suggestions`` are the sentences of ``widen``, which says what each would change.
    """

    matches: list[Match]
    excluded: Mapping[str, int]
    suggestions: list[str] = field(default_factory=list)
    widen: list[Suggestion] = field(default_factory=list)


@dataclass(frozen=True)
class TeamRankResult:
    """Team matches best first, exclusion counts by reason, and ways to widen the search."""

    matches: list[TeamMatch]
    excluded: Mapping[str, int]
    suggestions: list[str] = field(default_factory=list)
