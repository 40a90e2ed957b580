"""Languages: whether the carer speaks the person's languages."""

from __future__ import annotations

import numpy as np

from matching.signals import NEUTRAL, BoolArray, FloatArray, IntArray
from matching.wording import join_and, who


def languages_score(shared: IntArray, wanted: int, listed: BoolArray) -> FloatArray:
    """1 means the carer speaks all the person's languages, 0 none; neutral when unknown.

    Speaking one of them already scores above neutral (0.5 + half the share).
    """
    if wanted == 0:
        return np.full(shared.shape, NEUTRAL)
    known = np.where(shared > 0, NEUTRAL + NEUTRAL * shared / float(wanted), 0.0)
    return np.where(listed, known, NEUTRAL)


def explain_languages(spoken: list[str], missing: list[str], listed: bool, name: str | None) -> str:
    """Say "speaks Urdu and English"."""
    if not spoken and not missing:
        return "you did not list any languages, so this is not counted"
    if not listed:
        return f"{who(name)} has not listed languages yet, so this counts as neutral"
    if not spoken:
        return f"does not speak {join_and(missing)}"
    if missing:
        return f"speaks {join_and(spoken)} but not {join_and(missing)}"
    return f"speaks {join_and(spoken)}"
