"""Sitemap entries, robots rules and schema.org JSON-LD. No ``request`` in here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa

from marketplace import directory, geo, links
from marketplace.extensions import db
from marketplace.models import Provider, Team
from marketplace.models.providers import LEGAL_FORMS

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Signed-in areas and forms: nothing there for a search engine.
PRIVATE_PREFIXES = (
    "/account",
    "/admin/",
    "/carer/",
    "/login",
    "/logout",
    "/provider/",
    "/register",
    "/reset-password",
    "/review",
    "/search",
)


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    lastmod: datetime | None = None


def sitemap_entries() -> list[SitemapEntry]:
    """The public pages worth indexing: fixed pages, every listed provider, its teams,
    and the page of every council a listed provider works in."""
    entries = [SitemapEntry(p) for p in ("/", "/about", "/accessibility", "/councils", "/map")]
    providers = directory.listed_providers()
    carers = directory.listed_carers_by_provider([p.id for p in providers])
    teams: dict[int, list[Team]] = {}
    for team in db.session.scalars(
        sa.select(Team).where(Team.provider_id.in_([p.id for p in providers])).order_by(Team.id)
    ):
        teams.setdefault(team.provider_id, []).append(team)
    councils: set[str] = set()
    for provider in providers:
        modified = directory.last_modified(provider, carers[provider.id])
        entries.append(SitemapEntry(f"/providers/{provider.id}", modified))
        for team in teams.get(provider.id, []):
            entries.append(SitemapEntry(f"/teams/{team.id}", directory.as_utc(team.updated_at)))
        councils.update(area.council.code for area in directory.covered_councils(provider))
    entries.extend(SitemapEntry(f"/councils/{code}") for code in sorted(councils))
    return entries


def sitemap_xml(entries: Sequence[SitemapEntry]) -> bytes:
    ElementTree.register_namespace("", SITEMAP_NS)
    root = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for entry in entries:
        url = ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = links.absolute(entry.path)
        if entry.lastmod is not None:
            lastmod = ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod")
            lastmod.text = entry.lastmod.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def robots_txt() -> str:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES]
    lines += ["Allow: /", "", f"Sitemap: {links.absolute('/sitemap.xml')}", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# schema.org JSON-LD
# ---------------------------------------------------------------------------


def aggregate_rating(ratings: Sequence[int]) -> dict[str, Any] | None:
    """schema.org AggregateRating from published review ratings (1 to 5), or None when
    there are none: search engines must never see a rating nobody gave."""
    if not ratings:
        return None
    return {
        "@type": "AggregateRating",
        "ratingValue": round(sum(ratings) / len(ratings), 1),
        "reviewCount": len(ratings),
        "bestRating": 5,
        "worstRating": 1,
    }


def provider_json_ld(provider: Provider, ratings: Sequence[int] = ()) -> dict[str, Any]:
    """An Organization / LocalBusiness for a provider page.

    ``ratings`` are the provider's published review ratings; ``aggregateRating`` is
    added only when there are some. (CoopCare has no reviews yet, so pages pass none.)
    """
    url = links.absolute(f"/providers/{provider.id}")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": ["Organization", "LocalBusiness"],
        "@id": url + "#organization",
        "name": provider.name,
        "url": url,
        "description": provider.description or LEGAL_FORMS.get(provider.legal_form, ""),
        "areaServed": [
            {
                "@type": "AdministrativeArea",
                "name": area.council.name,
                "identifier": area.council.code,
            }
            for area in directory.covered_councils(provider)
        ],
    }
    if provider.district:
        data["address"] = {
            "@type": "PostalAddress",
            "postalCode": provider.district,
            "addressCountry": "GB",
        }
        try:
            town = geo.lookup(provider.district).district
        except geo.GeoError:
            town = None
        if town:
            data["address"]["addressLocality"] = town
    if provider.contact_email:
        data["email"] = provider.contact_email
    if provider.contact_phone:
        data["telephone"] = provider.contact_phone
    if provider.website:
        data["sameAs"] = [provider.website]
    identifiers = [
        ("FCA Mutuals Public Register", provider.fca_number),
        ("Companies House", provider.companies_house_number),
        ("Registered charity", provider.charity_number),
    ]
    found_registration = directory.registration(provider)
    if found_registration is not None:
        identifiers.append((found_registration.number_label, found_registration.number))
    found = [
        {"@type": "PropertyValue", "propertyID": name, "value": value}
        for name, value in identifiers
        if value
    ]
    if found:
        data["identifier"] = found
    rating = aggregate_rating(ratings)
    if rating is not None:
        data["aggregateRating"] = rating
    return data
