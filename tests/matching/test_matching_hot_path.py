"""Shortcuts on rank()'s hot path make the same values as the plain code."""

from __future__ import annotations

import dataclasses

import pytest

from matching import Candidate, build_index
from matching import index as index_module
from matching.signals.locality import explain_locality
from matching.types import Signal, signal_of
from matching.wording import km, possessive, radius


def test_signal_of_is_a_signal_like_any_other() -> None:
    made = signal_of(0.25, 1.5, "3 km away")
    plain = Signal(0.25, 1.5, "3 km away")
    assert type(made) is Signal
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.score = 1.0  # type: ignore[misc]
    assert signal_of(0.25, 1.5, "other") != plain


@pytest.mark.parametrize("name", ["Ana", "Chris", None])
@pytest.mark.parametrize("distance", [0.2, 4.74, 8.0, 8.01, 30.0])
def test_locality_sentence_is_the_plain_one(name, distance) -> None:
    side = "beyond" if distance > 8.0 else "inside"
    expected = f"{km(distance)} away, {side} {possessive(name)} {radius(8.0)} travel area"
    assert explain_locality(distance, 8.0, name) == expected


def _pool() -> list[Candidate]:
    skills = ["personal_care", "cooking", "dementia_care", "Sign singing"]
    interests = ["gardening", "music", "art", "Morris dancing", "football"]
    return [
        Candidate(
            id=n + 1,
            lat=53.82 + n / 1000,
            lon=-1.57,
            travel_radius_km=10.0,
            skills=frozenset(skills[: 1 + n % 4]),
            interests=tuple(interests[n % 5 :]),
            languages=frozenset({"en"}),
            name=f"Carer {n}",
        )
        for n in range(12)
    ]


def test_labelled_bits_are_the_labels_of_each_key(monkeypatch) -> None:
    index = build_index(_pool())
    spaces = {"skills": index.skill_space, "interests": index.interest_space}
    masks = []
    for kind, space in spaces.items():
        everything = space.mask(space.keys)
        for n in range(len(space.keys)):
            # One key, every key but one, and every other key from n.
            for mask in (1 << n, everything & ~(1 << n), everything & (0x5555555555 << n)):
                expected = tuple(index.label(kind, key) for key in space.decode(mask))
                assert index.labelled(kind, mask) == expected
                assert index.labelled(kind, mask) is index.labelled(kind, mask)  # kept
                masks.append((kind, mask))
    custom = index.skill_space.mask(["sign sing"])  # not in the vocabulary: as written
    assert index.labelled("skills", custom) == ("sign singing",)
    # Bounded: never more than LABELLED_KEPT values kept.
    monkeypatch.setattr(index_module, "LABELLED_KEPT", 3)
    index = build_index(_pool())
    for kind, mask in masks:
        index.labelled(kind, mask)
        assert len(index.__dict__["_labelled_cache"]) <= 3
