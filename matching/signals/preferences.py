"""Preferences: how far the carer has said yes to the person's home and wishes.

Clashes never get here (a carer who is not happy with the person's dogs is left out by
a hard filter); what is left is agreement, or a carer who has not said.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.preferences import phrase
from matching.signals import NEUTRAL, BoolArray, FloatArray, IntArray
from matching.wording import join_and, who


def preferences_score(
    pets_known: BoolArray | None,
    smoking_known: BoolArray | None,
    support_shared: IntArray | None,
    support_wanted: int,
    group_known: BoolArray | None,
    count: int,
) -> FloatArray:
    """The mean over what the person said (pets, smoking, kinds of support, groups): 1 for
    each the carer agrees with, neutral for each the carer has not said. ``None`` means
    the person said nothing about it; with nothing said at all, neutral.

    For kinds of support, enjoying one of those wanted scores above neutral (0.5 + half
    the share), all of them 1; ``support_shared`` is 0 where the carer has not said.
    """
    parts: list[FloatArray] = []
    for known in (pets_known, smoking_known, group_known):
        if known is not None:
            parts.append(np.where(known, 1.0, NEUTRAL))
    if support_shared is not None and support_wanted:
        parts.append(
            np.where(
                support_shared > 0, NEUTRAL + NEUTRAL * support_shared / support_wanted, NEUTRAL
            )
        )
    if not parts:
        return np.full(count, NEUTRAL)
    total: FloatArray = np.mean(parts, axis=0)
    return total


@dataclass(frozen=True)
class PreferenceFacts:
    """One carer's answers to what one person said, for the explanation."""

    pets: tuple[str, ...] = ()  # the person's pets
    pets_known: bool = False
    smoking_home: bool = False
    smoking_known: bool = False
    support_wanted: int = 0
    support_enjoyed: tuple[str, ...] = ()  # the wanted kinds the carer enjoys
    groups: int = 0
    groups_shared: tuple[str, ...] = ()  # the person's groups the carer would like to support


def explain_preferences(facts: PreferenceFacts, name: str | None) -> str:
    """Say "Alex is happy with dogs; Alex enjoys helping people get out and about"."""
    carer = who(name)
    said = []
    if facts.pets:
        pets = join_and([phrase(p) for p in facts.pets])
        said.append(
            f"{carer} is happy with {pets}"
            if facts.pets_known
            else f"{carer} has not said whether they are happy with {pets}, so ask"
        )
    if facts.smoking_home:
        said.append(
            f"{carer} does not mind a home where someone smokes"
            if facts.smoking_known
            else f"{carer} has not said whether they mind a home where someone smokes, so ask"
        )
    if facts.support_wanted:
        said.append(
            f"{carer} enjoys {join_and([phrase(k) for k in facts.support_enjoyed])}"
            if facts.support_enjoyed
            else f"{carer} has not said which kinds of support they enjoy giving"
        )
    if facts.groups:
        said.append(
            f"{carer} would like to support {join_and([phrase(g) for g in facts.groups_shared])}"
            if facts.groups_shared
            else f"{carer} has not said who they would most like to support"
        )
    if not said:
        return (
            "you did not say anything about your home or the support you want, "
            "so this is not counted"
        )
    return "; ".join(said)
