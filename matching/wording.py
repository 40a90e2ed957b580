"""Small helpers that turn numbers and lists into plain English."""

from __future__ import annotations

import math
from collections.abc import Sequence

_DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_PARTS = {"am": "morning", "pm": "afternoon", "eve": "evening", "night": "night"}


#: Every distance to a carer that anyone outside an arrangement sees is rounded to this.
DISTANCE_STEP_KM = 0.5


def rounded_km(distance: float) -> float:
    """A distance as it may be shown: to the nearest 0.5 km (a half step rounds up).

    Finer numbers would help someone work out where a carer lives from a few searches.
    """
    return math.floor(distance / DISTANCE_STEP_KM + 0.5) * DISTANCE_STEP_KM


def km(distance: float) -> str:
    """A distance for people, rounded as :func:`rounded_km`: "under 1 km", "1.5 km",
    "14 km". The only wording for a distance to someone (radii use :func:`radius`)."""
    shown = rounded_km(distance)
    if shown < 1:
        return "under 1 km"
    return f"{shown:g} km"


def radius(distance: float) -> str:
    """A travel radius: "8 km", "7.5 km"."""
    return f"{distance:g} km" if distance < 100 else f"{distance:.0f} km"


def join_and(items: Sequence[str]) -> str:
    """Say "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def carers(count: int, noun: str = "carer") -> str:
    """Say "1 more carer", "3 more carers"."""
    return f"{count} more {noun}{'' if count == 1 else 's'}"


def pounds(pence: int) -> str:
    """Say "£18.50" from 1850."""
    return f"£{pence // 100}.{pence % 100:02d}"


def slot(code: str) -> str:
    """Say "mon-am" -> "Monday morning"; unknown codes are returned as written."""
    day, _, part = code.partition("-")
    if day in _DAYS and part in _PARTS:
        return f"{_DAYS[day]} {_PARTS[part]}"
    return code


def possessive(name: str | None) -> str:
    """Say "Ana's" or "their"."""
    if name is None:
        return "their"
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def who(name: str | None) -> str:
    """The carer's name, or "this carer"."""
    return name if name is not None else "this carer"
