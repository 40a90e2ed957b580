"""A person's profile: reading, saving and turning it into search defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace import audit, geo
from marketplace.choices import SLOTS, FundingRoute, Gender
from marketplace.extensions import db
from marketplace.models import Person, User
from marketplace.search.services import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MIN_RADIUS_KM


@dataclass(frozen=True)
class ProfileChanges:
    """What the person typed and chose on the profile form."""

    place: geo.PostcodeLocation
    max_distance_km: int
    must_have: list[str]
    nice_to_have: list[str]
    interests: list[str]
    languages: list[str]
    carer_gender: str | None
    slots: list[str]
    funding_route: str
    share_profile_with_providers: bool


def person_of(user: Any) -> Person | None:
    """The person profile of this account holder, if the account has one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.get(User, user.id).person  # type: ignore[union-attr]


def save_profile(person: Person, changes: ProfileChanges, *, actor_id: int) -> None:
    """Store the profile; the council and area come from the postcode. The caller commits."""
    if changes.funding_route not in FundingRoute.values():
        raise ValueError(f"unknown funding route {changes.funding_route!r}")
    if changes.carer_gender is not None and changes.carer_gender not in Gender.values():
        raise ValueError(f"unknown gender {changes.carer_gender!r}")
    place = changes.place
    person.postcode = place.postcode
    person.district = place.outcode
    person.lat, person.lon = place.lat, place.lon
    person.care_council_code = place.care_council_code
    person.max_distance_km = float(changes.max_distance_km)
    person.must_have = sorted(set(changes.must_have))
    person.nice_to_have = sorted(set(changes.nice_to_have) - set(changes.must_have))
    person.interests = list(dict.fromkeys(changes.interests))
    person.languages = sorted(set(changes.languages))
    person.preferences = {
        "carer_gender": changes.carer_gender,
        "slots": [slot for slot in SLOTS if slot in set(changes.slots)],
    }
    person.funding_route = changes.funding_route
    person.share_profile_with_providers = changes.share_profile_with_providers
    # The audit row names what changed, never the postcode itself.
    audit.record("person.profile_saved", actor_id=actor_id, target=person)


def form_data(person: Person) -> dict[str, Any]:
    """The profile as the form's initial values."""
    preferences = person.preferences or {}
    return {
        "postcode": person.postcode or "",
        "max_distance_km": _radius(person.max_distance_km),
        "must_have": list(person.must_have or ()),
        "nice_to_have": list(person.nice_to_have or ()),
        "interests": list(person.interests or ()),
        "languages": list(person.languages or ()),
        "carer_gender": preferences.get("carer_gender") or "",
        "slots": list(preferences.get("slots") or ()),
        "funding_route": person.funding_route,
        "share_profile_with_providers": person.share_profile_with_providers,
    }


def search_defaults(person: Person | None) -> dict[str, Any] | None:
    """What a saved profile puts into the search form, or None without a saved postcode."""
    if person is None or not person.postcode:
        return None
    preferences = person.preferences or {}
    languages = list(person.languages or ())
    return {
        "postcode": person.postcode,
        "radius_km": _radius(person.max_distance_km),
        "skill": list(person.must_have or ()),
        "nice": list(person.nice_to_have or ()),
        "interest": list(person.interests or ()),
        "gender": preferences.get("carer_gender") or "",
        # One language the person speaks is one the carer must speak; with several, any
        # of them may do, so none is required.
        "language": languages if len(languages) == 1 else [],
        "slot": list(preferences.get("slots") or ()),
    }


def match_defaults(person: Person | None) -> dict[str, Any]:
    """What a saved profile puts into a match request that leaves the fields out."""
    if person is None or not person.postcode:
        return {}
    preferences = person.preferences or {}
    defaults: dict[str, Any] = {
        "postcode": person.postcode,
        "max_distance_km": _radius(person.max_distance_km),
        "must_have": list(person.must_have or ()),
        "nice_to_have": list(person.nice_to_have or ()),
        "interests": list(person.interests or ()),
        "languages": list(person.languages or ()),
        "availability": list(preferences.get("slots") or ()),
    }
    if preferences.get("carer_gender"):
        defaults["preferences"] = {"carer_gender": preferences["carer_gender"]}
    return defaults


def council_of(person: Person) -> geo.Council | None:
    """The council that does adult social care where the person lives."""
    if not person.care_council_code:
        return None
    try:
        return geo.care_council(person.care_council_code)
    except KeyError:
        return None


def _radius(value: float | None) -> int:
    radius = round(value) if value else DEFAULT_RADIUS_KM
    return min(max(radius, MIN_RADIUS_KM), MAX_RADIUS_KM)
