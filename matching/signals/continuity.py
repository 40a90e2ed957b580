"""Continuity: whether the person already knows the carer."""

from __future__ import annotations

import numpy as np

from matching.signals import NEUTRAL, BoolArray, FloatArray
from matching.wording import who


def continuity_score(known: BoolArray, anyone_known: bool) -> FloatArray:
    """1 means the person already knows the carer, 0 someone new; neutral if they know nobody."""
    if not anyone_known:
        return np.full(known.shape, NEUTRAL)
    return known.astype(np.float64)


def explain_continuity(known: bool, anyone_known: bool, name: str | None) -> str:
    """Say "you already know Ana"."""
    if not anyone_known:
        return "you have not told us about carers you already know, so this is not counted"
    if known:
        return f"you already know {who(name)}"
    return f"{who(name)} would be someone new to you"
