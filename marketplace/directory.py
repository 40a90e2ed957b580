"""What the outside world may see of a provider: whether it is listed, its public point,
and which care councils it covers.

The Open Referral feed, the council CSV, the national map, the GeoJSON and the sitemap all
ask here, so they always agree with each other.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from marketplace import geo
from marketplace.extensions import db
from marketplace.models import Carer, Provider

# Public points are shown to 4 decimal places (about 10 m): the point is already a
# district centre, so more digits would only suggest a precision that is not there.
POINT_DECIMALS = 4


def listed_clause() -> sa.ColumnElement[bool]:
    """SQL for "this provider is listed" (quality assured): ``Provider.is_listed``."""
    return Provider.is_listed


def listed_providers() -> list[Provider]:
    """Every listed provider, by name."""
    return list(
        db.session.scalars(
            sa.select(Provider).where(listed_clause()).order_by(Provider.name, Provider.id)
        )
    )


def listed_provider(provider_id: int) -> Provider | None:
    return db.session.scalar(sa.select(Provider).where(listed_clause(), Provider.id == provider_id))


def listed_carers_by_provider(provider_ids: list[int]) -> dict[int, list[Carer]]:
    """Listed carers (``Carer.is_listed``: active, checks verified) of the given providers."""
    found: dict[int, list[Carer]] = {pid: [] for pid in provider_ids}
    if not provider_ids:
        return found
    rows = db.session.scalars(
        sa.select(Carer)
        .where(Carer.provider_id.in_(provider_ids), Carer.is_listed)
        .order_by(Carer.display_name, Carer.id)
    )
    for carer in rows:
        found[carer.provider_id].append(carer)  # type: ignore[index]
    return found


def public_point(provider: Provider) -> geo.PublicPoint | None:
    """Where the provider may be shown on a map: never its own postcode's point.

    The stored ``public_lat``/``public_lon`` (``geo.public_point``: the centre of the
    provider's postcode sector, or of its district when the sector is small or only the
    district is known; a self-employed PA's base is their home), with the name of the
    area it stands for. None for a provider that is not placed.
    """
    if provider.public_lat is None or provider.public_lon is None:
        return None
    label = provider.district or ""
    for place in (provider.postcode, provider.district):
        if place:
            try:
                label = geo.public_point(place).label
            except geo.GeoError:
                continue
            break
    return geo.PublicPoint(
        round(provider.public_lat, POINT_DECIMALS),
        round(provider.public_lon, POINT_DECIMALS),
        label,
    )


# ---------------------------------------------------------------------------
# Councils covered
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _District:
    outcode: str
    lat: float
    lon: float
    council_codes: tuple[str, ...]


@functools.cache
def _districts() -> tuple[_District, ...]:
    found = []
    with open(geo.DATA_DIR / geo.DISTRICTS_FILE, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            codes = [row["care_la_code"], *row["other_care_la_codes"].split(";")]
            found.append(
                _District(
                    row["outcode"],
                    # A few districts (PO boxes, non-geographic) have no centre.
                    float(row["lat"]) if row["lat"] else math.nan,
                    float(row["lon"]) if row["lon"] else math.nan,
                    tuple(code for code in codes if code),
                )
            )
    return tuple(found)


@functools.cache
def _councils_of_district() -> dict[str, tuple[str, ...]]:
    return {d.outcode: d.council_codes for d in _districts()}


@functools.cache
def _district_radians() -> tuple[np.ndarray, np.ndarray]:
    lat = np.radians(np.array([d.lat for d in _districts()]))
    lon = np.radians(np.array([d.lon for d in _districts()]))
    return lat, lon


EARTH_RADIUS_KM = 6371.0088


def _districts_within(point: tuple[float, float], radius_km: float) -> list[str]:
    """Districts whose centre is within ``radius_km`` of ``point`` (haversine)."""
    lat, lon = _district_radians()
    lat0, lon0 = np.radians(point[0]), np.radians(point[1])
    a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    districts = _districts()
    return [districts[i].outcode for i in np.flatnonzero(distance <= radius_km)]


def covered_districts(provider: Provider) -> list[str]:
    """Postcode districts the provider serves: named ones, and those whose centre lies
    within its service radius of its public point."""
    districts = set(provider.service_districts or [])
    point = public_point(provider)
    if point is not None and provider.service_radius_km:
        districts.update(_districts_within((point.lat, point.lon), provider.service_radius_km))
    if provider.district:
        districts.add(provider.district)
    return sorted(districts)


@dataclass(frozen=True, slots=True)
class CouncilArea:
    council: geo.Council
    districts: tuple[str, ...]


def covered_councils(provider: Provider) -> list[CouncilArea]:
    """Care councils the provider works in (its own first), each with the districts."""
    by_code: dict[str, set[str]] = {}
    if provider.care_council_code:
        by_code[provider.care_council_code] = set()
    lookup = _councils_of_district()
    for district in covered_districts(provider):
        for code in lookup.get(district, ()):
            by_code.setdefault(code, set()).add(district)
    areas = []
    for code, districts in by_code.items():
        try:
            council = geo.care_council(code)
        except KeyError:
            continue
        areas.append(CouncilArea(council, tuple(sorted(districts))))
    own = provider.care_council_code
    areas.sort(key=lambda a: (a.council.code != own, a.council.name.casefold()))
    return areas


def covers_council(provider: Provider, code: str) -> bool:
    return any(area.council.code == code for area in covered_councils(provider))


def last_modified(provider: Provider, carers: list[Carer]) -> datetime:
    """When anything the public sees about the provider last changed."""
    times = [provider.updated_at, provider.approved_at, *(c.updated_at for c in carers)]
    return max(as_utc(t) for t in times if t is not None)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Registration:
    """A provider's registration with its nation's care regulator, for the public."""

    regulator: str  # "Care Inspectorate"
    number_label: str  # "Care Inspectorate care service number"
    number: str
    rating_name: str  # "Care Inspectorate grade"
    rating: str | None  # the rating's label, or None when not given


def registration(provider: Provider) -> Registration | None:
    """The provider's care regulator registration (CQC, Care Inspectorate, CIW, RQIA)."""
    from marketplace.regulators import REGULATORS

    regulator = REGULATORS.get(provider.regulator or "")
    if not provider.regulated or regulator is None or not provider.regulator_number:
        return None
    return Registration(
        regulator=regulator.name,
        number_label=regulator.number_label,
        number=provider.regulator_number,
        rating_name=regulator.rating_name,
        rating=regulator.rating_label(provider.regulator_rating),
    )
