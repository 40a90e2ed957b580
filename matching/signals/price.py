"""Price: how the carer's hourly rate compares with the other matches'."""

from __future__ import annotations

import numpy as np

from matching.signals import NEUTRAL, FloatArray, IntArray
from matching.wording import pounds


def price_score(rate_pence: IntArray) -> FloatArray:
    """1 for the cheapest of these carers, 0 for the dearest, in a straight line between;
    neutral for an unknown rate (-1), and 1 for all when every known rate is the same."""
    known = rate_pence >= 0
    if not known.any():
        return np.full(rate_pence.shape, NEUTRAL)
    low = int(rate_pence[known].min())
    high = int(rate_pence[known].max())
    if high == low:
        return np.where(known, 1.0, NEUTRAL)
    return np.where(known, (high - rate_pence) / float(high - low), NEUTRAL)


def explain_price(rate_pence: int | None, lowest: int | None, highest: int | None) -> str:
    """Say "£22.00 an hour, the lowest of these matches"."""
    if rate_pence is None:
        return "the provider has not given an hourly rate yet, so this counts as neutral"
    rate = f"{pounds(rate_pence)} an hour"
    if lowest is None or highest is None or lowest == highest:
        return rate
    if rate_pence == lowest:
        return f"{rate}, the lowest of these matches"
    return f"{rate} (these matches cost {pounds(lowest)} to {pounds(highest)})"
