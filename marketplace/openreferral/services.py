"""Listed providers as Open Referral UK (HSDS UK profile 3.0) records.

One service per listed provider, run by one organization, at one location: the provider's
public point (a district centre, never an address). Every id is a UUID derived from our
own ids (``stable_id``), so a council's copy of the feed keeps its identity across
harvests. No ``request`` in here: the views parse parameters and call these functions.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from marketplace import directory, geo, links
from marketplace.extensions import db
from marketplace.models import Carer, Provider
from marketplace.models.providers import LEGAL_FORMS
from marketplace.money import format_pence
from matching.vocabulary import DEFAULT_VOCABULARY

# Never change this: every id in the feed is derived from it (RFC 4122 name-based, SHA-1).
NAMESPACE = uuid.UUID("6f1c2d0e-53a4-4f7e-9b1c-c0a9ca7e0001")

HSDS_VERSION = "3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PROXIMITY_METRES = 1_000_000  # the length of Great Britain

SKILLS_TAXONOMY = "skills"
LEGAL_FORMS_TAXONOMY = "legal_forms"
TAXONOMIES = {
    SKILLS_TAXONOMY: (
        "CoopCare help offered",
        "The kinds of care and support CoopCare providers and carers offer.",
    ),
    LEGAL_FORMS_TAXONOMY: (
        "CoopCare organisation types",
        "The legal forms of co-operative and community-owned care providers.",
    ),
}
DAY_CODES = {
    "mon": "MO",
    "tue": "TU",
    "wed": "WE",
    "thu": "TH",
    "fri": "FR",
    "sat": "SA",
    "sun": "SU",
}
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
PART_NAMES = {"am": "mornings", "pm": "afternoons", "eve": "evenings"}
# Organisation registers by their org-id.guide scheme codes.
IDENTIFIER_SCHEMES = (
    ("fca_number", "GB-MPR", "FCA Mutuals Public Register number"),
    ("companies_house_number", "GB-COH", "Companies House number"),
    ("charity_number", "GB-CHC", "Registered charity number"),
)


def stable_id(*parts: object) -> str:
    """A UUID that is always the same for the same thing: ``stable_id("service", 7)``."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def public_url(path: str) -> str:
    """An absolute URL on the public site (never built from the request's Host)."""
    return links.absolute(path)


def _web_address(value: str | None) -> str | None:
    """A provider's website, only when it is a real http(s) address."""
    if not value:
        return None
    value = value.strip()
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        return None
    return value


def _drop_empty(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out unknown values rather than send nulls the schemas do not allow."""
    return {k: v for k, v in record.items() if v is not None and v != "" and v != []}


# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------


def taxonomy_id(key: str) -> str:
    return stable_id("taxonomy", key)


def term_id(taxonomy: str, slug: str) -> str:
    return stable_id("taxonomy_term", taxonomy, slug)


def _term_labels(taxonomy: str) -> dict[str, str]:
    if taxonomy == SKILLS_TAXONOMY:
        return {slug: t.label for slug, t in DEFAULT_VOCABULARY.terms("skills").items()}
    return dict(LEGAL_FORMS)


def taxonomy_term(taxonomy: str, slug: str) -> dict[str, Any]:
    label = _term_labels(taxonomy).get(slug, slug.replace("_", " "))
    name = TAXONOMIES[taxonomy][0]
    return {
        "id": term_id(taxonomy, slug),
        "name": label,
        "description": f"{label} ({name})",
        "taxonomy": name,
        "taxonomy_id": taxonomy_id(taxonomy),
        "term": slug,
    }


def all_terms() -> list[dict[str, Any]]:
    return [taxonomy_term(key, slug) for key in TAXONOMIES for slug in _term_labels(key)]


def taxonomy(key: str) -> dict[str, Any]:
    name, description = TAXONOMIES[key]
    return {
        "id": taxonomy_id(key),
        "name": name,
        "description": description,
        "uri": public_url(f"/api/openreferral/v3/taxonomies/{taxonomy_id(key)}"),
        "version": "1",
    }


def all_taxonomies() -> list[dict[str, Any]]:
    return [taxonomy(key) for key in TAXONOMIES]


def find_term(term: str) -> tuple[str, str] | None:
    """(taxonomy, slug) of a taxonomy term id, or None."""
    for key in TAXONOMIES:
        for slug in _term_labels(key):
            if term_id(key, slug) == term:
                return key, slug
    return None


def find_taxonomy(value: str) -> str | None:
    return next((key for key in TAXONOMIES if taxonomy_id(key) == value), None)


def _attribute(link_id: str, link_type: str, taxonomy: str, slug: str) -> dict[str, Any]:
    term = taxonomy_term(taxonomy, slug)
    return {
        "id": stable_id("attribute", link_type, link_id, term["id"]),
        "link_id": link_id,
        "link_type": link_type,
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }


# ---------------------------------------------------------------------------
# One provider, with what the feed needs about it
# ---------------------------------------------------------------------------


@dataclass
class Listing:
    provider: Provider
    carers: list[Carer]

    @property
    def service_id(self) -> str:
        return stable_id("service", self.provider.id)

    @property
    def organization_id(self) -> str:
        return stable_id("organization", self.provider.id)

    @property
    def location_id(self) -> str:
        return stable_id("location", self.provider.id)

    @property
    def service_at_location_id(self) -> str:
        return stable_id("service_at_location", self.provider.id)

    @property
    def last_modified(self) -> datetime:
        return directory.last_modified(self.provider, self.carers)

    def text(self) -> str:
        """What ``search`` looks in: names, description and the help offered."""
        p = self.provider
        skills = [taxonomy_term(SKILLS_TAXONOMY, s)["name"] for s in p.skills or []]
        return " ".join([p.name, p.description or "", p.legal_form_label, *skills]).casefold()


def listings() -> list[Listing]:
    providers = directory.listed_providers()
    carers = directory.listed_carers_by_provider([p.id for p in providers])
    return [Listing(p, carers[p.id]) for p in providers]


@dataclass(frozen=True)
class Filters:
    search: str | None = None
    taxonomy_term: tuple[str, str] | None = None
    taxonomy: str | None = None
    place: geo.PostcodeLocation | None = None
    proximity_m: float | None = None
    modified_after: datetime | None = None
    council: str | None = None


def _covers_place(listing: Listing, place: geo.PostcodeLocation) -> bool:
    """Does the service area include the place? Judged from the public point, so
    answers cannot be used to find a provider's own postcode."""
    return place.outcode in directory.covered_districts(listing.provider)


def matching(filters: Filters) -> list[Listing]:
    """Listed providers that pass every filter; by name, or nearest first near a place."""
    found: list[tuple[float, Listing]] = []
    for listing in listings():
        provider = listing.provider
        if filters.search and filters.search.casefold() not in listing.text():
            continue
        if filters.taxonomy_term is not None:
            kind, slug = filters.taxonomy_term
            values = provider.skills or [] if kind == SKILLS_TAXONOMY else [provider.legal_form]
            if slug not in values:
                continue
        if filters.taxonomy == SKILLS_TAXONOMY and not provider.skills:
            continue
        if filters.modified_after and listing.last_modified < filters.modified_after:
            continue
        if filters.council and not directory.covers_council(provider, filters.council):
            continue
        distance = 0.0
        if filters.place is not None:
            point = directory.public_point(provider)
            distance = (
                math.inf
                if point is None
                else geo.distance_km(filters.place.point, (point.lat, point.lon))
            )
            if filters.proximity_m is not None:
                if distance * 1000 > filters.proximity_m:
                    continue
            elif not _covers_place(listing, filters.place):
                continue
        found.append((distance, listing))
    if filters.place is not None:
        found.sort(key=lambda pair: pair[0])
    return [listing for _, listing in found]


def find_listing(service_or_sal_id: str) -> Listing | None:
    """The listing whose service (or service-at-location) has this id."""
    # Ids are one-way (uuid5), so compare against every listed provider's ids: one
    # query of integers, then only the match is loaded.
    ids = db.session.scalars(sa.select(Provider.id).where(directory.listed_clause()))
    for provider_id in ids:
        if service_or_sal_id in (
            stable_id("service", provider_id),
            stable_id("service_at_location", provider_id),
        ):
            provider = directory.listed_provider(provider_id)
            if provider is None:
                return None
            return Listing(
                provider, directory.listed_carers_by_provider([provider_id])[provider_id]
            )
    return None


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


def _assured_date(provider: Provider) -> str | None:
    if provider.approved_at is None:
        return None
    return directory.as_utc(provider.approved_at).date().isoformat()


def _accreditations(provider: Provider) -> str:
    parts = ["Quality assured by CoopCare"]
    if provider.approved_at:
        parts[0] += f" since {directory.as_utc(provider.approved_at):%-d %B %Y}"
    found = directory.registration(provider)
    if found is not None:
        text = f"Registered with the {found.regulator}, {found.number_label} {found.number}"
        parts.append(text + (f", {found.rating_name}: {found.rating}" if found.rating else ""))
    return ". ".join(parts) + "."


def _fees(provider: Provider) -> str:
    text = "Pay with a direct payment, an individual service fund, a personal health budget "
    text += "or your own money."
    if provider.hourly_rate_pence is not None:
        text = f"Typical hourly rate {format_pence(provider.hourly_rate_pence)}. " + text
    return text


def _description(provider: Provider) -> str:
    if provider.description:
        return provider.description
    skills = [taxonomy_term(SKILLS_TAXONOMY, s)["name"].lower() for s in provider.skills or []]
    text = f"{provider.legal_form_label} giving care and support at home"
    if skills:
        text += ": " + ", ".join(skills)
    return text + "."


def organization(listing: Listing) -> dict[str, Any]:
    provider = listing.provider
    org_id = listing.organization_id
    identifiers = [
        {
            "id": stable_id("organization_identifier", provider.id, scheme),
            "organization_id": org_id,
            "identifier_scheme": scheme,
            "identifier_type": label,
            "identifier": getattr(provider, field),
        }
        for field, scheme, label in IDENTIFIER_SCHEMES
        if getattr(provider, field)
    ]
    found = directory.registration(provider)
    if found is not None:
        identifiers.append(
            {
                "id": stable_id("organization_identifier", provider.id, "regulator"),
                "organization_id": org_id,
                "identifier_type": found.number_label,
                "identifier": found.number,
            }
        )
    return _drop_empty(
        {
            "id": org_id,
            "name": provider.name,
            "description": provider.principles or _description(provider),
            "email": provider.contact_email,
            "website": _web_address(provider.website),
            "uri": public_url(f"/providers/{provider.id}"),
            "organization_identifiers": identifiers,
            "attributes": [
                _attribute(org_id, "organization", LEGAL_FORMS_TAXONOMY, provider.legal_form)
            ],
        }
    )


def _service_list_fields(listing: Listing) -> dict[str, Any]:
    provider = listing.provider
    return _drop_empty(
        {
            "id": listing.service_id,
            "organization_id": listing.organization_id,
            "name": provider.name,
            "description": _description(provider),
            "url": public_url(f"/providers/{provider.id}"),
            "email": provider.contact_email,
            "status": "active",
            "fees": _fees(provider),
            "accreditations": _accreditations(provider),
            "assured_date": _assured_date(provider),
            "assurer_email": current_app.config["QUALITY_TEAM_EMAIL"],
            "last_modified": listing.last_modified.isoformat().replace("+00:00", "Z"),
        }
    )


def service_summary(listing: Listing) -> dict[str, Any]:
    """A service with its one-to-one fields and organization (``/services`` pages)."""
    return {**_service_list_fields(listing), "organization": organization(listing)}


def location(listing: Listing) -> dict[str, Any]:
    """The provider's public point: the centre of its postcode sector or district."""
    provider = listing.provider
    point = directory.public_point(provider)
    area = point.label if point else provider.district
    record: dict[str, Any] = {
        "id": listing.location_id,
        "location_type": "physical",
        "name": f"{area} area" if area else provider.name,
        "description": "Care is given in people's own homes. This point is the centre of "
        f"the postcode {_area_kind(area)} {area}, not an office or a home address."
        if area
        else "Care is given in people's own homes.",
    }
    if point is not None:
        record["latitude"], record["longitude"] = point.lat, point.lon
    if area:
        town = council_name = ""
        try:
            place = geo.lookup(geo.outcode_of(area))
            town = place.district or ""
            council_name = place.care_council_name or ""
        except geo.GeoError:
            pass
        record["addresses"] = [
            {
                "id": stable_id("address", provider.id),
                "location_id": listing.location_id,
                "address_1": f"Postcode {_area_kind(area)} {area}",
                "city": town or council_name or area,
                "state_province": council_name or town or area,
                "postal_code": area,
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return record


def _area_kind(area: str | None) -> str:
    return "sector" if area and " " in area else "district"


def service_area(listing: Listing, area: directory.CouncilArea) -> dict[str, Any]:
    districts = ", ".join(area.districts)
    text = f"{area.council.name}"
    if districts:
        text += f": postcode districts {districts}"
    return _drop_empty(
        {
            "id": stable_id("service_area", listing.provider.id, area.council.code),
            "service_id": listing.service_id,
            "name": area.council.name,
            "service_area": text,
            "extent": districts,
            "extent_type": "text",
            # The council's GSS code as a linked-data URI, which councils can match on.
            "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{area.council.code}",
        }
    )


def _language(listing: Listing, code: str) -> dict[str, Any]:
    term = DEFAULT_VOCABULARY.terms("languages").get(code)
    return {
        "id": stable_id("language", listing.provider.id, code),
        "service_id": listing.service_id,
        "name": term.label if term else code,
        "code": code,
    }


def _schedules(listing: Listing) -> list[dict[str, Any]]:
    """When the provider's listed carers say they are available, per part of the day."""
    days_by_part: dict[str, set[str]] = {part: set() for part in PART_NAMES}
    for carer in listing.carers:
        for slot in carer.availability or []:
            day, _, part = slot.partition("-")
            if day in DAY_CODES and part in days_by_part:
                days_by_part[part].add(day)
    schedules = []
    for part, days in days_by_part.items():
        if not days:
            continue
        ordered = [d for d in DAY_CODES if d in days]
        names = [DAY_NAMES[d] for d in ordered]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        schedules.append(
            {
                "id": stable_id("schedule", listing.provider.id, part),
                "service_id": listing.service_id,
                "freq": "WEEKLY",
                "interval": 1,
                "byday": ",".join(DAY_CODES[d] for d in ordered),
                "description": f"Carers are available on {PART_NAMES[part]}: {listed}.",
                "attending_type": "At home",
            }
        )
    return schedules


def _cost_options(listing: Listing) -> list[dict[str, Any]]:
    pence = listing.provider.hourly_rate_pence
    if pence is None:
        return []
    return [
        {
            "id": stable_id("cost_option", listing.provider.id, "hourly"),
            "service_id": listing.service_id,
            "option": "Typical hourly rate",
            # HSDS amounts are in currency units; we keep integer pence everywhere else.
            "amount": pence / 100,
            "amount_description": "Pounds (GBP) per hour",
            "currency": "GBP",
        }
    ]


def _contacts(listing: Listing) -> list[dict[str, Any]]:
    provider = listing.provider
    if not (provider.contact_email or provider.contact_phone):
        return []
    contact_id = stable_id("contact", provider.id)
    contact: dict[str, Any] = {
        "id": contact_id,
        "service_id": listing.service_id,
        "name": provider.name,
        "title": "Enquiries",
    }
    if provider.contact_email:
        contact["email"] = provider.contact_email
    if provider.contact_phone:
        contact["phones"] = [
            {
                "id": stable_id("phone", provider.id),
                "contact_id": contact_id,
                "number": provider.contact_phone,
            }
        ]
    return [contact]


def service_at_location_summary(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.service_at_location_id,
        "service_id": listing.service_id,
        "location_id": listing.location_id,
        "location": location(listing),
    }


def service_full(listing: Listing) -> dict[str, Any]:
    """A fully nested service (``/services/{id}``)."""
    provider = listing.provider
    service_id = listing.service_id
    return {
        **_service_list_fields(listing),
        "organization": organization(listing),
        "service_areas": [service_area(listing, a) for a in directory.covered_councils(provider)],
        "service_at_locations": [service_at_location_summary(listing)],
        "languages": [_language(listing, code) for code in provider.languages or []],
        "cost_options": _cost_options(listing),
        "contacts": _contacts(listing),
        "schedules": _schedules(listing),
        "attributes": [
            _attribute(service_id, "service", SKILLS_TAXONOMY, slug)
            for slug in provider.skills or []
        ],
    }


def service_at_location_list_item(listing: Listing) -> dict[str, Any]:
    return {**service_at_location_summary(listing), "service": _service_list_fields(listing)}


def service_at_location_full(listing: Listing) -> dict[str, Any]:
    return {**service_at_location_summary(listing), "service": service_full(listing)}


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def page_of(items: Iterable[Any], page: int, per_page: int) -> dict[str, Any]:
    """The Open Referral page envelope around ``contents``."""
    items = list(items)
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    contents = items[(page - 1) * per_page : page * per_page]
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }
