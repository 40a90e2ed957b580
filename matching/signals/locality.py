"""Locality: how close the carer is."""

from __future__ import annotations

import functools

import numpy as np

from matching.signals import FloatArray
from matching.wording import km, possessive, radius


def locality_score(distance_km: FloatArray, half_km: float) -> FloatArray:
    """1 means on the doorstep, 0 means infinitely far; the score halves every ``half_km``."""
    return np.exp2(-distance_km / half_km)


def explain_locality(distance_km: float, travel_radius_km: float, name: str | None) -> str:
    """Say "3.2 km away, inside Ana's 8 km travel area" (or beyond it)."""
    inside, beyond = _travel_area(name, travel_radius_km)
    return km(distance_km) + (beyond if distance_km > travel_radius_km else inside)


@functools.lru_cache(maxsize=4096)
def _travel_area(name: str | None, travel_radius_km: float) -> tuple[str, str]:
    """The carer's part of the sentence, inside and beyond their travel area: the same
    for every search (kept for the most recently explained carers)."""
    area = f"{possessive(name)} {radius(travel_radius_km)} travel area"
    return f" away, inside {area}", f" away, beyond {area}"
