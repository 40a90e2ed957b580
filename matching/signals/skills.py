"""Skills: how many of the person's nice-to-have skills the carer covers."""

from __future__ import annotations

import numpy as np

from matching.signals import NEUTRAL, FloatArray, IntArray


def skills_score(covered: IntArray, wanted: int) -> FloatArray:
    """1 means every nice-to-have is covered, 0 none; neutral when none were asked for."""
    if wanted == 0:
        return np.full(covered.shape, NEUTRAL)
    return covered / float(wanted)


def explain_skills(covered: list[str], wanted: int) -> str:
    """Say "covers 2 of your 3 nice-to-haves: cooking, shopping"."""
    if wanted == 0:
        return "you did not list any nice-to-have skills, so this is not counted"
    if not covered:
        return f"covers none of your {wanted} nice-to-haves"
    if len(covered) == wanted:
        every = "your nice-to-have" if wanted == 1 else f"all {wanted} of your nice-to-haves"
        return f"covers {every}: {', '.join(covered)}"
    return f"covers {len(covered)} of your {wanted} nice-to-haves: {', '.join(covered)}"
