"""Locality: how close the carer is."""

from __future__ import annotations

import numpy as np

from matching.signals import FloatArray
from matching.wording import km, possessive, radius


def locality_score(distance_km: FloatArray, half_km: float) -> FloatArray:
    """1 means on the doorstep, 0 means infinitely far; the score halves every ``half_km``."""
    return np.exp2(-distance_km / half_km)


def explain_locality(distance_km: float, travel_radius_km: float, name: str | None) -> str:
    """Say "3.2 km away, inside Ana's 8 km travel area" (or beyond it)."""
    if distance_km > travel_radius_km:
        return (
            f"{km(distance_km)} away, beyond {possessive(name)} "
            f"{radius(travel_radius_km)} travel area"
        )
    return (
        f"{km(distance_km)} away, inside {possessive(name)} {radius(travel_radius_km)} travel area"
    )
