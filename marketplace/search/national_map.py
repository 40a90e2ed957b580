"""The national map of co-operative care (/map) and its GeoJSON (/api/v1/providers.geojson).

Every listed provider at its public point (``directory.public_point``: a postcode sector or
district centre, never an address), grouped by the council where it is based.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from marketplace import directory, geo, links
from marketplace.models import Provider
from marketplace.models.providers import LEGAL_FORMS
from marketplace.openreferral.services import stable_id
from marketplace.vocabulary import label


@dataclass(frozen=True)
class MapProvider:
    provider: Provider
    point: geo.PublicPoint | None
    council: geo.Council | None


@dataclass(frozen=True)
class CouncilGroup:
    council: geo.Council | None
    providers: list[MapProvider]


def _council(code: str | None) -> geo.Council | None:
    if not code:
        return None
    try:
        return geo.care_council(code)
    except KeyError:
        return None


def map_providers(legal_form: str | None = None, skill: str | None = None) -> list[MapProvider]:
    """Listed providers, optionally only one legal form or only those offering a skill."""
    found = []
    for provider in directory.listed_providers():
        if legal_form and provider.legal_form != legal_form:
            continue
        if skill and skill not in (provider.skills or []):
            continue
        found.append(
            MapProvider(
                provider, directory.public_point(provider), _council(provider.care_council_code)
            )
        )
    return found


def by_council(items: list[MapProvider]) -> list[CouncilGroup]:
    """Groups by council name; providers with no known council last."""
    groups: dict[str | None, list[MapProvider]] = {}
    for item in items:
        groups.setdefault(item.council.code if item.council else None, []).append(item)
    result = [CouncilGroup(members[0].council, members) for code, members in groups.items() if code]
    result.sort(key=lambda g: g.council.name.casefold() if g.council else "")
    if None in groups:
        result.append(CouncilGroup(None, groups[None]))
    return result


def map_points(items: list[MapProvider]) -> list[dict[str, Any]]:
    """Markers for the optional map (the same shape the search results map reads)."""
    return [
        {
            "kind": "provider",
            "label": f"{item.provider.name} ({item.point.label})",
            "lat": item.point.lat,
            "lon": item.point.lon,
            "url": url_for("search.provider", provider_id=item.provider.id),
        }
        for item in items
        if item.point is not None
    ]


def geojson(items: list[MapProvider]) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection: one Point per provider, [longitude, latitude]."""
    features = []
    for item in items:
        provider = item.provider
        if item.point is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": provider.id,
                "geometry": {"type": "Point", "coordinates": [item.point.lon, item.point.lat]},
                "properties": {
                    "name": provider.name,
                    "legal_form": provider.legal_form,
                    "legal_form_label": LEGAL_FORMS.get(provider.legal_form, provider.legal_form),
                    "area": item.point.label,
                    "care_council": (
                        {"code": item.council.code, "name": item.council.name}
                        if item.council
                        else None
                    ),
                    "skills": list(provider.skills or []),
                    "skill_labels": [label("skill", s) for s in provider.skills or []],
                    "url": links.absolute(f"/providers/{provider.id}"),
                    "open_referral_service_id": stable_id("service", provider.id),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
