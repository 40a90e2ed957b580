"""Shared interests: what the person and the carer both enjoy."""

from __future__ import annotations

import numpy as np

from matching.signals import NEUTRAL, BoolArray, FloatArray, IntArray
from matching.wording import join_and, who


def interests_score(shared: IntArray, wanted: int, listed: BoolArray) -> FloatArray:
    """1 means every interest is shared, 0 none; neutral when either side listed none.

    One shared interest already counts for more than "unknown" (0.5 + half the
    share), so adding a shared interest never lowers the score.
    """
    if wanted == 0:
        return np.full(shared.shape, NEUTRAL)
    known = np.where(shared > 0, NEUTRAL + NEUTRAL * shared / float(wanted), 0.0)
    return np.where(listed, known, NEUTRAL)


def explain_interests(shared: list[str], theirs: list[str], wanted: int, name: str | None) -> str:
    """Say "you both enjoy gardening and football"."""
    if wanted == 0:
        return "you did not list any interests, so this is not counted"
    if not theirs:
        return f"{who(name)} has not listed any interests yet, so this counts as neutral"
    if shared:
        return f"you both enjoy {join_and(shared)}"
    return f"no shared interests yet: {who(name)} enjoys {join_and(theirs[:3])}"
