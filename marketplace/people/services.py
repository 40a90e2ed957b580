"""A person's profile: reading, saving and turning it into search defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marketplace import audit, geo
from marketplace.choices import SLOTS, FundingRoute, Gender, PersonGroup, Pet, SupportKind
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
    # The home and wishes, matched against what carers say (never assumed: empty is
    # "not said").
    pets: list[str] = field(default_factory=list)
    smoking_home: bool = False
    support_wanted: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


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
    for values, kind in (
        (changes.pets, Pet),
        (changes.support_wanted, SupportKind),
        (changes.groups, PersonGroup),
    ):
        unknown = set(values) - set(kind.values())
        if unknown:
            raise ValueError(f"unknown {kind.__name__} {sorted(unknown)!r}")
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
        **home_and_wishes(
            changes.pets, changes.smoking_home, changes.support_wanted, changes.groups
        ),
    }
    person.funding_route = changes.funding_route
    person.share_profile_with_providers = changes.share_profile_with_providers
    # The audit row names what changed, never the postcode itself.
    audit.record("person.profile_saved", actor_id=actor_id, target=person)


def home_and_wishes(
    pets: list[str], smoking_home: bool, support_wanted: list[str], groups: list[str]
) -> dict[str, Any]:
    """The person's home and wishes as stored in ``Person.preferences``, in the
    vocabularies' order."""
    return {
        "pets": [p for p in Pet.values() if p in set(pets)],
        "smoking_home": bool(smoking_home),
        "support_wanted": [k for k in SupportKind.values() if k in set(support_wanted)],
        "groups": [g for g in PersonGroup.values() if g in set(groups)],
    }


def stored_wishes(person: Person) -> dict[str, Any]:
    """The stored home and wishes (a profile saved before they existed has none)."""
    preferences = person.preferences or {}
    return home_and_wishes(
        list(preferences.get("pets") or ()),
        bool(preferences.get("smoking_home")),
        list(preferences.get("support_wanted") or ()),
        list(preferences.get("groups") or ()),
    )


def wish_rows(person: Person) -> list[tuple[str, str]]:
    """The home and wishes in words, for a summary list: (what, answer)."""
    wishes = stored_wishes(person)

    def said(values: list[str], labels: dict[str, str], empty: str) -> str:
        return ", ".join(labels[v] for v in values) or empty

    return [
        ("Pets at home", said(wishes["pets"], Pet.labels(), "None given")),
        ("Someone smokes at home", "Yes" if wishes["smoking_home"] else "Not said"),
        (
            "Kinds of support wanted",
            said(wishes["support_wanted"], SupportKind.labels(), "None chosen"),
        ),
        ("Groups they are in", said(wishes["groups"], PersonGroup.labels(), "Not said")),
    ]


def wish_filters(person: Person) -> dict[str, Any]:
    """The stored home and wishes as ``SearchFilters`` fields."""
    wishes = stored_wishes(person)
    return {
        "pets": frozenset(wishes["pets"]),
        "smoking_home": wishes["smoking_home"],
        "support_wanted": frozenset(wishes["support_wanted"]),
        "groups": frozenset(wishes["groups"]),
    }


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
        **stored_wishes(person),
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
        **_wish_args(stored_wishes(person)),
    }


def _wish_args(wishes: dict[str, Any]) -> dict[str, Any]:
    """The home and wishes as the search form's parameters."""
    args: dict[str, Any] = {
        "pet": wishes["pets"],
        "support": wishes["support_wanted"],
        "group": wishes["groups"],
    }
    if wishes["smoking_home"]:
        args["smoking"] = "y"
    return args


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
    wishes = stored_wishes(person)
    defaults.update(
        pets=wishes["pets"],
        smoking_home=wishes["smoking_home"],
        support_wanted=wishes["support_wanted"],
        groups=wishes["groups"],
    )
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
