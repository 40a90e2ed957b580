"""Availability: how many of the person's wanted times the carer is free."""

from __future__ import annotations

import numpy as np

from matching.signals import NEUTRAL, BoolArray, FloatArray, IntArray
from matching.wording import join_and, who


def availability_score(overlap: IntArray, wanted: int, known: BoolArray) -> FloatArray:
    """1 means free at every wanted time, 0 at none; neutral when either side is unknown."""
    if wanted == 0:
        return np.full(overlap.shape, NEUTRAL)
    return np.where(known, overlap / float(wanted), NEUTRAL)


def explain_availability(free: list[str], wanted: int | None, known: bool, name: str | None) -> str:
    """Say "free for 2 of your 3 times: Monday morning and Tuesday morning"."""
    if not wanted:
        return "you did not say when you need care, so this is not counted"
    if not known:
        return f"{who(name)} has not given availability yet, so this counts as neutral"
    if not free:
        return f"not free at any of your {wanted} times"
    if len(free) == wanted:
        return f"free at all your times: {join_and(free)}"
    return f"free for {len(free)} of your {wanted} times: {join_and(free)}"
