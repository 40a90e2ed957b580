"""Small helpers that turn numbers and lists into plain English."""

from __future__ import annotations

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


def km(distance: float) -> str:
    """A distance for people: "3.2 km" under 10 km, "14 km" above."""
    if distance < 10:
        return f"{distance:.1f} km"
    return f"{distance:.0f} km"


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
